//! The bundle of the example policies, checked by its consumers: Cedar's authorizer, CBOR
//! decoding, `nft -c`; reproducibility; golden files for every emitter.

use std::path::Path;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Schema,
};
use serde_json::{Value, json};
use ward_compiler::Policy;
use ward_compiler::emit::{self, BuildOptions, Bundle};
use ward_compiler::ir::PolicyIr;

/// 2026-12-02, 00:00 UTC: the moment diffs are judged from.
const NOW: i64 = 1_796_169_600;

fn example_policy() -> Policy {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut files = Vec::new();
    for folder in ["home", "managed_home", "industrial", "managed_industrial"] {
        for entry in std::fs::read_dir(root.join(folder))
            .expect("policy folder")
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "ward") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut policy = Policy::default();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("policy file");
        let relative = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .unwrap_or(&path)
            .display()
            .to_string();
        policy.add_file(relative, text);
    }
    policy
}

fn build() -> Bundle {
    let policy = example_policy();
    match emit::build(
        policy.db(),
        policy.workspace(),
        BuildOptions {
            sigma: true,
            source_url: None,
            tests: None,
        },
    ) {
        Ok(bundle) => bundle,
        Err(error) => panic!("the example policies build: {error:?}"),
    }
}

fn text(bundle: &Bundle, path: &str) -> String {
    String::from_utf8(
        bundle
            .files
            .get(path)
            .unwrap_or_else(|| panic!("{path}"))
            .clone(),
    )
    .expect("UTF-8")
}

#[test]
fn the_same_sources_give_byte_identical_bundles() {
    let first = build();
    let second = build();
    assert_eq!(first, second);
    assert!(first.files.len() > 20);
}

#[test]
fn a_policy_with_errors_builds_nothing() {
    let mut policy = Policy::default();
    policy.add_file(
        "bad.ward",
        "class c { function = sensing, profile = nope }\n",
    );
    let result = emit::build(policy.db(), policy.workspace(), BuildOptions::default());
    assert!(matches!(result, Err(emit::BuildError::Invalid(r)) if r.has_errors()));
}

