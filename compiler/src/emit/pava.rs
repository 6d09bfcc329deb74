//! `pava/rules.json` (and `.cbor`): the detection rules PAVA runs on the gateway, and
//! `sigma/<rule>.yml` for teams that run a SIEM (`--emit sigma`).

use std::fmt::Write;

use serde_json::{Value, json};

use crate::ir::{DetectIr, MatcherIr, PolicyIr};

pub fn rules(ir: &PolicyIr) -> Value {
    json!({
        "format": "ward.pava/1",
        "rules": ir.detections,
    })
}

/// A YAML scalar in double quotes, escaped.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Sigma's name of an RFC 5424 field.
fn sigma_field(field: &str) -> &str {
    match field {
        "app" => "Application",
        "host" => "Hostname",
        "msg" => "Message",
        "msgid" => "MessageId",
        "procid" => "ProcessId",
        "facility" => "Facility",
        "severity" => "Severity",
        other => other,
    }
}

fn level(severity: &str) -> &str {
    match severity {
        "info" => "informational",
        other => other,
    }
}

/// One Sigma rule, and a correlation rule counting it when the rule counts over a window.
pub fn sigma(rule: &DetectIr) -> String {
    let mut out = String::new();
    let id = stable_id(&rule.name);
    let _ = writeln!(
        out,
        "title: {}",
        quote(if rule.title.is_empty() {
            &rule.name
        } else {
            &rule.title
        })
    );
    let _ = writeln!(out, "id: {id}");
    let _ = writeln!(out, "name: {}", rule.name);
    let _ = writeln!(out, "status: experimental");
    let _ = writeln!(
        out,
        "description: {}",
        quote(&format!(
            "ward detection rule `{}` for threat {} ({})",
            rule.name,
            rule.threat,
            rule.origin.describe()
        ))
    );
    let _ = writeln!(out, "tags:\n  - ward.threat.{}", rule.threat.to_lowercase());
    let _ = writeln!(out, "logsource:\n  product: syslog\n  service: rfc5424");
    let _ = writeln!(out, "detection:\n  selection:");
    for (field, matcher) in &rule.matchers {
        match matcher {
            MatcherIr::Regex { pattern, flags } => {
                let modifier = if flags.contains('i') { "|re|i" } else { "|re" };
                let _ = writeln!(
                    out,
                    "    {}{modifier}: {}",
                    sigma_field(field),
                    quote(pattern)
                );
            }
            MatcherIr::Equals { value } => {
                let _ = writeln!(out, "    {}: {}", sigma_field(field), quote(value));
            }
        }
    }
    let _ = writeln!(out, "  condition: selection");
    let _ = writeln!(out, "level: {}", level(&rule.severity));
    if rule.threshold > 1 || rule.window_ms.is_some() {
        let window = rule.window_ms.unwrap_or(60_000);
        let _ = writeln!(out, "---");
        let _ = writeln!(
            out,
            "title: {}",
            quote(&format!(
                "{} (count)",
                if rule.title.is_empty() {
                    &rule.name
                } else {
                    &rule.title
                }
            ))
        );
        let _ = writeln!(out, "id: {}", stable_id(&format!("{}/count", rule.name)));
        let _ = writeln!(out, "status: experimental");
        let _ = writeln!(
            out,
            "correlation:\n  type: event_count\n  rules:\n    - {}",
            rule.name
        );
        if !rule.group_by.is_empty() {
            let _ = writeln!(out, "  group-by:");
            for key in &rule.group_by {
                let _ = writeln!(out, "    - {}", sigma_field(key));
            }
        }
        let _ = writeln!(out, "  timespan: {}s", (window / 1000).max(1));
        let _ = writeln!(out, "  condition:\n    gte: {}", rule.threshold);
        let _ = writeln!(out, "level: {}", level(&rule.severity));
    }
    out
}

/// A UUID-shaped id derived from the rule's name, so that rebuilding gives the same ids.
fn stable_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("ward-sigma:{name}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
