//! `ward onboard` (PASC offline) end to end: the 19 real device MUD files of the UNSW study
//! against a home policy that classifies them, quarantine, refusal, what a MUD file asks
//! beyond its class, and signed bundles.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;

use cli::{root, ward};

use serde_json::Value;

fn mud(folder: &str, name: &str) -> String {
    root()
        .join("mud/tests/fixtures")
        .join(folder)
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The home policy's bundle, built into `dir`.
fn home_bundle(dir: &Path) -> String {
    cli::bundle(dir, &root().join("tests/fixtures/onboarding"))
}

fn onboard_json(dir: &Path, bundle: &str, mud_file: &str) -> (Option<i32>, Value) {
    let output = ward(
        dir,
        &[
            "onboard", "--bundle", bundle, "--mud", mud_file, "--format", "json",
        ],
    );
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), json)
}

#[test]
fn the_nineteen_real_devices_are_onboarded_into_their_classes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = home_bundle(dir.path());
    let expected = [
        ("SmartThingsMud.json", "hubs"),
        ("amazonEchoMud.json", "media"),
        ("augustdoorbellcamMud.json", "cameras"),
        ("awairAirQualityMud.json", "sensors"),
        ("belkincameraMud.json", "cameras"),
        ("blipcareBPmeterMud.json", "sensors"),
        ("canaryCameraMud.json", "cameras"),
        ("chromecastMud.json", "media"),
        ("hellobarbieMud.json", "media"),
        ("hpprinterMud.json", "hubs"),
        ("lifxbulbMud.json", "plugs"),
        ("nestsmokesensorMud.json", "sensors"),
        ("pixstarphotoframeMud.json", "media"),
        ("samsungsmartcamMud.json", "cameras"),
        ("tplinkplugMud.json", "plugs"),
        ("tribyspeakerMud.json", "media"),
        ("wemomotionMud.json", "sensors"),
        ("wemoswitchMud.json", "plugs"),
        ("withingsbabymonitorMud.json", "cameras"),
    ];
    for (file, class) in expected {
        let (code, json) = onboard_json(dir.path(), &bundle, &mud("nist-unsw-devices", file));
        assert_eq!(code, Some(0), "{file}: {json}");
        assert_eq!(json["class"], class, "{file}");
        assert_eq!(json["quarantined"], false, "{file}");
        assert_eq!(json["classification"]["by"], "pattern", "{file}");
        // The profile comes from the risk assessment, with its reasons.
        assert_eq!(json["profile"], "SecProf_2", "{file}");
        assert_eq!(json["assigned"], true, "{file}");
        assert!(
            json["assessments"][0]["risks"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{file}"
        );
        // m6: the class's configuration, for this device.
        assert_eq!(json["config"]["class"], class, "{file}");
        assert_eq!(
            json["config"]["device"]["mud_url"], json["mud_url"],
            "{file}"
        );
    }
}

#[test]
fn what_a_mud_file_asks_beyond_its_class_is_reported_and_not_granted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = home_bundle(dir.path());
    let (code, json) = onboard_json(
        dir.path(),
        &bundle,
        &mud("nist-unsw-devices", "tplinkplugMud.json"),
    );
    assert_eq!(code, Some(0));
    let excess = json["excess"].as_array().expect("excess");
    let asks: Vec<&str> = excess.iter().filter_map(|e| e["asks"].as_str()).collect();
    // NTP servers on the internet: the class sends time requests to the gateway only.
    assert!(asks.contains(&"to ru.pool.ntp.org : udp/123"), "{asks:?}");
    // Granted by the class: the cloud, and DHCP and DNS through the gateway.
    assert!(
        !asks.iter().any(|a| a.contains("devs.tplinkcloud.com")),
        "{asks:?}"
    );
    assert!(
        !asks.iter().any(|a| a.contains("local gateway")),
        "{asks:?}"
    );
    // The class's flows win: the configuration lists only the class's peers.
    let peers: Vec<&str> = json["config"]["allowed_peers"]
        .as_array()
        .expect("peers")
        .iter()
        .filter_map(|p| p["peer"].as_str())
        .collect();
    assert_eq!(peers, ["hubs", "home_gateway", "tplink_cloud"]);
    // m7: whose configuration lists the plugs.
    assert_eq!(
        json["peers"],
        serde_json::json!(["hubs", "home_gateway", "tplink_cloud"])
    );

    let human = ward(
        dir.path(),
        &[
            "onboard",
            "--bundle",
            &bundle,
            "--mud",
            &mud("nist-unsw-devices", "tplinkplugMud.json"),
            "--id",
            "plug-1",
        ],
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("thing `plug-1`"), "{text}");
    assert!(text.contains("class `plugs`: its pattern `https://tplinkplug.com/*` matches"));
    assert!(text.contains("profile SecProf_2 (level 2), assigned by the risk assessment"));
    assert!(text.contains("from-ipv4-tplinkplug-0: to ru.pool.ntp.org : udp/123"));
}

