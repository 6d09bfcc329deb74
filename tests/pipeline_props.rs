//! The pipeline's invariant on generated policies: for every policy `ward check` accepts
//! without errors, the bundle builds (its Cedar validates with the strict validator), `nft -c`
//! accepts its ruleset, the gateway's PAVA engine builds its detection rules, `ward test` runs (its cases may pass or fail, but the runner never
//! errs), the formatter is idempotent, and every class with a `match mud` pattern onboards a
//! MUD file whose URL matches the pattern, into the class classification promises. A second
//! generator mutates generated policies: the result fails `check` or passes every stage, and
//! nothing panics.
//!
//! CI runs a few hundred cases. The long run (documented in README):
//!
//! ```sh
//! WARD_PROPTEST_CASES=100000 cargo test --release -p ward --test pipeline_props -- --nocapture
//! ```
//!
//! A failure shrinks to a minimal policy, printed formatted by `ward fmt`, with the stage
//! that broke.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/policy_gen.rs"]
mod policy_gen;

use std::cell::RefCell;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ward_compiler::Policy;
use ward_compiler::emit::{self, BuildError, BuildOptions};
use ward_compiler::mud_pattern::{QUARANTINE_PATTERN, glob, specificity};
use ward_gateway::bundle::PolicyBundle;

/// What a policy came to.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// `ward check` refused it, with these codes: fine, nothing later is promised.
    Refused(Vec<&'static str>),
    /// Every stage worked.
    Passed,
}

