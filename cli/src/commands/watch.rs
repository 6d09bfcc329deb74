//! `ward watch [PATH...] -o DIR`: rebuild the bundle on every saved change.
//!
//! Changes are debounced (editors write several events per save, or save by writing a temporary
//! file and renaming it), then the policy's files are listed and read again, so that created,
//! deleted and renamed files are all seen. A policy with errors prints its diagnostics and keeps
//! the last good bundle, and says so. With `--test`, the policy's tests run on each good
//! bundle and their result follows (failing cases in full, then `N passed, N failed`).

use std::path::PathBuf;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use ward_compiler::emit::{self, BuildError, BuildOptions};
use ward_compiler::{Policy, Severity};
use ward_policy_test::run;

use crate::Outcome;
use crate::commands::build::write_bundle;
use crate::commands::check::plural;
use crate::files;
use crate::output::human::Renderer;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders of the policy.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// The bundle directory to keep up to date.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Quiet time, in milliseconds, before a burst of changes triggers a rebuild.
    #[arg(long, default_value_t = 150, value_name = "MS")]
    debounce: u64,
    /// Also run the policy's tests after each good rebuild (as `ward test` does), on the
    /// bundle just built.
    #[arg(long)]
    test: bool,
}

/// Reads the policy as it is on disk now. Files that cannot be read are reported, and the
/// build goes on without them.
fn load(paths: &[PathBuf]) -> Policy {
    let (found, errors) = files::collect(paths);
    for error in &errors {
        eprintln!("error: {error}");
    }
    let root = files::policy_root(paths);
    let mut policy = Policy::default();
    for path in &found {
        match files::read(path) {
            Ok(text) => {
                policy.add_file(files::name_in_root(path, root.as_deref()), text);
            }
            Err(error) => eprintln!("error: {error}"),
        }
    }
    policy
}

fn rebuild(args: &Args, renderer: &Renderer) {
    let policy = load(&args.paths);
    match emit::build(policy.db(), policy.workspace(), BuildOptions::default()) {
        Ok(bundle) => match write_bundle(&bundle, &args.output) {
            Ok(()) => {
                let revision = bundle
                    .files
                    .get("manifest.json")
                    .and_then(|m| serde_json::from_slice::<serde_json::Value>(m).ok())
                    .and_then(|m| m["revision"].as_str().map(str::to_string))
                    .unwrap_or_default();
                outln!(
                    "rebuilt {} (revision {})",
                    args.output.display(),
                    &revision[..revision.len().min(12)]
                );
                if args.test {
                    let report = run::prepare_built(&policy, &bundle)
                        .and_then(|prepared| run::run_prepared(&policy, &prepared, None));
                    match report {
                        Ok(report) => super::test::human(&report, false),
                        Err(error) => eprintln!("error: tests: {error}"),
                    }
                }
            }
            Err(message) => eprintln!("error: {}: {message}", args.output.display()),
        },
        Err(BuildError::Invalid(result)) => {
            for diagnostic in result
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
            {
                eprint!("{}", renderer.render(policy.db(), diagnostic));
            }
            outln!(
                "the policy has {}: kept the last good bundle in {}",
                plural(result.count(Severity::Error), "error"),
                args.output.display()
            );
        }
        Err(BuildError::Bug(message)) => eprintln!("error: {message}"),
    }
}

pub fn run(args: Args) -> Outcome {
    let renderer = Renderer::new();
    let (sender, events) = channel();
    let mut watcher = match notify::recommended_watcher(sender) {
        Ok(watcher) => watcher,
        Err(error) => {
            eprintln!("error: cannot watch files: {error}");
            return Outcome::Failure;
        }
    };
    for path in &args.paths {
        if let Err(error) = watcher.watch(path, RecursiveMode::Recursive) {
            eprintln!("error: cannot watch {}: {error}", path.display());
            return Outcome::Failure;
        }
    }
    rebuild(&args, &renderer);
    outln!("watching {} for changes", plural(args.paths.len(), "path"));
    let quiet = Duration::from_millis(args.debounce);
    let relevant = |event: &notify::Event| {
        event
            .paths
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "ward") && !p.starts_with(&args.output))
    };
    loop {
        // Wait for a change to a policy file, then for the burst to end.
        let first = match events.recv() {
            Ok(Ok(event)) => event,
            Ok(Err(error)) => {
                eprintln!("error: watching: {error}");
                continue;
            }
            Err(_) => return Outcome::Failure,
        };
        let mut changed = relevant(&first);
        loop {
            match events.recv_timeout(quiet) {
                Ok(Ok(event)) => changed |= relevant(&event),
                Ok(Err(error)) => eprintln!("error: watching: {error}"),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return Outcome::Failure,
            }
        }
        if changed {
            rebuild(&args, &renderer);
        }
    }
}
