//! PASC's risk assessment (RA) and privacy impact assessment (PIA), section 6 of the draft,
//! run for a class in one of its environments.
//!
//! - Likelihood of a threat, from the environment: `likelihood T22 = ...` for the threat
//!   itself, else the highest `likelihood <target> = ...` over the threat's targets (fig31),
//!   else `likelihood default = ...`, else moderate.
//! - Impact, from the class and the environment: the class's `impact`, or else what its
//!   function implies (`FUNCTION_IMPACT`), raised to the environment's `impact` for the threat,
//!   its targets or `default` when that is higher.
//! - PIA: a class that handles personal data (`data = [...]`) faces the privacy threats
//!   T12-T18, and the threats to the confidentiality of its data (T4, T7, T9) get at least the
//!   impact of its most sensitive data: high for health, identity, audio and video, moderate
//!   for location, presence and behaviour. Without personal data T12-T18 do not apply.
//! - Risk = likelihood x impact on the 3x3 matrix of `risk_level`.
//! - Moderate and high risks must be mitigated ("Risks classified as moderate or high must be
//!   mitigated"). The required profile is the lowest level that is for the class's
//!   deployment scope, management, required access and risk category (section 10.1, the
//!   steps documented on [`assessment`]), whose table mitigates each of them that some
//!   profile can mitigate, and whose mitigations the class can perform (it has the
//!   capabilities they need). Risks no profile mitigates are residual: reported, not held
//!   against any profile.

use crate::db::{Db, Workspace};
use crate::model::{Catalog, ClassInfo, EnvironmentInfo, Level, ProfileInfo, ThreatInfo};
use crate::model::{catalog, class_info, environment_info};
use crate::queries::Name;

/// The impact a class's function implies for any threat against its things.
pub const FUNCTION_IMPACT: &[(&str, Level)] = &[
    ("actuation", Level::High),
    ("access_control", Level::High),
    ("control", Level::High),
    ("surveillance", Level::High),
    ("sensing", Level::Moderate),
    ("monitoring", Level::Moderate),
    ("media", Level::Moderate),
    ("infrastructure", Level::Moderate),
    ("ordering", Level::Low),
];

/// The privacy threats (section 4.2: T12-T18) that apply only to things with personal data.
pub const PRIVACY_THREATS: &[&str] = &["T12", "T13", "T14", "T15", "T16", "T17", "T18"];

/// Threats to the confidentiality of a thing's data, whose impact personal data raises.
pub const DATA_THREATS: &[&str] = &["T4", "T7", "T9"];

/// How sensitive each kind of personal data is.
pub fn data_sensitivity(kind: &str) -> Level {
    match kind {
        "health" | "identity" | "audio" | "video" => Level::High,
        _ => Level::Moderate,
    }
}

/// The risk matrix: rows are likelihood, columns impact.
///
/// ```text
///               impact low   moderate   high
/// likelihood low       low   low        moderate
///       moderate       low   moderate   high
///           high  moderate   high       high
/// ```
pub fn risk_level(likelihood: Level, impact: Level) -> Level {
    use Level::*;
    match (likelihood, impact) {
        (Low, Low) | (Low, Moderate) | (Moderate, Low) => Low,
        (Low, High) | (Moderate, Moderate) | (High, Low) => Moderate,
        (Moderate, High) | (High, Moderate) | (High, High) => High,
    }
}

/// One line of an assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskRow {
    pub threat: String,
    pub title: String,
    pub likelihood: Level,
    /// Where the likelihood comes from: "`T22` in `smart_home`", "ward's default".
    pub likelihood_from: String,
    pub impact: Level,
    pub impact_from: String,
    pub risk: Level,
    /// False for privacy threats of a class without personal data.
    pub applies: bool,
}

impl RiskRow {
    /// Whether the risk must be mitigated.
    pub fn must_mitigate(&self) -> bool {
        self.applies && self.risk >= Level::Moderate
    }
}

