//! The language server over real JSON-RPC: `ward lsp` as a child process on stdio, driven
//! through initialize, didOpen, didChange, each request, shutdown and exit.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

#[path = "support/lsp_client.rs"]
mod lsp_client;
use lsp_client::{Server, uri};

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/lsp");
    for entry in std::fs::read_dir(source).expect("fixtures").flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    let root = dir.path().canonicalize().expect("path");
    (dir, root)
}

/// The position of the first occurrence of `needle` in a text (zero-based line, column).
fn position_of(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

#[test]
fn the_language_server_end_to_end() {
    let (_dir, root) = fixture_copy();
    let lock_path = root.join("lock.ward");
    let home_path = root.join("home.ward");
    let lock_uri = uri(&lock_path);
    let home_uri = uri(&home_path);
    let lock_text = std::fs::read_to_string(&lock_path).expect("read");
    let home_text = std::fs::read_to_string(&home_path).expect("read");
    let mut server = Server::start(env!("CARGO_BIN_EXE_ward"), &root);

    // Diagnostics for the workspace's files, with codes linked to their explanation.
    let diagnostics = server.diagnostics_for(&lock_uri, |d| !d.is_empty());
    let typo = diagnostics
        .iter()
        .find(|d| d["code"] == "E0100")
        .expect("the misspelled profile");
    assert!(
        typo["message"]
            .as_str()
            .is_some_and(|m| m.contains("did you mean `SecProf_2`?"))
    );
    assert!(
        typo["codeDescription"]["href"]
            .as_str()
            .is_some_and(|h| h.ends_with("E0100.md"))
    );

    // A code action fixes it.
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": lock_uri },
            "range": typo["range"],
            "context": { "diagnostics": [typo] },
        }),
    );
    let action = &actions[0];
    assert_eq!(action["title"], "use `SecProf_2`");
    assert_eq!(
        action["edit"]["changes"][&lock_uri][0]["newText"],
        "SecProf_2"
    );

    // didOpen + didChange with the fix: the error goes away.
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": lock_uri, "languageId": "ward", "version": 1, "text": lock_text } }),
    );
    let fixed = lock_text.replace("SecProf2", "SecProf_2");
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": lock_uri, "version": 2 },
            "contentChanges": [{ "text": fixed }],
        }),
    );
    server.diagnostics_for(&lock_uri, |d| d.iter().all(|x| x["code"] != "E0100"));

    // Hover: a class's assigned profile and its risk reasons; a stdlib threat's tables.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": home_uri }, "position": position_of(&home_text, "plug \"Smart") }),
    );
    let markdown = hover["contents"]["value"].as_str().expect("markdown");
    assert!(markdown.contains("**class** `plug`"), "{markdown}");
    assert!(
        markdown.contains("assigned by the risk assessment"),
        "{markdown}"
    );

    // Go to definition, into the standard library.
    let definition = server.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": lock_uri }, "position": position_of(&fixed, "SecProf_2") }),
    );
    let target = definition["uri"].as_str().expect("a location");
    assert!(target.ends_with("stdlib/profiles.ward"), "{target}");

    // References across files.
    let references = server.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": home_uri },
            "position": position_of(&home_text, "home \"Home\""),
            "context": { "includeDeclaration": true },
        }),
    );
    let files: Vec<&str> = references
        .as_array()
        .expect("references")
        .iter()
        .filter_map(|r| r["uri"].as_str())
        .collect();
    assert_eq!(
        files.iter().filter(|u| **u == home_uri).count(),
        2,
        "{references}"
    );
    assert_eq!(
        files.iter().filter(|u| **u == lock_uri).count(),
        1,
        "{references}"
    );

    // Completion: profiles after `profile =`, threats after `mitigate`.
    let completion = server.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": lock_uri }, "position": position_of(&fixed, "SecProf_2") }),
    );
    let labels: Vec<&str> = completion
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["label"].as_str())
        .collect();
    assert_eq!(labels, ["SecProf_1", "SecProf_2", "SecProf_3", "SecProf_4"]);

    // Symbols, folding, inlay hints, formatting.
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": home_uri } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .expect("symbols")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["home", "shop", "plug", "plugs", "plug -> shop : tcp/443"]
    );
    let workspace = server.request("workspace/symbol", json!({ "query": "loc" }));
    assert!(
        workspace
            .as_array()
            .expect("symbols")
            .iter()
            .any(|s| s["name"] == "lock")
    );
    let folds = server.request(
        "textDocument/foldingRange",
        json!({ "textDocument": { "uri": home_uri } }),
    );
    assert!(folds.as_array().is_some_and(|f| f.len() >= 3));
    let hints = server.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": home_uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } } }),
    );
    assert_eq!(hints[0]["label"], ": SecProf_1 (assigned)");
    let edits = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": home_uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([]), "the fixture is formatted");

    // Semantic tokens: the first tokens of home.ward are the doc comment, the keyword
    // `environment`, and the environment's name (a declaration).
    let tokens = server.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": home_uri } }),
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(
        &data[..15],
        &[0, 0, 17, 1, 0, 1, 0, 11, 0, 0, 0, 12, 4, 11, 1]
    );

    // Rename: refused onto an existing name; accepted otherwise, in every file.
    let clash = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": home_uri }, "position": position_of(&home_text, "home \"Home\""), "newName": "shop" }),
    );
    assert!(
        clash["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already declared")),
        "{clash}"
    );
    let rename = server.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": home_uri }, "position": position_of(&home_text, "home \"Home\""), "newName": "house" }),
    );
    assert_eq!(
        rename["changes"][&home_uri].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        rename["changes"][&lock_uri].as_array().map(Vec::len),
        Some(1)
    );

    // Broken code: a syntax error in one declaration leaves hover working in the others.
    let broken = format!("class broken = {{\n{home_text}");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": home_uri, "version": 3 }, "contentChanges": [{ "text": broken }] }),
    );
    server.diagnostics_for(&home_uri, |d| d.iter().any(|x| x["code"] == "E0001"));
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": home_uri }, "position": position_of(&broken, "shop \"Shop\"") }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|m| m.contains("**service** `shop`")),
        "{hover}"
    );

    server.stop();
}

