//! The gateway's OpenAPI document (gateway/src/api/openapi.json) against the running
//! gateway, by schemathesis (PyPI, installed by `.ci/run`): with an operator token, generated
//! requests to every operation (valid, invalid, and in sequences) get no 5xx, and every
//! response matches the document (status, content type, headers, schema).

#[path = "support/cli.rs"]
mod cli;
#[path = "support/gateway.rs"]
mod gateway_client;

use std::process::Command;

use cli::{gateway_args, root};
use gateway_client::{mirror, start};
use serde_json::json;

fn schemathesis() -> bool {
    if Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must have schemathesis (pip install schemathesis)");
    }
    eprintln!("SKIPPED: the OpenAPI test needs schemathesis (CI runs it)");
    false
}

#[test]
fn the_running_gateway_answers_as_its_openapi_document_says() {
    if !schemathesis() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    cli::signed_bundle(dir.path(), &root().join("tests/fixtures/onboarding"));
    let plug = root().join("mud/tests/fixtures/nist-unsw-devices/tplinkplugMud.json");
    let mirror = mirror(&[plug]);
    let gw = start(
        dir.path(),
        &gateway_args(&["--mud-source", &mirror.base, "--syslog-udp", "127.0.0.1:0"]),
    )
    .unwrap_or_else(|e| panic!("starts: {e}"));
    for n in 0..3 {
        let body = json!({ "id": format!("plug-{n}"), "address": format!("192.168.3.{}", 10 + n), "mud_url": "https://tplinkplug.com/tplinkplug" });
        assert_eq!(gw.post_json("/v1/onboard", &body).0, 201);
    }
    // The document served is the one in the repository.
    let document = root().join("gateway/src/api/openapi.json");
    let (status, served) = gw.http("GET", "/v1/openapi.json", None);
    assert_eq!(status, 200);
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&document).expect("document")).expect("JSON");
    assert_eq!(served, kept);

    // Its cache of examples goes to the test's folder, not into the source tree.
    let output = Command::new("schemathesis")
        .current_dir(dir.path())
        .arg("run")
        .arg(&document)
        .args(["--url", &format!("http://{}", gw.address)])
        .args(["-H", &format!("Authorization: Bearer {}", gw.token)])
        // Every check but positive data acceptance: a request valid by the schema may still be
        // refused for what it means (a MUD URL no class matches is 422, as documented).
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--max-examples", "30", "--seed", "1", "--no-color"])
        .output()
        .expect("schemathesis runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    assert!(said.contains("passed"), "{said}");
}