/// The steps of profile assignment, in the order they are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The deployment scope: the environment's area against the profile's application area.
    Scope,
    /// The class's management against the management the profile is for.
    Management,
    /// The access the class requires (who it talks to, who talks to it) against the
    /// profile's communication.
    Access,
    /// The class's highest risk against the profile's risk category.
    RiskCategory,
    /// The profile's table against the class's risks and capabilities.
    Mitigation,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Step::Scope => "deployment scope",
            Step::Management => "management",
            Step::Access => "required access",
            Step::RiskCategory => "risk category",
            Step::Mitigation => "mitigations",
        }
    }
}

/// Why a profile was not chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub profile: String,
    pub step: Step,
    pub reason: String,
}

/// What the class brings to each step, stated for `--explain-risk`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The environment's area, if it declares one.
    pub area: Option<String>,
    pub management: Option<String>,
    /// Whether the class needs more than one-way traffic to one endpoint, and why.
    pub bidirectional: bool,
    pub access: String,
    /// The highest risk of the threats that apply to the class.
    pub highest_risk: Level,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    pub class: String,
    pub environment: String,
    pub rows: Vec<RiskRow>,
    pub facts: Facts,
    /// The lowest profile that fits, with its level.
    pub required: Option<(String, i64)>,
    /// Profiles below the required one (or all, when none fits), and why not.
    pub rejected: Vec<Rejection>,
    /// Moderate or high risks that no profile mitigates.
    pub residual: Vec<String>,
}

impl Assessment {
    pub fn row(&self, threat: &str) -> Option<&RiskRow> {
        self.rows.iter().find(|r| r.threat == threat)
    }

    /// The rows that must be mitigated, highest risk first.
    pub fn risky(&self) -> Vec<&RiskRow> {
        let mut rows: Vec<&RiskRow> = self.rows.iter().filter(|r| r.must_mitigate()).collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.risk));
        rows
    }
}

/// The assessment of a class in an environment (`""` for none).
///
/// Section 10.1: things are "grouped by function, by required access and by deployment
/// scope", and each profile of section 10 names the things it is for. A profile is
/// assigned when it passes every step, lowest level first:
/// 1. deployment scope: its application area is the environment's (`area`);
/// 2. management: it is for things managed as the class's are (`management`);
/// 3. required access: a unidirectional profile ("unidirectional communication from the
///    thing to a specific service") holds only a class that sends to one endpoint and
///    receives from none;
/// 4. risk category: its category reaches the class's highest risk ("minimal risk",
///    "minimal or medium", "medium to high", "high"), the function giving the impact;
/// 5. mitigations: its table mitigates every moderate or high risk some profile can
///    mitigate, and the class has the capabilities its mitigations need.
///
/// What the class or the profile does not say, a step does not judge.
#[salsa::tracked(returns(ref))]
pub fn assessment<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: Name<'db>,
    environment: Name<'db>,
) -> Option<Assessment> {
    let class_name = class.text(db);
    let info = class_info(db, workspace, class_name)?;
    let env_name = environment.text(db);
    let empty = EnvironmentInfo::default();
    let env = environment_info(db, workspace, env_name).unwrap_or(&empty);
    let catalog = catalog(db, workspace);
    let rows: Vec<RiskRow> = catalog
        .threats
        .iter()
        .map(|(threat, threat_info)| assess_threat(info, env_name, env, threat, threat_info))
        .collect();
    let facts = facts(db, workspace, class_name, info, env, &rows);
    let risky: Vec<&RiskRow> = rows.iter().filter(|r| r.must_mitigate()).collect();
    // A class that declares its profile is judged against the profiles in use: a profile no
    // class declares or is assigned never changes another class's verdict (a stricter one
    // added for later would otherwise make its threats "mitigable" and every class that
    // declares a lower profile wrong). A class without one may be assigned any profile.
    let in_use = info
        .profile
        .is_some()
        .then(|| profiles_in_use(db, workspace));
    let considered = |profile: &str| in_use.is_none_or(|used| used.iter().any(|u| u == profile));
    let candidates: Vec<&(String, ProfileInfo)> = catalog
        .profiles
        .iter()
        .filter(|(name, _)| considered(name))
        .collect();
    let mitigable = |threat: &str| candidates.iter().any(|(_, p)| p.mitigates(threat));
    let residual: Vec<String> = risky
        .iter()
        .filter(|r| !mitigable(&r.threat))
        .map(|r| r.threat.clone())
        .collect();
    let mut rejected = Vec::new();
    let mut required = None;
    for (profile, table) in candidates {
        if let Some((step, reason)) = misfit(&facts, env_name, table) {
            rejected.push(Rejection {
                profile: profile.clone(),
                step,
                reason,
            });
            continue;
        }
        let uncovered: Vec<&str> = risky
            .iter()
            .filter(|r| !residual.contains(&r.threat) && !table.mitigates(&r.threat))
            .map(|r| r.threat.as_str())
            .collect();
        let lacking = lacking_capabilities(catalog, info, table.mitigations());
        if uncovered.is_empty() && lacking.is_empty() {
            required = Some((profile.clone(), table.level));
            break;
        }
        let reason = if !uncovered.is_empty() {
            format!("does not mitigate {}", uncovered.join(", "))
        } else {
            let (mitigation, capability) = &lacking[0];
            format!("needs `{capability}` for {mitigation}")
        };
        rejected.push(Rejection {
            profile: profile.clone(),
            step: Step::Mitigation,
            reason,
        });
    }
    Some(Assessment {
        class: class_name.clone(),
        environment: env_name.clone(),
        rows,
        facts,
        required,
        rejected,
        residual,
    })
}

