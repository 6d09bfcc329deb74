//! A policy that checks clean builds, tests and onboards: the minimal cases that broke the
//! pipeline after `ward check` had said "0 errors", and every real MUD file of the fixtures
//! through import -> check -> build -> `nft -c` -> onboard to its own class.

#[path = "support/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};

use cli::{minimal_mud, mud_fixtures, nft_accepts, ward};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write policy");
}

/// `ward onboard --format json` of a MUD file on a bundle, run in `dir`.
fn onboard(dir: &Path, bundle: &Path, mud: &Path) -> std::process::Output {
    ward(
        dir,
        &[
            "onboard",
            "--bundle",
            &bundle.to_string_lossy(),
            "--mud",
            &mud.to_string_lossy(),
            "--format",
            "json",
        ],
    )
}

/// `ward check`, `ward build` and `ward test` on `dir`; the bundle's path.
fn check_build_test(dir: &Path) -> PathBuf {
    let check = ward(dir, &["check", "."]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let build = ward(dir, &["build", ".", "-o", "bundle"]);
    assert!(
        build.status.success(),
        "build after a clean check: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let bundle = dir.join("bundle");
    nft_accepts(&bundle.join("firewall/ruleset.nft"));
    let test = ward(dir, &["test", "."]);
    assert_eq!(
        test.status.code(),
        Some(0),
        "ward test: {}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    bundle
}

const HOME: &str = r#"
environment home "Home" {
  likelihood default = low
  impact default = low
}

class c1 "Sensor" {
  function = sensing
  environment = home
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
  match mud "https://mud.example/c1/*"
}

class c2 "Display" {
  function = monitoring
  environment = home
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
}

segment s1 { classes = [c1], subnet = 10.1.0.0/24, gateway = g }
segment s2 { classes = [c2], subnet = 10.2.0.0/24, gateway = g }
gateway g "Gateway" { address = 10.1.0.1 }
service s "Cloud" { host = "api.example.com" }
"#;

#[test]
fn a_gateway_and_a_service_as_destinations_of_one_class_build() {
    // Cedar's strict validator refused `resource in [Gateway::"g", Service::"s"]`.
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "p.ward",
        &format!(
            "{HOME}\nflow c1 -> g : udp/53\nflow c1 -> s : tcp/443 {{ via = g }}\n\
             test \"both\" {{\n  allow flow c1 -> g : udp/53\n  allow flow c1 -> s : tcp/443\n  deny flow c1 -> s : tcp/80\n}}\n"
        ),
    );
    let bundle = check_build_test(dir.path());
    let cedar = std::fs::read_to_string(bundle.join("cedar/policy.cedar")).expect("cedar");
    assert!(cedar.contains("resource == Gateway::\"g\""), "{cedar}");
    assert!(cedar.contains("resource == Service::\"s\""), "{cedar}");
}

#[test]
fn one_operation_to_a_service_and_to_a_class_builds() {
    // `action = report` on a class-to-service and a class-to-class flow: "the types Class and
    // Service are not compatible".
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "p.ward",
        &format!(
            "{HOME}\nflow c1 -> s : tcp/443 {{ action = report, via = g }}\n\
             flow c1 -> c2 : tcp/443 {{ action = report, via = g }}\n\
             flow c2 -> s : tcp/443 {{ action = report, via = g }}\n\
             test \"report\" {{\n  allow flow c1 -> s : tcp/443 {{ action = report }}\n  allow flow c1 -> c2 : tcp/443 {{ action = report }}\n  deny flow c2 -> c1 : tcp/443 {{ action = report }}\n}}\n"
        ),
    );
    check_build_test(dir.path());
}

#[test]
fn a_class_without_environment_or_profile_is_a_warning_and_still_builds_tests_and_onboards() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "p.ward",
        r#"
class plug "Plug" {
  function = monitoring
  match mud "https://mud.plugs.example/*"
}
segment plugs { classes = [plug], subnet = 10.9.0.0/24 }
service cloud "Cloud" { host = "cloud.example" }
flow plug -> cloud : tcp/443
test "the plug reaches its cloud" {
  allow flow plug -> cloud : tcp/443
  deny flow cloud -> plug : tcp/443
}
"#,
    );
    let check = ward(dir.path(), &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("W0004"), "{stdout}");
    assert!(stdout.contains("0 errors, 1 warning"), "{stdout}");
    let bundle = check_build_test(dir.path());
    let device: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bundle.join("devices/plug.json")).expect("device config"),
    )
    .expect("json");
    assert_eq!(device["profile"], serde_json::Value::Null);
    let mud = dir.path().join("plug.json");
    write(
        dir.path(),
        "plug.json",
        &minimal_mud("https://mud.plugs.example/plug-1"),
    );
    let onboard = onboard(dir.path(), &bundle, &mud);
    assert_eq!(onboard.status.code(), Some(0), "{onboard:?}");
    let json: serde_json::Value = serde_json::from_slice(&onboard.stdout).expect("json");
    assert_eq!(json["class"], "plug");
    assert_eq!(json["profile"], serde_json::Value::Null);
}

