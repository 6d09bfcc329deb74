//! Verdicts a security reviewer can trust, end to end: what `ward check` accepts, the
//! compiled firewall and Cedar policies decide the same way (`ward test` asks both).

#[path = "support/cli.rs"]
mod cli;

use cli::ward;

fn write(dir: &std::path::Path, text: &str) {
    std::fs::write(dir.join("p.ward"), text).expect("write policy");
}

#[test]
fn a_thing_reaches_its_own_management_gateway_whatever_the_levels() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        r#"
class sensor "Vibration sensor" {
  function = sensing
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
}
class plc "PLC" {
  function = control
  profile = SecProf_4
  capabilities = [x509, tls, secure_update, credential_rotation, tamper_resistance]
  credential_refresh = 30d
}
gateway floor_gw "Floor gateway" {
  address = 10.5.0.1
  profile = SecProf_4
}
segment floor { classes = [sensor], subnet = 10.5.1.0/24, gateway = floor_gw }
segment plcs { classes = [plc], subnet = 10.5.2.0/24, gateway = floor_gw }
flow sensor -> floor_gw : udp/514, udp/123 { action = report }
test "the sensor reports to its gateway and reaches no PLC" {
  allow flow sensor -> floor_gw : udp/514 { action = report }
  allow flow sensor -> floor_gw : udp/123 { action = report }
  deny flow sensor -> plc : tcp/502
  deny flow sensor -> floor_gw : tcp/22
}
"#,
    );
    let check = ward(dir.path(), &["check", "."]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let test = ward(dir.path(), &["test", ".", "-v"]);
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");

    // The same flow to a higher gateway that does not serve the sensor's segment: refused,
    // with a fix that names the sensor's own gateway.
    let mut text = std::fs::read_to_string(dir.path().join("p.ward")).expect("read");
    text.push_str(
        "gateway hq_gw \"Headquarters gateway\" {\n  address = 10.9.0.1\n  profile = SecProf_4\n}\nsegment hq { classes = [], gateway = hq_gw }\nflow sensor -> hq_gw : udp/514\n",
    );
    write(dir.path(), &text);
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("E0300"), "{stdout}");
    assert!(stdout.contains("send it to `floor_gw`"), "{stdout}");
}

#[test]
fn an_assertion_that_tests_nothing_is_reported_and_fails_under_strict() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        r#"
class lock "Lock" {
  function = actuation
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
}
service app "App" { address = 10.9.0.9 }
segment locks { classes = [lock], subnet = 10.5.1.0/24 }
flow app -> lock : tcp/8883 { action = lock }
test "the app cannot unlock" {
  deny flow app -> lock : tcp/8883 { action = unlok }
}
"#,
    );
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("W0006"), "{stdout}");
    assert!(stdout.contains("did you mean `unlock`?"), "{stdout}");
    let test = ward(dir.path(), &["test", "."]);
    assert_eq!(test.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&test.stderr).contains("warning: p.ward:11"));
    let strict = ward(dir.path(), &["test", ".", "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{strict:?}");
}

#[test]
fn verify_and_scan_say_when_a_signature_was_not_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    cli::signed_bundle(dir.path(), &cli::root().join("policies"));
    let verify = ward(dir.path(), &["verify", "b"]);
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(0), "{verify:?}");
    assert!(stdout.contains("files match the manifest"), "{stdout}");
    assert!(stdout.contains("signature was NOT checked"), "{stdout}");
    let verified = ward(dir.path(), &["verify", "b", "--key", "k.pub"]);
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
    assert!(String::from_utf8_lossy(&verified.stdout).contains("signature valid"));

    let log = cli::root().join("pava/tests/fixtures/logs/auth.log");
    let log = log.to_string_lossy();
    let scan = ward(
        dir.path(),
        &["pava", "scan", "--bundle", "b/bundle.cbor", &log],
    );
    assert!(
        String::from_utf8_lossy(&scan.stderr).contains("signature was NOT checked"),
        "{scan:?}"
    );
    let checked = ward(
        dir.path(),
        &[
            "pava",
            "scan",
            "--bundle",
            "b/bundle.cbor",
            "--key",
            "k.pub",
            &log,
        ],
    );
    assert!(!String::from_utf8_lossy(&checked.stderr).contains("NOT checked"));
    // A key that did not sign it: refused.
    assert!(
        ward(dir.path(), &["keygen", "-o", "other"])
            .status
            .success()
    );
    let wrong = ward(
        dir.path(),
        &[
            "pava",
            "scan",
            "--bundle",
            "b/bundle.cbor",
            "--key",
            "other.pub",
            &log,
        ],
    );
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
}

