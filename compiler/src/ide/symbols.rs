//! Document and workspace symbols: the declarations of a file, and those of the workspace
//! whose name matches a query.

use super::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: DeclKind,
    pub range: TextRange,
    pub selection: TextRange,
}

pub fn document_symbols(db: &dyn Db, file: SourceFile) -> Vec<Symbol> {
    parsed(db, file)
        .file
        .decls()
        .map(|decl| Symbol {
            name: decl.label(),
            kind: decl.kind,
            range: decl.range,
            selection: decl
                .name
                .as_ref()
                .map(|n| n.range)
                .or_else(|| decl.flow.as_ref().map(|f| f.range))
                .unwrap_or(decl.range),
        })
        .collect()
}

pub fn workspace_symbols(db: &dyn Db, ws: Workspace, query: &str) -> Vec<(SourceFile, Symbol)> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    for &file in ws.files(db) {
        for symbol in document_symbols(db, file) {
            if symbol.name.to_lowercase().contains(&query) {
                out.push((file, symbol));
            }
            if out.len() >= 500 {
                return out;
            }
        }
    }
    out
}
