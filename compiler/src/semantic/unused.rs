//! Declarations that exist to be referred to, and are not.

use super::*;

/// Declarations that exist to be referred to, and are not.
pub(super) fn unused(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    if file.is_stdlib(r.db) {
        return;
    }
    let referable = matches!(
        decl.kind,
        DeclKind::Environment
            | DeclKind::Service
            | DeclKind::Gateway
            | DeclKind::Capability
            | DeclKind::Mitigation
            | DeclKind::Profile
            | DeclKind::Threat
    );
    let Some(name) = &decl.name else { return };
    if referable
        && !is_used(r.db, r.workspace, &name.text)
        && !used_without_reference(r, decl, &name.text)
    {
        r.report(
            Diagnostic::new(
                &codes::UNUSED_DECLARATION,
                file,
                name_range(decl),
                format!("{} `{}` is never used", decl.kind.noun(), name.text),
            )
            .with_label("declared but never referred to")
            .with_help("remove it, or check the places that should name it for a misspelling"),
        );
    }
}

/// Declarations that serve without being named: a service that receives PAVA's reports (the
/// gateway posts to it), a profile the risk assessment assigns to a class.
pub(super) fn used_without_reference(r: &Resolver<'_>, decl: &Decl, name: &str) -> bool {
    match decl.kind {
        DeclKind::Service => decl.property("receives").is_some(),
        DeclKind::Profile => {
            let index = crate::queries::item_index(r.db, r.workspace);
            index
                .names()
                .filter(|(_, kind)| *kind == DeclKind::Class)
                .any(|(class, _)| {
                    facts_of(r.db, r.workspace, class)
                        .and_then(|f| f.profile.as_ref())
                        .is_some_and(|held| held.name == name)
                })
        }
        _ => false,
    }
}
