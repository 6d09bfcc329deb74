//! The standard library's detection rules over real-looking logs (`tests/fixtures/logs/`):
//! each fires where it must, with the right group, and stays quiet on look-alikes.

use std::path::{Path, PathBuf};

use ward_compiler::Policy;
use ward_pava::engine::{DEFAULT_MAX_GROUPS, Engine, Incident};
use ward_pava::scan::{ScanReport, scan};

fn stdlib_engine() -> Engine {
    let policy = Policy::default();
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let names: Vec<&str> = ir.detections.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "configuration_change",
            "firmware_signature_failure",
            "ssh_bruteforce",
            "time_jump",
            "unexpected_peer"
        ]
    );
    Engine::new(&ir.detections, DEFAULT_MAX_GROUPS).expect("the standard rules compile")
}

fn log(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

fn scanned(name: &str) -> ScanReport {
    let mut engine = stdlib_engine();
    let path = log(name);
    scan(&mut engine, &[path.as_path()], 2026).expect("scans")
}

fn fired<'a>(report: &'a ScanReport, rule: &str) -> Vec<&'a Incident> {
    report.incidents.iter().filter(|i| i.rule == rule).collect()
}

#[test]
fn ssh_brute_force_by_source_in_bsd_and_rfc5424_lines() {
    let report = scanned("auth.log");
    assert_eq!(report.parsed, 21);
    let incidents = fired(&report, "ssh_bruteforce");
    let groups: Vec<&str> = incidents.iter().map(|i| i.group.as_str()).collect();
    // The slow guesser (three in 35 minutes) and `login` (not an SSH server) do not fire.
    assert_eq!(
        groups,
        ["src=203.0.113.7", "src=192.0.2.44", "src=2001:db8::66"]
    );
    let first = incidents[0];
    assert_eq!(
        (first.threat.as_str(), first.severity.as_str()),
        ("T9", "high")
    );
    assert_eq!(first.count, 5);
    assert_eq!(first.captures["src"], "203.0.113.7");
    assert!(first.messages[0].contains("Invalid user admin from 203.0.113.7"));
    // Dropbear writes the port after the address: the group is the address alone.
    assert_eq!(incidents[1].captures["src"], "192.0.2.44");
    assert_eq!(report.incidents.len(), 3, "nothing else fires on auth.log");
}

#[test]
fn firmware_signature_failures_fire_once_each() {
    let report = scanned("firmware.log");
    let incidents = fired(&report, "firmware_signature_failure");
    assert_eq!(incidents.len(), 2);
    assert_eq!(incidents[0].threat, "T8");
    assert_eq!(incidents[0].severity, "critical");
    assert!(incidents[1].messages[0].contains("bad signature on update payload"));
    let quarantine = incidents[0]
        .actions
        .iter()
        .any(|a| a.action == "quarantine");
    assert!(quarantine, "a bad firmware signature quarantines the thing");
    assert_eq!(report.incidents.len(), 2, "a good update does not fire");
}

#[test]
fn unexpected_peers_are_counted_per_source_over_a_minute() {
    let report = scanned("firewall.log");
    let incidents = fired(&report, "unexpected_peer");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].group, "src=198.51.100.23");
    assert_eq!(incidents[0].count, 20);
    assert_eq!(incidents[0].captures["dst"], "192.168.3.10");
}

#[test]
fn configuration_changes_and_time_jumps() {
    let report = scanned("config.log");
    let changes = fired(&report, "configuration_change");
    assert_eq!(changes.len(), 2, "loading a config file is not a change");
    assert!(changes[0].messages[0].contains("Configuration changed by admin"));
    let report = scanned("time.log");
    let jumps = fired(&report, "time_jump");
    assert_eq!(jumps.len(), 2, "an unsynchronized clock is not a jump");
    assert_eq!(jumps[0].threat, "T11");
}

#[test]
fn malformed_lines_are_counted_by_reason() {
    let report = scanned("noise.log");
    // The line without `<PRI>` is a log file's line, read as such.
    assert_eq!(report.parsed, 1);
    let reasons: Vec<(&str, u64)> = report.dropped.iter().map(|(r, n)| (*r, *n)).collect();
    assert_eq!(
        reasons,
        [
            ("bad-header", 1),
            ("bad-pri", 1),
            ("bad-structured-data", 1),
            ("invalid-utf8", 1),
            ("truncated", 1)
        ]
    );
}

#[test]
fn a_bsd_dated_file_that_crosses_new_year_keeps_counting() {
    // Five failures from 23:58 to 00:01 fire once; the last lines are read as the next year.
    let mut engine = stdlib_engine();
    let path = log("newyear.log");
    let report = scan(&mut engine, &[path.as_path()], 2026).expect("scans");
    let incidents = fired(&report, "ssh_bruteforce");
    assert_eq!(incidents.len(), 1, "{:?}", report.incidents);
    let incident = incidents[0];
    assert_eq!(incident.count, 5);
    // 2026-12-31T23:58:01Z and 2027-01-01T00:01:02Z.
    assert_eq!(incident.first_ms, 1_798_761_481_000);
    assert_eq!(incident.last_ms, 1_798_761_662_000);
}
