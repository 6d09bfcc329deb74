//! Onboarding 10,000 things through the gateway's HTTP API, in process: synthetic MUD files
//! in a directory source, 32 clients, the state in SQLite on disk (WAL, synchronous=FULL)
//! and the firewall ruleset rewritten as things arrive (coalesced); every request
//! authenticated and decided by the API's Cedar policy. Twice: over plain HTTP on loopback
//! with a bearer token, and over TLS with client certificates (mTLS, a new connection per
//! client, kept alive). Prints onboardings per second, request latency (median, p99) and the
//! time of the last ruleset regeneration.
//! Run with `cargo bench -p ward-gateway --bench onboard` (THINGS=N to change the count).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ward_gateway::config::FileConfig;
use ward_gateway::runtime::Gateway;

const CLIENTS: usize = 32;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours means: not this one.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && a != "onboard")
    {
        return;
    }
    let things: usize = std::env::var("THINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    run(things, Transport::Token);
    run(things, Transport::MutualTls);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// Plain HTTP on loopback, `Authorization: Bearer`.
    Token,
    /// TLS, the client authenticated by its certificate (a role by `client_roles`).
    MutualTls,
}

fn run(things: usize, transport: Transport) {
    let dir = tempfile::tempdir().expect("temp dir");
    common::signed_bundle(dir.path());
    let mud_dir = dir.path().join("mud");
    for (_, _, url) in common::CLASSES {
        let host = url.trim_start_matches("https://").trim_end_matches('/');
        std::fs::create_dir_all(mud_dir.join(host)).expect("mud dir");
    }
    let mut requests = Vec::with_capacity(things);
    for n in 0..things {
        let (_, octet, url) = common::CLASSES[n % common::CLASSES.len()];
        let mud_url = format!("{url}thing-{n}");
        let path = mud_dir.join(mud_url.trim_start_matches("https://"));
        std::fs::write(&path, common::mud(&mud_url).to_string()).expect("mud file");
        requests.push(serde_json::json!({
            "id": format!("thing-{n}"),
            "address": common::address(octet, n / common::CLASSES.len()),
            "mud_url": mud_url,
        }));
    }
    let (ca_pem, _, _, identity) = common::pki(dir.path(), "bench-onboarder");
    let settings = match transport {
        Transport::Token => FileConfig {
            insecure_http: Some(true),
            ..FileConfig::default()
        },
        Transport::MutualTls => FileConfig {
            tls_cert: Some(dir.path().join("gw.pem")),
            tls_key: Some(dir.path().join("gw.key")),
            client_ca: Some(dir.path().join("ca.pem")),
            client_roles: Some([("bench-onboarder".to_string(), "onboarding".to_string())].into()),
            ..FileConfig::default()
        },
    };
    let config = common::config(
        dir.path(),
        FileConfig {
            listen: Some("127.0.0.1:0".into()),
            mud_source: Some(format!("dir:{}", mud_dir.display())),
            ..settings
        },
    );
    // An onboarding client's token, made before the gateway opens the state.
    let token = ward_gateway::store::Store::open(&config.state)
        .expect("state")
        .create_token(ward_gateway::access::Role::Onboarding, Some("bench"), None)
        .expect("token")
        .0;
    let runtime = common::runtime();
    runtime.block_on(async move {
        let gateway = Gateway::start(config).await.expect("gateway");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let app = ward_gateway::api::router(gateway.clone());
        let deadline = gateway.config.request_timeout;
        let tls = gateway
            .config
            .api_tls
            .as_ref()
            .map(|tls| ward_gateway::api::server::acceptor(tls, address).expect("TLS"));
        tokio::spawn(ward_gateway::api::accept(listener, app, deadline, tls));
        let (client, url) = match transport {
            Transport::Token => (reqwest::Client::new(), format!("http://{address}/v1/onboard")),
            Transport::MutualTls => (
                reqwest::Client::builder()
                    .use_rustls_tls()
                    .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA"))
                    .identity(reqwest::Identity::from_pem(identity.as_bytes()).expect("identity"))
                    .build()
                    .expect("client"),
                format!("https://{address}/v1/onboard"),
            ),
        };
        let queue = Arc::new(std::sync::Mutex::new(requests));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..CLIENTS {
            let (client, url, queue) = (client.clone(), url.clone(), queue.clone());
            // Over mTLS the certificate says who the client is; no token.
            let authorization =
                (transport == Transport::Token).then(|| format!("Bearer {token}"));
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let Some(request) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                        break;
                    };
                    let sent = Instant::now();
                    let mut post = client.post(&url).header("content-type", "application/json");
                    if let Some(authorization) = &authorization {
                        post = post.header("authorization", authorization);
                    }
                    let response = post
                        .body(request.to_string())
                        .send()
                        .await
                        .expect("sent");
                    assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap_or_default());
                    latencies.push(sent.elapsed());
                }
                latencies
            }));
        }
        let mut latencies: Vec<Duration> = Vec::new();
        for worker in workers {
            latencies.extend(worker.await.expect("worker"));
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let pick = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        let status = gateway.firewall.status();
        let status = if status.ruleset.is_empty() { gateway.firewall.update().await } else { status };
        println!(
            "{}: onboarded {} things through the API in {:.2} s: {:.0} onboardings/s ({CLIENTS} clients); latency median {:.1} ms, p99 {:.1} ms",
            match transport {
                Transport::Token => "plain HTTP, bearer token",
                Transport::MutualTls => "TLS, client certificate",
            },
            latencies.len(),
            elapsed.as_secs_f64(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            pick(0.5).as_secs_f64() * 1000.0,
            pick(0.99).as_secs_f64() * 1000.0,
        );
        println!(
            "last ruleset regeneration: {} things, {:.1} ms (generation {})",
            status.things, status.took_ms, status.generation
        );
        // Keep the ruleset for a look (and for timing `nft -f` on it), and time `nft -c`
        // when nft is here.
        let kept = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/ward-bench-ruleset.nft");
        if std::fs::copy(&status.ruleset, &kept).is_ok() {
            let started = Instant::now();
            match std::process::Command::new("nft").arg("-c").arg("-f").arg(&kept).output() {
                Ok(output) if output.status.success() => println!(
                    "nft -c -f {}: accepted in {:.0} ms",
                    kept.display(),
                    started.elapsed().as_secs_f64() * 1000.0
                ),
                Ok(output) => println!(
                    "nft -c refused the ruleset: {}",
                    String::from_utf8_lossy(&output.stderr)
                ),
                Err(_) => println!("(nft not installed: not timed)"),
            }
        }
    });
}
