//! `ward pava scan` end to end: incidents from log files with the times of their lines, exit
//! codes, JSON for scripts, and lines too long to read.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;

use cli::{root, ward};

fn logs(name: &str) -> String {
    root()
        .join("pava/tests/fixtures/logs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn built(dir: &Path) -> String {
    cli::bundle(dir, &root().join("policies"))
}

#[test]
fn incidents_are_printed_with_their_times_and_groups() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = built(dir.path());
    let output = ward(
        dir.path(),
        &[
            "pava",
            "scan",
            "--bundle",
            &bundle,
            "--year",
            "2026",
            &logs("auth.log"),
            &logs("firmware.log"),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "incidents: exit 1");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("ssh_bruteforce (T9, high) src=203.0.113.7: 5 messages, 2026-11-25T10:02:11.000Z .. 2026-11-25T10:03:05.000Z"),
        "{text}"
    );
    // The example policy's own rule counts only `Failed password` lines: four from
    // 203.0.113.7, one short of its threshold.
    assert!(!text.contains("dc_camera_bruteforce"), "{text}");
    assert!(text.contains("firmware_signature_failure (T8, critical): 1 message"));
    assert!(
        text.ends_with("scanned 25 lines: 25 parsed, 0 dropped; 5 incidents\n"),
        "{text}"
    );

    let quiet = ward(
        dir.path(),
        &["pava", "scan", "--bundle", &bundle, &logs("noise.log")],
    );
    assert_eq!(quiet.status.code(), Some(0), "no incident: exit 0");
    let text = String::from_utf8_lossy(&quiet.stdout);
    assert!(
        text.contains("5 dropped (bad-header 1, bad-pri 1"),
        "{text}"
    );
}

#[test]
fn json_output_and_long_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = built(dir.path());
    let long = dir.path().join("long.log");
    let mut text = format!(
        "<13>1 2026-11-25T10:00:00Z h a - - - {}\n",
        "x".repeat(200_000)
    );
    text.push_str(
        "<38>1 2026-11-25T11:00:00Z h sshd - - - Failed password for root from 192.0.2.1 port 22\n",
    );
    std::fs::write(&long, text).expect("write");
    let output = ward(
        dir.path(),
        &[
            "pava",
            "scan",
            "--bundle",
            &bundle,
            "--format",
            "json",
            &long.to_string_lossy(),
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["lines"], 2);
    assert_eq!(report["parsed"], 1);
    assert_eq!(report["dropped"]["too-large"], 1);
    assert!(report["rules"].as_array().is_some_and(|r| r.len() >= 5));

    let missing = ward(
        dir.path(),
        &["pava", "scan", "--bundle", &bundle, "nope.log"],
    );
    assert_eq!(missing.status.code(), Some(2));
}
