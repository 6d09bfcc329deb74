//! `ward build [PATH...] -o DIR`: check the policy and, when it has no errors, write the
//! bundle directory. The previous bundle is replaced only once the new one is complete.

use std::path::{Path, PathBuf};

use ward_compiler::bundle::sign;
use ward_compiler::emit::{self, BuildError, BuildOptions, Bundle};

use crate::Outcome;
use crate::commands::check::{load_rooted, plural};
use crate::output::human::Renderer;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders of the policy.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// The bundle directory to write.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Extra outputs: `sigma` writes Sigma rules under `sigma/`.
    #[arg(long, value_name = "KIND", value_parser = ["sigma"])]
    emit: Vec<String>,
    /// Sign the bundle with this private key (from `ward keygen`): writes `bundle.cbor`.
    #[arg(long, value_name = "KEY", requires = "sequence")]
    sign: Option<PathBuf>,
    /// The signed bundle's sequence number: a gateway that has accepted a bundle refuses
    /// any with a lower number (no rollback), or the same number with other contents. CI
    /// should give its pipeline's run number, which only grows.
    #[arg(long, value_name = "N", requires = "sign")]
    sequence: Option<u64>,
    #[command(flatten)]
    today: crate::commands::check::Today,
    /// Where the policy's sources can be browsed (`https://git.example/policy/blob/main/`):
    /// report.html links each source line it names to `URL/file.ward#L12`.
    #[arg(long, value_name = "URL")]
    source_url: Option<String>,
    /// Run the policy's tests on the bundle before writing it: the report says how they went,
    /// and a failing test writes no bundle (exit 1).
    #[arg(long)]
    test: bool,
    /// Skip translation validation: the proof, before anything is written, that the
    /// compiled firewall ruleset and Cedar policies decide exactly what the policy says. It
    /// takes seconds on policies of thousands of classes; CI should never skip it.
    #[arg(long)]
    no_validate: bool,
}

pub fn run(args: Args) -> Outcome {
    let (mut policy, io_failed) = match load_rooted(&args.paths) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    args.today.apply(&mut policy);
    if io_failed {
        eprintln!("error: some files could not be read; nothing was built");
        return Outcome::Failure;
    }
    // Read the key first: a missing key should fail before any work is done.
    let signing_key = match args
        .sign
        .as_deref()
        .map(crate::keys::private_key)
        .transpose()
    {
        Ok(key) => key,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    let mut options = BuildOptions {
        sigma: args.emit.iter().any(|e| e == "sigma"),
        source_url: args.source_url.as_deref(),
        tests: None,
    };
    let mut bundle = match emit::build(policy.db(), policy.workspace(), options) {
        Ok(bundle) => bundle,
        Err(BuildError::Invalid(result)) => {
            let renderer = Renderer::new();
            for diagnostic in &result.diagnostics {
                if diagnostic.severity == ward_compiler::Severity::Error
                    && diagnostic.waived.is_none()
                {
                    eprint!("{}", renderer.render(policy.db(), diagnostic));
                    eprintln!();
                }
            }
            eprintln!(
                "error: the policy has {}; no bundle was written",
                plural(result.count(ward_compiler::Severity::Error), "error")
            );
            return Outcome::Findings;
        }
        Err(BuildError::Bug(message)) => {
            eprintln!("error: {message}");
            return Outcome::Failure;
        }
    };
    let validated = if args.no_validate {
        None
    } else {
        match validated(&policy, &bundle) {
            Ok(validation) => Some(validation),
            Err(outcome) => return outcome,
        }
    };
    let results;
    if args.test {
        results = match tested(&policy, &bundle) {
            Ok(results) => results,
            Err(outcome) => return outcome,
        };
        options.tests = Some(&results);
        bundle = match emit::build(policy.db(), policy.workspace(), options) {
            Ok(bundle) => bundle,
            Err(BuildError::Invalid(_) | BuildError::Bug(_)) => {
                eprintln!("error: the bundle could not be built again with the tests' results");
                return Outcome::Failure;
            }
        };
    }
    if let Some(key) = &signing_key {
        match sign::sign(&bundle, key, args.sequence.unwrap_or_default()) {
            Ok(signed) => {
                bundle.files.insert("bundle.cbor".to_string(), signed);
            }
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failure;
            }
        }
    }
    if let Err(message) = write_bundle(&bundle, &args.output) {
        eprintln!("error: {}: {message}", args.output.display());
        return Outcome::Failure;
    }
    let revision = manifest_revision(&bundle).unwrap_or_default();
    outln!(
        "built {} ({}, revision {})",
        args.output.display(),
        plural(bundle.files.len(), "file"),
        &revision[..revision.len().min(12)]
    );
    match validated {
        Some(v) => outln!(
            "validated: the firewall decides as the policy on {} between {} pair{} of places; Cedar on {}",
            plural(v.firewall_cells, "cell"),
            v.firewall_pairs,
            if v.firewall_pairs == 1 { "" } else { "s" },
            plural(v.cedar_requests, "request")
        ),
        None => outln!("not validated (--no-validate)"),
    }
    Outcome::Clean
}

