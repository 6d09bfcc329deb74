//! `ward fmt [PATH...]`: rewrite files in the canonical layout. `--check` rewrites nothing
//! and exits 1 listing the files that would change. A file with syntax errors is left
//! untouched.

use std::path::PathBuf;

use ward_compiler::{Diagnostic, Policy};

use crate::Outcome;
use crate::commands::check::plural;
use crate::files;
use crate::output::human::Renderer;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders to format (folders are searched for `.ward` files).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Rewrite nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> Outcome {
    let (paths, mut errors) = files::collect(&args.paths);
    let renderer = Renderer::new();
    let mut unformatted = Vec::new();
    let mut broken = 0;
    for path in &paths {
        let text = match files::read(path) {
            Ok(text) => text,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        match ward_lang::format(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if !args.check
                    && let Err(error) = crate::files::write_atomic(path, &formatted)
                {
                    errors.push(files::FileError {
                        path: path.clone(),
                        message: format!("cannot write: {error}"),
                    });
                    continue;
                }
                unformatted.push(path);
            }
            Err(error) => {
                broken += 1;
                eprintln!("error: {}: {error}; left untouched", files::display(path));
                let mut policy = Policy::default();
                let file = policy.add_file(files::display(path), text);
                for parse_error in &error.errors {
                    let diagnostic = Diagnostic::from_parse_error(file, parse_error);
                    eprint!("{}", renderer.render(policy.db(), &diagnostic));
                }
            }
        }
    }
    for error in &errors {
        eprintln!("error: {error}");
    }
    for path in &unformatted {
        if args.check {
            outln!("would reformat {}", files::display(path));
        } else {
            outln!("formatted {}", files::display(path));
        }
    }
    let verb = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    outln!(
        "{}: {} {verb}{}",
        plural(paths.len(), "file"),
        unformatted.len(),
        if broken > 0 {
            format!(", {} with syntax errors left untouched", broken)
        } else {
            String::new()
        }
    );
    if !errors.is_empty() {
        Outcome::Failure
    } else if broken > 0 || (args.check && !unformatted.is_empty()) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}
