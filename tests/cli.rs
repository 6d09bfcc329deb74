//! The `ward` binary end to end: exit codes, rendered diagnostics (snapshots), file errors,
//! `fmt --check`, `explain`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ward(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("run ward")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn example_policies_check_clean() {
    let output = ward(&root(), &["check", "policies"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = stdout(&output);
    assert!(
        out.ends_with("checked 5 files: 0 errors, 0 warnings\n"),
        "{out}"
    );
    // The one class without a profile gets one from the risk assessment, as a note.
    assert_eq!(out.matches("N0001").count(), 1, "{out}");
    assert!(out.contains("class `smart_plug` gets `SecProf_1` in `private_home`"));
}

#[test]
fn errors_are_rendered_with_code_location_snippet_and_help() {
    let output = ward(&fixtures(), &["check", "errors"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("check_errors", stdout(&output));
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let output = ward(&fixtures(), &["check", "errors", "no/such/place"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("error: no/such/place: no such file or folder"),
        "{}",
        stderr(&output)
    );
    // The files that could be read are still checked.
    assert!(stdout(&output).contains("checked 2 files"));
}

#[test]
fn non_utf8_and_unreadable_files_get_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("latin1.ward"), b"class caf\xe9 {}\n").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("gone.ward", dir.path().join("dangling.ward")).expect("symlink");
    std::fs::write(
        dir.path().join("ok.ward"),
        "class ok { function = sensing }\nsegment oks { classes = [ok] }\n",
    )
    .expect("write");
    let output = ward(dir.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(
        errors.contains("latin1.ward: not valid UTF-8 (first invalid byte at offset 9)"),
        "{errors}"
    );
    #[cfg(unix)]
    assert!(errors.contains("dangling.ward: no such file"), "{errors}");
    assert!(stdout(&output).contains("checked 1 file: 0 errors"));
}

#[test]
fn a_folder_without_policies_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = ward(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no `.ward` files found in `.`"));
}

#[test]
fn usage_errors_exit_2() {
    let output = ward(&root(), &["check", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn output_is_capped_with_a_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text: String = (0..30)
        .map(|i| {
            format!("class c{i} {{ function = sensing, profile = nope }}\nsegment s{i} {{ classes = [c{i}] }}\n")
        })
        .collect();
    text.push_str("class q \"Quarantine\" { quarantine = true }\n");
    std::fs::write(dir.path().join("many.ward"), text).expect("write");
    let output = ward(dir.path(), &["check", "--max-diagnostics", "3"]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert_eq!(out.matches("E0100").count(), 3);
    assert!(out.contains("... and 27 more diagnostics"));
    assert!(out.ends_with("checked 1 file: 30 errors, 0 warnings\n"));
}

#[test]
fn fmt_check_lists_files_and_fmt_rewrites_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = "class a   {function=sensing}\n";
    let tidy = "class a { function = sensing }\n";
    // (Only the layout matters here; the policy itself need not check clean.)
    std::fs::write(dir.path().join("messy.ward"), messy).expect("write");
    std::fs::write(dir.path().join("tidy.ward"), tidy).expect("write");

    let output = ward(dir.path(), &["fmt", "--check", "."]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "would reformat messy.ward\n2 files: 1 would be reformatted\n"
    );
    let unchanged = std::fs::read_to_string(dir.path().join("messy.ward")).expect("read");
    assert_eq!(unchanged, messy, "--check rewrites nothing");

    let output = ward(dir.path(), &["fmt"]);
    assert_eq!(output.status.code(), Some(0));
    let formatted = std::fs::read_to_string(dir.path().join("messy.ward")).expect("read");
    assert_eq!(formatted, tidy);
    let output = ward(dir.path(), &["fmt", "--check"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn fmt_leaves_a_broken_file_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = "class a = {   function = sensing }\n";
    std::fs::write(dir.path().join("broken.ward"), broken).expect("write");
    let output = ward(dir.path(), &["fmt"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(
        "broken.ward: the file has 1 syntax error; fix it before formatting; left untouched"
    ));
    assert!(stderr(&output).contains("expected `{` or a title string after the class name"));
    let after = std::fs::read_to_string(dir.path().join("broken.ward")).expect("read");
    assert_eq!(after, broken);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn explain_prints_the_long_explanation() {
    let output = ward(&root(), &["explain", "E0100"]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.starts_with("E0100 (unknown-name): a name refers to nothing declared"));
    assert!(out.contains("Example:"));
    let by_name = ward(&root(), &["explain", "unknown-name"]);
    assert_eq!(stdout(&by_name), out);
}

#[test]
fn explain_an_unknown_code_is_an_error() {
    let output = ward(&root(), &["explain", "unknown-nam"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("unknown diagnostic code `unknown-nam`; did you mean `unknown-name`?")
    );
}

#[test]
fn json_lines_parse_back() {
    let output = ward(&fixtures(), &["check", "--format", "json", "formats"]);
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let unknown = &lines[1];
    assert_eq!(unknown["code"], "E0100");
    assert_eq!(unknown["name"], "unknown-name");
    assert_eq!(unknown["severity"], "error");
    assert_eq!(unknown["file"], "formats/policy.ward");
    assert_eq!(unknown["line"], 18);
    assert_eq!(unknown["column"], 13);
    assert_eq!(unknown["suggestion"]["replacement"], "SecProf_2");
    assert_eq!(lines[0]["code"], "W0001");
    // The summary goes to stderr, keeping stdout for the machine.
    assert!(stderr(&output).contains("checked 1 file: 1 error, 1 warning"));
}

#[test]
fn sarif_is_a_valid_log_with_rules_from_the_registry() {
    let output = ward(&fixtures(), &["check", "--format", "sarif", "formats"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    // It deserializes into serde-sarif's typed model of SARIF 2.1.0.
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&text).expect("a SARIF log");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["version"], "2.1.0");
    assert!(log.runs.len() == 1);
    let run = &value["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ward");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), ward_compiler::codes::ALL.len());
    assert!(rules.iter().any(|r| {
        r["id"] == "E0300"
            && r["name"] == "flow-to-higher-profile"
            && r["fullDescription"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Example"))
    }));
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    let error = results
        .iter()
        .find(|r| r["ruleId"] == "E0100")
        .expect("E0100");
    assert_eq!(error["level"], "error");
    let region = &error["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 18);
    assert_eq!(region["startColumn"], 13);
    assert_eq!(
        error["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "formats/policy.ward"
    );
    assert_eq!(
        error["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "SecProf_2"
    );
    let index = error["ruleIndex"].as_u64().expect("rule index") as usize;
    assert_eq!(rules[index]["id"], "E0100");

    // And it is valid against the SARIF 2.1.0 schema itself.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("sarif-schema-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator does reject what is not SARIF.
    assert!(!validator.is_valid(&serde_json::json!({ "runs": [] })));
}

#[test]
fn github_annotations() {
    let output = ward(&fixtures(), &["check", "--format", "github", "formats"]);
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(
        "::warning file=formats/policy.ward,line=10,endLine=10,col=9,endColumn=14,title=W0001 unused-declaration::service `spare` is never used%0Ahelp: "
    ), "{}", lines[0]);
    assert!(lines[1].starts_with("::error file=formats/policy.ward,line=18,"));
}

#[test]
fn deny_warnings_fails_on_warnings() {
    let output = ward(&fixtures(), &["check", "warnings"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("checked 1 file: 0 errors, 1 warning"));
    let output = ward(&fixtures(), &["check", "--deny", "warnings", "warnings"]);
    assert_eq!(output.status.code(), Some(1));
    let output = ward(&fixtures(), &["check", "--deny", "notes", "warnings"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "only `warnings` can be denied"
    );
}

#[test]
fn explain_risk_prints_the_assessment() {
    let output = ward(
        &root(),
        &["check", "policies", "--explain-risk", "front_door_lock"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("risk assessment of class `front_door_lock` in `managed_home`"));
    assert!(out.contains("T9      Extraction of private information"));
    assert!(
        out.contains("required profile: `SecProf_2` (level 2)"),
        "{out}"
    );
    assert!(out.contains("declared profile: `SecProf_2`"));
    let missing = ward(&root(), &["check", "policies", "--explain-risk", "nothing"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no class `nothing` in the policy"));
}

#[test]
fn keygen_build_sign_and_verify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("ward-key");
    let output = ward(dir.path(), &["keygen", "-o", "ward-key"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by its owner only"
        );
    }
    // Never overwritten.
    let again = ward(dir.path(), &["keygen", "-o", "ward-key"]);
    assert_eq!(again.status.code(), Some(2));

    let bundle = dir.path().join("bundle");
    let output = ward(
        &root(),
        &[
            "build",
            "policies",
            "-o",
            bundle.to_str().expect("path"),
            "--sign",
            key.to_str().expect("path"),
            "--sequence",
            "1",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with(&format!("built {}", bundle.display())));
    // Translation validation ran on the example policies before the bundle was written.
    assert!(
        stdout(&output).contains("validated: the firewall decides as the policy on "),
        "{}",
        stdout(&output)
    );
    let signed = bundle.join("bundle.cbor");
    let public = dir.path().join("ward-key.pub");
    let verify = |args: &[&str]| ward(dir.path(), args);
    let output = verify(&[
        "verify",
        signed.to_str().expect("path"),
        "--key",
        public.to_str().expect("path"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("signature valid"));

    // A tampered signed file fails with the reason.
    let mut bytes = std::fs::read(&signed).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let tampered = dir.path().join("tampered.cbor");
    std::fs::write(&tampered, bytes).expect("write");
    let output = verify(&[
        "verify",
        tampered.to_str().expect("path"),
        "--key",
        public.to_str().expect("path"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("error:"), "{}", stderr(&output));

    // A changed file in the directory fails the manifest check.
    std::fs::write(bundle.join("report.md"), "changed").expect("write");
    let output = verify(&["verify", bundle.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("`report.md` does not match its digest"));
}

#[test]
fn build_refuses_a_policy_with_errors_and_keeps_the_old_bundle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = dir.path().join("out");
    let output = ward(
        &root(),
        &["build", "policies", "-o", bundle.to_str().expect("path")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let before = std::fs::read(bundle.join("manifest.json")).expect("manifest");

    let output = ward(
        &fixtures(),
        &["build", "errors", "-o", bundle.to_str().expect("path")],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no bundle was written"));
    assert_eq!(
        std::fs::read(bundle.join("manifest.json")).expect("manifest"),
        before
    );

    // A folder that is not a bundle is never replaced.
    let precious = dir.path().join("precious");
    std::fs::create_dir(&precious).expect("dir");
    std::fs::write(precious.join("notes.txt"), "mine").expect("write");
    let output = ward(
        &root(),
        &["build", "policies", "-o", precious.to_str().expect("path")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a ward bundle"));
    assert_eq!(
        std::fs::read_to_string(precious.join("notes.txt")).expect("kept"),
        "mine"
    );
}

/// Copies the example policies into `dir`, applying text replacements to one file.
fn copy_policies(dir: &Path, file: &str, edits: &[(&str, &str)]) {
    for folder in ["home", "managed_home", "industrial", "managed_industrial"] {
        let target = dir.join(folder);
        std::fs::create_dir_all(&target).expect("dir");
        for entry in std::fs::read_dir(root().join("policies").join(folder))
            .expect("folder")
            .flatten()
        {
            let mut text = std::fs::read_to_string(entry.path()).expect("read");
            if entry.path().ends_with(file) {
                for (from, to) in edits {
                    assert!(text.contains(from), "{from}");
                    text = text.replace(from, to);
                }
            }
            std::fs::write(target.join(entry.file_name()), text).expect("write");
        }
    }
}

/// A counterexample's packet comes from a host of the class, never from the address of a
/// gateway that sits at the first host of the class's subnet: sent from there, it would be the
/// gateway's own traffic (the `output` chain), not the thing's.
#[test]
fn diff_counterexamples_come_from_a_thing_not_from_its_gateway() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = |extra: &str| {
        format!(
            r#"
environment shop {{ area = industrial, likelihood default = low, impact default = low }}
class cam "Camera" {{
  function = surveillance
  environment = shop
  capabilities = [x509, tls, secure_update, credential_rotation]
  accept T2, T9, T11, T20, T21, T23, T24 because "a test shop"
}}
class isolation {{ quarantine = true }}
gateway shop_gw {{ address = [10.7.0.1, 10.7.0.2] }}
segment cams {{ classes = [cam], subnet = 10.7.0.0/24, gateway = shop_gw }}
service vendor {{ address = 203.0.113.50, profile = SecProf_3 }}
{extra}
"#
        )
    };
    for (name, extra) in [
        ("old", ""),
        ("new", "flow cam -> vendor : tcp/443 { via = shop_gw }"),
    ] {
        let src = dir.path().join(name);
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join("p.ward"), policy(extra)).expect("write");
        let output = ward(
            dir.path(),
            &["build", name, "-o", &format!("{name}.bundle")],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let output = ward(dir.path(), &["diff", "old.bundle", "new.bundle"]);
    let out = stdout(&output);
    assert!(
        out.contains("e.g. cam (10.7.0.3) -> vendor (203.0.113.50) tcp/443"),
        "{out}"
    );
}

#[test]
fn diff_reports_semantic_changes_and_gates_widening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (old_src, new_src) = (dir.path().join("old"), dir.path().join("new"));
    copy_policies(&old_src, "x", &[]);
    copy_policies(
        &new_src,
        "hvac.ward",
        &[(
            "flow hvac_management -> hvac_unit : udp/5684 { action = set_temperature }",
            "flow hvac_management -> hvac_unit : udp/5684 { action = set_temperature }\n\
             flow hvac_management -> hvac_unit : tcp/22 { action = configure }",
        )],
    );
    // A credential refreshed less often: a weakened parameter.
    let sensor = new_src.join("industrial/hvac.ward");
    let text = std::fs::read_to_string(&sensor).expect("read");
    std::fs::write(
        &sensor,
        text.replacen("credential_refresh = 60d", "credential_refresh = 80d", 1),
    )
    .expect("write");
    for (src, out) in [(&old_src, "old.bundle"), (&new_src, "new.bundle")] {
        let output = ward(
            dir.path(),
            &["build", src.to_str().expect("path"), "-o", out],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}{}",
            stdout(&output),
            stderr(&output)
        );
    }
    let output = ward(
        dir.path(),
        &["diff", "old.bundle", "new.bundle", "--today", "2026-12-02"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains(
            "! traffic widened: `hvac_management -> hvac_unit` tcp/22 { action = configure }: allowed by `hvac_management -> hvac_unit : tcp/22 { action = configure }` (industrial/hvac.ward:"
        ),
        "{out}"
    );
    assert!(
        out.contains("    e.g. hvac_management (")
            && out.contains("tcp/22 { action = configure } at 2026-12-02"),
        "{out}"
    );
    assert!(
        out.contains("! parameter changed: `temperature_sensor`: M11.refresh 60d -> 80d"),
        "{out}"
    );

    let gated = ward(
        dir.path(),
        &["diff", "old.bundle", "new.bundle", "--fail-on", "widen"],
    );
    assert_eq!(gated.status.code(), Some(1));
    let same = ward(
        dir.path(),
        &["diff", "old.bundle", "old.bundle", "--fail-on", "widen"],
    );
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(stdout(&same), "no semantic change\n");

    let markdown = stdout(&ward(
        dir.path(),
        &["diff", "old.bundle", "new.bundle", "--format", "markdown"],
    ));
    assert!(markdown.starts_with("### Policy changes"));
    assert!(
        markdown.contains("| :warning: | traffic | widened |"),
        "{markdown}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&ward(
        dir.path(),
        &["diff", "old.bundle", "new.bundle", "--format", "json"],
    )))
    .expect("JSON");
    assert!(
        json.as_array()
            .expect("changes")
            .iter()
            .any(|c| c["subject"] == "traffic"
                && c["change"] == "widened"
                && c["widens"] == true
                && c["counterexample"]["port"] == 22
                && c["counterexample"]["operation"] == "configure")
    );

    // Reversed, the same change narrows: nothing widens.
    let reversed = ward(
        dir.path(),
        &["diff", "new.bundle", "old.bundle", "--fail-on", "widen"],
    );
    assert_eq!(reversed.status.code(), Some(0), "{}", stdout(&reversed));
    assert!(stdout(&reversed).contains("traffic narrowed"));
}