/// Translation validation of the bundle just built: a mismatch is a bug in ward's emitters,
/// never written to disk.
fn validated(
    policy: &ward_compiler::Policy,
    bundle: &Bundle,
) -> Result<ward_policy_test::validate::Validation, Outcome> {
    use ward_policy_test::validate::{Compiled, texts_of, validate};
    let [ruleset, cedar_policies, cedar_schema] = texts_of(bundle);
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let compiled = Compiled {
        ruleset: &ruleset,
        cedar_policies: &cedar_policies,
        cedar_schema: &cedar_schema,
    };
    let validation = validate(&ir, &compiled, policy.now()).map_err(|error| {
        eprintln!("error: translation validation could not run: {error}; no bundle was written");
        Outcome::Failure
    })?;
    if validation.holds() {
        return Ok(validation);
    }
    for mismatch in &validation.mismatches {
        eprintln!("  {}", mismatch.describe());
    }
    if validation.more > 0 {
        eprintln!("  ... and {} more", validation.more);
    }
    eprintln!(
        "error: the compiled outputs do not decide what the policy says (a bug in ward: please report it with the lines above); no bundle was written"
    );
    Err(Outcome::Failure)
}

/// Runs the policy's tests on the bundle just built; a failing case prints and stops the
/// build (exit 1).
fn tested(
    policy: &ward_compiler::Policy,
    bundle: &Bundle,
) -> Result<emit::report::TestResults, Outcome> {
    use ward_policy_test::run;
    let report = run::prepare_built(policy, bundle)
        .and_then(|prepared| run::run_prepared(policy, &prepared, None))
        .map_err(|error| {
            eprintln!("error: the tests could not run: {error}");
            Outcome::Failure
        })?;
    if report.failed() > 0 {
        for case in report.cases.iter().filter(|c| !c.passed) {
            eprintln!(
                "FAIL {:?} ({}:{}): {}\n  expected {}, got {}",
                case.test, case.file, case.line, case.assertion, case.expected, case.actual
            );
        }
        eprintln!(
            "error: {} of {} test cases failed; no bundle was written",
            report.failed(),
            report.cases.len()
        );
        return Err(Outcome::Findings);
    }
    let mut tests: Vec<(String, String, usize, usize)> = Vec::new();
    for case in &report.cases {
        match tests.iter_mut().find(|(name, ..)| *name == case.test) {
            Some((_, _, cases, passed)) => {
                *cases += 1;
                *passed += usize::from(case.passed);
            }
            None => tests.push((
                case.test.clone(),
                format!("{}:{}", case.file, case.line),
                1,
                usize::from(case.passed),
            )),
        }
    }
    Ok(emit::report::TestResults { tests })
}

fn manifest_revision(bundle: &Bundle) -> Option<String> {
    let manifest: serde_json::Value =
        serde_json::from_slice(bundle.files.get("manifest.json")?).ok()?;
    manifest["revision"].as_str().map(str::to_string)
}

/// Writes the bundle into a fresh sibling folder, then swaps it in. An existing folder is
/// replaced only if it is a ward bundle (has a `manifest.json`) or empty: anything else is
/// someone's data, and is refused.
pub fn write_bundle(bundle: &Bundle, out: &Path) -> Result<(), String> {
    if out.exists() {
        let is_bundle = out.join("manifest.json").is_file();
        let is_empty = std::fs::read_dir(out)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if !is_bundle && !is_empty {
            return Err(
                "exists and is not a ward bundle (no manifest.json); refusing to replace it"
                    .to_string(),
            );
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("cannot create the parent folder: {e}"))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".to_string());
    let staging = parent.join(format!(".{name}.ward-new-{}", std::process::id()));
    let previous = parent.join(format!(".{name}.ward-old-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        for (path, bytes) in &bundle.files {
            let target = staging.join(path);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&target, bytes)?;
        }
        Ok(())
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("cannot write the bundle: {error}"));
    }
    if out.exists()
        && let Err(error) = std::fs::rename(out, &previous)
    {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("cannot move the previous bundle aside: {error}"));
    }
    if let Err(error) = std::fs::rename(&staging, out) {
        // Put the previous bundle back: the output must never be left without one.
        let _ = std::fs::rename(&previous, out);
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!("cannot move the new bundle in place: {error}"));
    }
    let _ = std::fs::remove_dir_all(&previous);
    Ok(())
}