/// What the class brings to the steps before the mitigations.
fn facts(
    db: &dyn Db,
    workspace: Workspace,
    class: &str,
    info: &ClassInfo,
    env: &EnvironmentInfo,
    rows: &[RiskRow],
) -> Facts {
    // Declared flows only: they are syntax, so reading them here cannot depend on a profile.
    let destinations = crate::relations::destinations_of(db, workspace, class);
    let senders: Vec<&str> = crate::relations::sources_of(db, workspace, class)
        .iter()
        .map(String::as_str)
        .filter(|from| *from != class)
        .collect();
    let (bidirectional, access) = match (destinations, senders.as_slice()) {
        (_, [first, ..]) => (
            true,
            format!(
                "receives from `{first}`{}",
                if senders.len() > 1 {
                    format!(" and {} more", senders.len() - 1)
                } else {
                    String::new()
                }
            ),
        ),
        ([], []) => (false, "declares no flow".to_string()),
        ([one], []) => (false, format!("sends to `{one}` only")),
        (many, []) => (true, format!("sends to {} endpoints", many.len())),
    };
    Facts {
        area: env.area.clone(),
        management: info.management.clone(),
        bidirectional,
        access,
        highest_risk: rows
            .iter()
            .filter(|r| r.applies)
            .map(|r| r.risk)
            .max()
            .unwrap_or(Level::Low),
    }
}

/// `partial` reads "partially managed".
pub fn managed_as(management: &str) -> &str {
    match management {
        "partial" => "partially managed",
        other => other,
    }
}

/// The first step before the mitigations that `profile` fails for the class, with why.
fn misfit(facts: &Facts, env_name: &str, profile: &ProfileInfo) -> Option<(Step, String)> {
    if let (Some(area), Some(for_area)) = (&facts.area, &profile.area)
        && area != for_area
    {
        return Some((
            Step::Scope,
            format!("is for {for_area} usage, and `{env_name}` is {area}"),
        ));
    }
    if let Some(management) = &facts.management
        && !profile.management.is_empty()
        && !profile.management.contains(management)
    {
        return Some((
            Step::Management,
            format!(
                "is for {} things, and the class is {}",
                profile
                    .management
                    .iter()
                    .map(|m| managed_as(m))
                    .collect::<Vec<_>>()
                    .join(" or "),
                managed_as(management)
            ),
        ));
    }
    if profile.communication == "unidirectional" && facts.bidirectional {
        return Some((
            Step::Access,
            format!(
                "allows only unidirectional communication to one service, and the class {}",
                facts.access
            ),
        ));
    }
    if let Some(category) = profile.risk
        && facts.highest_risk > category
    {
        return Some((
            Step::RiskCategory,
            format!(
                "is for risks up to {}, and the class's highest risk is {}",
                category.as_str(),
                facts.highest_risk.as_str()
            ),
        ));
    }
    None
}

