//! One answer per name for what the checks of other files need to know about it.
//!
//! A flow check reads a handful of facts about each endpoint (its kind, profile, segments).
//! Read one by one, each would be a dependency edge of the checking file, and after any edit
//! salsa verifies every edge of every file. Gathered here into one query per name, they are
//! verified once per name and cost each file one edge per endpoint it names.

use ward_lang::ast::DeclKind;

use crate::db::{Db, Workspace};
use crate::model::{endpoint_profile_of, profile_info};
use crate::queries::{Name, name_owner};
use crate::relations::segments_of;
use crate::risk::profile_of_class;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointFacts {
    pub kind: DeclKind,
    /// The profile it holds: a class's declared or assigned one, a service's or gateway's
    /// declared one.
    pub profile: Option<HeldProfile>,
    /// The segments that list it (classes only).
    pub segments: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldProfile {
    pub name: String,
    pub level: i64,
    pub assigned: bool,
    pub unidirectional: bool,
    pub requires_gateway: bool,
}

#[salsa::tracked(returns(ref))]
pub fn endpoint_facts<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<EndpointFacts> {
    let (kind, _) = name_owner(db, workspace, name)?;
    let text = name.text(db);
    let held = match kind {
        DeclKind::Class => {
            profile_of_class(db, workspace, text).map(|p| (p.profile.clone(), p.level, p.assigned))
        }
        DeclKind::Service | DeclKind::Gateway => endpoint_profile_of(db, workspace, text)
            .and_then(|p| Some((p.clone(), profile_info(db, workspace, p)?.level, false))),
        _ => None,
    };
    let profile = held.and_then(|(name, level, assigned)| {
        let info = profile_info(db, workspace, &name)?;
        Some(HeldProfile {
            unidirectional: info.communication == "unidirectional",
            requires_gateway: info.requires_gateway(),
            name,
            level,
            assigned,
        })
    });
    let segments = if kind == DeclKind::Class {
        segments_of(db, workspace, text).to_vec()
    } else {
        Vec::new()
    };
    Some(EndpointFacts {
        kind,
        profile,
        segments,
    })
}

pub fn facts_of<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db EndpointFacts> {
    endpoint_facts(db, workspace, Name::new(db, name.to_string())).as_ref()
}
