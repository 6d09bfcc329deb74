//! `ward mud import` end to end on the real MUD files: each file's declarations are formatted
//! and check clean alone (`ward check` on a folder holding only them), keep the ACE names, and
//! bad files are refused with the JSON path.

#[path = "support/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};

use cli::ward;

fn mud_files() -> Vec<PathBuf> {
    cli::mud_fixtures()
}

#[test]
fn every_imported_mud_file_checks_clean_on_its_own() {
    let files = mud_files();
    assert_eq!(files.len(), 33);
    for file in &files {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("imported.ward");
        let path = file.to_string_lossy();
        let output = ward(
            dir.path(),
            &["mud", "import", &path, "-o", &out.to_string_lossy()],
        );
        assert_eq!(output.status.code(), Some(0), "{path}: {output:?}");
        let text = std::fs::read_to_string(&out).expect("written");
        assert!(text.contains("match mud \"https://"), "{path}");
        let check = ward(dir.path(), &["check", "."]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{path}:\n{}\n{text}",
            String::from_utf8_lossy(&check.stdout)
        );
        // Clean but for what a reviewer of the manufacturer's flows must see: cleartext
        // protocols on an encrypting profile (W0008), every port of a thing (W0007).
        let stdout = String::from_utf8_lossy(&check.stdout);
        assert!(stdout.contains(" 0 errors,"), "{path}: {stdout}");
        for code in cli::warning_codes(&stdout) {
            assert!(
                code == "W0007" || code == "W0008",
                "{path}: {code}\n{stdout}"
            );
        }
        let fmt = ward(dir.path(), &["fmt", "--check", "."]);
        assert_eq!(fmt.status.code(), Some(0), "{path}: not formatted");
    }
}

#[test]
fn the_plug_imports_its_cloud_and_ntp_flows_with_ace_names() {
    let file = mud_files()
        .into_iter()
        .find(|f| f.ends_with("tplinkplugMud.json"))
        .expect("the plug");
    let output = ward(Path::new("."), &["mud", "import", &file.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("match mud \"https://tplinkplug.com/tplinkplug\""));
    assert!(text.contains(
        "// MUD: from-ipv4-tplinkplug-2\nflow tplinkplug -> devs_tplinkcloud_com : tcp/50443"
    ));
    assert!(text.contains("host = \"devs.tplinkcloud.com\""));
    assert!(
        text.contains("flow tplinkplug -> local_gateway : udp/53, udp/67"),
        "{text}"
    );
    // What flows cannot say is listed, ACE by ACE.
    assert!(text.contains("// - from-ipv4-tplinkplug-4: local-networks"));
    assert!(text.contains("// - to-ipv4-tplinkplug-0: the reply half of a flow"));
}

#[test]
fn all_files_import_together_without_name_clashes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["mud".to_string(), "import".to_string()];
    args.extend(mud_files().iter().map(|f| f.to_string_lossy().into_owned()));
    args.extend(["-o".to_string(), "all.ward".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(ward(dir.path(), &args).status.code(), Some(0));
    let check = ward(dir.path(), &["check", "."]);
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    // `-o` never replaces a file unless asked.
    let again = ward(dir.path(), &args);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn a_bad_mud_file_is_refused_with_its_json_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("draft.json"),
        r#"{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://x.example/y",
            "last-update": "2020-01-01T00:00:00Z", "is-supported": true,
            "from-device-policy": {"acls": {"access-list": [{"name": "a"}]}}}}"#,
    )
    .expect("write");
    let output = ward(dir.path(), &["mud", "import", "draft.json"]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("draft.json: [mud-draft-era] at `/ietf-mud:mud/from-device-policy/acls`"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    let missing = ward(dir.path(), &["mud", "import", "nope.json"]);
    assert_eq!(missing.status.code(), Some(1));
}
