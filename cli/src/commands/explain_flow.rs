//! `ward explain flow 'A -> B [: PROTO/PORT] [{ action = OP }]'`: the firewall's and Cedar's
//! verdicts with the rules that decide them, both ends' profiles and levels, and for a denied
//! flow what `ward check` would say of declaring it. The work is `ward_policy_test::explain`;
//! this file reads the policy and prints.

use std::path::PathBuf;

use ward_policy_test::explain::{Direction, End, Explanation, explain_flow};

use crate::Outcome;
use crate::stdout::outln;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    /// One JSON document: the ends, each direction's probes and Cedar decision, the verdict
    /// and what declaring the flow would raise.
    Json,
}

pub fn run(paths: &[PathBuf], flow: &str, format: Format, today: super::check::Today) -> Outcome {
    if flow.trim().is_empty() {
        eprintln!("error: name the flow, in quotes: `ward explain flow 'a -> b : tcp/22'`");
        return Outcome::Failure;
    }
    let mut policy = match super::check::load(paths) {
        Ok((policy, false)) => policy,
        Ok((_, true)) => {
            eprintln!("error: some files could not be read");
            return Outcome::Failure;
        }
        Err(outcome) => return outcome,
    };
    today.apply(&mut policy);
    let explanation = match explain_flow(&mut policy, flow) {
        Ok(explanation) => explanation,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&explanation).unwrap_or_default()
        ),
        Format::Human => human(&explanation),
    }
    Outcome::Clean
}

fn human(explanation: &Explanation) {
    let operation = explanation
        .operation
        .as_deref()
        .map(|op| format!(" {{ action = {op} }}"))
        .unwrap_or_default();
    outln!(
        "flow {}{operation}: {}",
        explanation.flow,
        if explanation.allowed {
            "allowed"
        } else {
            "denied"
        }
    );
    outln!();
    for end in &explanation.ends {
        outln!("  {}", describe_end(end));
    }
    for direction in &explanation.directions {
        outln!();
        describe_direction(direction);
    }
    if !explanation.allowed {
        outln!();
        if explanation.declaring.is_empty() {
            outln!(
                "declaring it (`flow {}`) would check clean",
                explanation.flow
            );
        } else {
            outln!(
                "declaring it (`flow {}`), `ward check` would say:",
                explanation.flow
            );
            for finding in &explanation.declaring {
                outln!(
                    "  {} {}: {}",
                    finding.severity,
                    finding.code,
                    finding.message
                );
                if let Some(help) = &finding.help {
                    outln!("    help: {help}");
                }
            }
        }
    }
}

fn describe_end(end: &End) -> String {
    let profile = match (&end.profile, end.level) {
        (Some(profile), Some(level)) => format!(
            "{profile}, level {level} ({})",
            if end.assigned {
                "assigned by the risk assessment"
            } else {
                "declared"
            }
        ),
        _ => "no profile: level unknown".to_string(),
    };
    let place = match &end.segment {
        Some(segment) => format!(" in segment `{segment}`"),
        None => String::new(),
    };
    let addresses = if end.addresses.is_empty() {
        String::new()
    } else {
        format!(", {}", end.addresses.join(", "))
    };
    format!(
        "`{}`: {}{place}, {profile}{addresses} ({})",
        end.name, end.kind, end.origin
    )
}

fn describe_direction(direction: &Direction) {
    outln!(
        "{} -> {}: {}",
        direction.from,
        direction.to,
        if direction.allowed {
            "allowed"
        } else {
            "denied"
        }
    );
    for probe in &direction.probes {
        let port = probe.port.map(|p| format!("/{p}")).unwrap_or_default();
        outln!(
            "  firewall ({}), {}{port}: {} by {}",
            direction.chain,
            probe.protocol,
            if probe.accepted {
                "accepted"
            } else {
                "dropped"
            },
            probe.by
        );
    }
    if direction.operations.is_empty() {
        outln!("  cedar: no declared flow carries an operation on these ports");
    } else {
        for operation in &direction.operations {
            outln!(
                "  cedar, `{operation}`: {}",
                if direction.permitted.contains(operation) {
                    "permitted"
                } else {
                    "denied"
                }
            );
        }
    }
    for reason in &direction.cedar {
        outln!("    {reason}");
    }
}
