//! The semantic model: range-free summaries of declarations, one query per name.
//!
//! A check in one file that needs to know about a declaration in another asks for its
//! summary here. The summary holds no byte ranges, so editing the other file in a way that
//! does not change what the declaration means (a comment, a moved line) leaves the summary
//! equal, salsa backdates it, and the check is not re-run.

use ward_lang::ast::{DeclKind, StmtKind, ValueKind};

use crate::db::{Db, Workspace};
use crate::queries::{Name, decl_named};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    pub name: String,
    /// `duration`, `integer` or `string`.
    pub ty: String,
    /// The default of a duration (milliseconds) or integer parameter.
    pub default: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MitigationInfo {
    /// The capabilities a thing needs to perform the mitigation.
    pub needs: Vec<String>,
    pub params: Vec<ParamInfo>,
}

/// The names in a list value (or a single name), skipping anything else.
pub(crate) fn names_in(value: &ValueKind) -> Vec<String> {
    match value {
        ValueKind::Name(name) => vec![name.clone()],
        ValueKind::List(items) => items
            .iter()
            .filter_map(|v| match &v.kind {
                ValueKind::Name(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[salsa::tracked(returns(ref))]
pub fn mitigation_summary<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<MitigationInfo> {
    let decl = decl_named(db, workspace, name.text(db), DeclKind::Mitigation)?;
    let needs = decl
        .property("needs")
        .map(|p| names_in(&p.value.kind))
        .unwrap_or_default();
    let params = decl
        .body
        .iter()
        .filter_map(|stmt| match &stmt.kind {
            StmtKind::Param { name, ty, default } => Some(ParamInfo {
                name: name.text.clone(),
                ty: ty.text.clone(),
                default: match default.kind {
                    ValueKind::Duration(ms) | ValueKind::Int(ms) => Some(ms),
                    _ => None,
                },
            }),
            _ => None,
        })
        .collect();
    Some(MitigationInfo { needs, params })
}

pub fn mitigation_info<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db MitigationInfo> {
    mitigation_summary(db, workspace, Name::new(db, name.to_string())).as_ref()
}
