//! The lab policy of the gateway's tests: the onboarding fixture's home and the things on
//! this host (`tests/fixtures/lab`), built and signed into a folder, and the lab thing's MUD.

use std::path::Path;

use ward_compiler::Policy;
use ward_compiler::bundle::sign;
use ward_compiler::emit::{self, BuildOptions};

/// Writes `bundle.cbor` (the lab policy and `extra` files) and `k.pub` into `dir`.
pub fn signed_bundle(dir: &Path, extra: &[(&str, &str)]) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut policy = Policy::default();
    for (name, path) in [
        ("home.ward", "onboarding/home.ward"),
        ("lab.ward", "lab/lab.ward"),
    ] {
        policy.add_file(
            name,
            std::fs::read_to_string(fixtures.join(path)).expect("policy"),
        );
    }
    for (name, text) in extra {
        policy.add_file(*name, *text);
    }
    let built = emit::build(policy.db(), policy.workspace(), BuildOptions::default())
        .unwrap_or_else(|e| panic!("builds: {e:?}"));
    let (private, public) = sign::generate_key().expect("key");
    let key = sign::signing_key(&private).expect("key");
    std::fs::write(
        dir.join("bundle.cbor"),
        sign::sign(&built, &key, 1).expect("signed"),
    )
    .expect("write");
    std::fs::write(dir.join("k.pub"), public).expect("write");
}

/// The MUD file of the lab's sensor (`https://lab.example/...`).
pub fn sensor_mud() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/lab/sensor-mud.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("MUD")).expect("JSON")
}

/// The gateway's settings over the bundle of `signed_bundle` in `dir` (its state beside it,
/// the API on loopback in plain HTTP), with `more` set.
#[allow(
    dead_code,
    reason = "not every test file that includes this module starts a gateway"
)]
pub fn config(
    dir: &Path,
    more: ward_gateway::config::FileConfig,
) -> ward_gateway::config::GatewayConfig {
    ward_gateway::config::FileConfig {
        bundle: Some(dir.join("bundle.cbor")),
        key: Some(dir.join("k.pub")),
        state: Some(dir.join("state.sqlite")),
        insecure_http: Some(true),
        ..more
    }
    .resolve()
    .expect("config")
}