#[test]
fn a_class_repeating_its_own_pattern_onboards_its_things() {
    // Found by the generated policies: one class with the same `match mud` twice was refused
    // as "ambiguous" between itself and itself.
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "p.ward",
        r#"
class c0 "Class 0" {
  function = sensing
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
  match mud "https://mud.vendor0.example/c0/*"
  match mud "https://mud.vendor0.example/c0/*"
}
segment seg0 { classes = [c0] }
"#,
    );
    let bundle = check_build_test(dir.path());
    write(
        dir.path(),
        "thing.json",
        &minimal_mud("https://mud.vendor0.example/c0/thing"),
    );
    let onboard = onboard(dir.path(), &bundle, &dir.path().join("thing.json"));
    assert_eq!(onboard.status.code(), Some(0), "{onboard:?}");
}

#[test]
fn every_real_mud_file_imports_into_one_folder_builds_and_onboards_to_its_own_class() {
    let files = mud_fixtures();
    assert_eq!(files.len(), 33);
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("policy");
    std::fs::create_dir(&policy).expect("policy folder");
    // One import per file, each joining the folder as it stands (as a user adds things one
    // by one): shared services and the local gateway are declared once.
    for file in &files {
        let stem = file.file_stem().expect("stem").to_string_lossy();
        let out = policy.join(format!("{stem}.ward"));
        let import = ward(
            dir.path(),
            &[
                "mud",
                "import",
                &file.to_string_lossy(),
                "-o",
                &out.to_string_lossy(),
            ],
        );
        assert!(import.status.success(), "{}: {import:?}", file.display());
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(&policy).expect("policy").flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).expect("read"));
    }
    assert_eq!(text.matches("\ngateway local_gateway ").count(), 1);
    assert_eq!(
        text.matches("host = \"pool.ntp.org\"").count(),
        text.contains("host = \"pool.ntp.org\"") as usize
    );
    // Every flow the MUD files declare passes once the things are onboarded: the classes have
    // no subnet (a thing's address comes at onboarding), and `ward test` decides on the
    // ruleset a gateway renders for them, not on the bundle's (which has no rule for them).
    // (The import's `local_gateway` has no address until the user gives it one: `ward
    // analyze` reports its flows as carrying nothing.)
    let flows: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("flow "))
        .map(|spec| spec.split(" {").next().unwrap_or(spec).trim().to_string())
        .filter(|spec| !spec.contains("local_gateway"))
        .collect();
    assert!(flows.len() > 100, "{}", flows.len());
    let mut tests = String::from("test \"what the manufacturers declare passes\" {\n");
    for flow in &flows {
        tests.push_str(&format!("  allow flow {flow}\n"));
    }
    tests.push_str("}\n");
    write(&policy, "manufacturers_test.ward", &tests);
    let check = ward(&policy, &["check", "."]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains(" 0 errors,"), "{stdout}");
    // Warnings only for what a reviewer of the manufacturers' flows must see.
    for code in cli::warning_codes(&stdout) {
        assert!(code == "W0007" || code == "W0008", "{code}\n{stdout}");
    }
    let bundle = check_build_test(&policy);
    for file in &files {
        let mud = ward_mud::read_file(file).expect("fixture reads");
        let onboard = onboard(dir.path(), &bundle, file);
        assert_eq!(
            onboard.status.code(),
            Some(0),
            "{}: {onboard:?}",
            file.display()
        );
        let json: serde_json::Value = serde_json::from_slice(&onboard.stdout).expect("json");
        assert_eq!(
            json["classification"]["pattern"],
            mud.url,
            "{}: onboarded by its own URL",
            file.display()
        );
        assert_eq!(json["profile"], "SecProf_2", "{}", file.display());
    }
}

