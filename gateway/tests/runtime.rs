//! The gateway runtime as a library: a bundle of another format version is refused at start
//! and on reload (the bundle in force stays), with the version in the message.

use std::path::Path;

use serde_json::Value;
use ward_compiler::Policy;
use ward_compiler::bundle::sign;
use ward_compiler::emit::{self, BuildOptions, Bundle};
use ward_gateway::bundle::BundleError;
use ward_gateway::config::FileConfig;
use ward_gateway::error::StartError;
use ward_gateway::runtime::Gateway;

fn home_bundle() -> Bundle {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onboarding/home.ward");
    let mut policy = Policy::default();
    policy.add_file("home.ward", std::fs::read_to_string(path).expect("policy"));
    emit::build(policy.db(), policy.workspace(), BuildOptions::default())
        .unwrap_or_else(|e| panic!("builds: {e:?}"))
}

fn with_format_version(mut bundle: Bundle, version: u64) -> Bundle {
    let mut manifest: Value =
        serde_json::from_slice(&bundle.files["manifest.json"]).expect("manifest");
    manifest["format_version"] = version.into();
    bundle.files.insert(
        "manifest.json".into(),
        serde_json::to_vec(&manifest).expect("JSON"),
    );
    bundle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_of_another_format_version_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (private, public) = sign::generate_key().expect("key");
    let key = sign::signing_key(&private).expect("key");
    std::fs::write(dir.path().join("k.pub"), public).expect("write");
    let write = |bundle: &Bundle| {
        let signed = sign::sign(bundle, &key, 1).expect("signed");
        std::fs::write(dir.path().join("bundle.cbor"), signed).expect("write");
    };
    let config = FileConfig {
        bundle: Some(dir.path().join("bundle.cbor")),
        key: Some(dir.path().join("k.pub")),
        state: Some(dir.path().join("state.sqlite")),
        insecure_http: Some(true),
        ..FileConfig::default()
    }
    .resolve()
    .expect("config");

    write(&with_format_version(home_bundle(), 99));
    match Gateway::start(config.clone()).await {
        Err(error) => {
            assert!(
                matches!(error, StartError::Bundle(BundleError::Sign { .. })),
                "{error:?}"
            );
            assert!(
                error.to_string().contains("bundle format version 99"),
                "{error}"
            );
        }
        Ok(_) => panic!("a bundle of format version 99 was loaded"),
    }

    write(&home_bundle());
    let gateway = Gateway::start(config).await.expect("starts");
    let revision = gateway.bundle().manifest.revision.clone();
    write(&with_format_version(home_bundle(), 2));
    let refused = gateway.reload("test").await.expect_err("refused");
    assert_eq!(refused.code, "bundle-refused");
    assert!(
        refused.message.contains("bundle format version 2"),
        "{}",
        refused.message
    );
    assert_eq!(gateway.bundle().manifest.revision, revision);
}