#[test]
fn cbor_files_decode_to_the_same_content_as_json() {
    let bundle = build();
    let mut checked = 0;
    for (path, bytes) in &bundle.files {
        let Some(stem) = path.strip_suffix(".cbor") else {
            continue;
        };
        if stem == "ir" {
            continue; // The IR is CBOR only.
        }
        let from_cbor: Value = ciborium::from_reader(bytes.as_slice()).expect("CBOR decodes");
        let from_json: Value =
            serde_json::from_slice(&bundle.files[&format!("{stem}.json")]).expect("JSON");
        assert_eq!(from_cbor, from_json, "{path}");
        assert!(bytes.len() < bundle.files[&format!("{stem}.json")].len());
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn the_manifest_lists_every_file_with_its_digest() {
    let bundle = build();
    let manifest: Value = serde_json::from_str(&text(&bundle, "manifest.json")).expect("JSON");
    assert_eq!(manifest["format_version"], 1);
    let files = manifest["files"].as_array().expect("files");
    assert_eq!(
        files.len(),
        bundle.files.len() - 1,
        "all but the manifest itself"
    );
    for entry in files {
        let path = entry["path"].as_str().expect("path");
        assert_eq!(
            entry["sha256"].as_str(),
            Some(emit::sha256_hex(&bundle.files[path]).as_str()),
            "{path}"
        );
    }
    let sources = manifest["sources"].as_array().expect("sources");
    assert!(
        sources
            .iter()
            .any(|s| s["path"] == "policies/managed_home/door_lock.ward")
    );
    assert_eq!(manifest["revision"].as_str().map(str::len), Some(64));
}

fn entities(ir: &PolicyIr) -> Value {
    emit::cedar::entities(ir)
}

fn uid(ir: &PolicyIr, name: &str) -> EntityUid {
    EntityUid::from_str(&emit::cedar::request_uid(ir, name)).expect("entity uid")
}

#[test]
fn cedar_permits_declared_flows_and_denies_the_rest() {
    let bundle = build();
    let policy = example_policy();
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let (schema, _) =
        Schema::from_cedarschema_str(&text(&bundle, "cedar/schema.cedarschema")).expect("schema");
    let policies = PolicySet::from_str(&text(&bundle, "cedar/policy.cedar")).expect("policies");
    let entities = Entities::from_json_value(entities(&ir), Some(&schema)).expect("entities");
    let decide = |from: &str, action: &str, to: &str| {
        let request = Request::new(
            uid(&ir, from),
            EntityUid::from_str(&format!("Action::\"{action}\"")).expect("action"),
            uid(&ir, to),
            Context::empty(),
            // Not validated against the schema: the undeclared requests below do not fit it.
            None,
        )
        .expect("a request");
        Authorizer::new()
            .is_authorized(&request, &policies, &entities)
            .decision()
    };
    for flow in &ir.flows {
        assert_eq!(
            decide(&flow.from, &flow.action, &flow.to),
            Decision::Allow,
            "{}",
            flow.describe()
        );
        // Declared requests conform to the schema too, as a gateway validating them expects.
        let request = Request::new(
            uid(&ir, &flow.from),
            EntityUid::from_str(&format!("Action::\"{}\"", flow.action)).expect("action"),
            uid(&ir, &flow.to),
            Context::empty(),
            Some(&schema),
        );
        assert!(request.is_ok(), "{}: {:?}", flow.describe(), request.err());
    }
    // The draft's rules: the banana button (SecProf_1) cannot reach the lock (SecProf_2);
    // the lock cannot be unlocked remotely; a sensor cannot command the HVAC service.
    assert_eq!(
        decide("banana_button", "lock", "front_door_lock"),
        Decision::Deny
    );
    assert_eq!(
        decide("resident_app", "unlock", "front_door_lock"),
        Decision::Deny
    );
    assert_eq!(
        decide("hvac_unit", "set_temperature", "temperature_sensor"),
        Decision::Deny
    );
    assert_eq!(decide("smart_plug", "send", "dc_camera"), Decision::Deny);

    // The generated `forbid` wins over any permit: with a permit-everything policy added,
    // lower to higher (smart_plug, SecProf_1 -> dc_camera, SecProf_4) is still denied, and
    // higher to lower allowed.
    let mut open = policies.clone();
    open.add(
        cedar_policy::Policy::parse(
            Some(cedar_policy::PolicyId::new("open")),
            "permit (principal, action, resource);",
        )
        .expect("policy"),
    )
    .expect("added");
    let decide_open = |from: &str, to: &str| {
        let request = Request::new(
            uid(&ir, from),
            EntityUid::from_str("Action::\"send\"").expect("action"),
            uid(&ir, to),
            Context::empty(),
            None,
        )
        .expect("a request");
        Authorizer::new()
            .is_authorized(&request, &open, &entities)
            .decision()
    };
    assert_eq!(decide_open("smart_plug", "dc_camera"), Decision::Deny);
    assert_eq!(decide_open("dc_camera", "smart_plug"), Decision::Allow);
}

/// `nft -c` needs root and nftables; CI has both (see .ci/run). Elsewhere the test says so
/// and skips.
fn nft_available() -> bool {
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let has_nft = std::process::Command::new("nft")
        .arg("--version")
        .output()
        .is_ok();
    if is_root && has_nft {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must run the nft test: root {is_root}, nft installed {has_nft}");
    }
    eprintln!("SKIPPED: `nft -c` needs root and nftables (CI runs it)");
    false
}

#[test]
fn nft_accepts_the_ruleset() {
    if !nft_available() {
        return;
    }
    let bundle = build();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ruleset.nft");
    std::fs::write(&path, &bundle.files["firewall/ruleset.nft"]).expect("write");
    let output = std::process::Command::new("nft")
        .args(["-c", "-f"])
        .arg(&path)
        .output()
        .expect("run nft");
    assert!(
        output.status.success(),
        "nft -c refused the ruleset: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn golden_files() {
    let bundle = build();
    for path in [
        "firewall/ruleset.nft",
        "cedar/schema.cedarschema",
        "cedar/policy.cedar",
        "pava/rules.json",
        "sigma/dc_camera_bruteforce.yml",
        "report.md",
        "devices/front_door_lock.json",
        "devices/banana_button.json",
        "devices/smart_plug.json",
    ] {
        let name = path.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, text(&bundle, path));
    }
}

#[test]
fn signed_bundles_load_back_and_refuse_tampering() {
    use ward_compiler::bundle::sign;
    let bundle = build();
    let (private, public) = sign::generate_key().expect("a key pair");
    let key = sign::signing_key(&private).expect("private key");
    let public = sign::verifying_key(&public).expect("public key");
    let signed = sign::sign(&bundle, &key, 1).expect("signed");

    let loaded = sign::load_signed(&signed, &public).expect("verifies");
    assert_eq!(loaded.bundle, bundle);
    assert_eq!(loaded.manifest.revision.len(), 64);
    assert_eq!(loaded.manifest.files.len() + 1, bundle.files.len());

    // Another key.
    let (_, other_public) = sign::generate_key().expect("a key pair");
    let other = sign::verifying_key(&other_public).expect("public key");
    assert_eq!(
        sign::load_signed(&signed, &other).err(),
        Some(sign::SignError::BadSignature)
    );

    // A flipped byte in the middle of the payload.
    let mut tampered = signed.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    assert!(sign::load_signed(&tampered, &public).is_err());

    // Not COSE at all.
    assert!(matches!(
        sign::load_signed(b"hello", &public),
        Err(sign::SignError::Malformed(_))
    ));

    // A bundle of a newer format, correctly signed, is refused with a clear reason.
    let mut newer = bundle.clone();
    let mut manifest: Value = serde_json::from_slice(&newer.files["manifest.json"]).expect("JSON");
    manifest["format_version"] = json!(99);
    newer.files.insert(
        "manifest.json".into(),
        serde_json::to_vec(&manifest).expect("JSON"),
    );
    let signed_newer = sign::sign(&newer, &key, 1).expect("signed");
    match sign::load_signed(&signed_newer, &public) {
        Err(sign::SignError::UnknownFormat(message)) => {
            assert!(message.contains("bundle format version 99"), "{message}");
        }
        other => panic!("expected an unknown format, got {other:?}"),
    }

    // A file changed after the manifest was written, re-signed by an attacker with the key.
    let mut altered = bundle.clone();
    altered
        .files
        .insert("firewall/ruleset.nft".into(), b"flush ruleset\n".to_vec());
    let signed_altered = sign::sign(&altered, &key, 1).expect("signed");
    assert!(matches!(
        sign::load_signed(&signed_altered, &public),
        Err(sign::SignError::Digest(m)) if m.contains("firewall/ruleset.nft")
    ));
}

/// Every byte of a small signed bundle flipped in turn: every flip is refused. A byte the
/// verifier ignored would be a place to hide a change.
#[test]
fn every_flipped_byte_of_a_signed_bundle_is_refused() {
    use ward_compiler::bundle::sign;
    let mut policy = Policy::default();
    policy.add_file(
        "tiny.ward".to_string(),
        "environment home \"Home\" {\n  likelihood default = low\n  impact default = low\n}\n\
         service shop \"Shop\" {\n  host = \"shop.example\"\n}\n\
         class button \"Button\" {\n  function = ordering\n  environment = home\n  capabilities = [x509, tls, second_factor]\n  profile = SecProf_1\n}\n\
         segment buttons \"Buttons\" {\n  classes = [button]\n  subnet = 192.168.10.0/28\n}\n\
         flow button -> shop : tcp/443\n"
            .to_string(),
    );
    let bundle = match emit::build(policy.db(), policy.workspace(), BuildOptions::default()) {
        Ok(bundle) => bundle,
        Err(error) => panic!("the tiny policy builds: {error:?}"),
    };
    let (private, public) = sign::generate_key().expect("a key pair");
    let key = sign::signing_key(&private).expect("private key");
    let public = sign::verifying_key(&public).expect("public key");
    let signed = sign::sign(&bundle, &key, 1).expect("signed");
    assert_eq!(
        sign::load_signed(&signed, &public)
            .expect("verifies")
            .bundle,
        bundle
    );
    let mut accepted = Vec::new();
    for at in 0..signed.len() {
        let mut flipped = signed.clone();
        flipped[at] ^= 0xff;
        if sign::load_signed(&flipped, &public).is_ok() {
            accepted.push(at);
        }
    }
    assert!(
        accepted.is_empty(),
        "{} of {} flipped bytes were accepted, at {accepted:?}",
        accepted.len(),
        signed.len()
    );
}

#[test]
fn diff_sees_what_widens_and_what_narrows() {
    use ward_compiler::diff::diff;
    let policy = example_policy();
    let old = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    assert!(diff(&old, &old, NOW).is_empty());

    let mut new = old.clone();
    let lock = new
        .classes
        .iter_mut()
        .find(|c| c.name == "front_door_lock")
        .expect("the lock");
    lock.level = Some(1);
    lock.profile = Some("SecProf_1".into());
    lock.mitigations.retain(|m| m.id != "M7");
    let rule = new.detections.first_mut().expect("a rule");
    rule.threshold += 5;
    new.flows.pop();

    let changes = diff(&old, &new, NOW);
    let find = |subject: &str, change: &str| {
        changes
            .iter()
            .find(|c| c.subject == subject && c.change == change)
            .unwrap_or_else(|| panic!("no {subject} {change} in {changes:#?}"))
    };
    assert!(find("profile", "lowered").widens);
    assert!(find("mitigation", "dropped").widens);
    assert!(find("detection", "loosened").widens);
    assert!(!find("traffic", "narrowed").widens);

    // The other way round, nothing widens but the traffic of the flow that reopens.
    let back = diff(&new, &old, NOW);
    let widening: std::collections::BTreeSet<_> = back
        .iter()
        .filter(|c| c.widens)
        .map(|c| (c.subject, c.change))
        .collect();
    assert_eq!(widening, [("traffic", "widened")].into());
    assert!(
        back.iter()
            .any(|c| c.subject == "profile" && c.change == "raised")
    );
    assert!(
        back.iter()
            .any(|c| c.subject == "detection" && c.change == "tightened")
    );
}

/// The device configurations say what a thing gets: the management gateway (M7) and the PAVA
/// syslog target only from its own segment's gateway, never from another site's.
#[test]
fn device_configurations_name_only_the_segments_own_gateway() {
    let mut policy = Policy::default();
    policy.add_file(
        "site.ward",
        r#"
class office_pc "Office PC" {
  function = monitoring
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
}
class floor_sensor "Floor sensor" {
  function = sensing
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
}
class button "Order button" {
  function = ordering
  profile = SecProf_1
  capabilities = [x509, tls, second_factor]
}
gateway floor_gw "Floor gateway" { address = 10.5.0.1 }
segment office { classes = [office_pc], subnet = 10.6.0.0/24 }
segment buttons { classes = [button], subnet = 10.6.1.0/24 }
segment floor { classes = [floor_sensor], subnet = 10.5.1.0/24, gateway = floor_gw }
flow floor_sensor -> floor_gw : udp/514
"#,
    );
    let bundle =
        emit::build(policy.db(), policy.workspace(), BuildOptions::default()).expect("builds");
    let config = |class: &str| -> serde_json::Value {
        serde_json::from_slice(&bundle.files[&format!("devices/{class}.json")]).expect("json")
    };
    let mitigations = |config: &serde_json::Value| -> Vec<String> {
        config["mitigations"]
            .as_array()
            .expect("list")
            .iter()
            .map(|m| m["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let office = config("office_pc");
    assert!(
        !mitigations(&office).contains(&"M7".to_string()),
        "{office}"
    );
    assert_eq!(office["pava"]["syslog"], serde_json::Value::Null);
    // SecProf_2 requires M1 (section 10: software updates against future threats).
    assert_eq!(office["update"]["authenticated"], true);
    assert_eq!(office["update"]["required"], true);
    let floor = config("floor_sensor");
    assert!(mitigations(&floor).contains(&"M7".to_string()), "{floor}");
    assert_eq!(floor["pava"]["syslog"]["gateway"], "floor_gw");
    assert_eq!(floor["update"]["authenticated"], true);
    // SecProf_1 (fig61) does not, and a thing that cannot update securely is not told it does.
    let button = config("button");
    assert_eq!(button["update"]["authenticated"], false, "{button}");
    assert_eq!(button["update"]["required"], false, "{button}");
}

#[test]
fn diff_sees_services_move_and_regexes_change() {
    use ward_compiler::diff::diff;
    let policy = example_policy();
    let old = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let mut new = old.clone();
    let center = new
        .endpoints
        .iter_mut()
        .find(|e| e.name == "dc_security_center")
        .expect("the security center");
    center.addresses = vec!["10.0.0.0/8".parse().expect("prefix")];
    let shop = new
        .endpoints
        .iter_mut()
        .find(|e| e.name == "banana_shop")
        .expect("the shop");
    shop.host = Some("orders.evil.example".to_string());
    let rule = new
        .detections
        .iter_mut()
        .find(|d| d.name == "dc_camera_bruteforce")
        .expect("the camera rule");
    rule.matchers.insert(
        "msg".to_string(),
        ward_compiler::ir::MatcherIr::Regex {
            pattern: "Failed password for root from (?<src>\\S+)".to_string(),
            flags: String::new(),
        },
    );
    let changes = diff(&old, &new, NOW);
    let said = |needle: &str| {
        changes
            .iter()
            .find(|c| c.what.contains(needle))
            .unwrap_or_else(|| panic!("nothing says {needle}: {changes:#?}"))
    };
    let widened = said("addresses 10.40.9.10 -> 10.0.0.0/8");
    assert!(widened.widens);
    let moved = said("host orders.banana-shop.example -> orders.evil.example");
    assert!(moved.widens);
    let regex = said("msg /Failed password for .* from (?<src>\\S+)/ -> /Failed password for root");
    assert_eq!(regex.subject, "detection");
    // Narrowing an address to one it held does not widen.
    let back = diff(&new, &old, NOW);
    assert!(
        !back
            .iter()
            .any(|c| c.subject == "endpoint" && c.what.contains("addresses") && c.widens),
        "{back:#?}"
    );
}

/// A time-limited flow that carries DHCP: the discovery and the server's answers end with
/// it, as the flow's own rule does.
#[test]
fn dhcp_of_a_time_limited_flow_ends_with_it() {
    let mut policy = Policy::default();
    policy.add_file(
        "site.ward",
        r#"
gateway gw "Gateway" { address = 10.7.0.1 }
class sensor "Sensor" {
  function = sensing
  profile = SecProf_1
  capabilities = [x509, tls, second_factor]
}
segment sensors { classes = [sensor], subnet = 10.7.1.0/24, gateway = gw }
flow sensor -> gw : udp/67 { until = 2027-01-31 }
"#,
    );
    let bundle =
        emit::build(policy.db(), policy.workspace(), BuildOptions::default()).expect("builds");
    let ruleset = String::from_utf8(bundle.files["firewall/ruleset.nft"].clone()).expect("text");
    let end = "meta time < 1801353600 accept";
    for rule in ["udp sport 68 udp dport 67", "udp sport 67 udp dport 68"] {
        assert!(
            ruleset.contains(&format!("{rule} {end}")),
            "{rule} should end with the flow:\n{ruleset}"
        );
    }
}
