//! Go to definition and find references: from the identifier under the cursor to its
//! declaration, and to every use of it across the workspace.

use super::*;

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: SourceFile,
    pub range: TextRange,
}

pub fn goto_definition(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<Location> {
    let name = name_at(db, file, offset)?;
    let def = definition_of(db, ws, &name.text)?;
    Some(Location {
        file: def.file,
        range: def.name_range,
    })
}

/// Every use of the declaration at the offset, its declaration included.
pub fn references(db: &dyn Db, ws: Workspace, file: SourceFile, offset: u32) -> Vec<Location> {
    let Some(name) = name_at(db, file, offset) else {
        return Vec::new();
    };
    if owner_of(db, ws, &name.text).is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &other in ws.files(db) {
        for found in identifiers(db, other) {
            if found.text == name.text {
                out.push(Location {
                    file: other,
                    range: found.range,
                });
            }
        }
    }
    out
}
