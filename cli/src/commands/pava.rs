//! `ward pava scan --bundle B FILE...`: the gateway's detection engine over log files
//! (RFC 5424 or BSD syslog lines, times taken from the lines), for testing rules against
//! captured logs. Prints each incident (rule, threat, severity, group, count, first and last
//! time). Exit 0 without incidents, 1 with, 2 when a file or the bundle cannot be read.

use std::path::{Path, PathBuf};

use ward_gateway::bundle::{self, Unsigned};
use ward_gateway::store::rfc3339;
use ward_pava::engine::{DEFAULT_MAX_GROUPS, Engine};
use ward_pava::scan::{ScanReport, scan};

use crate::Outcome;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PavaCommand,
}

#[derive(clap::Subcommand)]
enum PavaCommand {
    /// Run the bundle's detection rules over log files and print the incidents.
    Scan(ScanArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// The bundle: a directory from `ward build`, or a signed `bundle.cbor` (with `--key`).
    #[arg(long, value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The public key that signed the bundle.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
    /// Log files, in order (`-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The year of BSD syslog lines, which carry none (default: this year).
    #[arg(long)]
    year: Option<i32>,
    /// Groups tracked per rule; beyond, the least recent is evicted (and counted).
    #[arg(long, default_value_t = DEFAULT_MAX_GROUPS)]
    max_groups: usize,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: Args) -> Outcome {
    match args.command {
        PavaCommand::Scan(args) => run_scan(args),
    }
}

fn this_year() -> i32 {
    let now = ward_gateway::store::now();
    now.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970)
}

fn time(ms: i64) -> String {
    let secs = u64::try_from(ms.div_euclid(1000)).unwrap_or(0);
    rfc3339(secs, u32::try_from(ms.rem_euclid(1000)).unwrap_or(0))
}

fn run_scan(args: ScanArgs) -> Outcome {
    let key = match crate::keys::optional_public_key(args.key.as_deref()) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    let policy = match bundle::open(&args.bundle, key.as_ref(), Unsigned::Read) {
        Ok(policy) => {
            // Reading rules to try them on logs needs no trust, but say what was not checked.
            let signed = if args.bundle.is_dir() {
                args.bundle.join("bundle.cbor").is_file()
            } else {
                true
            };
            if key.is_none() && signed {
                eprintln!(
                    "warning: {} is signed and its signature was NOT checked: give the public key with `--key NAME.pub`",
                    args.bundle.display()
                );
            }
            policy
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    let mut engine = match Engine::new(&policy.ir.detections, args.max_groups) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("error: {}: {error}", args.bundle.display());
            return Outcome::Failure;
        }
    };
    let paths: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let report = match scan(&mut engine, &paths, args.year.unwrap_or_else(this_year)) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        Format::Human => human(&report),
    }
    if report.incidents.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
}

fn human(report: &ScanReport) {
    for incident in &report.incidents {
        let group = if incident.group.is_empty() {
            String::new()
        } else {
            format!(" {}", incident.group)
        };
        outln!(
            "{} ({}, {}){group}: {} message{}, {} .. {}",
            incident.rule,
            incident.threat,
            incident.severity,
            incident.count,
            if incident.count == 1 { "" } else { "s" },
            time(incident.first_ms),
            time(incident.last_ms)
        );
    }
    let dropped: u64 = report.dropped.values().sum();
    let reasons: Vec<String> = report
        .dropped
        .iter()
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    let evicted: u64 = report.rules.iter().map(|r| r.evicted).sum();
    outln!(
        "scanned {} lines: {} parsed, {dropped} dropped{}; {} incident{}{}",
        report.lines,
        report.parsed,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        },
        report.incidents.len(),
        if report.incidents.len() == 1 { "" } else { "s" },
        if evicted > 0 {
            format!("; {evicted} groups evicted (raise --max-groups)")
        } else {
            String::new()
        }
    );
}
