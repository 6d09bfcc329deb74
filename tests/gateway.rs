//! `ward gateway` end to end over its HTTP API: the 19 real device MUD files fetched from a
//! local MUD mirror and onboarded against a home policy; bad input answered with stable
//! codes and no harm to the state; restarts and kill -9; bundles refused at start and on
//! reload; removing things; the generated ruleset checked by `nft -c`.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/gateway.rs"]
mod gateway_client;

use std::path::{Path, PathBuf};

use cli::{gateway_args, nft_accepts, root, ward};
use gateway_client::{GatewayProcess, http_as, http_raw, mirror, start};
use serde_json::{Value, json};

fn device_files() -> Vec<PathBuf> {
    let dir = root().join("mud/tests/fixtures/nist-unsw-devices");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A key pair and the home policy's signed bundle in `dir` (`k`, `k.pub`, `b/`).
fn signed_home(dir: &Path) {
    cli::signed_bundle(dir, &root().join("tests/fixtures/onboarding"));
}

fn gateway(dir: &Path, extra: &[&str]) -> GatewayProcess {
    start(dir, &gateway_args(extra)).unwrap_or_else(|e| panic!("the gateway starts: {e}"))
}

/// The subnet of each class of the home policy.
fn subnet_of(class: &str) -> u8 {
    match class {
        "cameras" => 2,
        "plugs" => 3,
        "media" => 4,
        "sensors" => 5,
        "hubs" => 6,
        _ => 99,
    }
}

fn class_of(file: &Path) -> &'static str {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match name {
        n if [
            "augustdoorbellcam",
            "belkincamera",
            "canaryCamera",
            "samsungsmartcam",
            "withingsbabymonitor",
        ]
        .iter()
        .any(|p| n.starts_with(p)) =>
        {
            "cameras"
        }
        n if ["tplinkplug", "wemoswitch", "lifxbulb"]
            .iter()
            .any(|p| n.starts_with(p)) =>
        {
            "plugs"
        }
        n if [
            "amazonEcho",
            "tribyspeaker",
            "chromecast",
            "pixstarphotoframe",
            "hellobarbie",
        ]
        .iter()
        .any(|p| n.starts_with(p)) =>
        {
            "media"
        }
        n if [
            "awairAirQuality",
            "nestsmokesensor",
            "wemomotion",
            "blipcareBPmeter",
        ]
        .iter()
        .any(|p| n.starts_with(p)) =>
        {
            "sensors"
        }
        _ => "hubs",
    }
}

fn mud_url(file: &Path) -> String {
    let json: Value = serde_json::from_slice(&std::fs::read(file).expect("fixture")).expect("JSON");
    json["ietf-mud:mud"]["mud-url"]
        .as_str()
        .expect("url")
        .to_string()
}

