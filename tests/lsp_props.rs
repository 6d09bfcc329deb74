//! The language server agrees with `ward check`: a generated policy split over files is
//! opened in `ward lsp` (the real binary over JSON-RPC), edited by a random stream of full-text
//! didChange events (lines deleted, duplicated, changed), then saved; the diagnostics the
//! server last published for each file equal the CLI's on the saved files (code, line and
//! message). A server publishes after it has taken an edit, so the comparison waits (up to
//! 20 s) for the server to catch up before it fails.
//!
//! CI runs a few sequences (each starts a server); more with `WARD_PROPTEST_CASES=N`.

#[path = "support/edits.rs"]
mod edits;
#[path = "support/lsp_client.rs"]
mod lsp_client;
#[path = "support/policy_gen.rs"]
mod policy_gen;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use edits::{Edit, apply, edit, split};
use lsp_client::{Server, uri};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// (file, code, 0-based line, message) of `ward check --format json` on a folder.
fn cli(dir: &std::path::Path) -> BTreeSet<(String, String, u64, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["check", ".", "--format", "json"])
        .current_dir(dir)
        .output()
        .expect("ward check");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        // A waived finding is shown by neither: the CLI's JSON marks it, the server leaves
        // it out.
        .filter(|d| d["code"].is_string() && d["waived"].is_null())
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_string(),
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or(1).saturating_sub(1),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The same of the diagnostics the server last published for each file.
fn published(
    server: &Server,
    files: &BTreeMap<String, String>,
    dir: &std::path::Path,
) -> BTreeSet<(String, String, u64, String)> {
    let mut out = BTreeSet::new();
    for name in files.keys() {
        let uri = uri(&dir.join(name));
        let last = server.notifications.iter().rev().find(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        });
        for d in last
            .and_then(|n| n["params"]["diagnostics"].as_array().cloned())
            .unwrap_or_default()
        {
            out.insert((
                name.clone(),
                d["code"].as_str().unwrap_or_default().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap_or(0),
                // The server adds the help to the message (editors show no other field).
                d["message"]
                    .as_str()
                    .unwrap_or_default()
                    .split("\nhelp: ")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    out
}

#[test]
fn the_language_server_publishes_what_ward_check_reports() {
    let cases = std::env::var("WARD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // Text edits only: the files stay those opened.
    let text_edit = edit().prop_filter("a text edit", |e| {
        matches!(
            e,
            Edit::DeleteLine(..) | Edit::DuplicateLine(..) | Edit::ChangeLine(..)
        )
    });
    let strategy = (
        policy_gen::policy(),
        1usize..4,
        prop::collection::vec(text_edit, 1..15),
    );
    // Diagnostics compared in all: a test that compared none would prove nothing.
    let compared = std::cell::Cell::new(0usize);
    let result = runner.run(&strategy, |(generated, parts, edits)| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut files = split(&generated.text(), parts);
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let mut server = Server::start(env!("CARGO_BIN_EXE_ward"), dir.path());
        let mut versions: BTreeMap<String, i64> = BTreeMap::new();
        for (name, text) in &files {
            server.notify(
                "textDocument/didOpen",
                json!({ "textDocument": {
                    "uri": uri(&dir.path().join(name)), "languageId": "ward", "version": 1, "text": text,
                } }),
            );
            versions.insert(name.clone(), 1);
        }
        for (serial, edit) in edits.iter().enumerate() {
            if let Some((name, Some(text))) = apply(&mut files, edit, serial) {
                let version = versions.entry(name.clone()).or_default();
                *version += 1;
                server.notify(
                    "textDocument/didChange",
                    json!({
                        "textDocument": { "uri": uri(&dir.path().join(&name)), "version": *version },
                        "contentChanges": [{ "text": text }],
                    }),
                );
            }
        }
        for (name, text) in &files {
            std::fs::write(dir.path().join(name), text).expect("save");
        }
        let expected = cli(dir.path());
        // A request answered after the edits; then wait for the last publications.
        let _ = server.request("workspace/symbol", json!({ "query": "" }));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut seen = published(&server, &files, dir.path());
        while seen != expected && std::time::Instant::now() < deadline {
            if let Ok(message) = server
                .messages
                .recv_timeout(std::time::Duration::from_millis(200))
            {
                server.notifications.push(message);
            }
            seen = published(&server, &files, dir.path());
        }
        server.stop();
        compared.set(compared.get() + expected.len());
        let only_server: Vec<_> = seen.difference(&expected).collect();
        let only_cli: Vec<_> = expected.difference(&seen).collect();
        prop_assert!(
            only_server.is_empty() && only_cli.is_empty(),
            "the server published {:?} that ward check does not report, and not {:?}\nfiles: {:#?}",
            only_server,
            only_cli,
            files
        );
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    eprintln!(
        "{cases} edit streams: {} diagnostics agreed",
        compared.get()
    );
    assert!(
        compared.get() >= cases as usize,
        "too few diagnostics compared"
    );
}