/// (mitigation, capability) pairs the class cannot perform, for the given mitigations.
pub fn lacking_capabilities(
    catalog: &Catalog,
    class: &ClassInfo,
    mitigations: Vec<&str>,
) -> Vec<(String, String)> {
    let mut lacking = Vec::new();
    for mitigation in mitigations {
        let Some(info) = catalog.mitigation(mitigation) else {
            continue;
        };
        for capability in &info.needs {
            if !class.capabilities.contains(capability) {
                lacking.push((mitigation.to_string(), capability.clone()));
            }
        }
    }
    lacking
}

fn assess_threat(
    class: &ClassInfo,
    env_name: &str,
    env: &EnvironmentInfo,
    threat: &str,
    threat_info: &ThreatInfo,
) -> RiskRow {
    let targets: &[String] = &threat_info.targets;
    let in_env = |what: &str| {
        if env_name.is_empty() {
            what.to_string()
        } else {
            format!("{what} in `{env_name}`")
        }
    };

    let (likelihood, likelihood_from) = if let Some(level) = env.likelihood_of(threat) {
        (level, in_env(&format!("`{threat}`")))
    } else if let Some((target, level)) = highest(targets, |t| env.likelihood_of(t)) {
        (level, in_env(&format!("target `{target}`")))
    } else if let Some(level) = env.likelihood_of("default") {
        (level, in_env("default"))
    } else {
        (Level::Moderate, "ward's default".to_string())
    };

    let (mut impact, mut impact_from) = match (class.impact, &class.function) {
        (Some(level), _) => (level, "the class's `impact`".to_string()),
        (None, Some(function)) => {
            let level = FUNCTION_IMPACT
                .iter()
                .find(|(f, _)| f == function)
                .map_or(Level::Moderate, |(_, l)| *l);
            (level, format!("function `{function}`"))
        }
        (None, None) => (Level::Moderate, "ward's default".to_string()),
    };
    let env_impact = env
        .impact_of(threat)
        .map(|l| (l, in_env(&format!("`{threat}`"))))
        .or_else(|| {
            highest(targets, |t| env.impact_of(t))
                .map(|(t, l)| (l, in_env(&format!("target `{t}`"))))
        })
        .or_else(|| env.impact_of("default").map(|l| (l, in_env("default"))));
    if let Some((level, from)) = env_impact
        && level > impact
    {
        impact = level;
        impact_from = from;
    }

    let is_privacy = PRIVACY_THREATS.contains(&threat);
    let applies = !is_privacy || !class.data.is_empty();
    if is_privacy || DATA_THREATS.contains(&threat) {
        let most_sensitive = class
            .data
            .iter()
            .map(|d| (data_sensitivity(d), d))
            .max_by_key(|(level, _)| *level);
        if let Some((level, data)) = most_sensitive
            && level > impact
        {
            impact = level;
            impact_from = format!("personal data `{data}`");
        }
    }

    RiskRow {
        threat: threat.to_string(),
        title: threat_info.title.clone(),
        likelihood,
        likelihood_from,
        impact,
        impact_from,
        risk: risk_level(likelihood, impact),
        applies,
    }
}

/// The highest level `level_of` gives over `items`, with the item.
fn highest(items: &[String], level_of: impl Fn(&str) -> Option<Level>) -> Option<(&str, Level)> {
    items
        .iter()
        .filter_map(|item| level_of(item).map(|l| (item.as_str(), l)))
        .max_by_key(|(_, level)| *level)
}

