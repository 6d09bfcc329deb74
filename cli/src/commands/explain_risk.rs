//! `ward check --explain-risk CLASS`: the risk assessment behind a class's profile, per
//! environment: each threat's likelihood and impact with where they come from, the risk,
//! and which profile was chosen and why the lower ones were not.

use ward_compiler::Policy;
use ward_compiler::model::class_info;
use ward_compiler::queries::owner_of;
use ward_compiler::risk::{Assessment, Step, assessments_of, managed_as};
use ward_lang::ast::DeclKind;

use crate::Outcome;
use crate::stdout::{out, outln};

pub fn run(policy: &Policy, class: &str) -> Outcome {
    let db = policy.db();
    let workspace = policy.workspace();
    match owner_of(db, workspace, class) {
        // Services and gateways placed in an environment are assessed as classes are.
        Some((DeclKind::Class | DeclKind::Service | DeclKind::Gateway, _)) => {}
        Some((kind, _)) => {
            eprintln!(
                "error: `{class}` is {}: only classes, services and gateways are assessed",
                kind.with_article()
            );
            return Outcome::Failure;
        }
        None => {
            let index = ward_compiler::queries::item_index(db, workspace);
            let classes = index
                .names()
                .filter(|(_, kind)| *kind == DeclKind::Class)
                .map(|(name, _)| name);
            match ward_compiler::suggest::closest(class, classes) {
                Some(near) => eprintln!(
                    "error: no class `{class}` in the policy
  help: did you mean `{near}`?"
                ),
                None => eprintln!("error: no class `{class}` in the policy"),
            }
            return Outcome::Failure;
        }
    }
    let assessments = assessments_of(db, workspace, class);
    if assessments.is_empty() {
        let reason = match class_info(db, workspace, class) {
            Some(info) if info.environments.is_empty() => {
                "it names no environment: RA and PIA need the deployment scope"
            }
            _ => "one of its environments does not resolve; run `ward check` for the error",
        };
        outln!("class `{class}` is not assessed: {reason}");
        return Outcome::Clean;
    }
    let info = class_info(db, workspace, class);
    for assessment in assessments {
        out!(
            "{}",
            table(assessment, info.and_then(|i| i.profile.as_deref()))
        );
    }
    Outcome::Clean
}

fn table(assessment: &Assessment, explicit: Option<&str>) -> String {
    let mut out = format!(
        "risk assessment of class `{}` in `{}`\n\n",
        assessment.class, assessment.environment
    );
    let rows: Vec<[String; 6]> = assessment
        .rows
        .iter()
        .map(|row| {
            [
                row.threat.clone(),
                row.title.clone(),
                format!("{} ({})", row.likelihood.as_str(), row.likelihood_from),
                format!("{} ({})", row.impact.as_str(), row.impact_from),
                if row.applies {
                    row.risk.as_str().to_string()
                } else {
                    "n/a (no personal data)".to_string()
                },
                if !row.must_mitigate() {
                    String::new()
                } else if assessment.residual.contains(&row.threat) {
                    "residual: no profile mitigates it".to_string()
                } else {
                    "must be mitigated".to_string()
                },
            ]
        })
        .collect();
    let header = ["threat", "title", "likelihood", "impact", "risk", ""].map(str::to_string);
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&steps(assessment));
    match &assessment.required {
        Some((profile, level)) => {
            out.push_str(&format!("required profile: `{profile}` (level {level})\n"));
        }
        None => out.push_str("required profile: none fits\n"),
    }
    match (explicit, &assessment.required) {
        (Some(profile), _) => out.push_str(&format!("declared profile: `{profile}`\n")),
        (None, Some(_)) => {
            out.push_str("declared profile: none, so the required one is assigned\n")
        }
        (None, None) => out.push_str(
            "declared profile: none, and none fits: the class cannot be built until a profile fits (E0404)\n",
        ),
    }
    out.push('\n');
    out
}

/// The assignment, step by step: what the class brings to each step and the profiles that
/// step set aside.
fn steps(assessment: &Assessment) -> String {
    let facts = &assessment.facts;
    let env = &assessment.environment;
    let mitigations = if assessment.residual.is_empty() {
        "every moderate or high risk must be mitigated, with the class's capabilities".to_string()
    } else {
        format!(
            "every moderate or high risk but the residual ones ({}) must be mitigated, with the class's capabilities",
            assessment.residual.join(", ")
        )
    };
    let stated = [
        (
            Step::Scope,
            match &facts.area {
                Some(area) => format!("`{env}` is {area}"),
                None => format!("`{env}` declares no `area`: every application area fits"),
            },
        ),
        (
            Step::Management,
            match &facts.management {
                Some(management) => format!("the class is {}", managed_as(management)),
                None => "the class declares no `management`: every profile's fits".to_string(),
            },
        ),
        (
            Step::Access,
            format!(
                "the class {} ({})",
                facts.access,
                if facts.bidirectional {
                    "bidirectional"
                } else {
                    "unidirectional"
                }
            ),
        ),
        (
            Step::RiskCategory,
            format!(
                "the class's highest risk is {}",
                facts.highest_risk.as_str()
            ),
        ),
        (Step::Mitigation, mitigations),
    ];
    let mut out = String::from(
        "profile assignment, lowest level first (section 10.1: by function, required access and deployment scope)\n",
    );
    for (number, (step, fact)) in stated.iter().enumerate() {
        out.push_str(&format!("  {}. {}: {fact}\n", number + 1, step.title()));
        for rejection in assessment.rejected.iter().filter(|r| r.step == *step) {
            out.push_str(&format!(
                "       `{}` does not fit: it {}\n",
                rejection.profile, rejection.reason
            ));
        }
    }
    out
}
