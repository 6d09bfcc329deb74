//! Rendering diagnostics for people, with miette: code, file:line:col, the source snippet,
//! labels and help. Labels in other files (say, "first declared here" in the standard
//! library) become related diagnostics with their own snippet.

use std::fmt;
use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use ward_compiler::{Db, Diagnostic, Severity};

/// One diagnostic in miette's terms.
#[derive(Debug)]
struct Report {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: NamedSource<String>,
    related: Vec<Report>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

fn span(range: ward_lang::TextRange) -> SourceSpan {
    SourceSpan::new((range.start as usize).into(), range.len() as usize)
}

fn to_report(db: &dyn Db, diagnostic: &Diagnostic) -> Report {
    let file = diagnostic.file;
    let primary = if diagnostic.primary_label.is_empty() {
        None
    } else {
        Some(diagnostic.primary_label.clone())
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        primary,
        span(diagnostic.range),
    )];
    let mut related = Vec::new();
    for label in &diagnostic.labels {
        if label.file == diagnostic.file {
            labels.push(LabeledSpan::new_with_span(
                Some(label.message.clone()),
                span(label.range),
            ));
        } else {
            let other = label.file;
            related.push(Report {
                message: label.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                labels: vec![LabeledSpan::new_primary_with_span(None, span(label.range))],
                source: NamedSource::new(other.path(db).clone(), other.text(db).clone()),
                related: Vec::new(),
            });
        }
    }
    Report {
        message: diagnostic.message.clone(),
        code: Some(diagnostic.code.code.to_string()),
        severity: severity(diagnostic.severity),
        help: diagnostic.help.clone(),
        labels,
        source: NamedSource::new(file.path(db).clone(), file.text(db).clone()),
        related,
    }
}

/// Whether output should be colored: a terminal, and no `NO_COLOR` in the environment.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    pub fn new() -> Self {
        let theme = if use_color() {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100);
        Self {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(width)
                .with_links(false),
        }
    }

    /// The diagnostic as text, ending with a newline.
    pub fn render(&self, db: &dyn Db, diagnostic: &Diagnostic) -> String {
        let report = to_report(db, diagnostic);
        let mut out = String::new();
        if self.handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail short of a bug in miette; fall back to
            // the plain facts rather than lose the diagnostic.
            out = format!(
                "{}[{}]: {}\n",
                diagnostic.severity.as_str(),
                diagnostic.code.code,
                diagnostic.message
            );
        }
        out
    }
}
