//! The syntactic queries: a file's parse, the names it declares, the item index of the
//! workspace, and name lookups.
//!
//! Lookups by name are queries of their own (`name_owner`, `definition`): a check that asks
//! "what is `door_lock`?" depends on that answer only, not on the whole index, so an edit
//! elsewhere that leaves the answer unchanged does not re-run the check (salsa backdates the
//! unchanged answer). Answers that carry no byte ranges stay unchanged when text moves.

use rustc_hash::FxHashMap as HashMap;

use ward_lang::TextRange;
use ward_lang::ast::{Decl, DeclKind, Item};

use crate::db::{Db, SourceFile, Workspace};

/// The parse of a file: tree and syntax errors.
/// A file's line index, built once per text: every range reported in the file (diagnostics,
/// their labels, references) converts through it.
#[salsa::tracked(returns(ref))]
pub fn line_index(db: &dyn Db, file: SourceFile) -> ward_lang::LineIndex {
    ward_lang::LineIndex::new(file.text(db))
}

#[salsa::tracked(returns(ref))]
pub fn parsed(db: &dyn Db, file: SourceFile) -> ward_lang::Parse {
    ward_lang::parse(file.text(db))
}

/// A declared name, interned so that queries can take it as a key.
#[salsa::interned(debug)]
pub struct Name<'db> {
    #[returns(ref)]
    pub text: String,
}

/// The names a file declares, with their kinds, in source order. No ranges: moving a
/// declaration, or editing its body, leaves this unchanged.
#[salsa::tracked(returns(ref))]
pub fn file_names(db: &dyn Db, file: SourceFile) -> Vec<(String, DeclKind)> {
    parsed(db, file)
        .file
        .decls()
        .filter_map(|decl| decl.name.as_ref().map(|n| (n.text.clone(), decl.kind)))
        .collect()
}

/// Where each name of a file is declared first: name -> position in `items`.
#[salsa::tracked(returns(ref))]
pub fn file_decl_map(db: &dyn Db, file: SourceFile) -> HashMap<String, u32> {
    let mut map = HashMap::default();
    for (i, item) in parsed(db, file).file.items.iter().enumerate() {
        if let Item::Decl(decl) = item
            && let Some(name) = &decl.name
        {
            map.entry(name.text.clone()).or_insert(i as u32);
        }
    }
    map
}

/// Every declared name of the workspace: its kind and the file that declares it first
/// (files in workspace order, the standard library first).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ItemIndex {
    owners: HashMap<String, (DeclKind, SourceFile)>,
}

impl ItemIndex {
    pub fn get(&self, name: &str) -> Option<(DeclKind, SourceFile)> {
        self.owners.get(name).copied()
    }

    pub fn names(&self) -> impl Iterator<Item = (&str, DeclKind)> {
        self.owners
            .iter()
            .map(|(name, (kind, _))| (name.as_str(), *kind))
    }

    pub fn len(&self) -> usize {
        self.owners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}

#[salsa::tracked(returns(ref))]
pub fn item_index(db: &dyn Db, workspace: Workspace) -> ItemIndex {
    let mut owners = HashMap::default();
    for &file in workspace.files(db) {
        for (name, kind) in file_names(db, file) {
            owners.entry(name.clone()).or_insert((*kind, file));
        }
    }
    ItemIndex { owners }
}

/// The kind of the declaration a name refers to, and its file.
#[salsa::tracked(returns(copy))]
pub fn name_owner<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<(DeclKind, SourceFile)> {
    item_index(db, workspace).get(name.text(db))
}

/// Looks a name up without interning it first.
pub fn owner_of(db: &dyn Db, workspace: Workspace, name: &str) -> Option<(DeclKind, SourceFile)> {
    name_owner(db, workspace, Name::new(db, name.to_string()))
}

/// Where a name is declared: for labels, "go to definition" and the declaration's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Def {
    pub kind: DeclKind,
    pub file: SourceFile,
    pub name_range: TextRange,
    /// The position of the declaration in its file's items.
    pub item: u32,
}

#[salsa::tracked(returns(copy))]
pub fn definition<'db>(db: &'db dyn Db, workspace: Workspace, name: Name<'db>) -> Option<Def> {
    let (kind, file) = name_owner(db, workspace, name)?;
    let item = *file_decl_map(db, file).get(name.text(db))?;
    let decl = decl_at(db, file, item)?;
    Some(Def {
        kind,
        file,
        name_range: decl.name.as_ref()?.range,
        item,
    })
}

pub fn definition_of(db: &dyn Db, workspace: Workspace, name: &str) -> Option<Def> {
    definition(db, workspace, Name::new(db, name.to_string()))
}

/// The declaration at a position of a file's items.
pub fn decl_at(db: &dyn Db, file: SourceFile, item: u32) -> Option<&Decl> {
    match parsed(db, file).file.items.get(item as usize)? {
        Item::Decl(decl) => Some(decl),
        Item::Error(_) => None,
    }
}

/// The declaration a name refers to, if it is of `kind`. Reading it makes the caller depend
/// on the declaring file's parse: semantic queries in `model.rs` do this, and return
/// range-free summaries so that their callers are shielded from unrelated edits.
pub fn decl_named<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
    kind: DeclKind,
) -> Option<&'db Decl> {
    let (found, file) = owner_of(db, workspace, name)?;
    if found != kind {
        return None;
    }
    let item = *file_decl_map(db, file).get(name)?;
    decl_at(db, file, item)
}
