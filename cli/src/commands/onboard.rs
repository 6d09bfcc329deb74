//! `ward onboard --bundle B --mud FILE [--id ID]`: PASC offline. Matches the MUD file to a
//! class of the bundle, and prints the profile with the risk assessment behind it, the peers
//! whose configuration changes (m7), what the MUD file asks beyond the class (not granted:
//! the class's flows win) and the configuration for the thing (m6). Exit 0 onboarded, 1
//! refused, 2 when the bundle or the MUD file cannot be read.

use std::path::PathBuf;

use ward_gateway::bundle::{self, Unsigned};
use ward_gateway::pasc::classify::Evidence;
use ward_gateway::pasc::onboard::{Onboarding, default_id, onboard};

use crate::Outcome;
use crate::stdout::outln;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The bundle: a directory from `ward build`, or a signed `bundle.cbor` (with `--key`).
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The public key that signed the bundle.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// The thing's MUD file (RFC 8520).
    #[arg(long, value_name = "FILE")]
    mud: PathBuf,
    /// The thing's id (default: the last segment of its MUD URL).
    #[arg(long)]
    id: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: Args) -> Outcome {
    let key = match crate::keys::optional_public_key(args.key.as_deref()) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    let policy = match bundle::open(&args.bundle, key.as_ref(), Unsigned::Refuse) {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    let mud = match ward_mud::read_file(&args.mud) {
        Ok(mud) => mud,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    let id = args.id.unwrap_or_else(|| default_id(&mud));
    // The operator's own file, read from disk: its maker and model are the operator's word.
    match onboard(&policy, &mud, &id, Evidence::Sender) {
        Ok(onboarding) => {
            match args.format {
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&onboarding).unwrap_or_default()
                ),
                Format::Human => human(&onboarding),
            }
            Outcome::Clean
        }
        Err(refusal) => {
            match args.format {
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "refused": refusal }))
                        .unwrap_or_default()
                ),
                Format::Human => {}
            }
            eprintln!("error: refused {id}: {refusal}");
            Outcome::Findings
        }
    }
}

fn human(o: &Onboarding) {
    outln!("thing `{}` ({})", o.device, o.mud_url);
    outln!("  {}", o.classification.describe());
    if o.quarantined {
        // The quarantine place holds no profile and is assessed nowhere: nothing more to say
        // of it but what the MUD file asked.
        outln!("  QUARANTINED: the quarantine place reaches nothing and nothing reaches it");
    }
    let how = if o.assigned {
        "assigned by the risk assessment"
    } else {
        "declared by the class"
    };
    match (&o.profile, o.level) {
        (Some(profile), Some(level)) => outln!("  profile {profile} (level {level}), {how}"),
        _ if o.quarantined => {}
        _ => outln!(
            "  no profile: the class declares neither a profile nor an environment to assess it in"
        ),
    }
    if o.assessments.is_empty() && !o.quarantined {
        outln!("  no risk assessment: the class names no environment");
    }
    for assessment in &o.assessments {
        let required = assessment.required.as_deref().unwrap_or("no profile fits");
        outln!(
            "  in `{}`: {} risk{} to mitigate, requires {required}",
            assessment.environment,
            assessment.risks.len(),
            if assessment.risks.len() == 1 { "" } else { "s" }
        );
        // The highest risks first (the assessment's order); all of them with `--format json`.
        const SHOWN: usize = 6;
        for risk in assessment.risks.iter().take(SHOWN) {
            outln!(
                "    {} {}: {} (likelihood {} from {}, impact {} from {})",
                risk.threat,
                risk.title,
                risk.risk,
                risk.likelihood,
                risk.likelihood_from,
                risk.impact,
                risk.impact_from
            );
        }
        if assessment.risks.len() > SHOWN {
            outln!(
                "    ... and {} more (`--format json` lists them all)",
                assessment.risks.len() - SHOWN
            );
        }
        for (profile, why) in &assessment.rejected {
            outln!("    not {profile}: {why}");
        }
    }
    if !o.peers.is_empty() {
        outln!(
            "  peers whose configuration changes (m7): {}",
            o.peers.join(", ")
        );
    }
    if o.excess.is_empty() {
        outln!("  the MUD file asks for nothing beyond the class");
    } else {
        outln!(
            "  the MUD file asks for {} thing{} beyond the class (not granted: the class's flows win):",
            o.excess.len(),
            if o.excess.len() == 1 { "" } else { "s" }
        );
        for excess in &o.excess {
            outln!("    {}: {} ({})", excess.ace, excess.asks, excess.reason);
        }
    }
    outln!(
        "  configuration (m6), bundle revision {}:",
        &o.bundle_revision.get(..12).unwrap_or(&o.bundle_revision)
    );
    let config = serde_json::to_string_pretty(&o.config).unwrap_or_default();
    for line in config.lines() {
        outln!("    {line}");
    }
}
