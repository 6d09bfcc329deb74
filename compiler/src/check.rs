//! `check`: every diagnostic of a workspace, in a stable order.
//!
//! Diagnostics are computed per file (`file_diagnostics`), a query of its own, so that an
//! edit re-checks the edited file and whatever its meaning reaches, not the whole policy.

use std::collections::HashMap;

use ward_lang::ast::Decl;

use crate::codes;
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostic::{Diagnostic, Severity};
use crate::queries::{decl_at, definition_of, file_decl_map, owner_of, parsed};
use crate::resolve::Resolver;
use crate::semantic::{FileState, check_semantics};
use crate::structure::check_decl;

/// The outcome of checking a workspace.
#[derive(Debug, Default)]
pub struct CheckResult {
    /// Sorted by file (in workspace order), position and code.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckResult {
    /// The findings of this severity that no waiver waives.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity && d.waived.is_none())
            .count()
    }

    /// The findings a waiver waives.
    pub fn waived(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.waived.is_some())
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// Checks the whole workspace.
pub fn check(db: &dyn Db, workspace: Workspace) -> CheckResult {
    let files = workspace.files(db);
    let order: HashMap<SourceFile, usize> =
        files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let mut diagnostics: Vec<Diagnostic> = files
        .iter()
        .flat_map(|&file| file_diagnostics(db, workspace, file).iter().cloned())
        .collect();
    crate::waiver::apply(db, workspace, &mut diagnostics);
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (order.get(&d.file).copied(), d.range.start, d.code.code);
        key(a)
            .cmp(&key(b))
            .then_with(|| (a.range.end, &a.message).cmp(&(b.range.end, &b.message)))
    });
    CheckResult { diagnostics }
}

/// The diagnostics of one file: those of its syntax and names, then its semantics.
#[salsa::tracked(returns(ref))]
pub fn file_diagnostics(db: &dyn Db, workspace: Workspace, file: SourceFile) -> Vec<Diagnostic> {
    let mut diagnostics = file_name_diagnostics(db, workspace, file).clone();
    diagnostics.extend(
        file_semantic_diagnostics(db, workspace, file)
            .iter()
            .cloned(),
    );
    diagnostics
}

/// Syntax, name resolution and the shape of each declaration: everything that does not need
/// the semantic model. The language server can show these first.
#[salsa::tracked(returns(ref))]
pub fn file_name_diagnostics(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
) -> Vec<Diagnostic> {
    let parse = parsed(db, file);
    let mut diagnostics: Vec<Diagnostic> = parse
        .errors
        .iter()
        .map(|error| Diagnostic::from_parse_error(file, error))
        .collect();
    let mut resolver = Resolver::new(db, workspace);
    for (item, entry) in parse.file.items.iter().enumerate() {
        let ward_lang::ast::Item::Decl(decl) = entry else {
            continue;
        };
        duplicate(&mut resolver, file, item as u32, decl);
        check_decl(&mut resolver, file, decl);
    }
    diagnostics.extend(resolver.diagnostics);
    diagnostics
}

/// What a reviewer would catch: profile levels of flows, gateways, capabilities, bounds,
/// segments, the risk assessment, detection rules, unused declarations.
#[salsa::tracked(returns(ref))]
pub fn file_semantic_diagnostics(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
) -> Vec<Diagnostic> {
    let mut resolver = Resolver::new(db, workspace);
    let mut state = FileState::default();
    for decl in parsed(db, file).file.decls() {
        check_semantics(&mut resolver, file, decl, &mut state);
    }
    resolver.diagnostics
}

/// Syntax and name diagnostics of the whole workspace, sorted: the work of parsing and
/// resolving, without the semantic checks.
pub fn check_names(db: &dyn Db, workspace: Workspace) -> CheckResult {
    let files = workspace.files(db);
    let diagnostics = files
        .iter()
        .flat_map(|&file| file_name_diagnostics(db, workspace, file).iter().cloned())
        .collect();
    CheckResult { diagnostics }
}

/// Reports a declaration whose name was declared before it, in this file or an earlier one.
fn duplicate(r: &mut Resolver<'_>, file: SourceFile, item: u32, decl: &Decl) {
    let Some(name) = &decl.name else { return };
    let Some((first_kind, first_file)) = owner_of(r.db, r.workspace, &name.text) else {
        return;
    };
    let (first_range, first_is_stdlib) = if first_file == file {
        let first_item = file_decl_map(r.db, file).get(&name.text).copied();
        if first_item == Some(item) {
            return;
        }
        let range = first_item
            .and_then(|i| decl_at(r.db, file, i))
            .and_then(|d| d.name.as_ref().map(|n| n.range));
        (range, false)
    } else {
        let def = definition_of(r.db, r.workspace, &name.text);
        (def.map(|d| d.name_range), first_file.is_stdlib(r.db))
    };
    let message = if first_kind == decl.kind {
        format!("{} `{}` is declared twice", decl.kind.noun(), name.text)
    } else {
        format!(
            "`{}` is declared as {} and as {}",
            name.text,
            first_kind.with_article(),
            decl.kind.with_article()
        )
    };
    let help = if first_is_stdlib {
        format!(
            "`{}` is a name of the standard library; choose another name",
            name.text
        )
    } else {
        "all declarations share one namespace, across files and kinds; rename one of them"
            .to_string()
    };
    let mut diagnostic = Diagnostic::new(&codes::DUPLICATE_DEFINITION, file, name.range, message)
        .with_label("declared again here")
        .with_help(help);
    if let Some(range) = first_range {
        diagnostic = diagnostic.with_secondary(
            first_file,
            range,
            format!("first declared here, as {}", first_kind.with_article()),
        );
    }
    r.report(diagnostic);
}
