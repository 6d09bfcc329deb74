//! The item index: every declared name of the workspace, in one namespace.
//!
//! Flows name their endpoints without saying whether they are classes, services or gateways,
//! so all declarations share one namespace, across files and kinds.

use std::collections::HashMap;

use ward_lang::TextRange;
use ward_lang::ast::{Decl, DeclKind, Item};

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::workspace::{FileId, Workspace};

/// Where a name is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Def {
    pub kind: DeclKind,
    pub file: FileId,
    /// The range of the name in its declaration.
    pub name_range: TextRange,
    /// The position of the declaration in its file's items.
    pub item: u32,
}

#[derive(Debug, Default)]
pub struct Index {
    defs: HashMap<String, Def>,
}

impl Index {
    pub fn get(&self, name: &str) -> Option<&Def> {
        self.defs.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = (&str, &Def)> {
        self.defs.iter().map(|(name, def)| (name.as_str(), def))
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// The declaration a definition points at.
    pub fn decl<'w>(&self, workspace: &'w Workspace, def: &Def) -> Option<&'w Decl> {
        match workspace
            .file(def.file)
            .parse
            .file
            .items
            .get(def.item as usize)?
        {
            Item::Decl(decl) => Some(decl),
            Item::Error(_) => None,
        }
    }
}

/// Builds the index; a name declared twice keeps its first declaration and the second gets
/// a `duplicate-definition` error.
pub fn build_index(workspace: &Workspace) -> (Index, Vec<Diagnostic>) {
    let mut index = Index::default();
    let mut diagnostics = Vec::new();
    for (file_id, file) in workspace.files() {
        for (item, entry) in file.parse.file.items.iter().enumerate() {
            let Item::Decl(decl) = entry else { continue };
            let Some(name) = &decl.name else { continue };
            let def = Def {
                kind: decl.kind,
                file: file_id,
                name_range: name.range,
                item: item as u32,
            };
            if let Some(first) = index.defs.get(&name.text) {
                diagnostics.push(duplicate(workspace, &name.text, first, &def));
            } else {
                index.defs.insert(name.text.clone(), def);
            }
        }
    }
    (index, diagnostics)
}

fn duplicate(workspace: &Workspace, name: &str, first: &Def, second: &Def) -> Diagnostic {
    let same_kind = first.kind == second.kind;
    let message = if same_kind {
        format!("{} `{name}` is declared twice", second.kind.noun())
    } else {
        format!(
            "`{name}` is declared as {} and as {}",
            first.kind.with_article(),
            second.kind.with_article()
        )
    };
    let first_file = workspace.file(first.file);
    let help = if first_file.is_stdlib {
        format!("`{name}` is a name of the standard library; choose another name")
    } else {
        "all declarations share one namespace, across files and kinds; rename one of them"
            .to_string()
    };
    Diagnostic::new(
        &codes::DUPLICATE_DEFINITION,
        second.file,
        second.name_range,
        message,
    )
    .with_label("declared again here")
    .with_secondary(
        first.file,
        first.name_range,
        format!("first declared here, as {}", first.kind.with_article()),
    )
    .with_help(help)
}
