//! `ward check [PATH...]`: parse, resolve and check policies; print diagnostics and a
//! summary. Exit 0 when clean, 1 on errors, 2 when a path cannot be read.

use std::path::PathBuf;

use ward_compiler::{Policy, Severity};

use crate::Outcome;
use crate::files;
use crate::render::Renderer;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders to check (folders are searched for `.ward` files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Print at most this many diagnostics (0: all); the summary counts them all.
    #[arg(long, default_value_t = 200, value_name = "N")]
    max_diagnostics: usize,
}

pub fn run(args: Args) -> Outcome {
    let (paths, mut errors) = files::collect(&args.paths);
    let mut policy = Policy::default();
    for path in &paths {
        match files::read(path) {
            Ok(text) => {
                policy.add_file(files::display(path), text);
            }
            Err(error) => errors.push(error),
        }
    }
    for error in &errors {
        eprintln!("error: {error}");
    }
    if paths.is_empty() && errors.is_empty() {
        eprintln!(
            "error: no `.ward` files found in {}",
            args.paths
                .iter()
                .map(|p| format!("`{}`", files::display(p)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Outcome::Failure;
    }

    let result = policy.check();
    let renderer = Renderer::new();
    let shown = if args.max_diagnostics == 0 {
        result.diagnostics.len()
    } else {
        args.max_diagnostics.min(result.diagnostics.len())
    };
    for diagnostic in &result.diagnostics[..shown] {
        print!("{}", renderer.render(policy.db(), diagnostic));
        println!();
    }
    if shown < result.diagnostics.len() {
        println!(
            "... and {} more diagnostics (`--max-diagnostics 0` shows all)",
            result.diagnostics.len() - shown
        );
    }
    let error_count = result.count(Severity::Error);
    let warning_count = result.count(Severity::Warning);
    println!(
        "checked {}: {}, {}",
        plural(policy.user_files().len(), "file"),
        plural(error_count, "error"),
        plural(warning_count, "warning"),
    );
    if !errors.is_empty() {
        Outcome::Failure
    } else if error_count > 0 {
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
