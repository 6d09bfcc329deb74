//! The Sigma export as Sigma's own tooling reads it: every rule of the example policies and
//! the standard library, and rules that capture in several fields, convert with pySigma's
//! Splunk and Elasticsearch backends (tests/sigma/convert.py); a correlation groups only by
//! fields its rule defines. pySigma is required in CI (`.ci/run` installs it) and skipped,
//! loudly, elsewhere.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::Command;

use cli::{root, ward};

fn pysigma_available() -> bool {
    let found = Command::new("python3")
        .args([
            "-c",
            "import sigma.backends.splunk, sigma.backends.elasticsearch",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install pySigma with its Splunk and Elasticsearch backends"
        );
        eprintln!(
            "SKIPPED: pySigma is not installed (pip install pysigma pysigma-backend-splunk pysigma-backend-elasticsearch)"
        );
    }
    found
}

/// Builds `policy` with `--emit sigma` into `dir/bundle`; the sigma folder.
fn sigma_of(dir: &Path, policy: &Path) -> std::path::PathBuf {
    let out = dir.join("bundle");
    let built = ward(
        dir,
        &[
            "build",
            &policy.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
            "--emit",
            "sigma",
        ],
    );
    assert!(built.status.success(), "{built:?}");
    out.join("sigma")
}

/// Builds a policy of one file of rules in `dir/policy`; its sigma folder.
fn sigma_of_rules(dir: &Path, rules: &str) -> std::path::PathBuf {
    let policy = dir.join("policy");
    std::fs::create_dir(&policy).expect("folder");
    std::fs::write(policy.join("rules.ward"), rules).expect("write");
    sigma_of(dir, &policy)
}

fn converts(sigma: &Path) {
    let output = Command::new("python3")
        .arg(root().join("tests/sigma/convert.py"))
        .arg(sigma)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "pySigma refused ward's Sigma export:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let result: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        for backend in ["splunk", "esql", "lucene"] {
            assert!(
                result["queries"][backend]
                    .as_array()
                    .is_some_and(|q| !q.is_empty()),
                "{line}"
            );
        }
    }
}

/// Every `group-by` name of a file's correlation is a field its rule lists or a syslog field.
fn groups_by_defined_fields(sigma: &Path) {
    for entry in std::fs::read_dir(sigma).expect("sigma folder").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("rule");
        let Some((rule, correlation)) = text.split_once("\n---\n") else {
            continue;
        };
        let fields: Vec<&str> = rule
            .split_once("\nfields:\n")
            .map(|(_, rest)| {
                rest.lines()
                    .take_while(|l| l.starts_with("  - "))
                    .map(|l| l.trim_start_matches("  - "))
                    .collect()
            })
            .unwrap_or_default();
        let groups: Vec<&str> = correlation
            .split_once("\n  group-by:\n")
            .map(|(_, rest)| {
                rest.lines()
                    .take_while(|l| l.starts_with("    - "))
                    .map(|l| l.trim_start_matches("    - "))
                    .collect()
            })
            .unwrap_or_default();
        for group in groups {
            assert!(
                fields.contains(&group)
                    || [
                        "Application",
                        "Hostname",
                        "Message",
                        "MessageId",
                        "ProcessId"
                    ]
                    .contains(&group),
                "{}: groups by `{group}`, which the rule does not define",
                entry.path().display()
            );
        }
    }
}

#[test]
fn the_example_policies_sigma_rules_convert_with_splunk_and_elasticsearch() {
    if !pysigma_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let sigma = sigma_of(dir.path(), &root().join("policies"));
    groups_by_defined_fields(&sigma);
    converts(&sigma);
}

#[test]
fn captures_in_several_fields_and_alternatives_convert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sigma = sigma_of_rules(
        dir.path(),
        r#"
detect logins_by_daemon "Failed logins per daemon and user" {
  threat = T7
  severity = medium
  match syslog {
    app = /^(?<daemon>sshd|dropbear)$/
    msg = /^(?:Failed password for (?<user>\S+) from \S+|Login failed for user '(?<user>[^']*)')/
  }
  when count >= 3 within 5m by daemon, user
  then { report user }
}
"#,
    );
    let text = std::fs::read_to_string(sigma.join("logins_by_daemon.yml")).expect("rule");
    // Plain groups in the searches; the names with the regexes that extract them.
    assert!(
        text.contains("Message|re: \"^(?:Failed password for (\\\\S+)"),
        "{text}"
    );
    assert!(
        text.contains("    Application:\n      - \"sshd\"\n"),
        "{text}"
    );
    assert!(text.contains("fields:\n  - daemon\n  - user\n"), "{text}");
    assert!(
        text.contains("  daemon:\n    field: Application\n"),
        "{text}"
    );
    assert!(text.contains("(?<user>"), "{text}");
    groups_by_defined_fields(&sigma);
    if pysigma_available() {
        converts(&sigma);
    }
}

/// Every flag that changes what a pattern matches reaches Sigma: `i`, `m` and `s` as Sigma's
/// own modifiers, `x` written out (Sigma has no such modifier: blanks would be matched).
#[test]
fn regex_flags_carry_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sigma = sigma_of_rules(
        dir.path(),
        r#"
detect spaced "Failed logins, written spaced out" {
  threat = T7
  severity = medium
  match syslog { msg = /^Failed \  password  for (?<user> \S+ ) [ a]/xms }
  when count >= 3 within 5m by user
}
"#,
    );
    let text = std::fs::read_to_string(sigma.join("spaced.yml")).expect("rule");
    assert!(
        text.contains("    Message|re|m|s: \"^Failed\\\\ passwordfor(\\\\S+)[a]\"\n"),
        "{text}"
    );
    // The extraction keeps the engine's own pattern, flags inline.
    assert!(text.contains("regex: \"(?xms)^Failed"), "{text}");
    if pysigma_available() {
        converts(&sigma);
    }
}
