//! `ward analyze [PATH...] [--from NAME...] [--format text|json|dot]`: redundant flows, flows
//! that can never carry traffic, flows the firewall widens to a segment's other classes, and
//! reachability (`ward_compiler::analyze`): what each `--from`
//! endpoint reaches in one or more steps, and every path from a lower level to a higher one
//! whose steps are each allowed. A policy with errors is not analysed (`ward check` shows them).

use std::path::PathBuf;

use ward_compiler::analyze::{self, Analysis};

use crate::Outcome;
use crate::stdout::{out, outln};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// Graphviz DOT of what the `--from` endpoints reach (climbing steps in red).
    Dot,
}

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders of the policy.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// A class, service or gateway whose reach (blast radius) to show; may be repeated.
    #[arg(long, value_name = "NAME")]
    from: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    today: super::check::Today,
    /// Exit 1 when a path of allowed steps leads from a lower level to a higher one.
    #[arg(long)]
    deny_climbs: bool,
}

pub fn run(args: Args) -> Outcome {
    let (mut policy, io_failed) = match super::check::load_rooted(&args.paths) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    if io_failed {
        return Outcome::Failure;
    }
    args.today.apply(&mut policy);
    let checked = policy.check();
    if checked.has_errors() {
        eprintln!("error: the policy has errors (`ward check` shows them); it cannot be analysed");
        return Outcome::Findings;
    }
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    for name in &args.from {
        if ir.class(name).is_none() && ir.endpoint(name).is_none() {
            eprintln!("error: `{name}` is no class, service or gateway of the policy");
            return Outcome::Failure;
        }
    }
    if args.format == Format::Dot && args.from.is_empty() {
        eprintln!("error: --format dot draws what `--from NAME` reaches: name one");
        return Outcome::Failure;
    }
    let analysis = analyze::analyze(&ir, policy.now(), &args.from);
    match args.format {
        Format::Text => text(&analysis),
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&analysis).unwrap_or_default()
        ),
        Format::Dot => out!("{}", analyze::reach_dot(&ir, &analysis)),
    }
    if args.deny_climbs && !analysis.climbs.is_empty() {
        eprintln!(
            "error: {} path(s) of allowed steps lead from a lower level to a higher one",
            analysis.climbs.len()
        );
        return Outcome::Findings;
    }
    Outcome::Clean
}

fn text(analysis: &Analysis) {
    let section = |title: &str, count: usize| outln!("{title} ({count})");
    let redundant: Vec<_> = analysis
        .flows
        .iter()
        .filter(|f| f.kind == "redundant")
        .collect();
    section("Redundant flows", redundant.len());
    for finding in redundant {
        outln!("  {}: {}", finding.flow, finding.why);
    }
    let dead: Vec<_> = analysis.flows.iter().filter(|f| f.kind == "dead").collect();
    section("Flows that can never carry traffic", dead.len());
    for finding in dead {
        outln!("  {}: {}", finding.flow, finding.why);
    }
    let widened: Vec<_> = analysis
        .flows
        .iter()
        .filter(|f| f.kind == "widened")
        .collect();
    section(
        "Flows the firewall widens to other classes of a segment",
        widened.len(),
    );
    for finding in widened {
        outln!("  {}: {}", finding.flow, finding.why);
    }
    section(
        "Paths from a lower level to a higher one, each step allowed",
        analysis.climbs.len(),
    );
    for climb in &analysis.climbs {
        outln!(
            "  level {} -> {}: {}",
            climb.from_level,
            climb.to_level,
            climb.path.endpoints.join(" -> ")
        );
        outln!("    by {}", climb.path.flows.join(", "));
    }
    for reach in &analysis.reach {
        section(
            &format!("What `{}` reaches", reach.from),
            reach.reached.len(),
        );
        for path in &reach.reached {
            let steps = path.flows.len();
            let last = path.endpoints.last().cloned().unwrap_or_default();
            if steps == 1 {
                outln!("  {last}: 1 step, by {}", path.flows.join(""));
            } else {
                outln!(
                    "  {last}: {steps} steps, through {}",
                    path.endpoints[1..path.endpoints.len() - 1].join(", ")
                );
            }
        }
    }
}
