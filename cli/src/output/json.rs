//! JSON lines: one object per diagnostic, stable field names, for scripts.

use serde::Serialize;
use ward_compiler::Diagnostic;

use super::Spans;

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    /// Byte offsets in the file.
    start: u32,
    end: u32,
}

#[derive(Serialize)]
struct Label {
    file: String,
    #[serde(flatten)]
    position: Position,
    message: String,
}

#[derive(Serialize)]
struct Suggestion {
    message: String,
    replacement: String,
    #[serde(flatten)]
    position: Position,
}

#[derive(Serialize)]
struct Line {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: String,
    file: String,
    #[serde(flatten)]
    position: Position,
    label: String,
    labels: Vec<Label>,
    help: Option<String>,
    suggestion: Option<Suggestion>,
    /// The waiver that waives the finding, when one does: it fails nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    waived: Option<Waived>,
}

#[derive(Serialize)]
struct Waived {
    waiver: String,
    reason: String,
    owner: String,
    expires: Option<String>,
    ticket: Option<String>,
}

fn position(
    spans: &Spans<'_>,
    file: ward_compiler::SourceFile,
    range: ward_lang::TextRange,
) -> Position {
    let s = spans.span(file, range);
    Position {
        line: s.line,
        column: s.col,
        end_line: s.end_line,
        end_column: s.end_col,
        start: range.start,
        end: range.end,
    }
}

/// One line of JSON, without the newline.
pub fn render(spans: &Spans<'_>, diagnostic: &Diagnostic) -> String {
    let line = Line {
        code: diagnostic.code.code,
        name: diagnostic.code.name,
        severity: diagnostic.severity.as_str(),
        message: diagnostic.message.clone(),
        file: diagnostic.file.path(spans.db()).clone(),
        position: position(spans, diagnostic.file, diagnostic.range),
        label: diagnostic.primary_label.clone(),
        labels: diagnostic
            .labels
            .iter()
            .map(|l| Label {
                file: l.file.path(spans.db()).clone(),
                position: position(spans, l.file, l.range),
                message: l.message.clone(),
            })
            .collect(),
        help: diagnostic.help.clone(),
        suggestion: diagnostic.suggestion.as_ref().map(|s| Suggestion {
            message: s.message.clone(),
            replacement: s.replacement.clone(),
            position: position(spans, diagnostic.file, s.range),
        }),
        waived: diagnostic.waived.as_ref().map(|w| Waived {
            waiver: w.waiver.clone(),
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.map(|e| e.to_string()),
            ticket: w.ticket.clone(),
        }),
    };
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}
