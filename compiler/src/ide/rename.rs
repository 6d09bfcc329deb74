//! Rename: every occurrence of a declaration's name across the workspace, or nothing when the
//! new name is not a name or is taken.

use super::*;

/// The edits of a rename, or why it is refused.
pub fn rename(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
    offset: u32,
    new_name: &str,
) -> Result<Vec<Location>, String> {
    let name = name_at(db, file, offset).ok_or("no name here to rename")?;
    let def = definition_of(db, ws, &name.text)
        .ok_or_else(|| format!("`{}` is not declared", name.text))?;
    if def.file.is_stdlib(db) {
        return Err(format!(
            "`{}` belongs to the standard library, which is read-only",
            name.text
        ));
    }
    let valid = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid || DeclKind::from_keyword(new_name).is_some() {
        return Err(format!("`{new_name}` is not a valid name"));
    }
    if let Some((kind, _)) = owner_of(db, ws, new_name) {
        return Err(format!(
            "`{new_name}` is already declared as {}",
            kind.with_article()
        ));
    }
    Ok(references(db, ws, file, offset))
}
