//! `check`: every diagnostic of a workspace, in a stable order.

use crate::diagnostic::{Diagnostic, Severity};
use crate::index::build_index;
use crate::resolve::Resolver;
use crate::structure::check_decl;
use crate::workspace::Workspace;

/// The outcome of checking a workspace.
#[derive(Debug, Default)]
pub struct CheckResult {
    /// Sorted by file, position and code.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckResult {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Checks the whole workspace: syntax, names and the shape of every declaration.
pub fn check(workspace: &Workspace) -> CheckResult {
    let mut diagnostics = Vec::new();
    for (id, file) in workspace.files() {
        diagnostics.extend(
            file.parse
                .errors
                .iter()
                .map(|error| Diagnostic::from_parse_error(id, error)),
        );
    }
    let (index, duplicates) = build_index(workspace);
    diagnostics.extend(duplicates);
    let mut resolver = Resolver::new(workspace, &index);
    for (id, file) in workspace.files() {
        for decl in file.parse.file.decls() {
            check_decl(&mut resolver, id, decl);
        }
    }
    diagnostics.extend(resolver.diagnostics);
    diagnostics.sort_by(|a, b| {
        (a.file, a.range.start, a.code.code, a.range.end, &a.message).cmp(&(
            b.file,
            b.range.start,
            b.code.code,
            b.range.end,
            &b.message,
        ))
    });
    CheckResult { diagnostics }
}
