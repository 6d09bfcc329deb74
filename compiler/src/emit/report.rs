//! `report.md` and `report.html`: what the build decided and why, for people. Per class, the
//! risk assessment and the profile it holds; per profile, its threat x mitigation table; the
//! draft's threat x lifecycle matrix. Each line names its source file and line.

use std::fmt::Write;

use crate::db::{Db, Workspace};
use crate::ir::PolicyIr;
use crate::model::catalog;
use crate::risk::assessments_of;
use ward_lang::ast::DeclKind;

const LIFECYCLE: [(&str, &str); 6] = [
    ("make", "L-make"),
    ("commission", "L-conf"),
    ("operation", "L-oper"),
    ("update", "L-upd"),
    ("decommission", "L-dec"),
    ("after_decommission", "L-after"),
];

/// The moderate and high risks each class's profile leaves: accepted, with the reason, or
/// open (W0009), with what would mitigate them. A reviewer weighs these, not the rest.
fn residual_risks(db: &dyn Db, workspace: Workspace, ir: &PolicyIr, out: &mut String) {
    out.push_str(
        "## Residual risks\n\nModerate and high risks that a class's profile does not mitigate: accepted (with the reason the policy gives) or open (`ward check` warns, W0009).\n\n",
    );
    let mut rows = String::new();
    for class in &ir.classes {
        for assessment in assessments_of(db, workspace, &class.name) {
            for residual in crate::risk::residual_risks(db, workspace, assessment) {
                let title = catalog(db, workspace)
                    .threats
                    .iter()
                    .find(|(t, _)| *t == residual.threat)
                    .map(|(_, info)| info.title.clone())
                    .unwrap_or_default();
                let status = match &residual.accepted {
                    Some(acceptance) => match &acceptance.waiver {
                        Some(waived) => format!(
                            "accepted by waiver `{}` ({}, until {}): {}",
                            waived.waiver,
                            cell(&waived.owner),
                            waived.expires.map(|e| e.to_string()).unwrap_or_default(),
                            cell(&acceptance.reason)
                        ),
                        None => format!("accepted: {}", cell(&acceptance.reason)),
                    },
                    None if residual.answered_by.is_empty() => {
                        "**open**: no profile of the policy mitigates it".to_string()
                    }
                    None => format!(
                        "**open**: {}",
                        residual
                            .answered_by
                            .iter()
                            .map(|(m, profiles)| format!("{m} would ({})", profiles.join(", ")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                };
                let _ = writeln!(
                    rows,
                    "| `{}` | `{}` | {} {} | {} | {status} |",
                    class.name,
                    assessment.environment,
                    residual.threat,
                    cell(&title),
                    residual.risk.as_str()
                );
            }
        }
    }
    if rows.is_empty() {
        out.push_str("None.\n\n");
    } else {
        out.push_str("| class | environment | threat | risk | status |\n|---|---|---|---|---|\n");
        out.push_str(&rows);
        out.push('\n');
    }
}

/// Where each kind of personal data goes: every flow between a class with personal data and
/// another endpoint (either way: replies carry data), but the class's own management gateway.
fn personal_data(db: &dyn Db, workspace: Workspace, ir: &PolicyIr, out: &mut String) {
    out.push_str(
        "## Personal data\n\nWhere each kind of personal data goes: the classes that handle it, the endpoints their flows reach, and whether those are declared to receive it (`receives_data`; `ward check` warns otherwise, W0011).\n\n",
    );
    let mut rows: Vec<(String, String, String, String, bool)> = Vec::new();
    for flow in &ir.flows {
        for (owner, receiver) in [(&flow.from, &flow.to), (&flow.to, &flow.from)] {
            let Some(class) = ir.class(owner) else {
                continue;
            };
            let own_gateway = class
                .segment
                .as_deref()
                .and_then(|s| ir.segment(s))
                .and_then(|s| s.gateway.as_deref())
                == Some(receiver.as_str());
            if own_gateway {
                continue;
            }
            let receives = crate::facts::facts_of(db, workspace, receiver)
                .map(|f| f.receives_data.clone())
                .unwrap_or_default();
            for kind in &class.data {
                rows.push((
                    kind.clone(),
                    owner.clone(),
                    receiver.clone(),
                    format!("`{}:{}`", flow.origin.file, flow.origin.line),
                    receives.contains(kind),
                ));
            }
        }
    }
    rows.sort();
    rows.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
    if rows.is_empty() {
        out.push_str("No flow carries personal data.\n\n");
        return;
    }
    out.push_str("| data | from class | to | flow | receiver |\n|---|---|---|---|---|\n");
    for (kind, owner, receiver, origin, declared) in rows {
        let _ = writeln!(
            out,
            "| {kind} | `{owner}` | `{receiver}` | {origin} | {} |",
            if declared {
                "declared"
            } else {
                "**not declared**"
            }
        );
    }
    out.push('\n');
}

/// Escapes `|` for Markdown tables.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The outcome of the policy's tests on the bundle, for the report (`ward build --test`).
#[derive(Clone, Debug, Default)]
pub struct TestResults {
    /// Per test: its name, where it is, its cases and how many passed.
    pub tests: Vec<(String, String, usize, usize)>,
}

impl TestResults {
    fn counts(&self) -> (usize, usize) {
        self.tests
            .iter()
            .fold((0, 0), |(p, f), (_, _, cases, passed)| {
                (p + passed, f + cases - passed)
            })
    }
}

/// The tests and how they went.
fn test_results(tests: Option<&TestResults>, out: &mut String) {
    let Some(tests) = tests else {
        return;
    };
    let (passed, failed) = tests.counts();
    let _ = writeln!(
        out,
        "## Policy tests\n\n`ward test` on this bundle: {passed} cases passed, {failed} failed.\n\n| test | source | cases | passed |\n|---|---|---|---|"
    );
    for (name, origin, cases, ok) in &tests.tests {
        let _ = writeln!(out, "| {} | `{origin}` | {cases} | {ok} |", cell(name));
    }
    out.push('\n');
}

/// A declaration's title (`SecProf_2` -> "Managed home usage"), for the draft's ids in words.
fn title_of(db: &dyn Db, workspace: Workspace, name: &str, kind: DeclKind) -> String {
    crate::queries::decl_named(db, workspace, name, kind)
        .and_then(|d| d.title.as_ref())
        .map(|t| t.value.clone())
        .unwrap_or_default()
}

/// `SecProf_2 ("Managed home usage", level 2)`.
fn profile_words(db: &dyn Db, workspace: Workspace, ir: &PolicyIr, profile: &str) -> String {
    let title = title_of(db, workspace, profile, DeclKind::Profile);
    let level = ir
        .profile_level(profile)
        .map(|l| format!("level {l}"))
        .unwrap_or_default();
    match (title.is_empty(), level.is_empty()) {
        (false, false) => format!("{profile} (\"{}\", {level})", cell(&title)),
        (false, true) => format!("{profile} (\"{}\")", cell(&title)),
        (true, false) => format!("{profile} ({level})"),
        (true, true) => profile.to_string(),
    }
}

/// The first screen: where the policy stands, for the people who sign it off.
fn at_a_glance(
    db: &dyn Db,
    workspace: Workspace,
    ir: &PolicyIr,
    tests: Option<&TestResults>,
    out: &mut String,
) {
    out.push_str("## At a glance\n\n");
    // Things by profile.
    let mut by_profile: std::collections::BTreeMap<(i64, String), Vec<&str>> =
        std::collections::BTreeMap::new();
    let mut unassessed = Vec::new();
    for class in ir.classes.iter().filter(|c| !c.quarantine) {
        match (&class.profile, class.level) {
            (Some(profile), Some(level)) => by_profile
                .entry((level, profile.clone()))
                .or_default()
                .push(&class.name),
            _ => unassessed.push(class.name.as_str()),
        }
    }
    let _ = writeln!(
        out,
        "- **{} classes of things** in {} segments, {} services and gateways, {} flows, {} detection rules.",
        ir.classes.iter().filter(|c| !c.quarantine).count(),
        ir.segments.len(),
        ir.endpoints.len(),
        ir.flows.len(),
        ir.detections.len()
    );
    for ((_, profile), classes) in &by_profile {
        let _ = writeln!(
            out,
            "- {}: {}.",
            profile_words(db, workspace, ir, profile),
            classes
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !unassessed.is_empty() {
        let _ = writeln!(
            out,
            "- **No profile** (not assessed): {}.",
            unassessed
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Residual risks, open and accepted, by class.
    let mut open: Vec<String> = Vec::new();
    let mut accepted = 0;
    for class in &ir.classes {
        let mut threats: Vec<String> = Vec::new();
        for assessment in assessments_of(db, workspace, &class.name) {
            for residual in crate::risk::residual_risks(db, workspace, assessment) {
                if residual.accepted.is_some() {
                    accepted += 1;
                } else if !threats.contains(&residual.threat) {
                    threats.push(residual.threat.clone());
                }
            }
        }
        if !threats.is_empty() {
            open.push(format!("`{}` ({})", class.name, threats.join(", ")));
        }
    }
    if open.is_empty() {
        let _ = writeln!(
            out,
            "- **Residual risks**: none left open; {accepted} accepted with a reason (below)."
        );
    } else {
        let _ = writeln!(
            out,
            "- **Residual risks left open** (moderate or high, no profile mitigates them, nobody accepted them): {}; {accepted} accepted with a reason.",
            open.join("; ")
        );
    }
    // Flows that cross segments.
    let segment_of = |name: &str| ir.class(name).and_then(|c| c.segment.clone());
    let crossing: Vec<&crate::ir::FlowIr> = ir
        .flows
        .iter()
        .filter(|f| segment_of(&f.from) != segment_of(&f.to) || segment_of(&f.from).is_none())
        .collect();
    let _ = writeln!(
        out,
        "- **{} of {} flows cross a segment's border**, {} of them through a management gateway.",
        crossing.len(),
        ir.flows.len(),
        crossing.iter().filter(|f| f.via.is_some()).count()
    );
    let timed: Vec<String> = ir
        .flows
        .iter()
        .filter_map(|f| {
            f.until
                .map(|u| format!("`{}` until {}", f.describe(), ward_lang::Timestamp::at(u)))
        })
        .collect();
    if !timed.is_empty() {
        let _ = writeln!(out, "- **Time-limited flows**: {}.", timed.join("; "));
    }
    // Threats the detection rules watch.
    let mut watched: Vec<String> = ir.detections.iter().map(|d| d.threat.clone()).collect();
    watched.sort_by_key(|t| crate::model::natural_key(t));
    watched.dedup();
    let _ = writeln!(
        out,
        "- **Threats watched by detection rules**: {}.",
        if watched.is_empty() {
            "none".to_string()
        } else {
            watched
                .iter()
                .map(|t| {
                    let title = title_of(db, workspace, t, DeclKind::Threat);
                    if title.is_empty() {
                        t.clone()
                    } else {
                        format!("{t} ({})", cell(&title))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if let Some(tests) = tests {
        let (passed, failed) = tests.counts();
        let _ = writeln!(
            out,
            "- **Policy tests**: {passed} cases passed, {failed} failed, in {} tests (below).",
            tests.tests.len()
        );
    }
    let waivers = crate::waiver::waivers_in_force(db, workspace);
    if !waivers.is_empty() {
        let _ = writeln!(
            out,
            "- **{} waivers in force**, the first to expire on {} (below).",
            waivers.len(),
            waivers
                .iter()
                .map(|w| w.expires)
                .min()
                .map(|e| e.to_string())
                .unwrap_or_default()
        );
    }
    out.push('\n');
}

/// Likelihood x impact: how many (class, threat) risks fall in each cell, over the threats
/// that apply. The cells that must be mitigated (moderate and high risk) are marked.
fn heat_map(db: &dyn Db, workspace: Workspace, ir: &PolicyIr, out: &mut String) {
    use crate::model::Level;
    let levels = [Level::High, Level::Moderate, Level::Low];
    let mut counts = [[0usize; 3]; 3];
    for class in &ir.classes {
        for assessment in assessments_of(db, workspace, &class.name) {
            for row in assessment.rows.iter().filter(|r| r.applies) {
                let l = levels
                    .iter()
                    .position(|x| *x == row.likelihood)
                    .unwrap_or(2);
                let i = levels
                    .iter()
                    .rev()
                    .position(|x| *x == row.impact)
                    .unwrap_or(0);
                counts[l][i] += 1;
            }
        }
    }
    out.push_str("## Risk heat map\n\nHow many (class, threat) risks fall in each cell of the draft's matrix (likelihood x impact), over the threats that apply to each class in its environments. Risk: low, **moderate**, **high**.\n\n| likelihood \\ impact | low | moderate | high |\n|---|---|---|---|\n");
    for (l, likelihood) in levels.iter().enumerate() {
        let _ = write!(out, "| {} |", likelihood.as_str());
        for (i, impact) in [Level::Low, Level::Moderate, Level::High]
            .iter()
            .enumerate()
        {
            let risk = crate::risk::risk_level(*likelihood, *impact);
            let count = counts[l][i];
            let _ = match risk {
                Level::Low => write!(out, " {count} (low) |"),
                other => write!(out, " **{count} ({})** |", other.as_str()),
            };
        }
        out.push('\n');
    }
    out.push('\n');
}

/// The segments: subnets, gateway, classes and their level.
fn segments(ir: &PolicyIr, out: &mut String) {
    out.push_str("## Segments and flows\n\nEach class of things is a segment of its own network (section 10.1); flows between segments pass a management gateway when the profile requires it. The diagram (in report.html; `ward graph` draws it too) shows segments as boxes, flows as arrows, dashed through a gateway.\n\n| segment | subnets | gateway | classes | level |\n|---|---|---|---|---|\n");
    for segment in &ir.segments {
        let subnets: Vec<String> = segment.subnets.iter().map(|s| s.to_string()).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            segment.name,
            subnets.join(", "),
            segment
                .gateway
                .as_deref()
                .map(|g| format!("`{g}`"))
                .unwrap_or_else(|| "none".into()),
            segment
                .classes
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            segment
                .level
                .map_or_else(|| "-".to_string(), |l| l.to_string())
        );
    }
    out.push('\n');
}

/// Detection rules: what each watches, and what it does.
fn detections(db: &dyn Db, workspace: Workspace, ir: &PolicyIr, out: &mut String) {
    out.push_str("## Detection rules\n\nPAVA reads the things' syslog reports at their gateway; each rule names the threat it watches.\n\n| rule | threat | severity | when | then | source |\n|---|---|---|---|---|---|\n");
    for rule in &ir.detections {
        let threat = title_of(db, workspace, &rule.threat, DeclKind::Threat);
        let when = match rule.window_ms {
            Some(ms) => format!(
                "{} in {}",
                rule.threshold,
                crate::semantic::show_duration(ms)
            ),
            None => "each message".to_string(),
        };
        let _ = writeln!(
            out,
            "| `{}` {} | {} {} | {} | {when} | {} | `{}:{}` |",
            rule.name,
            cell(&rule.title),
            rule.threat,
            cell(&threat),
            rule.severity,
            rule.actions
                .iter()
                .map(|a| a.action.clone())
                .collect::<Vec<_>>()
                .join(", "),
            rule.origin.file,
            rule.origin.line
        );
    }
    out.push('\n');
}

/// How many classes get a section of their own: beyond, the tables above say it for a fleet.
const CLASS_SECTIONS: usize = 200;

/// One section per class: its profile in words, where it is assessed, the mitigations in
/// force with the threats they answer, the moderate and high risks left, accepted or open.
fn class_sections(db: &dyn Db, workspace: Workspace, ir: &PolicyIr, out: &mut String) {
    out.push_str("## Classes in detail\n\n");
    for class in ir
        .classes
        .iter()
        .filter(|c| !c.quarantine)
        .take(CLASS_SECTIONS)
    {
        let title = if class.title.is_empty() {
            String::new()
        } else {
            format!(": {}", class.title)
        };
        let _ = writeln!(out, "### `{}`{title}\n", class.name);
        let profile = match &class.profile {
            Some(profile) => format!(
                "{}, {}",
                profile_words(db, workspace, ir, profile),
                if class.assigned {
                    "assigned by the risk assessment"
                } else {
                    "declared"
                }
            ),
            None => "none: not assessed".to_string(),
        };
        let _ = writeln!(
            out,
            "- Profile: {profile}.\n- Function: {}; assessed in {}; segment {}; declared at `{}:{}`.",
            class.function,
            if class.environments.is_empty() {
                "no environment".to_string()
            } else {
                class
                    .environments
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            class
                .segment
                .as_deref()
                .map(|s| format!("`{s}`"))
                .unwrap_or_else(|| "none".into()),
            class.origin.file,
            class.origin.line
        );
        if class.mitigations.is_empty() {
            out.push_str("- Mitigations in force: none.\n");
        } else {
            out.push_str("\nMitigations in force:\n\n");
            for mitigation in &class.mitigations {
                let _ = writeln!(
                    out,
                    "- {} ({}) against {}.",
                    mitigation.id,
                    cell(&mitigation.title),
                    mitigation.threats.join(", ")
                );
            }
        }
        let mut left: Vec<String> = Vec::new();
        for assessment in assessments_of(db, workspace, &class.name) {
            for residual in crate::risk::residual_risks(db, workspace, assessment) {
                let title = title_of(db, workspace, &residual.threat, DeclKind::Threat);
                let status = match &residual.accepted {
                    Some(acceptance) => match &acceptance.waiver {
                        Some(waived) => format!(
                            "accepted by `{}` ({}) until {}",
                            waived.waiver,
                            cell(&waived.owner),
                            waived.expires.map(|e| e.to_string()).unwrap_or_default()
                        ),
                        None => format!("accepted: {}", cell(&acceptance.reason)),
                    },
                    None => "**open**".to_string(),
                };
                left.push(format!(
                    "{} ({}), {} risk in `{}`: {status}",
                    residual.threat,
                    cell(&title),
                    residual.risk.as_str(),
                    assessment.environment
                ));
            }
        }
        if left.is_empty() {
            out.push_str("\nResidual risks: none.\n\n");
        } else {
            out.push_str("\nResidual risks (moderate and high, that its profile leaves):\n\n");
            for line in left {
                let _ = writeln!(out, "- {line}.");
            }
            out.push('\n');
        }
    }
    let more = ir.classes.iter().filter(|c| !c.quarantine).count();
    if more > CLASS_SECTIONS {
        let _ = writeln!(
            out,
            "{} more classes: the tables above list them.\n",
            more - CLASS_SECTIONS
        );
    }
}

/// Waivers in force: who answers for what, until when.
fn waivers(db: &dyn Db, workspace: Workspace, out: &mut String) {
    let waivers = crate::waiver::waivers_in_force(db, workspace);
    out.push_str("## Waivers\n\nRisks accepted and findings waived for a while, each signed by its owner.\n\n");
    if waivers.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    out.push_str("| waiver | class | accepts | waives | owner | expires | ticket | reason |\n|---|---|---|---|---|---|---|---|\n");
    for waiver in waivers {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} | {} | {} | {} | {} |",
            waiver.name,
            waiver.class,
            waiver.accepts.join(", "),
            waiver.waives.join(", "),
            cell(&waiver.owner),
            waiver.expires,
            cell(waiver.ticket.as_deref().unwrap_or("")),
            cell(&waiver.reason)
        );
    }
    out.push('\n');
}

pub fn markdown(
    db: &dyn Db,
    workspace: Workspace,
    ir: &PolicyIr,
    tests: Option<&TestResults>,
) -> String {
    let catalog = catalog(db, workspace);
    let mut out =
        String::from("# Policy report\n\nGenerated by ward from the policy's sources.\n\n");
    at_a_glance(db, workspace, ir, tests, &mut out);
    heat_map(db, workspace, ir, &mut out);
    segments(ir, &mut out);
    test_results(tests, &mut out);

    out.push_str(
        "## Classes\n\n| class | title | profile | level | how | source |\n|---|---|---|---|---|---|\n",
    );
    for class in &ir.classes {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | `{}:{}` |",
            class.name,
            cell(&class.title),
            match (&class.profile, class.quarantine) {
                (Some(profile), _) => profile.as_str(),
                (None, true) => "none: the quarantine place",
                (None, false) => "none (not assessed)",
            },
            class
                .level
                .map_or_else(|| "-".to_string(), |l| l.to_string()),
            if class.assigned {
                "assigned by the risk assessment"
            } else {
                "declared"
            },
            class.origin.file,
            class.origin.line
        );
    }
    out.push('\n');

    // Classes with the same inputs get the same assessment: each distinct one is shown once,
    // with the classes it applies to, so that a fleet of thousands reads in a few pages.
    out.push_str("## Risk assessments\n\n");
    let mut groups: Vec<(&crate::risk::Assessment, Vec<&str>)> = Vec::new();
    for class in &ir.classes {
        for assessment in assessments_of(db, workspace, &class.name) {
            let same = |a: &crate::risk::Assessment| {
                a.environment == assessment.environment
                    && a.rows == assessment.rows
                    && a.required == assessment.required
                    && a.rejected == assessment.rejected
            };
            match groups.iter_mut().find(|(a, _)| same(a)) {
                Some((_, classes)) => classes.push(&class.name),
                None => groups.push((assessment, vec![&class.name])),
            }
        }
    }
    for (i, (assessment, classes)) in groups.iter().enumerate() {
        let listed: Vec<String> = classes.iter().take(20).map(|c| format!("`{c}`")).collect();
        let more = if classes.len() > 20 {
            format!(" and {} more", classes.len() - 20)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "### Assessment {} in `{}`: required profile {}\n\nClasses: {}{more}.\n",
            i + 1,
            assessment.environment,
            assessment
                .required
                .as_ref()
                .map_or("none".to_string(), |(p, l)| format!("**{p}** (level {l})")),
            listed.join(", ")
        );
        out.push_str("| threat | likelihood | impact | risk | status |\n|---|---|---|---|---|\n");
        for row in assessment.rows.iter().filter(|r| r.applies) {
            let note = if !row.must_mitigate() {
                ""
            } else if assessment.residual.contains(&row.threat) {
                "residual"
            } else {
                "mitigated"
            };
            let _ = writeln!(
                out,
                "| {} {} | {} ({}) | {} ({}) | {} | {note} |",
                row.threat,
                cell(&row.title),
                row.likelihood.as_str(),
                cell(&row.likelihood_from),
                row.impact.as_str(),
                cell(&row.impact_from),
                row.risk.as_str()
            );
        }
        for rejection in &assessment.rejected {
            let _ = writeln!(
                out,
                "\n- `{}` not chosen: {}",
                rejection.profile, rejection.reason
            );
        }
        out.push('\n');
    }

    class_sections(db, workspace, ir, &mut out);
    residual_risks(db, workspace, ir, &mut out);
    waivers(db, workspace, &mut out);
    personal_data(db, workspace, ir, &mut out);
    detections(db, workspace, ir, &mut out);

    out.push_str("## Profiles: threat x mitigation\n\n");
    for (name, profile) in &catalog.profiles {
        let _ = writeln!(
            out,
            "### {name} (level {})\n\ncommunication {}, gateway {}.\n\n| threat | mitigations |\n|---|---|",
            profile.level, profile.communication, profile.gateway
        );
        for (threat, mitigations) in &profile.table {
            let _ = writeln!(out, "| {threat} | {} |", mitigations.join(", "));
        }
        out.push('\n');
    }

    out.push_str("## Threats x lifecycle (fig32)\n\n| threat |");
    for (_, label) in LIFECYCLE {
        let _ = write!(out, " {label} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(LIFECYCLE.len()));
    out.push('\n');
    for (name, threat) in &catalog.threats {
        let _ = write!(out, "| {name} {} |", cell(&threat.title));
        for (moment, _) in LIFECYCLE {
            out.push_str(if threat.lifecycle.iter().any(|l| l == moment) {
                " y |"
            } else {
                "  |"
            });
        }
        out.push('\n');
    }

    out.push_str("\n## Flows\n\n| flow | action | via | source |\n|---|---|---|---|\n");
    for flow in &ir.flows {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | `{}:{}` |",
            flow.describe(),
            flow.action,
            flow.via.as_deref().unwrap_or(""),
            flow.origin.file,
            flow.origin.line
        );
    }
    out
}

use super::graph::escape_markup as escape_html;

/// The cells of a Markdown table row: split on `|` that are not escaped (`\|`).
fn table_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current).trim().to_string()),
            c => current.push(c),
        }
    }
    cells.push(current.trim().to_string());
    cells
}

/// `BASE/file.ward#L12` for a code span `file.ward:12` (escaped already), when it is one.
fn source_link(base: &str, code: &str) -> Option<String> {
    let (file, line) = code.rsplit_once(':')?;
    if !file.ends_with(".ward") || line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if file.starts_with("&lt;stdlib&gt;") {
        return None;
    }
    let base = escape_html(base.trim_end_matches('/'));
    Some(format!("{base}/{file}#L{line}"))
}

/// A heading's anchor: its words, lowercase, joined by dashes.
fn anchor(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The page's style: readable on screen and on paper (Chromium's print to PDF), text at a
/// contrast above 7:1, tables that break across pages with their header repeated.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#111;background:#fff;max-width:72em;margin:2em auto;padding:0 1em;line-height:1.45}\
h1{font-size:1.8em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:2px solid #333;padding-bottom:.15em}h3{margin-top:1.2em}\
nav{border:1px solid #999;padding:.5em 1em;margin:1em 0}nav ol{margin:.3em 0;padding-left:1.4em}\
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}th,td{border:1px solid #777;padding:.25em .55em;vertical-align:top;text-align:left}\
th{background:#e8e8e8}code{background:#f1f1f1;padding:0 .2em;border-radius:3px}strong{color:#7a0010}\
.diagram{overflow-x:auto;border:1px solid #999;padding:.5em;margin:.6em 0}.diagram svg{max-width:100%;height:auto}\
a{color:#0645ad}\
@media print{body{max-width:none;margin:0;font-size:10pt}nav{display:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}thead{display:table-header-group}.diagram{border:none}}";

/// The same report as a standalone HTML page: the Markdown's headings, lists, tables and
/// paragraphs (the report uses nothing else), with a table of contents, header rows as
/// `<th>`, and the segment and flow diagram (`diagram`, an SVG) under its section.
pub fn html(markdown: &str, diagram: &str, source_url: Option<&str>) -> String {
    let headings: Vec<&str> = markdown
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .collect();
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Policy report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    let inline = |text: &str| {
        let escaped = escape_html(text);
        let mut html = String::new();
        for (i, part) in escaped.split('`').enumerate() {
            if i % 2 == 1 {
                match source_url.and_then(|base| source_link(base, part)) {
                    Some(href) => {
                        let _ = write!(html, "<a href=\"{href}\"><code>{part}</code></a>");
                    }
                    None => {
                        let _ = write!(html, "<code>{part}</code>");
                    }
                }
            } else {
                // **bold** as <strong>, in pairs.
                for (j, piece) in part.split("**").enumerate() {
                    if j % 2 == 1 {
                        let _ = write!(html, "<strong>{piece}</strong>");
                    } else {
                        html.push_str(piece);
                    }
                }
            }
        }
        html
    };
    let lines: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    let mut in_list = false;
    while i < lines.len() {
        let line = lines[i];
        if in_list && !line.starts_with("- ") {
            out.push_str("</ul>\n");
            in_list = false;
        }
        if line.starts_with('|') {
            // A table: its header row, the separator, then the body.
            out.push_str("<table>\n<thead><tr>");
            for c in table_cells(line) {
                let _ = write!(out, "<th scope=\"col\">{}</th>", inline(&c));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            i += 1;
            if lines.get(i).is_some_and(|l| l.starts_with("|---")) {
                i += 1;
            }
            while let Some(row) = lines.get(i).filter(|l| l.starts_with('|')) {
                out.push_str("<tr>");
                for c in table_cells(row) {
                    let _ = write!(out, "<td>{}</td>", inline(&c));
                }
                out.push_str("</tr>\n");
                i += 1;
            }
            out.push_str("</tbody>\n</table>\n");
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            let _ = writeln!(out, "<h3 id=\"{}\">{}</h3>", anchor(h), inline(h));
        } else if let Some(h) = line.strip_prefix("## ") {
            let _ = writeln!(out, "<h2 id=\"{}\">{}</h2>", anchor(h), inline(h));
            if h == "Segments and flows" && !diagram.is_empty() {
                let _ = writeln!(
                    out,
                    "<figure class=\"diagram\">\n{}<figcaption>Segments (boxes) and flows (arrows; dashed through a management gateway, red from a lower level to a higher one). Colours: level 1 green, 2 yellow, 3 orange, 4 red, unknown grey.</figcaption>\n</figure>",
                    diagram
                );
            }
        } else if let Some(h) = line.strip_prefix("# ") {
            let _ = writeln!(out, "<h1>{}</h1>", inline(h));
            if !headings.is_empty() {
                out.push_str("<nav aria-label=\"Contents\"><strong>Contents</strong><ol>");
                for heading in &headings {
                    let _ = write!(
                        out,
                        "<li><a href=\"#{}\">{}</a></li>",
                        anchor(heading),
                        inline(heading)
                    );
                }
                out.push_str("</ol></nav>\n");
            }
        } else if let Some(item) = line.strip_prefix("- ") {
            if !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            }
            let _ = writeln!(out, "<li>{}</li>", inline(item));
        } else if !line.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(line));
        }
        i += 1;
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}
