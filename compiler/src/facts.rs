//! One answer per name for what the checks of other files need to know about it.
//!
//! A flow check reads a handful of facts about each endpoint (its kind, profile, segments).
//! Read one by one, each would be a dependency edge of the checking file, and after any edit
//! salsa verifies every edge of every file. Gathered here into one query per name, they are
//! verified once per name and cost each file one edge per endpoint it names.

use ward_lang::ast::DeclKind;

use crate::db::{Db, Workspace};
use crate::model::profile_info;
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
    /// The address families its traffic can have.
    pub families: Families,
    /// The personal data its things handle (classes only), for the PIA.
    pub data: Vec<String>,
    /// The kinds of personal data it is declared to receive (`receives_data`).
    pub receives_data: Vec<String>,
}

/// The address families of an endpoint: those of its addresses (a class's segment subnets, a
/// service's or gateway's address), or both when none is written (a host name resolves to
/// either; a segment without a subnet holds whatever addresses its things have).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Families {
    pub v4: bool,
    pub v6: bool,
}

impl Families {
    pub const ANY: Families = Families { v4: true, v6: true };

    fn of(ip: &std::net::IpAddr) -> Families {
        Families {
            v4: ip.is_ipv4(),
            v6: ip.is_ipv6(),
        }
    }

    pub fn common(self, other: Families) -> Families {
        Families {
            v4: self.v4 && other.v4,
            v6: self.v6 && other.v6,
        }
    }

    pub fn none(self) -> bool {
        !self.v4 && !self.v6
    }

    /// "IPv4", "IPv6", "IPv4 or IPv6".
    pub fn describe(self) -> &'static str {
        match (self.v4, self.v6) {
            (true, false) => "IPv4",
            (false, true) => "IPv6",
            (true, true) => "IPv4 or IPv6",
            (false, false) => "no address family",
        }
    }
}

/// The families of the addresses a declaration's `key` property gives, if it gives any.
fn families_of(
    db: &dyn Db,
    workspace: Workspace,
    name: &str,
    kind: DeclKind,
    key: &str,
) -> Option<Families> {
    let decl = crate::queries::decl_named(db, workspace, name, kind)?;
    let one = |value: &ward_lang::ast::ValueKind| match value {
        ward_lang::ast::ValueKind::Ip(ip) | ward_lang::ast::ValueKind::Cidr(ip, _) => {
            Some(Families::of(ip))
        }
        _ => None,
    };
    match &decl.property(key)?.value.kind {
        ward_lang::ast::ValueKind::List(items) => items
            .iter()
            .filter_map(|item| one(&item.kind))
            .reduce(|a, b| Families {
                v4: a.v4 || b.v4,
                v6: a.v6 || b.v6,
            }),
        value => one(value),
    }
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
        // Declared, or assigned by the risk assessment (a service or gateway placed in an
        // environment is assessed as a class is).
        DeclKind::Class | DeclKind::Service | DeclKind::Gateway => {
            profile_of_class(db, workspace, text).map(|p| (p.profile.clone(), p.level, p.assigned))
        }
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
    let families = match kind {
        DeclKind::Class => {
            let mut families = Families {
                v4: false,
                v6: false,
            };
            for segment in &segments {
                let of = families_of(db, workspace, segment, DeclKind::Segment, "subnet")
                    .unwrap_or(Families::ANY);
                families.v4 |= of.v4;
                families.v6 |= of.v6;
            }
            if segments.is_empty() {
                Families::ANY
            } else {
                families
            }
        }
        kind => families_of(db, workspace, text, kind, "address").unwrap_or(Families::ANY),
    };
    let decl = crate::queries::decl_named(db, workspace, text, kind);
    let words = |key: &str| {
        decl.and_then(|d| d.property(key))
            .map(|p| crate::model::names_in(&p.value.kind))
            .unwrap_or_default()
    };
    Some(EndpointFacts {
        kind,
        profile,
        segments,
        families,
        data: if kind == DeclKind::Class {
            words("data")
        } else {
            Vec::new()
        },
        receives_data: words("receives_data"),
    })
}

pub fn facts_of<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db EndpointFacts> {
    endpoint_facts(db, workspace, Name::new(db, name.to_string())).as_ref()
}
