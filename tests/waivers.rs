//! Waivers and time-limited flows, end to end: what a reviewer signs for a while (a class
//! that cannot meet a profile, a residual risk), and vendor access that closes by itself.
//! Every run is as of a given day (`--today`), so that the test never depends on the clock.

#[path = "support/cli.rs"]
mod cli;

use cli::ward;

/// A hospital's guest TVs: consumer devices that no profile fits (E0404), waived by the
/// security officer until a date; a pump vendor's maintenance flow until the end of January.
const HOSPITAL: &str = r#"
environment guest_area "Patient rooms, guest side" {
  area = industrial
  likelihood default = high
  impact default = low
}

gateway med_gw "Medical devices gateway" {
  address = 10.60.0.1
  profile = SecProf_4
}

class guest_tv "Guest TV" {
  function = media
  environment = guest_area
  management = unmanaged
  capabilities = []
}

class infusion_pump "Infusion pump" {
  function = actuation
  management = managed
  capabilities = [x509, tls, secure_update, credential_rotation]
  profile = SecProf_4
}

service pump_vendor "Pump vendor maintenance" {
  address = 203.0.113.10
  profile = SecProf_4
}

service tv_portal "TV programme portal" {
  address = 203.0.113.20
  profile = SecProf_1
}

segment tvs { classes = [guest_tv], subnet = 10.60.3.0/24, gateway = med_gw }
segment pumps { classes = [infusion_pump], subnet = 10.60.1.0/24, gateway = med_gw }

flow guest_tv -> tv_portal : tcp/443 { via = med_gw }
flow pump_vendor -> infusion_pump : tcp/22 { via = med_gw, until = 2027-01-31T18:00Z }

waiver guest_tvs "Guest TVs are consumer devices" {
  class = guest_tv
  waives = [E0404]
  reason = "no TV on the market does client certificates; they sit alone on their segment"
  owner = "ciso@hospital.example"
  expires = 2027-06-30
  ticket = "SEC-1234"
}

test "the vendor reaches the pumps for maintenance, the TVs reach only their portal" {
  allow flow pump_vendor -> infusion_pump : tcp/22
  allow flow guest_tv -> tv_portal : tcp/443
  deny flow guest_tv -> infusion_pump : tcp/22
}
"#;

fn policy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("hospital.ward"), HOSPITAL).expect("write policy");
    dir
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_waived_finding_fails_nothing_and_is_counted() {
    let dir = policy();
    let check = ward(dir.path(), &["check", ".", "--today", "2027-01-15"]);
    let out = text(&check);
    assert_eq!(check.status.code(), Some(0), "{out}");
    assert!(out.contains("0 errors, 0 warnings, 1 waived"), "{out}");
    assert!(
        !out.contains("E0404"),
        "a waived finding is not shown: {out}"
    );

    // The class holds the lowest profile: its device configuration says so.
    let built = ward(
        dir.path(),
        &["build", ".", "-o", "bundle", "--today", "2027-01-15"],
    );
    assert_eq!(built.status.code(), Some(0), "{}", text(&built));
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("bundle/devices/guest_tv.json")).expect("config"),
    )
    .expect("json");
    assert_eq!(config["profile"]["name"], "SecProf_1", "{config}");
    assert_eq!(config["profile"]["level"], 1, "{config}");
}

#[test]
fn sarif_reports_a_waived_finding_as_suppressed_with_its_reason() {
    let dir = policy();
    let check = ward(
        dir.path(),
        &["check", ".", "--today", "2027-01-15", "--format", "sarif"],
    );
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let log: serde_json::Value = serde_json::from_slice(&check.stdout).expect("sarif");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let waived: Vec<&serde_json::Value> =
        results.iter().filter(|r| r["ruleId"] == "E0404").collect();
    assert_eq!(waived.len(), 1, "{results:#?}");
    let suppression = &waived[0]["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["status"], "accepted");
    assert!(
        suppression["justification"]
            .as_str()
            .is_some_and(|j| j.contains("client certificates")),
        "{suppression}"
    );
    assert_eq!(suppression["properties"]["owner"], "ciso@hospital.example");
    assert_eq!(suppression["properties"]["expires"], "2027-06-30");
    assert_eq!(suppression["properties"]["ticket"], "SEC-1234");

    // JSON lines carry it too, marked.
    let json = ward(
        dir.path(),
        &["check", ".", "--today", "2027-01-15", "--format", "json"],
    );
    let line = String::from_utf8_lossy(&json.stdout)
        .lines()
        .find(|l| l.contains("E0404"))
        .map(str::to_string)
        .expect("the waived finding");
    let line: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert_eq!(line["waived"]["waiver"], "guest_tvs");
}

#[test]
fn a_waiver_warns_before_it_expires_and_fails_after() {
    let dir = policy();
    let soon = ward(dir.path(), &["check", ".", "--today", "2027-06-10"]);
    let out = text(&soon);
    assert_eq!(soon.status.code(), Some(0), "{out}");
    assert!(
        out.contains("W0014") && out.contains("expires on 2027-06-30, in 20 days"),
        "{out}"
    );
    let denied = ward(
        dir.path(),
        &["check", ".", "--today", "2027-06-10", "--deny", "warnings"],
    );
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied));

    let after = ward(dir.path(), &["check", ".", "--today", "2027-06-30"]);
    let out = text(&after);
    assert_eq!(after.status.code(), Some(1), "{out}");
    assert!(
        out.contains("E0406") && out.contains("expired on 2027-06-30"),
        "{out}"
    );
    assert!(out.contains("E0404"), "what it waived is back: {out}");
    let built = ward(
        dir.path(),
        &["build", ".", "-o", "bundle", "--today", "2027-07-01"],
    );
    assert_eq!(built.status.code(), Some(1), "{}", text(&built));
}

#[test]
fn a_time_limited_flow_is_allowed_until_its_end_by_firewall_and_cedar() {
    let dir = policy();
    let before = ward(dir.path(), &["test", ".", "--today", "2027-01-31T17:59Z"]);
    let out = text(&before);
    assert_eq!(before.status.code(), Some(0), "{out}");
    assert!(out.contains("3 passed, 0 failed"), "{out}");

    let after = ward(dir.path(), &["test", ".", "--today", "2027-01-31T18:00Z"]);
    let out = text(&after);
    assert_eq!(after.status.code(), Some(1), "{out}");
    assert!(out.contains("2 passed, 1 failed"), "{out}");
    assert!(
        out.contains("pump_vendor -> infusion_pump"),
        "the ended flow fails: {out}"
    );

    // The rule and the permit carry the end.
    let built = ward(
        dir.path(),
        &["build", ".", "-o", "bundle", "--today", "2027-01-15"],
    );
    assert_eq!(built.status.code(), Some(0), "{}", text(&built));
    let ruleset =
        std::fs::read_to_string(dir.path().join("bundle/firewall/ruleset.nft")).expect("ruleset");
    assert!(
        ruleset.contains("tcp dport 22 meta time < 1801418400 accept"),
        "{ruleset}"
    );
    let cedar =
        std::fs::read_to_string(dir.path().join("bundle/cedar/policy.cedar")).expect("cedar");
    assert!(
        cedar.contains("when { context has now && context.now < 1801418400 }"),
        "{cedar}"
    );

    // Past its end, `ward check` says so.
    let check = ward(dir.path(), &["check", ".", "--today", "2027-02-01"]);
    let out = text(&check);
    assert!(
        out.contains("W0016") && out.contains("ended on 2027-01-31T18:00:00Z"),
        "{out}"
    );
}