/// The profile a class holds: the one it declares, or the one the assessment assigns (the
/// highest over its environments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassProfile {
    pub profile: String,
    pub level: i64,
    pub assigned: bool,
}

/// The profiles that take part in judging the classes that declare theirs: the standard
/// library's, those some class declares, and those the assessment assigns to a class that
/// declares none. When the policy declares no profile of its own, all of them.
#[salsa::tracked(returns(ref))]
pub fn profiles_in_use(db: &dyn Db, workspace: Workspace) -> Vec<String> {
    let catalog = catalog(db, workspace);
    let from_stdlib = |name: &str| {
        crate::queries::owner_of(db, workspace, name).is_some_and(|(_, file)| file.is_stdlib(db))
    };
    let all: Vec<String> = catalog.profiles.iter().map(|(n, _)| n.clone()).collect();
    if all.iter().all(|name| from_stdlib(name)) {
        return all;
    }
    let mut used: Vec<String> = all.iter().filter(|n| from_stdlib(n)).cloned().collect();
    let index = crate::queries::item_index(db, workspace);
    for (class, kind) in index.names() {
        if kind != ward_lang::ast::DeclKind::Class {
            continue;
        }
        let Some(info) = class_info(db, workspace, class) else {
            continue;
        };
        let held = match &info.profile {
            Some(profile) => Some(profile.clone()),
            None => profile_of_class(db, workspace, class).map(|p| p.profile.clone()),
        };
        if let Some(profile) = held
            && !used.contains(&profile)
        {
            used.push(profile);
        }
    }
    used.sort();
    used
}

#[salsa::tracked(returns(ref))]
pub fn class_profile<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: Name<'db>,
) -> Option<ClassProfile> {
    let info = class_info(db, workspace, class.text(db))?;
    if let Some(profile) = &info.profile {
        let level = catalog(db, workspace).profile(profile)?.level;
        return Some(ClassProfile {
            profile: profile.clone(),
            level,
            assigned: false,
        });
    }
    let assigned = assessments_of(db, workspace, class.text(db))
        .into_iter()
        .filter_map(|a| a.required.clone())
        .max_by_key(|(_, level)| *level)
        .map(|(profile, level)| ClassProfile {
            profile,
            level,
            assigned: true,
        });
    if assigned.is_some() || !crate::waiver::waives(db, workspace, class.text(db), "E0404") {
        return assigned;
    }
    // No profile fits, and a waiver says so (E0404): the class holds the lowest level of the
    // policy, the most confined, from which no flow reaches a higher one.
    catalog(db, workspace)
        .profiles
        .iter()
        .min_by_key(|(name, info)| (info.level, name.clone()))
        .map(|(profile, info)| ClassProfile {
            profile: profile.clone(),
            level: info.level,
            assigned: true,
        })
}

pub fn profile_of_class<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: &str,
) -> Option<&'db ClassProfile> {
    class_profile(db, workspace, Name::new(db, class.to_string())).as_ref()
}

/// The assessments of a class, one per environment.
pub fn assessments_of<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: &str,
) -> Vec<&'db Assessment> {
    let Some(info) = class_info(db, workspace, class) else {
        return Vec::new();
    };
    // "RA and PIA are moved now to the installation and commissioning phases of the devices
    // since it is then when the actual environment in which smart objects are deployed is
    // really known": a class is assessed in the environments it names, and in none if it
    // names none or one that does not resolve.
    if !info
        .environments
        .iter()
        .all(|env| environment_info(db, workspace, env).is_some())
    {
        return Vec::new();
    }
    let class_name = Name::new(db, class.to_string());
    info.environments
        .iter()
        .filter_map(|env| {
            assessment(db, workspace, class_name, Name::new(db, env.clone())).as_ref()
        })
        .collect()
}

/// A moderate or high risk that the profile a class holds does not mitigate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Residual {
    pub threat: String,
    pub risk: Level,
    /// Who accepts it and why, when the class, its environment or a waiver does.
    pub accepted: Option<Acceptance>,
    /// What would mitigate it: each mitigation some profile of the policy uses for it, with
    /// those profiles.
    pub answered_by: Vec<(String, Vec<String>)>,
}

