//! The `ward` binary: the command line over the compiler.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod files;
mod keys;
mod output;
mod stdout;

/// Policy-as-code for IoT security: threats, mitigations, device classes, segments, flows,
/// security profiles and detection rules, checked and compiled.
#[derive(Parser)]
#[command(name = "ward", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policies: syntax, names and declarations, with the standard library.
    Check(commands::check::Args),
    /// Check a policy and write its bundle: device configurations, Cedar, nftables, PAVA
    /// rules and a report.
    Build(commands::build::Args),
    /// Rebuild the bundle on every saved change; keep the last good one on errors.
    Watch(commands::watch::Args),
    /// Run the language server on standard input and output (for editors).
    Lsp,
    /// Rewrite policies in the canonical layout.
    Fmt(commands::fmt::Args),
    /// Write an Ed25519 key pair for signing bundles.
    Keygen(commands::keygen::Args),
    /// Check a signed bundle (or a bundle directory) against its signature and manifest.
    Verify(commands::verify::Args),
    /// Compare two bundles semantically: traffic widened or narrowed (with a counterexample),
    /// rewrites, profiles raised or lowered...
    Diff(commands::diff::Args),
    /// Analyse a policy: redundant flows, flows that never carry traffic, what a thing
    /// reaches in one or more steps, and paths from a lower level to a higher one.
    Analyze(commands::analyze::Args),
    /// Explain a diagnostic code (`ward explain E0100`), or why a flow is allowed or denied
    /// (`ward explain flow 'a -> b : tcp/22'`).
    Explain(commands::explain::Args),
    /// Draw segments and flows: `--format svg` (laid out by ward), `dot` or `mermaid`.
    Graph(commands::graph::Args),
    /// Work with Manufacturer Usage Description files (RFC 8520).
    Mud(commands::mud::Args),
    /// Run PASC offline: match a thing's MUD file to a class of a bundle, and print its
    /// profile with the risk assessment and its configuration.
    Onboard(commands::onboard::Args),
    /// Run the gateway: verify and load a signed bundle, onboard things over an HTTP API,
    /// keep the inventory in SQLite and the firewall in step.
    Gateway(Box<commands::gateway::Args>),
    /// PAVA offline: run a bundle's detection rules over log files.
    Pava(commands::pava::Args),
    /// What the fleet's gateways sent to PostgreSQL: `status`, `devices`, `incidents`.
    Fleet(commands::fleet::Args),
    /// Run the policy's tests on its compiled bundle.
    Test(commands::test::Args),
}

/// What a command's outcome means for the exit code: 0 clean, 1 findings, 2 usage or IO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
    Failure,
}

fn run_lsp() -> Outcome {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the language server: {error}");
            return Outcome::Failure;
        }
    };
    runtime.block_on(ward_lsp::run_stdio());
    Outcome::Clean
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Lsp => run_lsp(),
        Command::Watch(args) => commands::watch::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Graph(args) => commands::graph::run(args),
        Command::Keygen(args) => commands::keygen::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Mud(args) => commands::mud::run(args),
        Command::Onboard(args) => commands::onboard::run(args),
        Command::Gateway(args) => commands::gateway::run(*args),
        Command::Pava(args) => commands::pava::run(args),
        Command::Fleet(args) => commands::fleet::run(args),
        Command::Test(args) => commands::test::run_tests(args),
    };
    match outcome {
        Outcome::Clean => ExitCode::SUCCESS,
        Outcome::Findings => ExitCode::from(1),
        Outcome::Failure => ExitCode::from(2),
    }
}
