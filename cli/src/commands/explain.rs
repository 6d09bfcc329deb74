//! `ward explain CODE`: the long explanation of a diagnostic code; `ward explain flow 'A -> B
//! : tcp/22'`: why a flow is allowed or denied (explain_flow.rs).

use std::path::PathBuf;

use crate::Outcome;
use crate::stdout::{out, outln};
use ward_compiler::codes;

#[derive(clap::Args)]
pub struct Args {
    /// A code (`E0100`) or its name (`unknown-name`); or `flow`, followed by a flow as a test
    /// writes it, in quotes: `ward explain flow 'pump_vendor -> infusion_pump : tcp/22'`.
    code: String,
    /// The flow, after `flow`.
    flow: Vec<String>,
    /// The policy's files or folders, for `flow`.
    #[arg(long, value_name = "PATH", default_value = ".")]
    policy: Vec<PathBuf>,
    /// How to print a flow's explanation.
    #[arg(long, value_enum, default_value_t = super::explain_flow::Format::Human)]
    format: super::explain_flow::Format,
    #[command(flatten)]
    today: super::check::Today,
}

pub fn run(args: Args) -> Outcome {
    if args.code == "flow" {
        return super::explain_flow::run(
            &args.policy,
            &args.flow.join(" "),
            args.format,
            args.today,
        );
    }
    if !args.flow.is_empty() {
        eprintln!(
            "error: `ward explain {}` takes one code; to explain a flow: `ward explain flow 'a -> b : tcp/22'`",
            args.code
        );
        return Outcome::Failure;
    }
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