#[test]
fn a_profile_no_class_uses_never_changes_another_classs_verdict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plant = r#"
environment plant "Plant" {
  likelihood default = high
  impact default = high
}
class plc "PLC" {
  function = control
  environment = plant
  profile = SecProf_4
  capabilities = [x509, tls, secure_update, credential_rotation, tamper_resistance, second_factor]
  credential_refresh = 30d
}
gateway gw "Gateway" {
  address = 10.5.0.1
  profile = SecProf_4
}
segment plcs { classes = [plc], subnet = 10.5.2.0/24, gateway = gw }
"#;
    let strict = r#"
profile Strict_5 "Stricter than the draft's" {
  level = 5
  communication = mixed
  gateway = required
  // SecProf_4's table, and the extraction threat besides.
  mitigate T5, T6 with M7
  mitigate T4 with M4
  mitigate T10, T22 with M6
  mitigate T1, T3, T7 with M2, M3
  mitigate T19 with M11
  bound M11.refresh <= 30d
  mitigate T8, T25 with M1
  mitigate T9 with M9
}
"#;
    write(dir.path(), plant);
    let before = ward(dir.path(), &["check", "."]);
    assert_eq!(before.status.code(), Some(0), "{before:?}");
    // Declared but used by no class: the PLC's verdict stays, the profile is unused.
    write(dir.path(), &format!("{plant}{strict}"));
    let unused = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&unused.stdout);
    assert_eq!(unused.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("W0001") && !stdout.contains("E04"),
        "{stdout}"
    );
    // Once the assessment gives it to a class, it says what such risks need: the PLC's
    // declared SecProf_4 is now below what its risks require.
    let robot = r#"
class robot "Robot controller" {
  function = control
  environment = plant
  capabilities = [x509, tls, secure_update, credential_rotation, tamper_resistance, second_factor]
  credential_refresh = 30d
}
segment robots { classes = [robot], subnet = 10.5.3.0/24, gateway = gw }
"#;
    write(dir.path(), &format!("{plant}{strict}{robot}"));
    let used = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&used.stdout);
    assert!(stdout.contains("gets `Strict_5`"), "{stdout}");
    assert!(stdout.contains("E0402"), "{stdout}");
}