#[test]
fn the_nineteen_devices_are_onboarded_through_the_api_from_a_mud_mirror() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    let files = device_files();
    assert_eq!(files.len(), 19);
    let mirror = mirror(&files);
    let source = mirror.base.clone();
    let gw = gateway(dir.path(), &["--mud-source", &source]);
    for (n, file) in files.iter().enumerate() {
        let class = class_of(file);
        let request = json!({
            "id": format!("thing-{n}"),
            "address": format!("192.168.{}.{}", subnet_of(class), 10 + n),
            "mud_url": mud_url(file),
        });
        let (status, body) = gw.post_json("/v1/onboard", &request);
        assert_eq!(status, 201, "{}: {body}", file.display());
        assert_eq!(body["class"], class, "{}", file.display());
        assert_eq!(body["profile"], "SecProf_2");
        assert_eq!(body["config"]["device"]["address"], request["address"]);
        assert!(body["firewall"]["error"].is_null(), "{body}");
        assert_eq!(body["firewall"]["things"].as_u64(), Some(n as u64 + 1));
    }
    // The hub controls the plugs: onboarding a plug lists the hub among the updated peers.
    let (status, body) = gw.post_json("/v1/onboard",
        &json!({ "id": "plug-late", "address": "192.168.3.200", "mud_url": "https://wemoswitch.com/wemoswitch" }),
    );
    assert_eq!(status, 201, "{body}");
    assert!(
        body["peers_updated"]["classes"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("hubs")))
    );
    assert!(
        body["peers_updated"]["things"]
            .as_u64()
            .is_some_and(|n| n >= 2),
        "{body}"
    );
    let hub_ids = body["peers_updated"]["ids"].clone();
    assert!(
        hub_ids.as_array().is_some_and(|ids| !ids.is_empty()),
        "{body}"
    );

    let (status, devices) = gw.http("GET", "/v1/devices", None);
    assert_eq!(status, 200);
    assert_eq!(devices["devices"].as_array().map(Vec::len), Some(20));
    let (status, one) = gw.http("GET", "/v1/devices/thing-0", None);
    assert_eq!(status, 200);
    assert_eq!(one["device"]["id"], "thing-0");
    assert_eq!(one["config"]["format"], "ward.device/1");
    let (status, state) = gw.http("GET", "/v1/status", None);
    assert_eq!(status, 200);
    assert_eq!(state["things"], 20);
    assert_eq!(state["things_by_class"]["cameras"], 5);
    let (_, audit) = gw.http("GET", "/v1/audit?limit=1000", None);
    let events: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events.iter().filter(|e| **e == "onboarded").count(), 20);
    // The bundle was loaded (after the test's token was made) before any onboarding.
    let loaded = events.iter().position(|e| *e == "bundle-loaded");
    let first = events.iter().position(|e| *e == "onboarded");
    assert!(loaded.is_some() && loaded < first, "{events:?}");
    // m7 is in the audit log too.
    let late = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["device"] == "plug-late")
        .expect("the late plug's entry");
    assert_eq!(late["detail"]["peers_updated"]["ids"], hub_ids);

    // m8: every onboarded address is in its class's set, and nft accepts the ruleset.
    let ruleset = std::fs::read_to_string(dir.path().join("state.nft")).expect("ruleset");
    assert!(ruleset.contains("192.168.3.200"));
    assert!(ruleset.contains("set e4_plugs"));
    nft_accepts(&dir.path().join("state.nft"));
}

