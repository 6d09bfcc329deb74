//! `ward mud import FILE... [-o OUT]`: ward declarations from MUD files (RFC 8520), for
//! authors to start from the manufacturer's description of a thing.

use std::path::PathBuf;

use ward_gateway::mud::import::{ImportOptions, import};
use ward_gateway::mud::read_file;

use crate::Outcome;
use crate::stdout::out;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: MudCommand,
}

#[derive(clap::Subcommand)]
enum MudCommand {
    /// Print (or write) a class with `match mud`, its segment, services and flows for each
    /// MUD file; what ward's flows cannot say is listed in comments.
    Import(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    /// MUD files (JSON).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write the declarations to this file instead of standard output (never over an
    /// existing file unless `--force`).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// The classes' function (MUD does not say what a thing does).
    #[arg(long, default_value = "monitoring", value_parser = function_word)]
    function: String,
}

fn function_word(text: &str) -> Result<String, String> {
    let words = ward_compiler::schema::FUNCTIONS.words;
    if words.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!("expected one of: {}", words.join(", ")))
    }
}

pub fn run(args: Args) -> Outcome {
    match args.command {
        MudCommand::Import(args) => run_import(args),
    }
}

fn run_import(args: ImportArgs) -> Outcome {
    let mut files = Vec::new();
    let mut failed = false;
    for path in &args.files {
        match read_file(path) {
            Ok(mud) => files.push((path.display().to_string(), mud)),
            Err(error) => {
                eprintln!("error: {error}");
                failed = true;
            }
        }
    }
    if failed {
        return Outcome::Findings;
    }
    let options = ImportOptions {
        function: args.function,
    };
    let text = import(&files, &options);
    match &args.output {
        None => {
            out!("{text}");
            Outcome::Clean
        }
        Some(path) if path.exists() && !args.force => {
            eprintln!(
                "error: {} exists; pass `--force` to replace it",
                path.display()
            );
            Outcome::Failure
        }
        Some(path) => match crate::files::write_atomic(path, &text) {
            Ok(()) => {
                let classes = if files.len() == 1 { "class" } else { "classes" };
                eprintln!("wrote {} ({} {classes})", path.display(), files.len());
                Outcome::Clean
            }
            Err(error) => {
                eprintln!("error: {}: {error}", path.display());
                Outcome::Failure
            }
        },
    }
}
