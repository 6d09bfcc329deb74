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
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c) & 0xff);
            }
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

/// A regex that only says "one of these words" (`^(sshd|dropbear)$`, `sshd|dropbear`,
/// `^kernel`): the words and the Sigma modifier that says the same, where the words must be
/// whole (no modifier), contained, at the start or at the end. Exported as a list of values,
/// which every backend turns into plain comparisons (Splunk's cannot put two `| regex` into
/// the search a correlation rule counts).
/// Sigma's `re` modifier with the flags that change what matches: `i`, `m` and `s` are
/// Sigma's own; `U` changes captures, not matches; `x` is written out (`without_extended`).
fn sigma_regex_modifiers(flags: &str) -> String {
    let mut out = String::from("|re");
    for flag in ['i', 'm', 's'] {
        if flags.contains(flag) {
            out.push('|');
            out.push(flag);
        }
    }
    out
}

/// A pattern of the `x` flag (blanks and `#` comments ignored) as one without it, which Sigma
/// has no modifier for: parsed as the engine parses it and printed back without the blanks.
/// A pattern that does not parse (the checker refused it) is kept as written.
fn without_extended(pattern: &str) -> String {
    let Ok(ast) = regex_syntax::ast::parse::ParserBuilder::new()
        .ignore_whitespace(true)
        .build()
        .parse(pattern)
    else {
        return pattern.to_string();
    };
    let mut out = String::new();
    match regex_syntax::ast::print::Printer::new().print(&ast, &mut out) {
        Ok(()) => out,
        Err(_) => pattern.to_string(),
    }
}

fn as_words(pattern: &str) -> Option<(&'static str, Vec<&str>)> {
    let (start, rest) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (end, inner) = match rest.strip_suffix('$') {
        Some(inner) => (true, inner),
        None => (false, rest),
    };
    let inner = inner
        .strip_prefix("(?:")
        .or_else(|| inner.strip_prefix('('))
        .and_then(|i| i.strip_suffix(')'))
        .unwrap_or(inner);
    let words: Vec<&str> = inner.split('|').collect();
    let plain = words.iter().all(|w| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' '))
    });
    let modifier = match (start, end) {
        (true, true) => "",
        (true, false) => "|startswith",
        (false, true) => "|endswith",
        (false, false) => "|contains",
    };
    plain.then_some((modifier, words))
}

/// One Sigma rule, and a correlation rule counting it when the rule counts over a window.
///
/// Sigma has no regex captures, and Python's `re` (which pySigma checks patterns with) no
/// `(?<name>...)`: patterns are exported with plain groups. A capture becomes a field of the
/// same name, listed under `fields`, with the regex that extracts it (names kept, for Splunk's
/// `EXTRACT-<name>` or an ingest pipeline's grok) and the field it reads under
/// `ward_captures`; the correlation rule groups by that field. The log pipeline extracts it
/// at ingestion, as Sigma rules expect of every field they name.
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
    let mut extractions = Vec::new();
    for (field, matcher) in &rule.matchers {
        match matcher {
            MatcherIr::Regex { pattern, flags } => {
                for capture in crate::detect::capture_names(pattern, flags) {
                    extractions.push((capture, field, pattern, flags));
                }
                let plain = crate::capture_names::without_names(pattern);
                let plain = if flags.contains('x') {
                    without_extended(&plain)
                } else {
                    plain.to_string()
                };
                let plain = plain.as_str();
                if let (Some((modifier, words)), false) = (as_words(plain), flags.contains('i')) {
                    let _ = writeln!(out, "    {}{modifier}:", sigma_field(field));
                    for word in words {
                        let _ = writeln!(out, "      - {}", quote(word));
                    }
                    continue;
                }
                let _ = writeln!(
                    out,
                    "    {}{}: {}",
                    sigma_field(field),
                    sigma_regex_modifiers(flags),
                    quote(plain)
                );
            }
            MatcherIr::Equals { value } => {
                let _ = writeln!(out, "    {}: {}", sigma_field(field), quote(value));
            }
        }
    }
    let _ = writeln!(out, "  condition: selection");
    if !extractions.is_empty() {
        let _ = writeln!(out, "fields:");
        for (capture, _, _, _) in &extractions {
            let _ = writeln!(out, "  - {capture}");
        }
        let _ = writeln!(out, "ward_captures:");
        for (capture, field, pattern, flags) in &extractions {
            let pattern = if flags.is_empty() {
                pattern.to_string()
            } else {
                format!("(?{flags}){pattern}")
            };
            let _ = writeln!(
                out,
                "  {capture}:\n    field: {}\n    regex: {}",
                sigma_field(field),
                quote(&pattern)
            );
        }
    }
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
