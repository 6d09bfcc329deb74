//! The standard `ssh_bruteforce` rule: a forged user name never frames another address, and
//! its coverage measured against fail2ban's `sshd` filter, on
//! fail2ban's own test log (Debian package `fail2ban`, `tests/files/logs/sshd`): every line
//! fail2ban counts as a failure in its default mode is counted by ward's rule, with the same
//! address, or is listed below with the reason ward leaves it out. The log is read where the
//! package installs it (fail2ban is GPL-2.0; its test files are not copied here): CI installs
//! the package; elsewhere the test is skipped, loudly.

use std::collections::BTreeMap;

use ward_compiler::Policy;
use ward_pava::engine::{DEFAULT_MAX_GROUPS, Engine, Sender};
use ward_pava::syslog::parse_file_line;

const LOG: &str = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/sshd";

/// Failures fail2ban counts in its normal mode that ward's rule does not, and why. Each is a
/// decision, not an oversight; a line that newly goes missing fails the test.
const LEFT_OUT: &[(&str, &str)] = &[
    (
        "Failed hostbased for",
        "the line ends in a client user and host the client chooses: its address cannot be told from a forged one",
    ),
    (
        "ssh1: ruser",
        "the line ends in an SSH-1 ruser the client chooses: its address cannot be told from a forged one",
    ),
    (
        "ssh2: from 10.10.1.2",
        "the line ends in text after `ssh2: ` that is no key fingerprint: its address cannot be told from a forged one",
    ),
    (
        ": 11: ",
        "a client closing before authentication (disconnect code 11) is no authentication failure",
    ),
    (
        ":11: ",
        "a client closing before authentication (disconnect code 11) is no authentication failure",
    ),
    (
        "Disconnecting: Too many authentication failures",
        "no address on the line: fail2ban links it to an earlier line of the same sshd process; ward's rules count lines one by one",
    ),
    (
        "Connection closed by 61.0.0.1 [preauth]",
        "no failure on the line: fail2ban counts it after an earlier line of the same sshd process",
    ),
    (
        "pam_unix(sshd:auth): authentication failure",
        "sshd also writes `Failed password` for the same attempt: counting both would count each attempt twice",
    ),
    (
        "Accepted password for known",
        "a successful login; fail2ban counts it only after PAM failures of the same process",
    ),
    (
        "[sshd]",
        "`[sshd]` is no RFC 3164 tag: the rule knows sshd's messages by their program",
    ),
];

/// The standard rule, firing on every line it counts (no window, no grouping), so that each
/// line's verdict is visible.
fn per_line_engine() -> Engine {
    let policy = Policy::default();
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let mut rule = ir
        .detections
        .iter()
        .find(|d| d.name == "ssh_bruteforce")
        .expect("the standard ssh rule")
        .clone();
    rule.threshold = 1;
    rule.window_ms = None;
    rule.group_by.clear();
    Engine::new(&[rule], DEFAULT_MAX_GROUPS).expect("compiles")
}

