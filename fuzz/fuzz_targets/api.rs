//! The gateway's HTTP API on arbitrary requests, as an operator would send them (a valid
//! token, the gateway's name) and as anyone would (no token, another host): no panic in the
//! door, the extractors or the handlers, and every refusal is the API's JSON error with a code,
//! never a framework's plain text.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use ward_compiler::Policy;
use ward_compiler::bundle::sign::{generate_key, sign, signing_key};
use ward_compiler::emit::{BuildOptions, build};
use ward_gateway::config::FileConfig;

struct Lab {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut policy = Policy::default();
        policy.add_file(
            "home.ward",
            include_str!("../../tests/fixtures/onboarding/home.ward"),
        );
        let bundle = build(policy.db(), policy.workspace(), BuildOptions::default())
            .expect("the lab policy builds");
        let (private, public) = generate_key().expect("key");
        let signed = sign(&bundle, &signing_key(&private).expect("key"), 1).expect("signed");
        std::fs::write(dir.path().join("bundle.cbor"), signed).expect("write");
        std::fs::write(dir.path().join("k.pub"), public).expect("write");
        std::fs::create_dir(dir.path().join("mud")).expect("mud folder");
        let config = FileConfig {
            bundle: Some(dir.path().join("bundle.cbor")),
            key: Some(dir.path().join("k.pub")),
            state: Some(dir.path().join("state.sqlite")),
            insecure_http: Some(true),
            listen: Some("127.0.0.1:0".into()),
            mud_source: Some(format!("dir:{}", dir.path().join("mud").display())),
            ..FileConfig::default()
        }
        .resolve()
        .expect("config");
        let token = ward_gateway::store::Store::open(&config.state)
            .expect("state")
            .create_token(ward_gateway::access::Role::Operator, Some("fuzz"), None)
            .expect("token")
            .0;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let gateway = runtime
            .block_on(ward_gateway::runtime::Gateway::start(config))
            .expect("the gateway starts");
        Lab {
            router: ward_gateway::api::router(gateway),
            runtime,
            token,
            _dir: dir,
        }
    })
}

const ROUTES: [&str; 13] = [
    "/v1/onboard",
    "/v1/devices",
    "/v1/devices/",
    "/v1/status",
    "/v1/audit",
    "/v1/bundle/reload",
    "/v1/incidents",
    "/v1/pava",
    "/v1/holds",
    "/v1/holds/release",
    "/v1/openapi.json",
    "/v1/metrics",
    "/",
];

#[derive(Arbitrary, Debug)]
struct Input {
    method: u8,
    route: u8,
    suffix: String,
    query: Option<String>,
    /// 0: the operator's token; 1: none; 2: a made-up one.
    credentials: u8,
    host: Option<String>,
    origin: Option<String>,
    content_type: u8,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let lab = lab();
    let method =
        ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"][usize::from(input.method) % 7];
    let mut uri = format!(
        "{}{}",
        ROUTES[usize::from(input.route) % ROUTES.len()],
        input.suffix
    );
    if let Some(query) = &input.query {
        uri = format!("{uri}?{query}");
    }
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", input.host.as_deref().unwrap_or("127.0.0.1"));
    builder = match input.credentials % 3 {
        0 => builder.header("authorization", format!("Bearer {}", lab.token)),
        1 => builder,
        _ => builder.header("authorization", "Bearer 0123456789abcdef.00"),
    };
    if let Some(origin) = &input.origin {
        builder = builder.header("origin", origin);
    }
    builder = match input.content_type % 3 {
        0 => builder.header("content-type", "application/json"),
        1 => builder,
        _ => builder.header("content-type", "text/plain"),
    };
    // A request the client side could not even write is no test of the server.
    let Ok(mut request) = builder.body(Body::from(input.body)) else {
        return;
    };
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    let router = lab.router.clone();
    let (status, body) = lab.runtime.block_on(async move {
        let response = router.oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .expect("a body");
        (status, body)
    });
    if !status.is_success() && method != "HEAD" {
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
            panic!(
                "{status} is not the API's JSON error: {:?}",
                String::from_utf8_lossy(&body)
            )
        });
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{status} without a code and a message: {error}"
        );
    }
});
