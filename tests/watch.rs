//! `ward watch` in a temporary folder: write -> the bundle appears; break -> the error is
//! reported and the old bundle untouched; fix -> a new bundle; files created, renamed over
//! (as editors save) and deleted are all seen; with `--test`, the tests' result after each
//! good bundle.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const GOOD: &str = "environment home \"Home\" { likelihood default = low, impact default = low }\n\
class plug \"Plug\" {\n  function = monitoring\n  environment = home\n  capabilities = [x509, tls, second_factor]\n}\n\
segment plugs { classes = [plug], subnet = 10.1.0.0/24 }\n";

fn wait_for(lines: &Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("`ward watch` never printed {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

fn manifest(out: &Path) -> String {
    std::fs::read_to_string(out.join("manifest.json")).expect("a bundle")
}

/// Saves like editors that write a temporary file and rename it over the original.
fn save_by_rename(path: &Path, text: &str) {
    let temp = path.with_extension("ward.tmp~");
    std::fs::write(&temp, text).expect("write");
    std::fs::rename(&temp, path).expect("rename");
}

/// `ward watch` with more arguments, in `dir`; its stdout line by line.
fn watch(dir: &Path, more: &[&str]) -> (std::process::Child, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["watch", "src", "-o", "out", "--debounce", "100"])
        .args(more)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ward watch starts");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

#[test]
fn watch_rebuilds_and_keeps_the_last_good_bundle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    let out = dir.path().join("out");
    std::fs::create_dir(&src).expect("dir");
    std::fs::write(src.join("home.ward"), GOOD).expect("write");

    let (mut child, lines) = watch(dir.path(), &[]);

    wait_for(&lines, "rebuilt out");
    wait_for(&lines, "watching");
    let first = manifest(&out);

    // Break it: the error is reported and the bundle stays as it was.
    save_by_rename(
        &src.join("home.ward"),
        &GOOD.replace("function = monitoring", "function = "),
    );
    wait_for(&lines, "kept the last good bundle in out");
    assert_eq!(manifest(&out), first);

    // Fix it with a change: a new bundle.
    save_by_rename(
        &src.join("home.ward"),
        &GOOD.replace("10.1.0.0/24", "10.9.0.0/24"),
    );
    wait_for(&lines, "rebuilt out");
    let second = manifest(&out);
    assert_ne!(second, first);

    // A new file that depends on the first, then the first deleted: an error, bundle kept.
    std::fs::write(
        src.join("shop.ward"),
        "service shop \"Shop\" { host = \"shop.example\" }\nflow plug -> shop : tcp/443\n",
    )
    .expect("write");
    wait_for(&lines, "rebuilt out");
    let third = manifest(&out);
    assert_ne!(third, second);
    std::fs::remove_file(src.join("home.ward")).expect("remove");
    wait_for(&lines, "kept the last good bundle");
    assert_eq!(manifest(&out), third);

    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn watch_with_tests_reports_them_after_each_good_bundle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).expect("dir");
    let shop = "service shop \"Shop\" { host = \"shop.example\" }\nflow plug -> shop : tcp/443\n";
    let test = |port: u16| {
        format!(
            "test \"the plug reaches its shop\" {{\n  allow flow plug -> shop : tcp/{port}\n}}\n"
        )
    };
    std::fs::write(src.join("home.ward"), format!("{GOOD}{shop}{}", test(443))).expect("write");
    let (mut child, lines) = watch(dir.path(), &["--test"]);
    wait_for(&lines, "rebuilt out");
    wait_for(&lines, "1 passed, 0 failed");

    // A change that breaks what the test says: the failing case, in full.
    save_by_rename(
        &src.join("home.ward"),
        &format!("{GOOD}{shop}{}", test(8443)),
    );
    wait_for(&lines, "rebuilt out");
    wait_for(&lines, "FAIL \"the plug reaches its shop\"");
    wait_for(&lines, "allow flow plug -> shop : tcp/8443");
    wait_for(&lines, "0 passed, 1 failed");

    let _ = child.kill();
    let _ = child.wait();
}
