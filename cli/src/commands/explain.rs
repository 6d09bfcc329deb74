//! `ward explain CODE`: the long explanation of a diagnostic code.

use crate::Outcome;
use crate::stdout::{out, outln};
use ward_compiler::codes;

#[derive(clap::Args)]
pub struct Args {
    /// A code (`E0100`) or its name (`unknown-name`).
    code: String,
}

pub fn run(args: Args) -> Outcome {
    let Some(code) = codes::lookup(&args.code) else {
        let all: Vec<&str> = codes::ALL.iter().map(|c| c.code).collect();
        let names = codes::ALL.iter().map(|c| c.name);
        let hint = ward_compiler::suggest::closest(&args.code, all.iter().copied().chain(names))
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        eprintln!("error: unknown diagnostic code `{}`{hint}", args.code);
        eprintln!("known codes: {}", all.join(", "));
        return Outcome::Failure;
    };
    outln!("{} ({}): {}", code.code, code.name, code.summary);
    outln!("severity: {}", code.severity.as_str());
    outln!();
    out!("{}", code.explanation);
    Outcome::Clean
}