/// A risk accepted: by an `accept ... because` line (a reason only), or by a waiver in force
/// (with its owner and expiry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    pub reason: String,
    pub waiver: Option<crate::diagnostic::Waived>,
}

/// Why `threat` is accepted for `endpoint`: its own `accept` line, one of these
/// environments', or a waiver in force. The one reading of acceptances, for W0009, the report
/// and W0008.
pub fn acceptance(
    db: &dyn Db,
    workspace: Workspace,
    endpoint: &str,
    environments: &[String],
    threat: &str,
) -> Option<Acceptance> {
    let own = class_info(db, workspace, endpoint)
        .into_iter()
        .flat_map(|c| &c.accepted);
    let from_environments = environments
        .iter()
        .filter_map(|env| environment_info(db, workspace, env))
        .flat_map(|e| &e.accepted);
    if let Some((_, reason)) = own.chain(from_environments).find(|(t, _)| t == threat) {
        return Some(Acceptance {
            reason: reason.clone(),
            waiver: None,
        });
    }
    crate::waiver::accepting(db, workspace, endpoint, threat).map(|waiver| Acceptance {
        reason: waiver.reason.clone(),
        waiver: Some(waiver.waived()),
    })
}

/// The risks of a class, in one environment's assessment, that its profile leaves: what
/// the class and the environment accept, and what nothing answers. Empty when the class
/// holds no profile (it is not assessed, or none fits: other diagnostics say so).
pub fn residual_risks(db: &dyn Db, workspace: Workspace, assessment: &Assessment) -> Vec<Residual> {
    let Some(held) = profile_of_class(db, workspace, &assessment.class) else {
        return Vec::new();
    };
    let catalog = catalog(db, workspace);
    let Some(table) = catalog.profile(&held.profile) else {
        return Vec::new();
    };
    let environment = std::slice::from_ref(&assessment.environment);
    let accepted = |threat: &str| acceptance(db, workspace, &assessment.class, environment, threat);
    assessment
        .risky()
        .into_iter()
        .filter(|row| !table.mitigates(&row.threat))
        .map(|row| {
            let mut answered_by: Vec<(String, Vec<String>)> = Vec::new();
            for (profile, info) in &catalog.profiles {
                let mitigations = info
                    .table
                    .iter()
                    .filter(|(t, _)| *t == row.threat)
                    .flat_map(|(_, ms)| ms);
                for mitigation in mitigations {
                    match answered_by.iter_mut().find(|(m, _)| m == mitigation) {
                        Some((_, profiles)) if !profiles.contains(profile) => {
                            profiles.push(profile.clone())
                        }
                        Some(_) => {}
                        None => answered_by.push((mitigation.clone(), vec![profile.clone()])),
                    }
                }
            }
            Residual {
                threat: row.threat.clone(),
                risk: row.risk,
                accepted: accepted(&row.threat),
                answered_by,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_symmetric_and_monotone() {
        let levels = [Level::Low, Level::Moderate, Level::High];
        for &a in &levels {
            for &b in &levels {
                assert_eq!(risk_level(a, b), risk_level(b, a));
                for &c in &levels {
                    if b <= c {
                        assert!(risk_level(a, b) <= risk_level(a, c));
                    }
                }
            }
        }
        assert_eq!(risk_level(Level::Low, Level::Low), Level::Low);
        assert_eq!(
            risk_level(Level::Moderate, Level::Moderate),
            Level::Moderate
        );
        assert_eq!(risk_level(Level::High, Level::High), Level::High);
        assert_eq!(risk_level(Level::Low, Level::High), Level::Moderate);
    }

    #[test]
    fn natural_order_of_threats() {
        let mut names = vec!["T10", "T2", "T1", "T25"];
        names.sort_by_key(|n| crate::model::natural_key(n));
        assert_eq!(names, ["T1", "T2", "T10", "T25"]);
    }
}