/// `nft -c` over a ruleset, when nft can be run here (it needs CAP_NET_ADMIN).
fn nft_check(ruleset: &str) -> Result<(), String> {
    if !nft_usable() {
        return Ok(());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("ruleset.nft");
    std::fs::write(&path, ruleset).map_err(|e| e.to_string())?;
    let output = Command::new("nft")
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Whether `nft -c` can run: required under CI, skipped loudly elsewhere.
fn nft_usable() -> bool {
    thread_local! {
        static USABLE: RefCell<Option<bool>> = const { RefCell::new(None) };
    }
    USABLE.with(|cell| {
        *cell.borrow_mut().get_or_insert_with(|| {
            let works = Command::new("nft")
                .args(["-c", "-f", "/dev/null"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !works {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must run nft -c (install nftables, run as root)"
                );
                eprintln!(
                    "SKIPPED: nft -c cannot run here (not installed or not root); CI checks every generated ruleset with it"
                );
            }
            works
        })
    })
}

/// Runs every stage; Err names the stage that broke and how.
fn pipeline(text: &str) -> Result<Outcome, String> {
    let mut policy = Policy::default();
    policy.add_file("generated.ward", text);
    let checked = policy.check();
    if checked.has_errors() {
        let mut codes: Vec<&'static str> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == ward_compiler::Severity::Error)
            .map(|d| d.code.code)
            .collect();
        codes.sort_unstable();
        codes.dedup();
        if let Ok(show) = std::env::var("WARD_PROPTEST_SHOW") {
            for d in checked.diagnostics.iter().filter(|d| d.code.code == show) {
                eprintln!("{}: {}", d.code.code, d.message);
            }
        }
        return Ok(Outcome::Refused(codes));
    }
    // The formatter: idempotent, and it keeps a clean policy clean.
    let formatted = ward_lang::format::format(text).map_err(|e| format!("fmt: {e:?}"))?;
    let again = ward_lang::format::format(&formatted).map_err(|e| format!("fmt: {e:?}"))?;
    if again != formatted {
        return Err(format!(
            "fmt is not idempotent:\n--- once\n{formatted}\n--- twice\n{again}"
        ));
    }

    let bundle = match emit::build(
        policy.db(),
        policy.workspace(),
        BuildOptions {
            sigma: true,
            source_url: None,
            tests: None,
        },
    ) {
        Ok(bundle) => bundle,
        Err(BuildError::Invalid(result)) => {
            return Err(format!(
                "build: refused a policy check accepted: {:?}",
                result.diagnostics
            ));
        }
        Err(BuildError::Bug(bug)) => return Err(format!("build: {bug}")),
    };
    let ruleset = bundle
        .files
        .get("firewall/ruleset.nft")
        .ok_or("build: no firewall/ruleset.nft")?;
    nft_check(&String::from_utf8_lossy(ruleset)).map_err(|e| format!("nft -c: {e}"))?;

    let prepared = ward_policy_test::run::prepare_built(&policy, &bundle)
        .map_err(|e| format!("ward test (prepare): {e}"))?;
    ward_policy_test::run::run_prepared(&policy, &prepared, None)
        .map_err(|e| format!("ward test: {e}"))?;

    // Translation validation: the compiled firewall and Cedar decide exactly what the
    // policy says, on the pairs it chooses and on every pair.
    let [nft_text, cedar_text, schema_text] = ward_policy_test::validate::texts_of(&bundle);
    let compiled = ward_policy_test::validate::Compiled {
        ruleset: &nft_text,
        cedar_policies: &cedar_text,
        cedar_schema: &schema_text,
    };
    let ir_now = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    for exhaustive in [false, true] {
        let validation = ward_policy_test::validate::validate_pairs(
            &ir_now,
            &compiled,
            policy.now(),
            exhaustive,
        )
        .map_err(|e| format!("validation: {e}"))?;
        if !validation.holds() {
            let shown: Vec<String> = validation.mismatches.iter().map(|m| m.describe()).collect();
            return Err(format!(
                "translation validation (every pair: {exhaustive}):\n{}",
                shown.join("\n")
            ));
        }
    }

    let manifest = ward_compiler::bundle::sign::check_manifest(&bundle)
        .map_err(|e| format!("manifest: {e}"))?;
    let ir_bytes = bundle.files.get("ir.cbor").ok_or("build: no ir.cbor")?;
    let ir: ward_compiler::ir::PolicyIr =
        ciborium::from_reader(ir_bytes.as_slice()).map_err(|e| format!("ir.cbor: {e}"))?;
    // The gateway's PAVA engine builds every detection rule check accepted.
    ward_pava::engine::Engine::new(&ir.detections, 10_000)
        .map_err(|e| format!("PAVA engine: {e}"))?;
    let loaded = PolicyBundle {
        bundle: bundle.clone(),
        manifest,
        ir,
        sequence: None,
    };
    // Every pattern onboards a thing whose URL it matches, into the class of the most
    // specific pattern matching that URL.
    let patterns: Vec<(String, String)> = loaded
        .ir
        .classes
        .iter()
        .flat_map(|c| c.mud.iter().map(|p| (c.name.clone(), p.clone())))
        .collect();
    for (class, pattern) in &patterns {
        if pattern == QUARANTINE_PATTERN {
            continue;
        }
        let url = pattern.replace('*', "gen-7");
        let mud = ward_mud::parse_mud(cli::minimal_mud(&url).as_bytes())
            .map_err(|e| format!("MUD of `{url}`: {e}"))?;
        let onboarded = ward_gateway::pasc::onboard::onboard(
            &loaded,
            &mud,
            "thing-1",
            ward_gateway::pasc::classify::Evidence::Fetched,
        )
        .map_err(|refusal| {
            format!(
                "onboard: class `{class}`'s pattern `{pattern}`: `{url}` refused: {} {}",
                refusal.code, refusal.message
            )
        })?;
        let best = patterns
            .iter()
            .filter(|(_, p)| p != QUARANTINE_PATTERN && glob(p, &url))
            .map(|(_, p)| specificity(p))
            .max()
            .unwrap_or(0);
        let expected: Vec<&String> = patterns
            .iter()
            .filter(|(_, p)| p != QUARANTINE_PATTERN && glob(p, &url) && specificity(p) == best)
            .map(|(c, _)| c)
            .collect();
        if !expected.contains(&&onboarded.class) {
            return Err(format!(
                "onboard: `{url}` went to `{}`, expected one of {expected:?}",
                onboarded.class
            ));
        }
    }
    Ok(Outcome::Passed)
}

fn cases(default: u32) -> u32 {
    std::env::var("WARD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The failing policy, formatted, for the panic message.
fn show(text: &str) -> String {
    ward_lang::format::format(text).unwrap_or_else(|_| text.to_string())
}

#[test]
fn a_policy_that_checks_clean_passes_every_later_stage() {
    let cases = cases(300);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let passed = RefCell::new(0u32);
    // Why check refused the others: the generator's yield, printed at the end.
    let refused = RefCell::new(std::collections::BTreeMap::<&str, u32>::new());
    let result = runner.run(&policy_gen::policy(), |generated| {
        let text = generated.text();
        match pipeline(&text) {
            Ok(Outcome::Passed) => {
                *passed.borrow_mut() += 1;
                Ok(())
            }
            Ok(Outcome::Refused(codes)) => {
                for code in codes {
                    *refused.borrow_mut().entry(code).or_default() += 1;
                }
                Ok(())
            }
            Err(stage) => Err(TestCaseError::fail(format!(
                "{stage}\n--- policy (ward fmt):\n{}",
                show(&text)
            ))),
        }
    });
    let passed = *passed.borrow();
    eprintln!("{cases} generated policies: {passed} checked clean and passed every stage");
    eprintln!(
        "refused by check, policies per code: {:?}",
        refused.borrow()
    );
    if let Err(error) = result {
        panic!("{error}");
    }
    // A generator whose policies never check clean tests nothing. About a quarter do (the
    // rest draw levels, families, areas and capabilities that check refuses, which tests the
    // refusals); one in six is the floor.
    assert!(
        passed * 6 >= cases,
        "only {passed} of {cases} generated policies checked clean"
    );
}

/// Edits that keep a policy's text close to valid: the mutated policy must fail `check` or
/// pass every stage.
fn mutate(text: &str, at: usize, edit: u8, piece: usize) -> String {
    const PIECES: &[&str] = &[
        "flow c0 -> c1 : tcp/22\n",
        "flow svc0 <-> c0\n",
        "  profile = SecProf_1\n",
        "  profile = SecProf_4\n",
        "  environment = env0\n",
        "segment extra { classes = [c0], subnet = 10.0.0.0/16 }\n",
        "  via = gw0\n",
        "match mud \"*\"\n",
        "  capabilities = []\n",
        "service dup \"Dup\" { address = 10.0.0.1 }\n",
        "gateway gwx \"G\" { address = fd00::1 }\n",
        ", action = report",
        "  deny flow c0 -> svc0 : udp/53 { action = nonexistent }\n",
        "  expect c0.level >= 3\n",
        "flow c0 -> c1 : tcp/100-50\n",
        "flow c1 -> svc0 : tcp/0, icmpv6\n",
        "  subnet = 10.0.0.0/8\n",
        "  vlan = 0\n",
        "  address = 10.0.0.7/8\n",
        "  via = c0\n",
        "  because = \"a reason\"\n",
        "  credential_refresh = 0s\n",
        "  when count >= 99999999999 within 1m by src\n",
    ];
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let at = at % lines.len();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match edit % 3 {
        0 => {
            out.remove(at);
        }
        1 => out.insert(at, PIECES[piece % PIECES.len()].trim_end().to_string()),
        _ => {
            let other = (at * 7 + piece) % lines.len();
            out.swap(at, other);
        }
    }
    out.join("\n") + "\n"
}

#[test]
fn a_mutated_policy_fails_check_or_passes_every_stage() {
    let cases = cases(200);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        policy_gen::policy(),
        prop::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 1..4),
    );
    let result = runner.run(&strategy, |(generated, edits)| {
        let mut text = generated.text();
        for (at, edit, piece) in edits {
            text = mutate(&text, at, edit, piece);
        }
        let outcome = std::panic::catch_unwind(|| pipeline(&text));
        match outcome {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(stage)) => Err(TestCaseError::fail(format!(
                "{stage}\n--- policy (ward fmt):\n{}",
                show(&text)
            ))),
            Err(_) => Err(TestCaseError::fail(format!(
                "panicked\n--- policy:\n{text}"
            ))),
        }
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
