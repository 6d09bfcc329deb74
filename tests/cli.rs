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
    assert_eq!(stdout(&output), "checked 4 files: 0 errors, 0 warnings\n");
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
    let text: String = (0..30)
        .map(|i| {
            format!("class c{i} {{ function = sensing, profile = nope }}\nsegment s{i} {{ classes = [c{i}] }}\n")
        })
        .collect();
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
