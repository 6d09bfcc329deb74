//! The language server on the generated workspace (200 files, 5,000 classes, 20,000 flows):
//! time from a one-character `didChange` to the `publishDiagnostics` of that file, then a
//! completion request; and the server's peak memory. Targets: medians under 30 ms and 20 ms,
//! memory under 300 MB. Run with `cargo bench -p ward --bench lsp`.

use std::time::{Duration, Instant};

use serde_json::json;

#[path = "../../tests/support/lsp_client.rs"]
mod lsp_client;
use lsp_client::{Server, uri};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    // Cargo passes `--bench`; nothing else to parse.
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in xtask::workspace(200, 5_000) {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    }
    let root = dir.path().canonicalize().expect("path");
    let file = root.join("gen/file_100.ward");
    let file_uri = uri(&file);
    let text = std::fs::read_to_string(&file).expect("read");

    let start = Instant::now();
    let mut server = Server::start(env!("CARGO_BIN_EXE_ward"), &root);
    server.diagnostics_for(&uri(&root.join("gen/file_199.ward")), |_| true);
    let ready = start.elapsed();
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": file_uri, "languageId": "ward", "version": 1, "text": text } }),
    );
    server.diagnostics_for(&file_uri, |_| true);

    // Where to ask for completions: after `profile = ` of the first class.
    let profile_at = text.find("profile = ").expect("a profile") + "profile = ".len();
    let line = text[..profile_at].matches('\n').count();
    let character = profile_at - text[..profile_at].rfind('\n').map_or(0, |i| i + 1);

    let mut diagnostics = Vec::new();
    let mut completions = Vec::new();
    for round in 0..40u32 {
        // One character: append to, then remove from, the first comment.
        let changed = if round % 2 == 0 {
            text.replacen("/// The site", "/// The sites", 1)
        } else {
            text.clone()
        };
        server.notifications.clear();
        let sent = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": file_uri, "version": round + 2 },
                "contentChanges": [{ "text": changed }],
            }),
        );
        server.diagnostics_for(&file_uri, |_| true);
        diagnostics.push(sent.elapsed());

        let asked = Instant::now();
        let items = server.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": file_uri }, "position": { "line": line, "character": character } }),
        );
        completions.push(asked.elapsed());
        assert!(items.as_array().is_some_and(|i| i.len() == 4), "{items}");
    }
    let memory = peak_rss_mb(server.child.id()).unwrap_or(f64::NAN);
    println!("language server on 200 files, 5,000 classes, 20,000 flows (40 edits):");
    println!("  initialize + first diagnostics of every file: {ready:?}");
    println!(
        "  didChange -> publishDiagnostics: median {:?} (min {:?}, max {:?})",
        median(diagnostics.clone()),
        diagnostics.iter().min().copied().unwrap_or_default(),
        diagnostics.iter().max().copied().unwrap_or_default()
    );
    println!(
        "  completion after the change: median {:?} (min {:?}, max {:?})",
        median(completions.clone()),
        completions.iter().min().copied().unwrap_or_default(),
        completions.iter().max().copied().unwrap_or_default()
    );
    println!("  peak memory of the server: {memory:.0} MB");
    server.stop();
}
