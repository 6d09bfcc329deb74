//! `ward test [PATH...]`: runs the policy's `test` blocks on its compiled bundle: flow
//! assertions on the firewall ruleset and the Cedar policies, expectations on profiles and
//! risks, detection rules on log lines. Prints each failing case with what was expected,
//! what happened and what decided it, then `N passed, N failed`. Exit 0 when all pass, 1
//! otherwise, 2 when the policy cannot be built.

use std::path::PathBuf;

use ward_policy_test::coverage::coverage;
use ward_policy_test::run::{Report, run};

use crate::Outcome;
use crate::stdout::outln;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    /// JUnit XML, for CI dashboards: one test suite per file, one test case per assertion.
    Junit,
    /// One JSON document: every case (test, assertion, file, line, row, passed, expected,
    /// actual, decided_by) and the counts.
    Json,
}

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
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Report which flows, profile threat lines and detection rules the tests exercised,
    /// per file.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when coverage is below this percentage (implies `--coverage`).
    #[arg(long, value_name = "PERCENT")]
    threshold: Option<f64>,
    /// Fail (exit 1) on assertions that test nothing (W0006: an operation no flow declares).
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    today: super::check::Today,
}

pub fn run_tests(args: Args) -> Outcome {
    let mut policy = match super::check::load(&args.paths) {
        Ok((policy, _)) => policy,
        Err(outcome) => return outcome,
    };
    args.today.apply(&mut policy);
    // Assertions that hold whatever the policy says: reported always, failing with --strict.
    let vacuous: Vec<ward_compiler::Diagnostic> = policy
        .check()
        .diagnostics
        .into_iter()
        .filter(|d| {
            d.waived.is_none()
                && (d.code.code == ward_compiler::codes::UNDECLARED_OPERATION.code
                    || d.code.code == ward_compiler::codes::UNTESTABLE_EXPECTATION.code)
        })
        .collect();
    for diagnostic in &vacuous {
        let file = diagnostic.file.path(policy.db());
        let text = diagnostic.file.text(policy.db());
        let line = text[..diagnostic.range.start as usize]
            .matches('\n')
            .count()
            + 1;
        eprintln!(
            "{}: {file}:{line}: {}",
            if args.strict { "error" } else { "warning" },
            diagnostic.message
        );
    }
    let report = match run(&policy, args.filter.as_deref()) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    match args.format {
        Format::Human => human(&report, args.verbose),
        Format::Junit => crate::stdout::out!("{}", junit(&report)),
        Format::Json => outln!(
            "{}",
            serde_json::json!({
                "cases": report.cases,
                "passed": report.passed(),
                "failed": report.failed(),
            })
        ),
    }
    let mut below = false;
    if args.coverage || args.threshold.is_some() {
        let covered = coverage(&policy, &report.exercised);
        // With JUnit or JSON on stdout, the coverage goes to stderr.
        let print = |line: String| match args.format {
            Format::Human => outln!("{line}"),
            Format::Junit | Format::Json => eprintln!("{line}"),
        };
        for file in &covered.files {
            print(format!(
                "coverage {}: {} of {} exercised",
                file.file,
                file.covered(),
                file.items.len()
            ));
            for item in file.items.iter().filter(|i| !i.exercised) {
                print(format!(
                    "  not exercised: {} {} (line {})",
                    item.kind, item.what, item.line
                ));
            }
        }
        let percent = covered.percent();
        print(format!("coverage: {percent:.1}%"));
        if let Some(threshold) = args.threshold
            && percent < threshold
        {
            eprintln!("error: coverage {percent:.1}% is below the threshold of {threshold}%");
            below = true;
        }
    }
    let strict_failure = args.strict && !vacuous.is_empty();
    if report.failed() == 0 && !below && !strict_failure {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}

pub(crate) fn human(report: &Report, verbose: bool) {
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

/// XML text with the five predefined entities escaped, and control characters XML 1.0
/// cannot carry dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a suite per file, a case per assertion (`classname` is the test's name).
fn junit(report: &Report) -> String {
    let mut files: Vec<&str> = report.cases.iter().map(|c| c.file.as_str()).collect();
    files.dedup();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ward test\" tests=\"{}\" failures=\"{}\">\n",
        report.cases.len(),
        report.failed()
    );
    for file in files {
        let cases: Vec<_> = report.cases.iter().filter(|c| c.file == file).collect();
        let failures = cases.iter().filter(|c| !c.passed).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(file),
            cases.len()
        ));
        for case in cases {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} (line {})\" file=\"{}\" line=\"{}\"",
                xml(&case.test),
                xml(&case.assertion),
                case.line,
                xml(&case.file),
                case.line
            ));
            if case.passed {
                out.push_str("/>\n");
                continue;
            }
            let mut body = format!("expected: {}\nactual: {}", case.expected, case.actual);
            for why in &case.decided_by {
                body.push_str(&format!("\ndecided by {why}"));
            }
            out.push_str(&format!(
                ">\n      <failure message=\"expected {}, actual {}\">{}</failure>\n    </testcase>\n",
                xml(&case.expected),
                xml(&case.actual),
                xml(&body)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