/// (line, the address fail2ban reads from it) for each failure fail2ban counts in its
/// default mode: sections whose options include the default (no `mode`), lines whose
/// `failJSON` says `"match": true` without asking for another mode.
fn failures(log: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut default_mode = true;
    let mut expect: Option<serde_json::Value> = None;
    for line in log.lines() {
        if let Some(options) = line.strip_prefix("# filterOptions: ") {
            let options: serde_json::Value = serde_json::from_str(options).unwrap_or_default();
            let list = match options {
                serde_json::Value::Array(list) => list,
                other => vec![other],
            };
            default_mode = list.iter().any(|o| o.get("mode").is_none());
            continue;
        }
        if let Some(json) = line.strip_prefix("# failJSON: ") {
            expect = serde_json::from_str(json).ok();
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some(spec) = expect.take() else { continue };
        let other_mode = spec["constraint"]
            .as_str()
            .is_some_and(|c| c.contains("'aggressive'") && c.contains("=="));
        if default_mode && spec["match"] == true && !other_mode {
            out.push((line.to_string(), spec["host"].as_str().map(str::to_string)));
        }
    }
    out
}

#[test]
fn the_ssh_rule_counts_what_fail2ban_counts_or_says_why_not() {
    let Ok(log) = std::fs::read_to_string(LOG) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install the Debian package fail2ban for this comparison"
        );
        eprintln!("SKIPPED: {LOG} is missing (install the Debian package fail2ban)");
        return;
    };
    let failures = failures(&log);
    assert!(failures.len() > 50, "read {} failures", failures.len());
    let mut engine = per_line_engine();
    let mut missed: BTreeMap<String, String> = BTreeMap::new();
    let mut counted = 0;
    for (line, host) in &failures {
        let Ok(message) = parse_file_line(line.as_bytes(), 2005) else {
            missed.insert(line.clone(), "does not parse".to_string());
            continue;
        };
        let mut fired = Vec::new();
        engine.feed(&message, line, 0, Sender::Unattributed, &mut fired);
        match fired.first() {
            None => {
                missed.insert(line.clone(), "not counted".to_string());
            }
            Some(incident) => {
                let src = incident.captures.get("src").cloned().unwrap_or_default();
                match host {
                    Some(host) if host != &src => {
                        missed.insert(line.clone(), format!("counted for `{src}`, not `{host}`"));
                    }
                    _ => counted += 1,
                }
            }
        }
    }
    eprintln!(
        "fail2ban counts {} failures; ward's ssh_bruteforce counts {counted} with the same address",
        failures.len()
    );
    let mut unexplained = Vec::new();
    for (line, what) in &missed {
        match LEFT_OUT.iter().find(|(needle, _)| line.contains(needle)) {
            Some((_, why)) => eprintln!("left out ({why}): {line}"),
            None => unexplained.push(format!("{what}: {line}")),
        }
    }
    assert!(
        unexplained.is_empty(),
        "failures fail2ban counts and ward misses, with no reason given:\n{}",
        unexplained.join("\n")
    );
}

/// The address a line is counted for, if it is counted.
fn counted_for(engine: &mut Engine, line: &str) -> Option<String> {
    let message = parse_file_line(line.as_bytes(), 2026).ok()?;
    let mut fired = Vec::new();
    engine.feed(&message, line, 0, Sender::Unattributed, &mut fired);
    fired.first()?.captures.get("src").cloned()
}

#[test]
fn a_forged_user_name_cannot_frame_another_address() {
    let mut engine = per_line_engine();
    let real = "192.0.2.9";
    for line in [
        "Nov 25 10:00:00 cam sshd[1]: Failed password for invalid user a from 6.6.6.6 port 1 ssh2 from 192.0.2.9 port 2222 ssh2",
        "Nov 25 10:00:00 cam sshd[1]: Failed password for invalid user a from 6.6.6.6 port 1 ssh2: RSA x from 192.0.2.9 port 2222 ssh2",
        "Nov 25 10:00:00 cam sshd[1]: Failed publickey for a from 6.6.6.6 port 1 ssh2: from 192.0.2.9 port 2222 ssh2: ED25519 SHA256:p3E4kq",
        "Nov 25 10:00:00 cam sshd[1]: Invalid user a from 6.6.6.6 port 1 from 192.0.2.9 port 2222",
        "Nov 25 10:00:00 cam sshd[1]: User a from 6.6.6.6 not allowed because x from 192.0.2.9 not allowed because not listed in AllowUsers",
        "Nov 25 10:00:00 cam sshd[1]: error: PAM: Authentication failure for a from 6.6.6.6 from 192.0.2.9",
        "Nov 25 10:00:00 cam sshd[1]: error: maximum authentication attempts exceeded for a from 6.6.6.6 port 1 ssh2 from 192.0.2.9 port 2222 ssh2 [preauth]",
    ] {
        assert_eq!(
            counted_for(&mut engine, line).as_deref(),
            Some(real),
            "{line}"
        );
    }
    // Text the client chooses after the address: not counted rather than misread.
    for line in [
        "Nov 25 10:00:00 cam sshd[1]: Failed hostbased for dan from 192.0.2.9 port 1 ssh2: RSA aa, client user \"x from 6.6.6.6 port 1 ssh2: \", client host \"h\"",
        "Nov 25 10:00:00 cam sshd[1]: Failed password for user from 192.0.2.9 port 1 ssh1: ruser from 6.6.6.6",
    ] {
        assert_eq!(counted_for(&mut engine, line), None, "{line}");
    }
    // Other programs' lines are not sshd's.
    assert_eq!(
        counted_for(
            &mut engine,
            "Nov 25 10:00:00 cam login[1]: Failed password for root from 192.0.2.9 port 22 ssh2"
        ),
        None
    );
}