#[test]
fn an_unknown_thing_is_quarantined_or_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = home_bundle(dir.path());
    let nist = mud("nist-constructs", "mud-mfg-test--mudfile-mfg-test.json");
    let (code, json) = onboard_json(dir.path(), &bundle, &nist);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["class"], "unknown_things");
    assert_eq!(json["quarantined"], true);
    assert_eq!(json["config"]["segment"]["name"], "quarantine");

    // The example policies declare their quarantine place: the unknown thing goes there.
    let examples = dir.path().join("examples");
    let built = ward(
        dir.path(),
        &[
            "build",
            &root().join("policies").to_string_lossy(),
            "-o",
            &examples.to_string_lossy(),
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{built:?}");
    let (code, json) = onboard_json(dir.path(), &examples.to_string_lossy(), &nist);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["class"], "quarantine");
    assert_eq!(json["quarantined"], true);
    assert_eq!(json["config"]["profile"], serde_json::Value::Null, "{json}");

    // A policy without a quarantine place: refused, with the reason.
    let strict = dir.path().join("strict");
    std::fs::create_dir_all(&strict).expect("mkdir");
    std::fs::write(
        strict.join("p.ward"),
        "class plug \"Plug\" {\n  function = sensing\n  profile = SecProf_1\n  capabilities = [x509, tls, second_factor]\n  match mud \"https://plugs.example/*\"\n}\nsegment plugs { classes = [plug] }\n",
    )
    .expect("policy");
    let built_strict = dir.path().join("strict-bundle");
    let built = ward(
        dir.path(),
        &[
            "build",
            &strict.to_string_lossy(),
            "-o",
            &built_strict.to_string_lossy(),
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{built:?}");
    let refused = ward(
        dir.path(),
        &[
            "onboard",
            "--bundle",
            &built_strict.to_string_lossy(),
            "--mud",
            &nist,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("[no-class] no class matches MUD URL"), "{err}");
    assert!(err.contains("ward mud import"), "{err}");
}

#[test]
fn a_signed_bundle_needs_its_key_and_a_tampered_one_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = root().join("tests/fixtures/onboarding");
    assert_eq!(
        ward(dir.path(), &["keygen", "-o", "k"]).status.code(),
        Some(0)
    );
    let built = ward(
        dir.path(),
        &[
            "build",
            &policy.to_string_lossy(),
            "-o",
            "b",
            "--sign",
            "k",
            "--sequence",
            "1",
        ],
    );
    assert_eq!(built.status.code(), Some(0), "{built:?}");
    let plug = mud("nist-unsw-devices", "tplinkplugMud.json");
    let unsigned = ward(
        dir.path(),
        &["onboard", "--bundle", "b/bundle.cbor", "--mud", &plug],
    );
    assert_eq!(unsigned.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unsigned.stderr).contains("--key"));
    let signed = ward(
        dir.path(),
        &[
            "onboard",
            "--bundle",
            "b/bundle.cbor",
            "--key",
            "k.pub",
            "--mud",
            &plug,
        ],
    );
    assert_eq!(signed.status.code(), Some(0), "{signed:?}");
    let mut bytes = std::fs::read(dir.path().join("b/bundle.cbor")).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(dir.path().join("tampered.cbor"), bytes).expect("write");
    let tampered = ward(
        dir.path(),
        &[
            "onboard",
            "--bundle",
            "tampered.cbor",
            "--key",
            "k.pub",
            "--mud",
            &plug,
        ],
    );
    assert_eq!(tampered.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&tampered.stderr).contains("signature"));
}
