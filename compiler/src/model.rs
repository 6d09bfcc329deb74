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

/// A level of likelihood, impact or risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Low,
    Moderate,
    High,
}

impl Level {
    pub fn parse(word: &str) -> Option<Level> {
        Some(match word {
            "low" => Level::Low,
            "moderate" => Level::Moderate,
            "high" => Level::High,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Moderate => "moderate",
            Level::High => "high",
        }
    }
}

fn level_of(value: &ValueKind) -> Option<Level> {
    match value {
        ValueKind::Name(word) => Level::parse(word),
        _ => None,
    }
}

/// Whether a class declaration is the quarantine place: `quarantine = true`, or the older
/// convention `match mud "*"` (a pattern that matches every thing).
pub fn is_quarantine_decl(decl: &ward_lang::ast::Decl) -> bool {
    let declared = decl
        .property("quarantine")
        .is_some_and(|p| matches!(&p.value.kind, ValueKind::Name(word) if word == "true"));
    declared
        || decl.body.iter().any(|stmt| {
            matches!(
                &stmt.kind,
                StmtKind::Match {
                    source,
                    pattern: ward_lang::ast::MatchPattern::Text(text),
                } if source.text == "mud" && text.value == crate::mud_pattern::QUARANTINE_PATTERN
            )
        })
}

/// The `accept` statements of a declaration: (threat, reason).
fn accepted_in(decl: &ward_lang::ast::Decl) -> Vec<(String, String)> {
    let mut accepted = Vec::new();
    for stmt in &decl.body {
        if let StmtKind::Accept { threats, because } = &stmt.kind {
            for threat in threats {
                accepted.push((threat.text.clone(), because.value.clone()));
            }
        }
    }
    accepted
}

fn word_of(value: &ValueKind) -> Option<String> {
    match value {
        ValueKind::Name(word) => Some(word.clone()),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreatInfo {
    pub title: String,
    pub targets: Vec<String>,
    pub lifecycle: Vec<String>,
}

#[salsa::tracked(returns(ref))]
pub fn threat_summary<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<ThreatInfo> {
    let decl = decl_named(db, workspace, name.text(db), DeclKind::Threat)?;
    let list = |key: &str| {
        decl.property(key)
            .map(|p| names_in(&p.value.kind))
            .unwrap_or_default()
    };
    Some(ThreatInfo {
        title: decl
            .title
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default(),
        targets: list("targets"),
        lifecycle: list("lifecycle"),
    })
}

pub fn threat_info<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db ThreatInfo> {
    threat_summary(db, workspace, Name::new(db, name.to_string())).as_ref()
}

/// `bound M11.refresh <= 30d`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundInfo {
    pub mitigation: String,
    pub param: String,
    pub op: ward_lang::ast::CmpOp,
    pub value: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileInfo {
    pub level: i64,
    pub communication: String,
    /// `none`, `optional` or `required`.
    pub gateway: String,
    /// The threat -> mitigation table; a threat listed without mitigations has an empty list.
    pub table: Vec<(String, Vec<String>)>,
    pub bounds: Vec<BoundInfo>,
    /// The application area it is for (`home`, `industrial`); `None` fits every area.
    pub area: Option<String>,
    /// The management of the things it is for; empty fits every management.
    pub management: Vec<String>,
    /// The highest risk category it is for; `None` fits every risk.
    pub risk: Option<Level>,
}

impl ProfileInfo {
    /// Every mitigation of the table, once, in order.
    pub fn mitigations(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for (_, mitigations) in &self.table {
            for m in mitigations {
                if !all.contains(&m.as_str()) {
                    all.push(m);
                }
            }
        }
        all
    }

    /// Whether the table mitigates `threat` (lists it with at least one mitigation).
    pub fn mitigates(&self, threat: &str) -> bool {
        self.table
            .iter()
            .any(|(t, mitigations)| t == threat && !mitigations.is_empty())
    }

    pub fn requires_gateway(&self) -> bool {
        self.gateway == "required"
    }
}

#[salsa::tracked(returns(ref))]
pub fn profile_summary<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<ProfileInfo> {
    let decl = decl_named(db, workspace, name.text(db), DeclKind::Profile)?;
    let word = |key: &str| {
        decl.property(key)
            .and_then(|p| word_of(&p.value.kind))
            .unwrap_or_default()
    };
    let mut table: Vec<(String, Vec<String>)> = Vec::new();
    let mut bounds = Vec::new();
    for stmt in &decl.body {
        match &stmt.kind {
            StmtKind::Mitigate {
                threats,
                mitigations,
            } => {
                for threat in threats {
                    let names = mitigations.iter().map(|m| m.text.clone());
                    match table.iter_mut().find(|(t, _)| *t == threat.text) {
                        Some((_, existing)) => existing.extend(names),
                        None => table.push((threat.text.clone(), names.collect())),
                    }
                }
            }
            StmtKind::Bound { path, op, value } => {
                if let ([mitigation, param], ValueKind::Duration(v) | ValueKind::Int(v)) =
                    (path.as_slice(), &value.kind)
                {
                    bounds.push(BoundInfo {
                        mitigation: mitigation.text.clone(),
                        param: param.text.clone(),
                        op: *op,
                        value: *v,
                    });
                }
            }
            _ => {}
        }
    }
    Some(ProfileInfo {
        level: match decl.property("level").map(|p| &p.value.kind) {
            Some(ValueKind::Int(level)) => *level,
            _ => 0,
        },
        communication: word("communication"),
        gateway: word("gateway"),
        table,
        bounds,
        area: decl.property("area").and_then(|p| word_of(&p.value.kind)),
        management: decl
            .property("management")
            .map(|p| names_in(&p.value.kind))
            .unwrap_or_default(),
        risk: decl
            .property("risk")
            .map(|p| names_in(&p.value.kind))
            .unwrap_or_default()
            .iter()
            .filter_map(|word| Level::parse(word))
            .max(),
    })
}

pub fn profile_info<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db ProfileInfo> {
    profile_summary(db, workspace, Name::new(db, name.to_string())).as_ref()
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EnvironmentInfo {
    /// The deployment scope: `home` or `industrial`, if the environment says.
    pub area: Option<String>,
    /// `likelihood SUBJECT = level`, subject a threat, a target or `default`.
    pub likelihood: Vec<(String, Level)>,
    pub impact: Vec<(String, Level)>,
    /// Risks accepted wherever the environment is: (threat, reason).
    pub accepted: Vec<(String, String)>,
}

impl EnvironmentInfo {
    fn lookup(table: &[(String, Level)], subject: &str) -> Option<Level> {
        table.iter().find(|(s, _)| s == subject).map(|(_, l)| *l)
    }

    pub fn likelihood_of(&self, subject: &str) -> Option<Level> {
        Self::lookup(&self.likelihood, subject)
    }

    pub fn impact_of(&self, subject: &str) -> Option<Level> {
        Self::lookup(&self.impact, subject)
    }
}

#[salsa::tracked(returns(ref))]
pub fn environment_summary<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<EnvironmentInfo> {
    let decl = decl_named(db, workspace, name.text(db), DeclKind::Environment)?;
    let mut info = EnvironmentInfo {
        area: decl.property("area").and_then(|p| word_of(&p.value.kind)),
        accepted: accepted_in(decl),
        ..EnvironmentInfo::default()
    };
    for property in decl.properties() {
        let (Some(subject), Some(level)) = (&property.subject, level_of(&property.value.kind))
        else {
            continue;
        };
        match property.key.text.as_str() {
            "likelihood" => info.likelihood.push((subject.text.clone(), level)),
            "impact" => info.impact.push((subject.text.clone(), level)),
            _ => {}
        }
    }
    Some(info)
}

pub fn environment_info<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db EnvironmentInfo> {
    environment_summary(db, workspace, Name::new(db, name.to_string())).as_ref()
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClassInfo {
    pub function: Option<String>,
    /// The deployment scopes: one class may be assessed in several (section 10.1).
    pub environments: Vec<String>,
    pub capabilities: Vec<String>,
    /// The profile the policy gives it, if any.
    pub profile: Option<String>,
    pub data: Vec<String>,
    pub impact: Option<Level>,
    /// `unmanaged`, `partial` or `managed`, if the class says.
    pub management: Option<String>,
    /// `accept T23 because "..."`: (threat, reason), in order.
    pub accepted: Vec<(String, String)>,
    /// The quarantine place: assessed in nothing, holds no profile, reaches nothing.
    pub quarantine: bool,
    pub credential_refresh: Option<i64>,
}

#[salsa::tracked(returns(ref))]
pub fn class_summary<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<ClassInfo> {
    // Services and gateways placed in an environment are assessed like classes: the same
    // summary, from the same properties.
    let decl = [DeclKind::Class, DeclKind::Service, DeclKind::Gateway]
        .into_iter()
        .find_map(|kind| decl_named(db, workspace, name.text(db), kind))?;
    let value = |key: &str| decl.property(key).map(|p| &p.value.kind);
    Some(ClassInfo {
        function: value("function").and_then(word_of),
        environments: value("environment").map(names_in).unwrap_or_default(),
        capabilities: value("capabilities").map(names_in).unwrap_or_default(),
        profile: value("profile").and_then(word_of),
        data: value("data").map(names_in).unwrap_or_default(),
        impact: value("impact").and_then(level_of),
        management: value("management").and_then(word_of),
        accepted: accepted_in(decl),
        quarantine: is_quarantine_decl(decl),
        credential_refresh: match value("credential_refresh") {
            Some(ValueKind::Duration(ms)) => Some(*ms),
            _ => None,
        },
    })
}

pub fn class_info<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db ClassInfo> {
    class_summary(db, workspace, Name::new(db, name.to_string())).as_ref()
}

/// The explicit profile of a service or management gateway.
#[salsa::tracked(returns(ref))]
pub fn endpoint_profile<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: Name<'db>,
) -> Option<String> {
    let text = name.text(db);
    let decl = decl_named(db, workspace, text, DeclKind::Service)
        .or_else(|| decl_named(db, workspace, text, DeclKind::Gateway))?;
    decl.property("profile")
        .and_then(|p| word_of(&p.value.kind))
}

pub fn endpoint_profile_of<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    name: &str,
) -> Option<&'db String> {
    endpoint_profile(db, workspace, Name::new(db, name.to_string())).as_ref()
}

/// The threats, profiles and mitigations of the workspace, in one value: the risk
/// assessment of every class reads them all, and one dependency on the catalog is much
/// cheaper for salsa to re-verify after an edit than one per threat, profile and mitigation.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Catalog {
    /// In natural order (T2 before T10).
    pub threats: Vec<(String, ThreatInfo)>,
    /// By level, then name.
    pub profiles: Vec<(String, ProfileInfo)>,
    pub mitigations: Vec<(String, MitigationInfo)>,
}

impl Catalog {
    pub fn profile(&self, name: &str) -> Option<&ProfileInfo> {
        self.profiles
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    pub fn mitigation(&self, name: &str) -> Option<&MitigationInfo> {
        self.mitigations
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
    }
}

#[salsa::tracked(returns(ref))]
pub fn catalog(db: &dyn Db, workspace: Workspace) -> Catalog {
    let index = crate::queries::item_index(db, workspace);
    let mut names: Vec<(&str, DeclKind)> = index
        .names()
        .filter(|(_, kind)| {
            matches!(
                kind,
                DeclKind::Threat | DeclKind::Profile | DeclKind::Mitigation
            )
        })
        .collect();
    names.sort_by_key(|(name, _)| natural_key(name));
    let mut catalog = Catalog::default();
    for (name, kind) in names {
        match kind {
            DeclKind::Threat => {
                if let Some(info) = threat_info(db, workspace, name) {
                    catalog.threats.push((name.to_string(), info.clone()));
                }
            }
            DeclKind::Profile => {
                if let Some(info) = profile_info(db, workspace, name) {
                    catalog.profiles.push((name.to_string(), info.clone()));
                }
            }
            DeclKind::Mitigation => {
                if let Some(info) = mitigation_info(db, workspace, name) {
                    catalog.mitigations.push((name.to_string(), info.clone()));
                }
            }
            _ => {}
        }
    }
    catalog
        .profiles
        .sort_by(|(a, pa), (b, pb)| (pa.level, a).cmp(&(pb.level, b)));
    catalog
}

/// Orders `T2` before `T10`.
pub fn natural_key(name: &str) -> (String, u64, String) {
    let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
    let prefix = &name[..name.len() - digits.len()];
    let number = digits.parse().unwrap_or(u64::MAX);
    (prefix.to_string(), number, name.to_string())
}