#[test]
fn importing_several_files_at_once_declares_shared_peers_once() {
    let files: Vec<String> = mud_fixtures()
        .iter()
        .filter(|f| f.to_string_lossy().contains("nist-unsw-devices"))
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["mud", "import"];
    args.extend(files.iter().map(String::as_str));
    let import = ward(Path::new("."), &args);
    assert!(import.status.success(), "{import:?}");
    let text = String::from_utf8_lossy(&import.stdout);
    assert_eq!(
        text.matches("\ngateway local_gateway ").count(),
        1,
        "{text}"
    );
    let mut hosts: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("host = "))
        .collect();
    let all = hosts.len();
    hosts.sort();
    hosts.dedup();
    assert_eq!(hosts.len(), all, "a host declared twice");
}

#[test]
fn the_same_sources_give_the_same_bundle_from_any_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("team/policy");
    std::fs::create_dir_all(policy.join("site")).expect("folders");
    write(&policy, "home.ward", HOME);
    write(
        &policy.join("site"),
        "flows.ward",
        "flow c1 -> s : tcp/443 { via = g }\n",
    );
    let absolute = policy.to_string_lossy().into_owned();
    let builds = [
        (dir.path().to_path_buf(), "team/policy"),
        (dir.path().join("team"), "policy"),
        (policy.clone(), "."),
        (dir.path().to_path_buf(), absolute.as_str()),
    ];
    let mut bundles = Vec::new();
    for (i, (cwd, path)) in builds.iter().enumerate() {
        let out = dir.path().join(format!("bundle{i}"));
        let built = ward(cwd, &["build", path, "-o", &out.to_string_lossy()]);
        assert!(built.status.success(), "{built:?}");
        let mut files = Vec::new();
        for name in [
            "manifest.json",
            "firewall/ruleset.nft",
            "cedar/policy.cedar",
            "report.md",
            "ir.cbor",
        ] {
            let bytes = std::fs::read(out.join(name)).expect("bundle file");
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&*dir.path().to_string_lossy()),
                "{name} holds an absolute path"
            );
            files.push(bytes);
        }
        bundles.push(files);
    }
    assert!(
        bundles.windows(2).all(|w| w[0] == w[1]),
        "bundles differ by folder"
    );
    let ruleset = String::from_utf8_lossy(&bundles[0][1]).into_owned();
    assert!(ruleset.contains("site/flows.ward:1"), "{ruleset}");
}

#[test]
fn keygen_creates_a_missing_folder_for_its_owner_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let made = ward(dir.path(), &["keygen", "-o", "keys/signing"]);
    assert!(made.status.success(), "{made:?}");
    assert!(dir.path().join("keys/signing.pub").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys"))
            .expect("folder")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[test]
fn explain_risk_says_when_no_profile_fits_and_offers_a_near_class() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "p.ward",
        r#"
environment busy "Busy" {
  likelihood default = high
  impact default = high
}
class cam "Camera" {
  function = surveillance
  environment = busy
}
segment cams { classes = [cam] }
"#,
    );
    let explained = ward(dir.path(), &["check", "--explain-risk", "cam", "."]);
    let stdout = String::from_utf8_lossy(&explained.stdout);
    assert!(stdout.contains("required profile: none fits"), "{stdout}");
    assert!(!stdout.contains("the required one is assigned"), "{stdout}");
    assert!(
        stdout.contains("none fits: the class cannot be built"),
        "{stdout}"
    );
    let misspelled = ward(dir.path(), &["check", "--explain-risk", "cma", "."]);
    assert_eq!(misspelled.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&misspelled.stderr).contains("did you mean `cam`?"),
        "{misspelled:?}"
    );
}

#[test]
fn the_assigned_profile_note_names_only_what_the_profile_mitigates() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "p.ward",
        r#"
environment busy "Busy" {
  likelihood default = high
  impact default = high
}
class cam "Camera" {
  function = surveillance
  environment = busy
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
segment cams { classes = [cam] }
"#,
    );
    let check = ward(dir.path(), &["check", "."]);
    let all = String::from_utf8_lossy(&check.stdout);
    // The note alone: W0009 beside it lists the residual risks on purpose.
    let stdout = all
        .split("\n\n")
        .skip_while(|block| block.trim() != "N0001")
        .nth(1)
        .unwrap_or_else(|| panic!("no N0001 in {all}"));
    assert!(stdout.contains("gets `"), "{all}");
    let explained = ward(dir.path(), &["check", "--explain-risk", "cam", "."]);
    let table = String::from_utf8_lossy(&explained.stdout);
    // Every threat the assessment calls residual is absent from the note.
    for line in table.lines().filter(|l| l.contains("residual")) {
        let threat = line.split_whitespace().next().expect("threat");
        assert!(
            !stdout.contains(&format!("{threat} (")),
            "{threat} is residual but the note says it is mitigated: {stdout}"
        );
    }
}
