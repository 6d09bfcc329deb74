//! `ward graph [PATH...] --format dot|svg|mermaid [-o FILE]`: segments, classes, services and
//! gateways, and the flows between them (`ward_compiler::emit::graph`). A policy whose names
//! do not resolve cannot be drawn; one with other errors can (a flow E0300 refuses is drawn
//! in red), so that a reviewer sees what is wrong.

use std::path::PathBuf;

use ward_compiler::Severity;
use ward_compiler::emit::graph;

use crate::Outcome;
use crate::output::human::Renderer;
use crate::stdout::out;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphviz's DOT (`dot -Tpng`).
    Dot,
    /// An SVG picture laid out by ward (no Graphviz needed).
    Svg,
    /// A Mermaid flowchart, for review comments that render it.
    Mermaid,
}

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders of the policy.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Svg)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Outcome {
    let (policy, io_failed) = match super::check::load_rooted(&args.paths) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    if io_failed {
        return Outcome::Failure;
    }
    let names = policy.check_names();
    if names.has_errors() {
        let renderer = Renderer::new();
        for diagnostic in names
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            eprint!("{}", renderer.render(policy.db(), diagnostic));
            eprintln!();
        }
        eprintln!("error: the policy has syntax or name errors; nothing to draw");
        return Outcome::Findings;
    }
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let text = match args.format {
        Format::Dot => graph::dot(&ir),
        Format::Svg => graph::svg(&ir),
        Format::Mermaid => graph::mermaid(&ir),
    };
    match &args.output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, text) {
                eprintln!("error: cannot write {}: {error}", path.display());
                return Outcome::Failure;
            }
        }
        None => out!("{text}"),
    }
    Outcome::Clean
}
