//! `ward mud import FILE... [-o OUT]`: ward declarations from MUD files (RFC 8520), for
//! authors to start from the manufacturer's description of a thing.

use std::path::PathBuf;

use ward_compiler::Policy;
use ward_mud::import::{Existing, ImportOptions, import};
use ward_mud::read_file;

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
    /// The profile the classes declare.
    #[arg(long, default_value = "SecProf_2")]
    profile: String,
    /// The classes' capabilities, comma-separated (default: what the profile's mitigations
    /// need; MUD does not say what a thing can do).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    capabilities: Option<Vec<String>>,
    /// The environment the classes are assessed in (declared in the policy they join).
    #[arg(long, value_name = "NAME")]
    environment: Option<String>,
    /// The policy folder the declarations join (default: OUT's folder): its services (same
    /// host or network) and its local gateway are reused, its names avoided, and MUD URLs
    /// its classes already match are not imported again.
    #[arg(long, value_name = "DIR")]
    policy: Option<PathBuf>,
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
    let folder = args.policy.clone().or_else(|| {
        let parent = args.output.as_ref()?.parent()?;
        Some(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        })
    });
    // An empty folder (or none) is joined as the standard library alone.
    let has_policy = folder
        .as_deref()
        .filter(|f| f.is_dir())
        .is_some_and(|f| !crate::files::collect(&[f.to_path_buf()]).0.is_empty());
    let policy = match folder.as_deref().filter(|_| has_policy) {
        Some(folder) => match crate::commands::check::load(&[folder.to_path_buf()]) {
            Ok((policy, _)) => policy,
            Err(outcome) => return outcome,
        },
        None => Policy::default(),
    };
    let db = policy.db();
    let catalog = ward_compiler::model::catalog(db, policy.workspace());
    let Some(profile) = catalog.profile(&args.profile) else {
        let known: Vec<&str> = catalog.profiles.iter().map(|(n, _)| n.as_str()).collect();
        eprintln!(
            "error: no profile `{}`; the policy declares {}",
            args.profile,
            known.join(", ")
        );
        return Outcome::Failure;
    };
    let capabilities = args.capabilities.clone().unwrap_or_else(|| {
        let mut needed: Vec<String> = Vec::new();
        for mitigation in profile.mitigations() {
            for capability in catalog.mitigation(mitigation).map_or(&[][..], |m| &m.needs) {
                if !needed.contains(capability) {
                    needed.push(capability.clone());
                }
            }
        }
        needed
    });
    if let Some(environment) = &args.environment
        && ward_compiler::queries::decl_named(
            db,
            policy.workspace(),
            environment,
            ward_lang::ast::DeclKind::Environment,
        )
        .is_none()
    {
        eprintln!(
            "error: no environment `{environment}` in {}: declare it first, or leave out `--environment`",
            folder.as_deref().map_or_else(
                || "the standard library".to_string(),
                |f| f.display().to_string()
            )
        );
        return Outcome::Failure;
    }
    let existing = Existing::from_sources(
        policy
            .user_files()
            .into_iter()
            .map(|file| file.text(db).as_str()),
    );
    let options = ImportOptions {
        function: args.function,
        profile: args.profile,
        capabilities,
        environment: args.environment,
        existing,
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
