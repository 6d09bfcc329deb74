//! A SARIF 2.1.0 log (built with serde-sarif): one run of `ward`, its rules taken from the
//! registry of codes, one result per diagnostic with its location, related locations and
//! fix.

use serde_sarif::sarif;
use ward_compiler::codes;
use ward_compiler::{Diagnostic, Severity};

use super::Spans;

fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Note => sarif::ResultLevel::Note,
    }
}

fn location(
    spans: &Spans<'_>,
    file: ward_compiler::SourceFile,
    range: ward_lang::TextRange,
    message: Option<&str>,
) -> sarif::Location {
    let s = spans.span(file, range);
    let region = sarif::Region::builder()
        .start_line(s.line as i64)
        .start_column(s.col as i64)
        .end_line(s.end_line as i64)
        .end_column(s.end_col as i64)
        .byte_offset(range.start as i64)
        .byte_length(range.len() as i64)
        .build();
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(file.path(spans.db()))
                .build(),
        )
        .region(region)
        .build();
    match message {
        Some(text) if !text.is_empty() => sarif::Location::builder()
            .physical_location(physical)
            .message(sarif::Message::builder().text(text).build())
            .build(),
        _ => sarif::Location::builder()
            .physical_location(physical)
            .build(),
    }
}

fn rules() -> Vec<sarif::ReportingDescriptor> {
    codes::ALL
        .iter()
        .map(|code| {
            sarif::ReportingDescriptor::builder()
                .id(code.code)
                .name(code.name)
                .short_description(
                    sarif::MultiformatMessageString::builder()
                        .text(code.summary)
                        .build(),
                )
                .full_description(
                    sarif::MultiformatMessageString::builder()
                        .text(code.explanation)
                        .build(),
                )
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::json!(level(code.severity).to_string()))
                        .build(),
                )
                .build()
        })
        .collect()
}

fn result(spans: &Spans<'_>, diagnostic: &Diagnostic) -> sarif::Result {
    let rule_index = codes::ALL
        .iter()
        .position(|c| c.code == diagnostic.code.code)
        .unwrap_or(0);
    let mut text = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let related: Vec<sarif::Location> = diagnostic
        .labels
        .iter()
        .map(|l| location(spans, l.file, l.range, Some(&l.message)))
        .collect();
    let primary = location(
        spans,
        diagnostic.file,
        diagnostic.range,
        Some(&diagnostic.primary_label),
    );
    let fixes: Vec<sarif::Fix> = diagnostic
        .suggestion
        .iter()
        .map(|s| {
            let replacement = sarif::Replacement::builder()
                .deleted_region(
                    sarif::Region::builder()
                        .byte_offset(s.range.start as i64)
                        .byte_length(s.range.len() as i64)
                        .build(),
                )
                .inserted_content(
                    sarif::ArtifactContent::builder()
                        .text(&s.replacement)
                        .build(),
                )
                .build();
            sarif::Fix::builder()
                .description(sarif::Message::builder().text(&s.message).build())
                .artifact_changes(vec![
                    sarif::ArtifactChange::builder()
                        .artifact_location(
                            sarif::ArtifactLocation::builder()
                                .uri(diagnostic.file.path(spans.db()))
                                .build(),
                        )
                        .replacements(vec![replacement])
                        .build(),
                ])
                .build()
        })
        .collect();
    let builder = sarif::Result::builder()
        .rule_id(diagnostic.code.code)
        .rule_index(rule_index as i64)
        .level(level(diagnostic.severity))
        .message(sarif::Message::builder().text(text).build())
        .locations(vec![primary]);
    let mut result = match (related.is_empty(), fixes.is_empty()) {
        (true, true) => builder.build(),
        (false, true) => builder.related_locations(related).build(),
        (true, false) => builder.fixes(fixes).build(),
        (false, false) => builder.related_locations(related).fixes(fixes).build(),
    };
    if let Some(waived) = &diagnostic.waived {
        result.suppressions = Some(vec![suppression(waived)]);
    }
    result
}

/// A finding a waiver waives: suppressed in the source (the waiver is a declaration of the
/// policy), accepted, with the waiver's reason; its name, owner, expiry and ticket as
/// properties, for code-scanning dashboards.
fn suppression(waived: &ward_compiler::diagnostic::Waived) -> sarif::Suppression {
    let mut properties = std::collections::BTreeMap::new();
    properties.insert("waiver".to_string(), serde_json::json!(waived.waiver));
    properties.insert("owner".to_string(), serde_json::json!(waived.owner));
    if let Some(expires) = waived.expires {
        properties.insert(
            "expires".to_string(),
            serde_json::json!(expires.to_string()),
        );
    }
    if let Some(ticket) = &waived.ticket {
        properties.insert("ticket".to_string(), serde_json::json!(ticket));
    }
    sarif::Suppression::builder()
        .kind(serde_json::json!("inSource"))
        .status(serde_json::json!("accepted"))
        .justification(waived.reason.clone())
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// The whole log, pretty-printed.
pub fn render(spans: &Spans<'_>, diagnostics: &[ward_compiler::Diagnostic]) -> String {
    let driver = sarif::ToolComponent::builder()
        .name("ward")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://example.invalid/ward")
        .rules(rules())
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .results(
            diagnostics
                .iter()
                .map(|d| result(spans, d))
                .collect::<Vec<_>>(),
        )
        .build();
    let log = sarif::Sarif::builder()
        .version(sarif::Version::V2_1_0.to_string())
        .schema(sarif::SCHEMA_URL)
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
