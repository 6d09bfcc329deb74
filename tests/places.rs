//! Quarantine as a place and a privacy assessment that follows the data, end to end.

#[path = "support/cli.rs"]
mod cli;

use cli::ward;

/// A smart-city district: camera video and location published to the open-data platform is a
/// warning naming the data and the flow, and the report lists where each kind of personal
/// data goes; declaring what the platform may receive answers it.
#[test]
fn personal_data_sent_where_it_is_not_declared_is_warned_and_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let district = |receives: &str| {
        format!(
            r#"
class isolation "Quarantine" {{
  quarantine = true
}}
gateway cabinet "District cabinet" {{
  address = 10.61.0.1
}}
class cctv "CCTV camera" {{
  function = surveillance
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
  data = [video, location]
}}
segment cameras {{ classes = [cctv], subnet = 10.61.1.0/24, gateway = cabinet }}
service open_data "Open-data platform" {{
  host = "data.city.example"
  {receives}
}}
flow cctv -> open_data : tcp/443 {{ action = publish, via = cabinet }}
"#
        )
    };
    std::fs::write(dir.path().join("p.ward"), district("")).expect("write");
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("W0011"), "{stdout}");
    assert!(
        stdout.contains("carries `cctv`'s video and location data to `open_data`"),
        "{stdout}"
    );
    let build = ward(dir.path(), &["build", ".", "-o", "b"]);
    assert_eq!(build.status.code(), Some(0), "{build:?}");
    let report = std::fs::read_to_string(dir.path().join("b/report.md")).expect("report");
    assert!(
        report.contains("| video | `cctv` | `open_data` | `p.ward:19` | **not declared** |"),
        "{report}"
    );

    // Declared for location only: still a warning, for the video.
    std::fs::write(
        dir.path().join("p.ward"),
        district("receives_data = [location]"),
    )
    .expect("write");
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("carries `cctv`'s video data"), "{stdout}");
    assert!(!stdout.contains("video and location"), "{stdout}");

    // Declared for both: silent.
    std::fs::write(
        dir.path().join("p.ward"),
        district("receives_data = [video, location]"),
    )
    .expect("write");
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(!stdout.contains("W0011"), "{stdout}");
}

/// The quarantine place needs nothing but its line, is in the bundle, onboards what no class
/// matches and reaches nothing, as `ward test` shows on the compiled firewall and Cedar.
#[test]
fn the_quarantine_place_is_in_the_bundle_and_reaches_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("p.ward"),
        r#"
class isolation "Quarantine" {
  quarantine = true
}
class light "Street light" {
  function = actuation
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
  match mud "https://lights.example/*"
}
segment lights { classes = [light], subnet = 10.62.1.0/24 }
service cms "Central management" {
  address = 10.62.9.1
  profile = SecProf_3
}
flow cms -> light : tcp/8883 { action = dim }
test "quarantined things reach nothing" {
  allow flow cms -> light : tcp/8883
  deny flow isolation -> cms : tcp/443
  deny flow cms -> isolation : tcp/8883
  deny flow isolation -> light : tcp/8883
}
"#,
    )
    .expect("write");
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 warnings"), "{stdout}");
    let test = ward(dir.path(), &["test", "."]);
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
    let build = ward(dir.path(), &["build", ".", "-o", "b"]);
    assert_eq!(build.status.code(), Some(0), "{build:?}");
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("b/devices/isolation.json")).expect("in the bundle"),
    )
    .expect("JSON");
    assert_eq!(config["profile"], serde_json::Value::Null, "{config}");
    assert_eq!(config["quarantine"], true, "{config}");
    assert_eq!(config["function"], serde_json::Value::Null, "{config}");
    assert_eq!(config["allowed_peers"], serde_json::json!([]), "{config}");
}

/// A service placed in an environment is assessed as a class is: its profile and level follow,
/// the rule "lower never connects to higher" protects it, and tests resolve it.
#[test]
fn a_service_in_an_environment_gets_its_profile_from_the_assessment() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("p.ward"),
        r#"
environment district "City district" {
  area = industrial
  likelihood default = high
  impact default = high
  accept T2, T9, T11, T20, T21, T23, T24 because "the district's cabinets are locked and monitored"
}
class isolation "Quarantine" {
  quarantine = true
}
service tmc "Traffic management center" {
  address = 10.64.9.1
  environment = district
  management = managed
  function = control
  capabilities = [x509, tls, secure_update, credential_rotation]
}
class sensor "Parking sensor" {
  function = sensing
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
}
gateway district_gw "District gateway" {
  address = 10.64.0.1
  profile = SecProf_4
}
segment sensors { classes = [sensor], subnet = 10.64.1.0/24, gateway = district_gw }
flow tmc -> sensor : tcp/8883 { action = read, via = district_gw }
test "the center is managed industrial" {
  expect tmc.profile == SecProf_4
  expect tmc.level == 4
  expect risk(tmc, T4) == high
  allow flow tmc -> sensor : tcp/8883
}
"#,
    )
    .expect("write");
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("service `tmc` gets `SecProf_4` in `district`"),
        "{stdout}"
    );
    let test = ward(dir.path(), &["test", "."]);
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");

    // The sensor (level 3) may not open a connection to the center it now sits below.
    let mut text = std::fs::read_to_string(dir.path().join("p.ward")).expect("read");
    text.push_str("flow sensor -> tmc : tcp/443 { action = report, via = district_gw }\n");
    std::fs::write(dir.path().join("p.ward"), text).expect("write");
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("E0300"), "{stdout}");

    let explain = ward(dir.path(), &["check", ".", "--explain-risk", "tmc"]);
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(
        text.contains("required profile: `SecProf_4` (level 4)"),
        "{text}"
    );
}
