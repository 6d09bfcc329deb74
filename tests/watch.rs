//! `ward watch` in a temporary folder: write -> the bundle appears; break -> the error is
//! reported and the old bundle untouched; fix -> a new bundle; files created, renamed over
//! (as editors save) and deleted are all seen.

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

#[test]
fn watch_rebuilds_and_keeps_the_last_good_bundle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    let out = dir.path().join("out");
    std::fs::create_dir(&src).expect("dir");
    std::fs::write(src.join("home.ward"), GOOD).expect("write");

    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["watch", "src", "-o", "out", "--debounce", "100"])
        .current_dir(dir.path())
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
