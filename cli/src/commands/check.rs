//! `ward check [PATH...]`: parse, resolve and check policies; print diagnostics and a
//! summary. Exit 0 when clean, 1 on errors (and on warnings with `--deny warnings`), 2 when
//! a path cannot be read or the command is misused.

use std::path::PathBuf;

use ward_compiler::{Policy, Severity};

use crate::Outcome;
use crate::files;
use crate::output::human::Renderer;
use crate::output::{Format, Spans, github, json, sarif};
use crate::stdout::{out, outln};

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders to check (folders are searched for `.ward` files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Fail on warnings too (`--deny warnings`).
    #[arg(long, value_name = "warnings", value_parser = ["warnings"])]
    deny: Option<String>,
    /// Print the risk assessment behind a class's profile instead of the diagnostics.
    #[arg(long, value_name = "CLASS")]
    explain_risk: Option<String>,
    /// Print at most this many diagnostics in the human format (0: all); the summary counts
    /// them all.
    #[arg(long, default_value_t = 200, value_name = "N")]
    max_diagnostics: usize,
    #[command(flatten)]
    today: Today,
}

/// `--today DATE`: waivers expire and flows end against the clock; a run as of a given day is
/// reproducible (CI of an old commit, a test).
#[derive(clap::Args, Clone, Copy, Default)]
pub struct Today {
    /// Check as of this date or date-time (UTC: `2027-06-30`, `2027-06-30T18:00Z`) instead
    /// of now: waivers expire and time-limited flows end against it.
    #[arg(long, value_name = "DATE", value_parser = parse_today)]
    today: Option<ward_lang::Timestamp>,
}

impl Today {
    /// The moment to judge at: the date given, else the clock (seconds since 1970, UTC).
    pub fn unix(&self) -> i64 {
        self.today
            .map_or_else(ward_compiler::db::system_now, |today| today.unix)
    }

    pub fn apply(&self, policy: &mut Policy) {
        if let Some(today) = self.today {
            policy.set_now(today.unix);
        }
    }
}

fn parse_today(text: &str) -> Result<ward_lang::Timestamp, String> {
    ward_lang::Timestamp::parse(text).map_err(|e| e.0)
}

/// Reads the `.ward` files of the paths into a policy; `Err` when nothing could be read.
pub fn load(paths: &[PathBuf]) -> Result<(Policy, bool), Outcome> {
    load_named(paths, false)
}

/// `load`, naming files relative to the policy's root (`files::policy_root`): what outputs
/// record (`ward build`, `ward test`, `ward watch`) must not depend on the folder ward runs in.
pub fn load_rooted(paths: &[PathBuf]) -> Result<(Policy, bool), Outcome> {
    load_named(paths, true)
}

fn load_named(paths: &[PathBuf], rooted: bool) -> Result<(Policy, bool), Outcome> {
    let root = if rooted {
        files::policy_root(paths)
    } else {
        None
    };
    let (found, errors) = files::collect(paths);
    let mut policy = Policy::default();
    let mut failed = !errors.is_empty();
    for error in &errors {
        eprintln!("error: {error}");
    }
    for path in &found {
        match files::read(path) {
            Ok(text) => {
                policy.add_file(files::name_in_root(path, root.as_deref()), text);
            }
            Err(error) => {
                eprintln!("error: {error}");
                failed = true;
            }
        }
    }
    if found.is_empty() && errors.is_empty() {
        eprintln!(
            "error: no `.ward` files found in {}",
            paths
                .iter()
                .map(|p| format!("`{}`", files::display(p)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Err(Outcome::Failure);
    }
    Ok((policy, failed))
}

pub fn run(args: Args) -> Outcome {
    let (mut policy, io_failed) = match load(&args.paths) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    args.today.apply(&mut policy);
    if let Some(class) = &args.explain_risk {
        return crate::commands::explain_risk::run(&policy, class);
    }

    let result = policy.check();
    let db = policy.db();
    let spans = Spans::new(db);
    match args.format {
        Format::Human => {
            let renderer = Renderer::new();
            // A waived finding is counted in the summary, not shown: its waiver says why.
            let open: Vec<&ward_compiler::Diagnostic> = result
                .diagnostics
                .iter()
                .filter(|d| d.waived.is_none())
                .collect();
            let shown = if args.max_diagnostics == 0 {
                open.len()
            } else {
                args.max_diagnostics.min(open.len())
            };
            for diagnostic in &open[..shown] {
                out!("{}", renderer.render(db, diagnostic));
                outln!();
            }
            if shown < open.len() {
                outln!(
                    "... and {} more diagnostics (`--max-diagnostics 0` shows all)",
                    open.len() - shown
                );
            }
        }
        Format::Json => {
            for diagnostic in &result.diagnostics {
                outln!("{}", json::render(&spans, diagnostic));
            }
        }
        Format::Github => {
            for diagnostic in result.diagnostics.iter().filter(|d| d.waived.is_none()) {
                outln!("{}", github::render(&spans, diagnostic));
            }
        }
        Format::Sarif => outln!("{}", sarif::render(&spans, &result.diagnostics)),
    }

    let error_count = result.count(Severity::Error);
    let warning_count = result.count(Severity::Warning);
    let mut summary = format!(
        "checked {}: {}, {}",
        plural(policy.user_files().len(), "file"),
        plural(error_count, "error"),
        plural(warning_count, "warning"),
    );
    if result.waived() > 0 {
        summary.push_str(&format!(", {} waived", result.waived()));
    }
    // Machine formats keep stdout for the machine.
    if args.format == Format::Human {
        outln!("{summary}");
    } else {
        eprintln!("{summary}");
    }
    let deny_warnings = args.deny.is_some();
    if io_failed {
        Outcome::Failure
    } else if error_count > 0 || (deny_warnings && warning_count > 0) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
