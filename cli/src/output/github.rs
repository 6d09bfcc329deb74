//! GitHub workflow commands: `::error file=F,line=L,...::message`, which GitHub shows as
//! annotations on the lines of a pull request.

use ward_compiler::{Diagnostic, Severity};

use super::Spans;

/// Escapes the message part of a workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(spans: &Spans<'_>, diagnostic: &Diagnostic) -> String {
    let level = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let s = spans.span(diagnostic.file, diagnostic.range);
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}",
        escape_property(diagnostic.file.path(spans.db())),
        s.line,
        s.end_line,
        s.col,
        s.end_col,
        escape_property(&format!(
            "{} {}",
            diagnostic.code.code, diagnostic.code.name
        )),
        escape_data(&message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
