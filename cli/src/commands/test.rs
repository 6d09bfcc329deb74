//! `ward test [PATH...]`: runs the policy's `test` blocks on its compiled bundle: flow
//! assertions on the firewall ruleset and the Cedar policies, expectations on profiles and
//! risks, detection rules on log lines. Prints each failing case with what was expected,
//! what happened and what decided it, then `N passed, N failed`. Exit 0 when all pass, 1
//! otherwise, 2 when the policy cannot be built.

use std::path::PathBuf;

use ward_gateway::testing::run::{Report, run};

use crate::Outcome;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (default: the current folder).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Also list the cases that pass.
    #[arg(short, long)]
    verbose: bool,
}

pub fn run_tests(args: Args) -> Outcome {
    let policy = match super::check::load(&args.paths) {
        Ok((policy, _)) => policy,
        Err(outcome) => return outcome,
    };
    let report = match run(&policy, args.filter.as_deref()) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    human(&report, args.verbose);
    if report.failed() == 0 {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}

fn human(report: &Report, verbose: bool) {
    for case in &report.cases {
        if case.passed && !verbose {
            continue;
        }
        outln!(
            "{} \"{}\" ({}:{})",
            if case.passed { "ok  " } else { "FAIL" },
            case.test,
            case.file,
            case.line
        );
        outln!("  {}", case.assertion);
        if !case.passed {
            outln!("  expected: {}", case.expected);
            outln!("  actual:   {}", case.actual);
        }
        for why in &case.decided_by {
            outln!("  decided by {why}");
        }
    }
    outln!("{} passed, {} failed", report.passed(), report.failed());
}
