//! `ward diff OLD NEW`: the semantic difference of two bundles (directories or signed
//! `bundle.cbor` files), for code review: changes in allowed traffic with a counterexample
//! connection each, rewrites that change none, and changes in protection.
//! `--format human|markdown|json`; `--fail-on widen` exits 1 when access widens or
//! protection weakens.

use std::path::{Path, PathBuf};

use ward_compiler::diff::{Change, diff};
use ward_compiler::ir::PolicyIr;
use ward_gateway::bundle::Unsigned;

use crate::Outcome;
use crate::stdout::{out, outln};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    /// For a pull-request comment.
    Markdown,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    old: PathBuf,
    new: PathBuf,
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    format: DiffFormat,
    /// `widen`: exit 1 when traffic widens (NEW allows a connection OLD refused), a profile
    /// is lowered, a mitigation dropped, a parameter weakened or a detection rule removed or
    /// loosened. A rewrite that allows the same traffic passes.
    #[arg(long, value_name = "widen", value_parser = ["widen"])]
    fail_on: Option<String>,
    /// Verify signed bundles with this public key before comparing them.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    // Time-limited flows are compared from this moment on: what ended before it allows
    // nothing.
    #[command(flatten)]
    today: super::check::Today,
}

fn load(path: &Path, key: Option<&ed25519_dalek::VerifyingKey>) -> Result<PolicyIr, String> {
    ward_gateway::bundle::open(path, key, Unsigned::Read)
        .map(|bundle| bundle.ir)
        .map_err(|error| error.to_string())
}

pub fn run(args: Args) -> Outcome {
    let key = match crate::keys::optional_public_key(args.key.as_deref()) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    let mut sides = Vec::new();
    for path in [&args.old, &args.new] {
        match load(path, key.as_ref()) {
            Ok(ir) => sides.push(ir),
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failure;
            }
        }
    }
    let changes = diff(&sides[0], &sides[1], args.today.unix());
    match args.format {
        DiffFormat::Human => human(&changes),
        DiffFormat::Markdown => markdown(&changes),
        DiffFormat::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&changes).unwrap_or_default()
            );
        }
    }
    let widens = changes.iter().any(|c| c.widens);
    if widens && args.fail_on.is_some() {
        eprintln!("error: the change widens access or weakens protection");
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

fn human(changes: &[Change]) {
    if changes.is_empty() {
        outln!("no semantic change");
        return;
    }
    for change in changes {
        let mark = if change.widens { "!" } else { " " };
        outln!(
            "{mark} {} {}: {}",
            change.subject,
            change.change,
            change.what
        );
        if let Some(example) = &change.counterexample {
            outln!("    e.g. {}", example.describe());
        }
    }
    let widening = changes.iter().filter(|c| c.widens).count();
    outln!(
        "{} change{}, {widening} widening access or weakening protection (marked !)",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    );
}

fn markdown(changes: &[Change]) {
    out!("### Policy changes\n\n");
    if changes.is_empty() {
        outln!("No semantic change.");
        return;
    }
    let widening: Vec<&Change> = changes.iter().filter(|c| c.widens).collect();
    if !widening.is_empty() {
        outln!(
            "**{} widen{} access or weaken{} protection:**\n",
            if widening.len() == 1 {
                "1 change".to_string()
            } else {
                format!("{} changes", widening.len())
            },
            if widening.len() == 1 { "s" } else { "" },
            if widening.len() == 1 { "s" } else { "" }
        );
        for change in &widening {
            outln!(
                "- :warning: {} {}: {}",
                change.subject,
                change.change,
                change.what
            );
            if let Some(example) = &change.counterexample {
                outln!("  e.g. `{}`", example.describe());
            }
        }
        outln!();
    }
    outln!("| | subject | change | what | for example |\n|---|---|---|---|---|");
    for change in changes {
        outln!(
            "| {} | {} | {} | {} | {} |",
            if change.widens { ":warning:" } else { "" },
            change.subject,
            change.change,
            change.what.replace('|', "\\|"),
            change
                .counterexample
                .as_ref()
                .map(|e| format!("`{}`", e.describe()))
                .unwrap_or_default()
        );
    }
}