/// Section 10.1: classes are grouped by function, required access and deployment scope, and a
/// profile goes only to the things it is for. A PLC in a production hall is industrial,
/// managed and at high risk: SecProf_4, not the home profile that happens to mitigate as much.
#[test]
fn profile_assignment_follows_scope_management_access_and_risk_category() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hall = |area: &str, management: &str| {
        format!(
            r#"
environment production_hall "Production hall" {{
  {area}
  likelihood default = high
  impact default = high
}}
class plc "PLC" {{
  function = control
  environment = production_hall
  {management}
  data = [video, health]
  capabilities = [x509, tls, secure_update, credential_rotation]
  credential_refresh = 30d
}}
service scada "SCADA server" {{
  address = 10.6.0.10
  profile = SecProf_4
}}
gateway hall_gw "Hall gateway" {{
  address = 10.6.0.1
  profile = SecProf_4
}}
segment plcs {{ classes = [plc], subnet = 10.6.2.0/24, gateway = hall_gw }}
flow scada -> plc : tcp/802 {{ action = write_coils, via = hall_gw }}
test "the PLC is managed industrial" {{
  expect plc.profile == SecProf_4
  allow flow scada -> plc : tcp/802
}}
"#
        )
    };
    write(
        dir.path(),
        &hall("area = industrial", "management = managed"),
    );
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("gets `SecProf_4`"), "{stdout}");
    let test = ward(dir.path(), &["test", "."]);
    assert_eq!(test.status.code(), Some(0), "{test:?}");

    // Each step of the assignment, with the profiles it set aside.
    let explain = ward(dir.path(), &["check", ".", "--explain-risk", "plc"]);
    let text = String::from_utf8_lossy(&explain.stdout);
    for line in [
        "1. deployment scope: `production_hall` is industrial",
        "`SecProf_1` does not fit: it is for home usage, and `production_hall` is industrial",
        "`SecProf_2` does not fit: it is for home usage",
        "2. management: the class is managed",
        "`SecProf_3` does not fit: it is for unmanaged or partially managed things, and the class is managed",
        "3. required access: the class receives from `scada` (bidirectional)",
        "4. risk category: the class's highest risk is high",
        "required profile: `SecProf_4` (level 4)",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }

    // Partially managed at high risk: SecProf_3 is for moderate risks at most, SecProf_4 for
    // managed things; nothing fits, and the error says why for each profile.
    write(
        dir.path(),
        &hall("area = industrial", "management = partial"),
    );
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("E0404"), "{stdout}");
    assert!(
        stdout.contains("for risks up to moderate") && stdout.contains("for managed things"),
        "{stdout}"
    );

    // The silent twin: an environment that does not say its area lets every area fit, and the
    // lowest profile that mitigates as much is the managed home one.
    write(dir.path(), &hall("", ""));
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("gets `SecProf_2`"), "{stdout}");
}

