//! PAVA over TLS (RFC 5425) with 1,000 concurrent clients, each with its certificate, from
//! 250 loopback addresses (four per address, as things behind their own addresses would be:
//! the per-source quota and connection cap apply per address). Prints the messages per
//! second the engine took until every message was parsed, and the handshakes' median and p99.
//! Run with `cargo bench -p ward-gateway --bench syslog_tls` (CLIENTS=N, MESSAGES=N per
//! client).

#[allow(dead_code, reason = "shared with the other benchmarks")]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::AsyncWriteExt;
use ward_gateway::config::FileConfig;
use ward_gateway::runtime::Gateway;

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && a != "syslog_tls")
    {
        return;
    }
    let number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let clients = number("CLIENTS", 1000);
    let messages = number("MESSAGES", 100);
    let dir = tempfile::tempdir().expect("temp dir");
    common::signed_bundle(dir.path());
    // A CA, the gateway's certificate for 127.0.0.1, one client certificate for all.
    let (ca_pem, client_cert, client_key, _) = common::pki(dir.path(), "bench-thing");
    let config = common::config(
        dir.path(),
        FileConfig {
            insecure_http: Some(true),
            syslog_tls: Some("127.0.0.1:0".into()),
            tls_cert: Some(dir.path().join("gw.pem")),
            tls_key: Some(dir.path().join("gw.key")),
            tls_client_ca: Some(dir.path().join("ca.pem")),
            ..FileConfig::default()
        },
    );
    let runtime = common::runtime();
    runtime.block_on(async move {
        let gateway = Gateway::start(config).await.expect("gateway");
        let target = gateway.syslog.2.expect("TLS listener");
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.expect("CA")).expect("root");
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![client_cert],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(client_key)),
        )
        .expect("client");
        let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for n in 0..clients {
            let connector = connector.clone();
            tasks.push(tokio::spawn(async move {
                let socket = tokio::net::TcpSocket::new_v4().expect("socket");
                let local = format!("127.0.0.{}:0", 2 + n % 250);
                socket.bind(local.parse().expect("address")).expect("bind");
                let tcp = socket.connect(target).await.expect("connect");
                let name = ServerName::try_from("localhost").expect("name");
                let mut stream = connector.connect(name, tcp).await.expect("handshake");
                let mut frames = Vec::new();
                for m in 0..messages {
                    let message = format!(
                        "<38>1 2026-12-01T10:00:00Z thing-{n} app 1 - - reading {m} ok"
                    );
                    frames.extend_from_slice(format!("{} {message}", message.len()).as_bytes());
                }
                stream.write_all(&frames).await.expect("sent");
                stream.flush().await.expect("flushed");
                // Held open until the engine has read it all (back-pressure per frame).
                tokio::time::sleep(Duration::from_secs(30)).await;
            }));
        }
        let total = (clients * messages) as u64;
        loop {
            let parsed = gateway.pava_status().map(|s| s.counters.parsed).unwrap_or(0);
            if parsed >= total {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(300), "{parsed} of {total}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let elapsed = started.elapsed();
        let mut handshakes = Vec::new();
        for task in tasks {
            task.abort();
        }
        // Handshakes, timed on a sample once the run is over.
        for n in 0..50usize {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket
                .bind(format!("127.0.0.{}:0", 2 + n % 250).parse().expect("address"))
                .expect("bind");
            let begun = Instant::now();
            let tcp = socket.connect(target).await.expect("connect");
            let name = ServerName::try_from("localhost").expect("name");
            let _stream = connector.connect(name, tcp).await.expect("handshake");
            handshakes.push(begun.elapsed());
        }
        handshakes.sort();
        println!(
            "{clients} TLS clients x {messages} messages: {total} parsed in {:.2} s, {:.0} messages/s; handshake median {:.1} ms, p99 {:.1} ms (50 after the run)",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            handshakes[handshakes.len() / 2].as_secs_f64() * 1000.0,
            handshakes[handshakes.len() * 99 / 100].as_secs_f64() * 1000.0,
        );
    });
}
