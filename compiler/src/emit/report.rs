//! `report.md` and `report.html`: what the build decided and why, for people. Per class, the
//! risk assessment and the profile it holds; per profile, its threat x mitigation table; the
//! draft's threat x lifecycle matrix. Each line names its source file and line.

use std::fmt::Write;

use crate::db::{Db, Workspace};
use crate::ir::PolicyIr;
use crate::model::catalog;
use crate::risk::assessments_of;

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
        out.push_str("| class | environment | threat | risk | |\n|---|---|---|---|---|\n");
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
    out.push_str("| data | from class | to | flow | |\n|---|---|---|---|---|\n");
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

pub fn markdown(db: &dyn Db, workspace: Workspace, ir: &PolicyIr) -> String {
    let catalog = catalog(db, workspace);
    let mut out =
        String::from("# Policy report\n\nGenerated by ward from the policy's sources.\n\n");

    out.push_str(
        "## Classes\n\n| class | title | profile | level | | source |\n|---|---|---|---|---|---|\n",
    );
    for class in &ir.classes {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | `{}:{}` |",
            class.name,
            cell(&class.title),
            class.profile.as_deref().unwrap_or("none (not assessed)"),
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
        out.push_str("| threat | likelihood | impact | risk | |\n|---|---|---|---|---|\n");
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

    residual_risks(db, workspace, ir, &mut out);
    personal_data(db, workspace, ir, &mut out);

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

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The same report as a standalone HTML page: Markdown headings, tables and paragraphs,
/// converted line by line (the report uses nothing else).
pub fn html(markdown: &str) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Policy report</title>\n\
         <style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.2em .5em}code{background:#f4f4f4}</style></head><body>\n",
    );
    let mut in_table = false;
    let inline = |text: &str| {
        let escaped = escape_html(text);
        let mut html = String::new();
        for (i, part) in escaped.split('`').enumerate() {
            if i % 2 == 1 {
                let _ = write!(html, "<code>{part}</code>");
            } else {
                html.push_str(&part.replace("**", ""));
            }
        }
        html
    };
    for line in markdown.lines() {
        if line.starts_with('|') {
            if line.starts_with("|---") {
                continue;
            }
            if !in_table {
                out.push_str("<table>\n");
                in_table = true;
            }
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            out.push_str("<tr>");
            for c in cells {
                let _ = write!(
                    out,
                    "<td>{}</td>",
                    inline(c.trim().replace("\\|", "|").as_str())
                );
            }
            out.push_str("</tr>\n");
            continue;
        }
        if in_table {
            out.push_str("</table>\n");
            in_table = false;
        }
        if let Some(h) = line.strip_prefix("### ") {
            let _ = writeln!(out, "<h3>{}</h3>", inline(h));
        } else if let Some(h) = line.strip_prefix("## ") {
            let _ = writeln!(out, "<h2>{}</h2>", inline(h));
        } else if let Some(h) = line.strip_prefix("# ") {
            let _ = writeln!(out, "<h1>{}</h1>", inline(h));
        } else if let Some(item) = line.strip_prefix("- ") {
            let _ = writeln!(out, "<p>&bull; {}</p>", inline(item));
        } else if !line.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(line));
        }
    }
    if in_table {
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