/// Residual risk is visible: what the profile leaves is a warning (in SARIF too) naming what
/// would mitigate it, and the report lists it; accepting it with a reason silences the warning
/// and the report shows the reason.
#[test]
fn residual_risks_are_warned_in_sarif_and_listed_in_the_report_until_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = |accept: &str| {
        format!(
            r#"
environment cell "Robot cell" {{
  area = industrial
  likelihood default = high
  impact default = high
  {accept}
}}
class camera "Cell camera" {{
  function = surveillance
  environment = cell
  management = managed
  data = [video]
  capabilities = [x509, tls, secure_update, credential_rotation]
  profile = SecProf_4
  credential_refresh = 30d
}}
gateway cell_gw "Cell gateway" {{
  address = 10.7.0.1
  profile = SecProf_4
}}
segment cameras {{ classes = [camera], subnet = 10.7.1.0/24, gateway = cell_gw }}
"#
        )
    };
    write(dir.path(), &policy(""));
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(0),
        "warnings do not fail: {stdout}"
    );
    assert!(stdout.contains("W0009"), "{stdout}");
    for threat in ["T2 (high)", "T12 (high)", "T23 (high)"] {
        assert!(stdout.contains(threat), "{threat} missing: {stdout}");
    }
    // The held profile mitigates firmware replacement now (M1): not residual.
    assert!(!stdout.contains("T8 (high)"), "{stdout}");

    let sarif = ward(dir.path(), &["check", ".", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let residual = results
        .iter()
        .find(|r| r["ruleId"] == "W0009")
        .expect("W0009 in SARIF");
    assert_eq!(residual["level"], "warning");
    assert!(
        residual["message"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("T24 (high)")),
        "{residual}"
    );

    let out = dir.path().join("bundle");
    let build = ward(
        dir.path(),
        &["build", ".", "-o", out.to_str().expect("utf-8")],
    );
    assert_eq!(build.status.code(), Some(0), "{build:?}");
    let report = std::fs::read_to_string(out.join("report.md")).expect("report");
    assert!(
        report.contains(
            "| `camera` | `cell` | T23 Denial-of-Service attack on network | high | **open**"
        ),
        "{report}"
    );

    // Accepted, with reasons: silent, and the report says why.
    write(
        dir.path(),
        &policy(
            r#"accept T2, T9, T11, T20, T21, T23, T24 because "the cell is fenced and its network air-gapped"
  accept T12, T13, T14, T15, T16, T17, T18 because "video never leaves the cell""#,
        ),
    );
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(!stdout.contains("W0009"), "{stdout}");
    assert!(stdout.contains("0 warnings"), "{stdout}");
    std::fs::remove_dir_all(&out).expect("clean bundle");
    let build = ward(
        dir.path(),
        &["build", ".", "-o", out.to_str().expect("utf-8")],
    );
    assert_eq!(build.status.code(), Some(0), "{build:?}");
    let report = std::fs::read_to_string(out.join("report.md")).expect("report");
    assert!(
        report.contains("| T23 Denial-of-Service attack on network | high | accepted: the cell is fenced and its network air-gapped |"),
        "{report}"
    );
    assert!(!report.contains("**open**"), "{report}");
}

/// Every endpoint has a level or an unknown one; `internet` stands for any address; the
/// gateway's own traffic follows the policy: to the policy's endpoints only by declared flows,
/// and to the rest of the world too once a flow from a gateway names `internet`.
#[test]
fn unknown_levels_are_questioned_and_the_internet_is_an_endpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = r#"
gateway med_gw "Medical devices gateway" {
  address = 10.60.0.1
  profile = SecProf_4
}
class infusion_pump "Infusion pump" {
  function = actuation
  management = managed
  capabilities = [x509, tls, secure_update, credential_rotation]
  profile = SecProf_4
}
segment pumps { classes = [infusion_pump], subnet = 10.60.1.0/24, gateway = med_gw }
service siem "Security operations" {
  address = 10.60.9.10
  profile = SecProf_4
}
service pump_vendor_cloud "Pump vendor" {
  address = 203.0.113.10
}
flow pump_vendor_cloud -> infusion_pump : tcp/22 { via = med_gw }
flow med_gw -> siem : tcp/6514
test "nothing from the internet reaches the pumps; the gateway reaches the SIEM by syslog only" {
  deny flow internet -> infusion_pump : tcp/22
  deny flow internet -> infusion_pump
  deny flow med_gw -> siem : tcp/22
  allow flow med_gw -> siem : tcp/6514
}
"#;
    write(dir.path(), policy);
    let check = ward(dir.path(), &["check", "."]);
    let out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{out}");
    assert!(
        out.contains("W0017") && out.contains("`pump_vendor_cloud` holds no profile"),
        "{out}"
    );
    let denied = ward(dir.path(), &["check", ".", "--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    let test = ward(dir.path(), &["test", "."]);
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
    let built = ward(dir.path(), &["build", ".", "-o", "bundle"]);
    assert_eq!(built.status.code(), Some(0));
    let ruleset =
        std::fs::read_to_string(dir.path().join("bundle/firewall/ruleset.nft")).expect("ruleset");
    assert!(
        ruleset.contains("hook output priority filter; policy accept;")
            && !ruleset.contains("daddr @e4_internet counter drop"),
        "the rest of the world stays reachable for DNS and MUD servers: {ruleset}"
    );

    // A flow from the gateway to `internet` states its outbound traffic: the rest is dropped.
    let closed = policy.replacen(
        "\nflow med_gw -> siem : tcp/6514\n",
        "\nflow med_gw -> siem : tcp/6514\nflow med_gw -> internet : udp/53, tcp/443\n",
        1,
    ) + r#"
test "the gateway reaches the world by DNS and HTTPS only" {
  allow flow med_gw -> internet : udp/53
  allow flow med_gw -> internet : tcp/443
  deny flow med_gw -> internet : tcp/22
}
"#;
    write(dir.path(), &closed);
    let test = ward(dir.path(), &["test", "."]);
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(test.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("7 passed, 0 failed"), "{stdout}");
    let built = ward(dir.path(), &["build", ".", "-o", "bundle"]);
    assert_eq!(built.status.code(), Some(0));
    let ruleset =
        std::fs::read_to_string(dir.path().join("bundle/firewall/ruleset.nft")).expect("ruleset");
    assert!(
        ruleset.contains("hook output priority filter; policy drop;"),
        "{ruleset}"
    );
}

/// `ward explain flow`: why a flow is allowed or denied, without writing a test: the deciding
/// firewall rule and Cedar policy with their source lines, both ends' levels, and what
/// declaring a denied flow would raise.
#[test]
fn explain_flow_says_what_decides_and_what_declaring_would_raise() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        r#"
gateway med_gw "Medical devices gateway" {
  address = 10.60.0.1
  profile = SecProf_4
}
class infusion_pump "Infusion pump" {
  function = actuation
  management = managed
  capabilities = [x509, tls, secure_update, credential_rotation]
  profile = SecProf_4
}
class guest_tv "Guest TV" {
  function = media
  capabilities = [x509, tls, second_factor]
  profile = SecProf_1
}
segment pumps { classes = [infusion_pump], subnet = 10.60.1.0/24, gateway = med_gw }
segment tvs { classes = [guest_tv], subnet = 10.60.3.0/24, gateway = med_gw }
service pump_vendor "Pump vendor" {
  address = 203.0.113.10
  profile = SecProf_4
}
flow pump_vendor -> infusion_pump : tcp/22 { via = med_gw }
"#,
    );
    let allowed = ward(
        dir.path(),
        &["explain", "flow", "pump_vendor -> infusion_pump : tcp/22"],
    );
    let out = String::from_utf8_lossy(&allowed.stdout);
    assert_eq!(allowed.status.code(), Some(0), "{out}");
    assert!(
        out.starts_with("flow pump_vendor -> infusion_pump : tcp/22: allowed"),
        "{out}"
    );
    assert!(
        out.contains("firewall (forward), tcp/22: accepted by p.ward:23 (pump_vendor -> infusion_pump : tcp/22)"),
        "{out}"
    );
    assert!(out.contains("permit \"pump_vendor -> send\""), "{out}");
    assert!(out.contains("SecProf_4, level 4 (declared)"), "{out}");

    let denied = ward(
        dir.path(),
        &["explain", "flow", "guest_tv -> infusion_pump : tcp/443"],
    );
    let out = String::from_utf8_lossy(&denied.stdout);
    assert!(
        out.starts_with("flow guest_tv -> infusion_pump : tcp/443: denied"),
        "{out}"
    );
    assert!(out.contains("dropped by lower to higher"), "{out}");
    assert!(out.contains("forbid \"lower-to-higher\""), "{out}");
    assert!(
        out.contains("error E0300"),
        "declaring it is refused: {out}"
    );

    let json = ward(
        dir.path(),
        &[
            "explain",
            "flow",
            "internet -> infusion_pump",
            "--format",
            "json",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(value["allowed"], false);
    assert_eq!(value["ends"][0]["level"], serde_json::Value::Null);
    assert!(
        value["declaring"]
            .as_array()
            .is_some_and(|d| d.iter().any(|f| f["code"] == "W0017")),
        "{value}"
    );

    let unknown = ward(dir.path(), &["explain", "flow", "nobody -> infusion_pump"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("`nobody` is no class, service or gateway")
    );
    let garbled = ward(
        dir.path(),
        &["explain", "flow", "guest_tv", "infusion_pump"],
    );
    assert_eq!(garbled.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&garbled.stderr).contains("in quotes"));
    // What a test may not ask is refused as the checker refuses it, not probed.
    for (asked, says) in [
        (
            "guest_tv -> infusion_pump : foo/1",
            "unknown protocol `foo` (E0103)",
        ),
        (
            "guest_tv -> infusion_pump : tcp/0",
            "port 0 is no port (E0207)",
        ),
    ] {
        let refused = ward(dir.path(), &["explain", "flow", asked]);
        let err = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(refused.stdout.is_empty());
    }
}
