//! What the end-to-end tests of the binary share: running `ward`, the workspace root, and a
//! signed bundle of a policy with the gateway's usual arguments.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `ward ARGS` in `dir`, without colours.
pub fn ward(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ward")
}

/// The policy's bundle (unsigned) in `dir/bundle`; its path.
pub fn bundle(dir: &Path, policy: &Path) -> String {
    let out = dir.join("bundle");
    let built = ward(
        dir,
        &[
            "build",
            &policy.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
        ],
    );
    assert!(built.status.success(), "{built:?}");
    out.to_string_lossy().into_owned()
}

/// A key pair `k`/`k.pub` and the policy's bundle `b/`, signed, in `dir`.
pub fn signed_bundle(dir: &Path, policy: &Path) {
    assert!(ward(dir, &["keygen", "-o", "k"]).status.success());
    let built = ward(
        dir,
        &[
            "build",
            &policy.to_string_lossy(),
            "-o",
            "b",
            "--sign",
            "k",
            "--sequence",
            "1",
        ],
    );
    assert!(built.status.success(), "{built:?}");
}

/// The home policy of the onboarding fixtures with `extra` declarations beside it, signed
/// into `dir` as `signed_bundle` does.
pub fn signed_home_bundle_with(dir: &Path, extra: &str) {
    let policy = dir.join("policy");
    std::fs::create_dir(&policy).expect("policy folder");
    std::fs::copy(
        root().join("tests/fixtures/onboarding/home.ward"),
        policy.join("home.ward"),
    )
    .expect("copy the home policy");
    std::fs::write(policy.join("extra.ward"), extra).expect("write");
    signed_bundle(dir, &policy);
}

/// The arguments that start a gateway on the bundle of `signed_bundle`.
pub const GATEWAY: [&str; 6] = [
    "--bundle",
    "b/bundle.cbor",
    "--key",
    "k.pub",
    "--state",
    "state.sqlite",
];

/// `GATEWAY` and more.
pub fn gateway_args<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args = GATEWAY.to_vec();
    args.extend_from_slice(more);
    args
}

/// `nft -c` on a ruleset: required in CI, skipped loudly elsewhere when nft is missing.
pub fn nft_accepts(ruleset: &Path) {
    match Command::new("nft")
        .arg("-c")
        .arg("-f")
        .arg(ruleset)
        .output()
    {
        Ok(output) => assert!(
            output.status.success(),
            "nft -c refuses {}: {}",
            ruleset.display(),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: nft is not installed; CI checks the gateway's ruleset with nft -c");
        }
        Err(error) => panic!("CI must have nft: {error}"),
    }
}

/// The codes of the warnings `ward check` printed (`W0008`, ...).
pub fn warning_codes(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.len() == 5 && l.starts_with('W') && l[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

/// The real MUD files of the fixtures (`mud/tests/fixtures/`), sorted.
pub fn mud_fixtures() -> Vec<PathBuf> {
    let base = root().join("mud/tests/fixtures");
    let mut files = Vec::new();
    for folder in ["nist-unsw-devices", "nist-constructs"] {
        for entry in std::fs::read_dir(base.join(folder))
            .expect("fixtures")
            .flatten()
        {
            if entry.path().extension().is_some_and(|e| e == "json") {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// The smallest MUD file the reader takes: a URL, no ACLs.
pub fn minimal_mud(url: &str) -> String {
    serde_json::json!({
        "ietf-mud:mud": {
            "mud-version": 1,
            "mud-url": url,
            "last-update": "2026-01-01T00:00:00Z",
            "cache-validity": 48,
            "is-supported": true,
            "systeminfo": "a test thing",
            "from-device-policy": { "access-lists": { "access-list": [] } },
            "to-device-policy": { "access-lists": { "access-list": [] } }
        },
        "ietf-access-control-list:acls": { "acl": [] }
    })
    .to_string()
}
