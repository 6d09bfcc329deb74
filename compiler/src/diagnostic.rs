//! Diagnostics as plain data. Rendering (miette for people, JSON, SARIF) happens at the edge,
//! in the binary; the compiler only says what is wrong and where.

use ward_lang::TextRange;

use crate::codes::{self, Code};
use crate::db::SourceFile;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Shown, never fails a check.
    Note,
    /// Fails a check only with `--deny warnings`.
    Warning,
    /// The policy cannot be built.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A place in a file with a message: the secondary labels of a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: SourceFile,
    pub range: TextRange,
    pub message: String,
}

/// A machine-applicable edit: replace `range` of the diagnostic's file by `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub message: String,
    pub range: TextRange,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static Code,
    pub severity: Severity,
    /// Lowercase, user input in backticks, no trailing period.
    pub message: String,
    pub file: SourceFile,
    /// The primary range; its label is `primary_label` (or the message when empty).
    pub range: TextRange,
    pub primary_label: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub suggestion: Option<Suggestion>,
    /// The waiver that waives this finding, if one does: it is kept (SARIF reports it as
    /// suppressed) but fails nothing and is not shown to people.
    pub waived: Option<Box<Waived>>,
}

/// Who waived a finding, why, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waived {
    pub waiver: String,
    pub reason: String,
    pub owner: String,
    pub expires: Option<ward_lang::Timestamp>,
    pub ticket: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with the default severity of its code.
    pub fn new(code: &'static Code, file: SourceFile, range: TextRange, message: String) -> Self {
        Self {
            code,
            severity: code.severity,
            message,
            file,
            range,
            primary_label: String::new(),
            labels: Vec::new(),
            help: None,
            suggestion: None,
            waived: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.primary_label = label.into();
        self
    }

    pub fn with_secondary(mut self, file: SourceFile, range: TextRange, message: String) -> Self {
        self.labels.push(Label {
            file,
            range,
            message,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_suggestion(mut self, suggestion: Suggestion) -> Self {
        self.suggestion = Some(suggestion);
        self
    }

    /// "did you mean `better`?" (followed by `more`, if any) as help, and the replacement of
    /// `range` by `better` as the machine-applicable fix.
    pub fn did_you_mean(self, better: &str, range: TextRange, more: &str) -> Self {
        let help = if more.is_empty() {
            format!("did you mean `{better}`?")
        } else {
            format!("did you mean `{better}`? {more}")
        };
        self.with_help(help).with_suggestion(Suggestion {
            message: format!("use `{better}`"),
            range,
            replacement: better.to_string(),
        })
    }

    /// The parse errors of `ward-lang`, under their codes.
    pub fn from_parse_error(file: SourceFile, error: &ward_lang::ParseError) -> Self {
        let code = match error.kind {
            ward_lang::ParseErrorKind::Syntax => &codes::SYNTAX_ERROR,
            ward_lang::ParseErrorKind::InvalidLiteral => &codes::INVALID_LITERAL,
        };
        let mut diagnostic = Diagnostic::new(code, file, error.range, error.message.clone());
        diagnostic.help = error.help.clone();
        diagnostic
    }
}