#[test]
fn bad_requests_get_stable_codes_and_leave_the_state_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    let files = device_files();
    let mirror = mirror(&files);
    let gw = gateway(
        dir.path(),
        &["--mud-source", &mirror.base, "--request-timeout-ms", "3000"],
    );
    let plug = json!({ "id": "plug-1", "address": "192.168.3.10", "mud_url": "https://tplinkplug.com/tplinkplug" });
    assert_eq!(gw.post_json("/v1/onboard", &plug).0, 201);

    let inline_bad_acl = json!({
        "ietf-mud:mud": {
            "mud-version": 1, "mud-url": "https://tplinkplug.com/other", "last-update": "2024-01-01T00:00:00Z",
            "is-supported": true,
            "from-device-policy": {"access-lists": {"access-list": [{"name": "a"}]}}
        },
        "ietf-access-control-list:acls": {"acl": [{"name": "a", "type": "mpls-acl-type", "aces": {"ace": []}}]}
    });
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("a duplicate id", plug.to_string().into_bytes(), 409, "duplicate-device"),
        (
            "a duplicate address",
            json!({ "id": "plug-2", "address": "192.168.3.10", "mud_url": "https://tplinkplug.com/tplinkplug" }).to_string().into_bytes(),
            409,
            "duplicate-address",
        ),
        ("not JSON", b"{\"id\": ".to_vec(), 400, "bad-json"),
        ("deeply nested JSON", deep.into_bytes(), 400, "bad-json"),
        ("a wrong type", br#"{"id": 7, "address": "192.168.3.9", "mud_url": "x"}"#.to_vec(), 400, "bad-json"),
        ("an unknown field", br#"{"id": "a", "address": "192.168.3.9", "mud_url": "x", "admin": true}"#.to_vec(), 400, "bad-json"),
        ("a bad id", br#"{"id": "../etc", "address": "192.168.3.9", "mud_url": "https://tplinkplug.com/tplinkplug"}"#.to_vec(), 400, "bad-id"),
        ("a bad address", br#"{"id": "a", "address": "192.168.3.300", "mud_url": "https://tplinkplug.com/tplinkplug"}"#.to_vec(), 400, "bad-address"),
        ("neither URL nor file", br#"{"id": "a", "address": "192.168.3.9"}"#.to_vec(), 400, "bad-request"),
        (
            "an unknown ACL type",
            json!({ "id": "b", "address": "192.168.3.11", "mud": inline_bad_acl }).to_string().into_bytes(),
            422,
            "mud-unknown-acl-type",
        ),
        (
            "a MUD URL the mirror does not have",
            json!({ "id": "c", "address": "192.168.3.12", "mud_url": "https://nowhere.example/x" }).to_string().into_bytes(),
            422,
            "mud-not-found",
        ),
        (
            "an address outside the class's segment",
            json!({ "id": "d", "address": "192.168.4.12", "mud_url": "https://tplinkplug.com/tplinkplug" }).to_string().into_bytes(),
            422,
            "address-outside-segment",
        ),
        ("an oversized body", vec![b' '; 2 << 20], 413, "payload-too-large"),
    ];
    for (what, body, status, code) in cases {
        let (got, answer) = gw.http("POST", "/v1/onboard", Some(&body));
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{what}: {answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
    }
    // The MUD error names the JSON path.
    let (_, answer) = gw.post_json(
        "/v1/onboard",
        &json!({ "id": "e", "address": "192.168.3.13", "mud": inline_bad_acl }),
    );
    assert_eq!(
        answer["error"]["path"],
        "/ietf-access-control-list:acls/acl/0/type"
    );
    // Unknown endpoints and methods: JSON too.
    let (status, answer) = gw.http("GET", "/v2/things", None);
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
    let (status, answer) = gw.http("DELETE", "/v1/status", None);
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (405, Some("method-not-allowed"))
    );
    let (status, _) = gw.http("GET", "/v1/devices/nobody", None);
    assert_eq!(status, 404);
    // What the request line carries is refused in JSON too, not in axum's plain text.
    for (method, path, code) in [
        ("GET", "/v1/audit?after=x", "bad-request"),
        (
            "GET",
            "/v1/audit?limit=9999999999999999999999",
            "bad-request",
        ),
        ("GET", "/v1/incidents?limit=ten", "bad-request"),
        ("DELETE", "/v1/devices/%FF%FE", "bad-id"),
        ("GET", "/v1/devices/a%20b", "bad-id"),
    ] {
        let (status, answer) = gw.http(method, path, None);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (400, Some(code)),
            "{method} {path}: {answer}"
        );
    }

    // Nothing of that harmed the state: one thing, and the gateway still answers.
    let (_, devices) = gw.http("GET", "/v1/devices", None);
    assert_eq!(devices["devices"].as_array().map(Vec::len), Some(1));
    let (_, audit) = gw.http("GET", "/v1/audit?limit=1000", None);
    let refused: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "onboarding-refused")
        .filter_map(|e| e["detail"]["code"].as_str())
        .collect();
    for code in [
        "duplicate-device",
        "mud-unknown-acl-type",
        "address-outside-segment",
        "mud-not-found",
    ] {
        assert!(
            refused.contains(&code),
            "refusals are audited: {code} in {refused:?}"
        );
    }
    // With who sent them.
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["event"] == "onboarding-refused")
            .all(|e| e["detail"]["source"] == "127.0.0.1"),
        "{audit}"
    );
}

#[test]
fn a_flood_of_bad_onboardings_cannot_grow_the_audit_log_without_bound() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    let gw = gateway(dir.path(), &[]);
    for n in 0..160 {
        let bad = json!({ "id": format!("x{n}"), "address": "not an address", "mud_url": "u" });
        let (status, answer) = gw.post_json("/v1/onboard", &bad);
        // Every request still gets its answer.
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (400, Some("bad-address"))
        );
    }
    let (_, audit) = gw.http("GET", "/v1/audit?limit=1000", None);
    let refused = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "onboarding-refused")
        .count();
    assert_eq!(refused, 100, "at most 100 a minute, one by one");
    let (_, status) = gw.http("GET", "/v1/status", None);
    assert_eq!(status["onboarding_refusals_suppressed"], 60, "{status}");
}

#[test]
fn slow_clients_are_cut_off_at_the_deadline() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    let gw = gateway(dir.path(), &["--request-timeout-ms", "1000"]);
    let started = std::time::Instant::now();
    // Headers that never end (slowloris): the connection is closed.
    let mut stream = std::net::TcpStream::connect(gw.address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(b"POST /v1/onboard HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "closed at the deadline"
    );
    // A body that never arrives: a JSON 408.
    let mut stream = std::net::TcpStream::connect(gw.address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(
            format!(
                "POST /v1/onboard HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\"",
                gw.address, gw.token
            )
            .as_bytes(),
        )
        .expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
    // The gateway still serves others.
    assert_eq!(gw.http("GET", "/v1/status", None).0, 200);
}

#[test]
fn an_unreachable_mud_server_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let gw = gateway(dir.path(), &["--mud-source", &base]);
    let (status, answer) = gw.post_json("/v1/onboard",
        &json!({ "id": "a", "address": "192.168.3.9", "mud_url": "https://tplinkplug.com/tplinkplug" }),
    );
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (502, Some("mud-unreachable")),
        "{answer}"
    );
}

