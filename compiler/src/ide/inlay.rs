//! Inlay hints: the profile the risk assessment assigns to a class that declares none.

use super::*;

/// Inlay hints: the profile PASC assigns to each class that declares none, after its name.
pub fn inlay_hints(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for decl in parsed(db, file).file.decls() {
        if decl.kind != DeclKind::Class {
            continue;
        }
        let Some(name) = &decl.name else { continue };
        if class_info(db, ws, &name.text).is_some_and(|c| c.profile.is_none())
            && let Some(held) = profile_of_class(db, ws, &name.text)
        {
            out.push((name.range.end, format!(": {} (assigned)", held.profile)));
        }
    }
    out
}