/// The file lifecycle as an editor drives it: a buffer closed without saving gives way to the
/// disk; files created, deleted and renamed outside the editor join and leave the workspace
/// (no duplicate definitions until a restart); a symbolic link to a folder is not followed;
/// the standard library is served from a private folder of the server's own.
#[test]
fn files_opened_closed_created_deleted_and_renamed_follow_the_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("path");
    let a = root.join("a.ward");
    let b = root.join("b.ward");
    std::fs::write(
        &a,
        "class isolation \"Quarantine\" { quarantine = true }\nservice api \"API\" { host = \"api.example\" }\n",
    )
    .expect("write");
    std::fs::write(&b, "service db \"Database\" { host = \"db.example\" }\n").expect("write");
    // A link back to the folder itself: a walker that followed it would never end.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&root, root.join("loop")).expect("symlink");
    let mut server = Server::start(env!("CARGO_BIN_EXE_ward"), &root);
    let (a_uri, b_uri) = (uri(&a), uri(&b));
    let codes = |list: &[Value]| -> Vec<String> {
        list.iter()
            .filter_map(|d| d["code"].as_str().map(str::to_string))
            .collect()
    };
    server.diagnostics_for(&b_uri, |d| codes(d) == ["W0001"]);

    // Edited in the editor, then closed without saving: the disk is the truth again.
    let text = std::fs::read_to_string(&a).expect("read");
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": a_uri, "languageId": "ward", "version": 1, "text": text } }),
    );
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": a_uri, "version": 2 },
            "contentChanges": [{ "text": format!("{text}service api2 \"Typo\" {{ host = \"x.example\", profile = SecProf9 }}\n") }],
        }),
    );
    server.diagnostics_for(&a_uri, |d| codes(d).contains(&"E0100".to_string()));
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": a_uri } }),
    );
    server.diagnostics_for(&a_uri, |d| !codes(d).contains(&"E0100".to_string()));

    // Created on disk: it joins, and its duplicate is reported.
    let c = root.join("c.ward");
    std::fs::write(&c, "service db \"Copy\" { host = \"copy.example\" }\n").expect("write");
    let c_uri = uri(&c);
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": c_uri, "type": 1 }] }),
    );
    server.diagnostics_for(&c_uri, |d| codes(d).contains(&"E0101".to_string()));
    // Deleted on disk: it leaves, with its diagnostics.
    std::fs::remove_file(&c).expect("delete");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": c_uri, "type": 3 }] }),
    );
    server.diagnostics_for(&c_uri, <[Value]>::is_empty);
    server.diagnostics_for(&b_uri, |d| codes(d) == ["W0001"]);

    // Renamed on disk (a deletion and a creation): one `db`, under its new name.
    let d = root.join("d.ward");
    std::fs::rename(&b, &d).expect("rename");
    let d_uri = uri(&d);
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": b_uri, "type": 3 }, { "uri": d_uri, "type": 1 }] }),
    );
    server.diagnostics_for(&b_uri, <[Value]>::is_empty);
    server.diagnostics_for(&d_uri, |d| codes(d) == ["W0001"]);

    // The standard library is served from a folder only this user can enter, made afresh.
    let mut text = std::fs::read_to_string(&a).expect("read");
    text.push_str("class lamp \"Lamp\" {\n  function = sensing\n  profile = SecProf_1\n  capabilities = [x509, tls, second_factor]\n}\nsegment lamps { classes = [lamp] }\n");
    std::fs::write(&a, &text).expect("write");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": a_uri, "type": 2 }] }),
    );
    let definition = server.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": a_uri }, "position": position_of(&text, "SecProf_1") }),
    );
    let target = definition["uri"].as_str().expect("a location");
    let path = PathBuf::from(target.trim_start_matches("file://"));
    let folder = path
        .parent()
        .and_then(Path::parent)
        .expect("the server's folder");
    assert!(
        folder
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("ward-lsp-")),
        "{target}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(folder)
            .expect("folder")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{target}");
    }
    server.stop();
    // Removed with the server.
    assert!(!folder.exists(), "{target}");
}