#[test]
fn a_removed_thing_leaves_the_inventory_and_the_firewall_durably() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    let mirror = mirror(&device_files());
    let plug_url = "https://tplinkplug.com/tplinkplug";
    let gw = gateway(dir.path(), &["--mud-source", &mirror.base]);
    for (id, address) in [("p0", "192.168.3.10"), ("p1", "192.168.3.11")] {
        let request = json!({ "id": id, "address": address, "mud_url": plug_url });
        assert_eq!(gw.post_json("/v1/onboard", &request).0, 201);
    }
    let ruleset_path = dir.path().join("state.nft");
    let ruleset = || std::fs::read_to_string(&ruleset_path).expect("ruleset");
    assert!(ruleset().contains("192.168.3.10"));

    let (status, body) = gw.http("DELETE", "/v1/devices/p0?reason=decommissioned", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["removed"]["id"], "p0");
    assert!(body["firewall"]["error"].is_null(), "{body}");
    assert_eq!(body["firewall"]["things"], 1);
    // The answer comes after the ruleset without the thing is in place.
    assert!(!ruleset().contains("192.168.3.10"));
    assert!(ruleset().contains("192.168.3.11"));
    nft_accepts(&ruleset_path);
    assert_eq!(gw.http("GET", "/v1/devices/p0", None).0, 404);
    let (status, again) = gw.http("DELETE", "/v1/devices/p0", None);
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
    let (_, audit) = gw.http("GET", "/v1/audit?limit=1000", None);
    let removal = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["event"] == "removed")
        .expect("the removal is audited")
        .clone();
    assert_eq!(removal["device"], "p0");
    assert_eq!(removal["detail"]["reason"], "decommissioned");
    assert_eq!(removal["detail"]["address"], "192.168.3.10");

    // Its id and address are free again.
    let back = json!({ "id": "p0", "address": "192.168.3.10", "mud_url": plug_url });
    assert_eq!(gw.post_json("/v1/onboard", &back).0, 201);
    assert_eq!(gw.http("DELETE", "/v1/devices/p1", None).0, 200);
    drop(gw);

    // After a restart, the database says the same, and so does the firewall rebuilt from it.
    let gw = gateway(dir.path(), &["--mud-source", &mirror.base]);
    let (_, devices) = gw.http("GET", "/v1/devices", None);
    let ids: Vec<&str> = devices["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(ids, ["p0"]);
    assert!(ruleset().contains("192.168.3.10"));
    assert!(!ruleset().contains("192.168.3.11"));
}

#[test]
fn state_survives_restarts_and_kill_9_leaves_whole_onboardings() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    let files = device_files();
    let mirror = mirror(&files);
    let plug_url = "https://tplinkplug.com/tplinkplug";
    let mut gw = gateway(dir.path(), &["--mud-source", &mirror.base]);
    for n in 0..5 {
        let request = json!({ "id": format!("p{n}"), "address": format!("192.168.3.{}", 10 + n), "mud_url": plug_url });
        assert_eq!(gw.post_json("/v1/onboard", &request).0, 201);
    }
    // A burst of onboardings from six clients, and kill -9 once 40 of them are answered:
    // the rest are in flight or not sent yet.
    let (address, token) = (gw.address, gw.token.clone());
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let burst: Vec<_> = (0..6u32)
        .map(|t| {
            let answered = answered.clone();
            let acknowledged = acknowledged.clone();
            let token = token.clone();
            std::thread::spawn(move || {
                for n in 0..38u32 {
                    let request = json!({
                        "id": format!("b{t}-{n}"),
                        "address": format!("192.168.3.{}", 20 + t * 38 + n),
                        "mud_url": plug_url,
                    });
                    let body = request.to_string();
                    let post = || {
                        http_as(
                            address,
                            Some(&token),
                            "POST",
                            "/v1/onboard",
                            Some(body.as_bytes()),
                        )
                    };
                    match std::panic::catch_unwind(post) {
                        Ok((201, _)) => {
                            if let Ok(mut ids) = acknowledged.lock() {
                                ids.push(format!("b{t}-{n}"));
                            }
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    let started = std::time::Instant::now();
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 40
        && started.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = gw.child.kill();
    let _ = gw.child.wait();
    for thread in burst {
        let _ = thread.join();
    }
    let answered = answered.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (40..228).contains(&answered),
        "the kill came mid-burst: {answered} answered"
    );
    drop(gw);

    let gw = gateway(dir.path(), &["--mud-source", &mirror.base]);
    let (_, devices) = gw.http("GET", "/v1/devices", None);
    let ids: Vec<String> = devices["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter_map(|d| d["id"].as_str().map(str::to_string))
        .collect();
    for n in 0..5 {
        assert!(ids.contains(&format!("p{n}")), "p{n} survived the restart");
    }
    // Every acknowledged onboarding is stored.
    for id in acknowledged
        .lock()
        .map(|ids| ids.clone())
        .unwrap_or_default()
    {
        assert!(ids.contains(&id), "{id} was acknowledged, then lost");
    }
    // Every stored thing has its audit entry, and every audited onboarding its thing.
    let (_, audit) = gw.http("GET", "/v1/audit?limit=1000", None);
    let mut onboarded: Vec<String> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "onboarded")
        .filter_map(|e| e["device"].as_str().map(str::to_string))
        .collect();
    onboarded.sort();
    let mut stored = ids.clone();
    stored.sort();
    assert_eq!(stored, onboarded);
    // The firewall was rebuilt from the database at start.
    let ruleset = std::fs::read_to_string(dir.path().join("state.nft")).expect("ruleset");
    let (_, status) = gw.http("GET", "/v1/status", None);
    assert_eq!(
        status["firewall"]["things"].as_u64(),
        Some(ids.len() as u64)
    );
    for n in 0..5 {
        assert!(ruleset.contains(&format!("192.168.3.{}", 10 + n)));
    }
    // The thing can be onboarded again only under a new id.
    let again = json!({ "id": "p0", "address": "192.168.3.250", "mud_url": plug_url });
    assert_eq!(gw.post_json("/v1/onboard", &again).0, 409);
}

#[test]
fn bundles_are_verified_at_start_and_on_reload() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home(dir.path());
    std::fs::copy(dir.path().join("b/bundle.cbor"), dir.path().join("v1.cbor")).expect("copy");
    // Signed by another key: refused at start.
    assert!(
        ward(dir.path(), &["keygen", "-o", "other"])
            .status
            .success()
    );
    let refused = start(
        dir.path(),
        &[
            "--bundle",
            "b/bundle.cbor",
            "--key",
            "other.pub",
            "--state",
            "s.sqlite",
        ],
    );
    match refused {
        Err(output) => assert!(output.contains("none of the gateway's keys"), "{output}"),
        Ok(_) => panic!("a bundle signed with another key was loaded"),
    }
    // Settings from a config file.
    std::fs::write(
        dir.path().join("gateway.toml"),
        "bundle = \"b/bundle.cbor\"\nkey = \"k.pub\"\nstate = \"state.sqlite\"\n",
    )
    .expect("config");
    let gw = start(dir.path(), &["--config", "gateway.toml"]).expect("starts from the config file");
    let (_, before) = gw.http("GET", "/v1/status", None);
    let revision = before["bundle"]["revision"]
        .as_str()
        .expect("revision")
        .to_string();

    // A new bundle signed by another key: refused, the old one stays.
    let policy = root().join("tests/fixtures/onboarding");
    let other = ward(
        dir.path(),
        &[
            "build",
            &policy.to_string_lossy(),
            "-o",
            "b2",
            "--sign",
            "other",
            "--sequence",
            "2",
        ],
    );
    assert!(other.status.success());
    std::fs::copy(
        dir.path().join("b2/bundle.cbor"),
        dir.path().join("b/bundle.cbor"),
    )
    .expect("copy");
    let (status, answer) = gw.http("POST", "/v1/bundle/reload", Some(b"{}"));
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bundle-unknown-key")),
        "{answer}"
    );
    let (_, after) = gw.http("GET", "/v1/status", None);
    assert_eq!(after["bundle"]["revision"], revision.as_str());

    // A new policy, signed with the right key: loaded.
    let changed = dir.path().join("changed");
    std::fs::create_dir(&changed).expect("dir");
    let text = std::fs::read_to_string(policy.join("home.ward")).expect("policy")
        + "\nservice extra_cloud \"Extra\" {\n  host = \"extra.example\"\n}\n\nflow plugs -> extra_cloud : tcp/8443 { via = home_gateway }\n";
    std::fs::write(changed.join("home.ward"), text).expect("write");
    let built = ward(
        dir.path(),
        &[
            "build",
            "changed",
            "-o",
            "b3",
            "--sign",
            "k",
            "--sequence",
            "2",
        ],
    );
    assert!(built.status.success(), "{built:?}");
    std::fs::copy(
        dir.path().join("b3/bundle.cbor"),
        dir.path().join("b/bundle.cbor"),
    )
    .expect("copy");
    let (status, answer) = gw.http("POST", "/v1/bundle/reload", Some(b"{}"));
    assert_eq!(status, 200, "{answer}");
    let (_, after) = gw.http("GET", "/v1/status", None);
    assert_ne!(after["bundle"]["revision"], revision.as_str());
    assert_eq!(after["bundle"]["flows"], 11);
    let headers = format!(
        "Host: {}\r\nAuthorization: Bearer {}\r\n",
        gw.address, gw.token
    );
    let (_, raw) = http_raw(gw.address, "GET", "/v1/audit", &headers, None);
    let audit = String::from_utf8_lossy(&raw);
    assert!(audit.contains("bundle-refused") && audit.matches("bundle-loaded").count() >= 2);

    // No rollback: bundle 1, validly signed, is refused now that bundle 2 is in force; so is
    // another bundle numbered 2.
    let install = |file: &str| {
        std::fs::copy(dir.path().join(file), dir.path().join("b/bundle.cbor")).expect("copy");
    };
    install("v1.cbor");
    let (status, answer) = gw.http("POST", "/v1/bundle/reload", Some(b"{}"));
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bundle-rollback")),
        "{answer}"
    );
    let text = std::fs::read_to_string(changed.join("home.ward")).expect("policy")
        + "\nservice more_cloud \"More\" {\n  host = \"more.example\"\n}\n";
    std::fs::write(changed.join("home.ward"), text).expect("write");
    let build = |out: &str, key: &str, sequence: &str| {
        let built = ward(
            dir.path(),
            &[
                "build",
                "changed",
                "-o",
                out,
                "--sign",
                key,
                "--sequence",
                sequence,
            ],
        );
        assert!(built.status.success(), "{built:?}");
        std::fs::copy(
            dir.path().join(out).join("bundle.cbor"),
            dir.path().join(format!("{out}.cbor")),
        )
        .expect("copy");
    };
    build("b4", "k", "2");
    install("b4.cbor");
    let (status, answer) = gw.http("POST", "/v1/bundle/reload", Some(b"{}"));
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bundle-sequence-reused")),
        "{answer}"
    );
    let (_, after) = gw.http("GET", "/v1/status", None);
    assert_eq!(after["bundle"]["flows"], 11, "the bundle in force stays");
    // At restart too: the state remembers bundle 2.
    drop(gw);
    install("v1.cbor");
    match start(dir.path(), &["--config", "gateway.toml"]) {
        Err(output) => assert!(output.contains("older than bundle 2"), "{output}"),
        Ok(_) => panic!("bundle 1 was loaded at restart after bundle 2"),
    }
    // Key rotation: a new key, trusted beside the old one, signs bundle 3; the old key is
    // then retired, and a bundle it signs (4) is refused though it is still given.
    assert!(ward(dir.path(), &["keygen", "-o", "k2"]).status.success());
    build("b5", "k2", "3");
    install("b5.cbor");
    let rotated = [
        "--config",
        "gateway.toml",
        "--key",
        "k.pub",
        "--key",
        "k2.pub",
    ];
    let gw = start(dir.path(), &rotated).expect("starts with both keys");
    let retired = ward(
        dir.path(),
        &[
            "gateway",
            "key",
            "retire",
            "--state",
            "state.sqlite",
            "--key",
            "k.pub",
        ],
    );
    assert!(retired.status.success(), "{retired:?}");
    build("b6", "k", "4");
    install("b6.cbor");
    let (status, answer) = gw.http("POST", "/v1/bundle/reload", Some(b"{}"));
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (422, Some("bundle-key-retired")),
        "{answer}"
    );
    let (_, audit) = gw.http("GET", "/v1/audit?limit=1000", None);
    let codes: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "bundle-refused")
        .filter_map(|e| e["detail"]["code"].as_str())
        .collect();
    for code in [
        "bundle-rollback",
        "bundle-sequence-reused",
        "bundle-key-retired",
    ] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
}
