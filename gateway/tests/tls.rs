//! Syslog over TLS (RFC 5425) with certificates made in the test (rcgen): a thing whose
//! profile has client authentication (M3) is heard with its certificate, refused without
//! one; a certificate from another CA fails the handshake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::AsyncWriteExt;
#[path = "support/lab.rs"]
mod lab;

use ward_gateway::config::FileConfig;
use ward_gateway::messages::{OnboardRequest, ReleaseRequest};
use ward_gateway::runtime::Gateway;

struct Pki {
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Pki {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("CA");
    Pki {
        ca_pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A certificate for `name` signed by `pki`: (certificate DER, key DER, certificate PEM, key PEM).
fn leaf(pki: &Pki, name: &str, ip: bool) -> (CertificateDer<'static>, Vec<u8>, String, String) {
    let mut params = CertificateParams::new(vec![name.to_string()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    if ip {
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
    }
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &pki.issuer).expect("signed");
    (
        cert.der().clone(),
        key.serialize_der(),
        cert.pem(),
        key.serialize_pem(),
    )
}

/// Connects, sends one octet-counted message, and closes; Err when the handshake fails.
async fn send(
    address: std::net::SocketAddr,
    ca_pem: &str,
    client: Option<(CertificateDer<'static>, Vec<u8>)>,
    message: &str,
) -> Result<(), String> {
    send_from("127.0.0.1", address, ca_pem, client, message).await
}

/// As `send`, from the loopback address `local` (another host for the per-source limits).
async fn send_from(
    local: &str,
    address: std::net::SocketAddr,
    ca_pem: &str,
    client: Option<(CertificateDer<'static>, Vec<u8>)>,
    message: &str,
) -> Result<(), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::pem::PemObject::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![cert],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            )
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(format!("{local}:0").parse().map_err(|e| format!("{e}"))?)
        .map_err(|e| e.to_string())?;
    let tcp = socket.connect(address).await.map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let frame = format!("{} {message}", message.len());
    tls.write_all(frame.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    tls.flush().await.map_err(|e| e.to_string())?;
    // Let the server read before closing.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = tls.shutdown().await;
    Ok(())
}

/// A gateway over the lab policy in `dir` with PAVA over TLS: its certificate for localhost
/// and the things' CA made here.
async fn tls_gateway(dir: &std::path::Path) -> (Arc<Gateway>, Pki) {
    lab::signed_bundle(dir, &[]);
    let pki = ca("ward test CA");
    let (_, _, server_pem, server_key_pem) = leaf(&pki, "localhost", true);
    std::fs::write(
        dir.join("server.pem"),
        format!("{server_pem}{}", pki.ca_pem),
    )
    .expect("write");
    std::fs::write(dir.join("server.key"), server_key_pem).expect("write");
    std::fs::write(dir.join("ca.pem"), &pki.ca_pem).expect("write");
    let config = lab::config(
        dir,
        FileConfig {
            syslog_tls: Some("127.0.0.1:0".into()),
            tls_cert: Some(dir.join("server.pem")),
            tls_key: Some(dir.join("server.key")),
            tls_client_ca: Some(dir.join("ca.pem")),
            ..FileConfig::default()
        },
    );
    (Gateway::start(config).await.expect("starts"), pki)
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_required_where_the_profile_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (gateway, pki) = tls_gateway(dir.path()).await;
    let address = gateway.syslog.2.expect("TLS listener");
    let onboarded = gateway
        .onboard(
            OnboardRequest {
                id: "sensor-1".into(),
                address: "127.0.0.1".into(),
                mud_url: None,
                mud: Some(lab::sensor_mud()),
            },
            None,
            &operator(),
        )
        .await
        .expect("onboarded");
    assert!(
        onboarded.onboarding.config["mitigations"]
            .to_string()
            .contains("\"M3\"")
    );

    let message = "<27>1 2026-11-25T12:00:00.000Z sensor-1 updater 1 - - Firmware image 2: signature verification failed";
    // With its certificate: heard, and the incident is the thing's.
    let (cert, key, _, _) = leaf(&pki, "sensor-1", false);
    send(address, &pki.ca_pem, Some((cert, key)), message)
        .await
        .expect("sent");
    wait_for("the incident", async || {
        gateway
            .incidents(String::new(), 10)
            .await
            .expect("incidents")
            .incidents
            .len()
            == 1
    })
    .await;
    let incidents = gateway
        .incidents(String::new(), 10)
        .await
        .expect("incidents");
    assert_eq!(incidents.incidents[0].device.as_deref(), Some("sensor-1"));
    // Tied to the thing by its certificate: strong enough for the rule's quarantine.
    assert_eq!(incidents.incidents[0].detail["evidence"], "certificate");
    assert!(
        incidents.incidents[0].detail["withheld"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // Without a certificate, from the thing's address: refused.
    let _ = send(address, &pki.ca_pem, None, message).await;
    let refused = |reason: &'static str| {
        let status = gateway.pava_status().expect("status");
        status
            .counters
            .dropped_by_source
            .get("127.0.0.1")
            .and_then(|reasons| reasons.get(reason))
            .copied()
            .unwrap_or(0)
    };
    wait_for("the refusal", async || refused("client-cert-required") == 1).await;

    // A certificate from another CA: the handshake fails.
    let other = ca("another CA");
    let (cert, key, _, _) = leaf(&other, "sensor-1", false);
    let _ = send(address, &pki.ca_pem, Some((cert, key)), message).await;
    wait_for("the failed handshake", async || {
        refused("tls-handshake") >= 1
    })
    .await;

    // Nothing more was heard.
    assert_eq!(
        gateway
            .incidents(String::new(), 10)
            .await
            .expect("incidents")
            .incidents
            .len(),
        1
    );

    // The firmware incident quarantined the thing: its certificate is held with it. The same
    // thing, onboarding itself again under another id and from another address, is refused.
    wait_for("the quarantine", async || {
        gateway
            .device("sensor-1".into())
            .await
            .is_ok_and(|d| d.device.quarantined)
    })
    .await;
    let itself = ward_gateway::access::Principal::Thing {
        name: "sensor-1".into(),
        mud_url: "https://lab.example/sensor".into(),
    };
    let again = gateway
        .onboard(
            OnboardRequest {
                id: "sensor-9".into(),
                address: "127.0.0.9".into(),
                mud_url: None,
                mud: Some(lab::sensor_mud()),
            },
            None,
            &itself,
        )
        .await
        .expect_err("held");
    assert_eq!(again.code, "identity-held", "{again:?}");

    // Removed and onboarded again under its id and from its address: held until an operator
    // releases it (audited), then welcome.
    let sensor = || OnboardRequest {
        id: "sensor-1".into(),
        address: "127.0.0.1".into(),
        mud_url: None,
        mud: Some(lab::sensor_mud()),
    };
    gateway
        .remove("sensor-1".into(), Some("reflashed".into()), &operator())
        .await
        .expect("removed");
    let again = gateway
        .onboard(sensor(), None, &operator())
        .await
        .expect_err("held");
    assert_eq!(again.code, "identity-held", "{again:?}");
    let released = gateway
        .release(
            ReleaseRequest {
                id: Some("sensor-1".into()),
                address: Some("127.0.0.1".into()),
                reason: Some("reflashed".into()),
            },
            &operator(),
        )
        .await
        .expect("released");
    assert_eq!(released.released.len(), 2, "{released:?}");
    gateway
        .onboard(sensor(), None, &operator())
        .await
        .expect("onboarded again");
    let audit = gateway.audit(0, 1000).await.expect("audit");
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.event == "hold-released" && e.detail["reason"] == "reflashed"),
        "{audit:?}"
    );
}

/// The principal the tests act as.
fn operator() -> ward_gateway::access::Principal {
    ward_gateway::access::Principal::Token {
        id: "test".into(),
        role: ward_gateway::access::Role::Operator,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_connections_of_one_host_do_not_starve_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (gateway, pki) = tls_gateway(dir.path()).await;
    let address = gateway.syslog.2.expect("TLS listener");
    // 1,024 connections of one host that never begin their handshake.
    let mut idle = Vec::new();
    for _ in 0..1024 {
        if let Ok(stream) = tokio::net::TcpStream::connect(address).await {
            idle.push(stream);
        }
    }
    assert!(idle.len() > 1000, "{} connections", idle.len());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Another host's thing: its handshake and message go through at once.
    let (cert, key, _, _) = leaf(&pki, "sensor-2", false);
    let started = Instant::now();
    send_from(
        "127.0.0.2",
        address,
        &pki.ca_pem,
        Some((cert, key)),
        "<38>1 2026-12-01T10:00:00Z sensor-2 app 1 - - hello",
    )
    .await
    .expect("sent");
    wait_for("the message", async || {
        gateway.pava_status().is_ok_and(|s| s.counters.parsed == 1)
    })
    .await;
    // send_from waits 200 ms for the server to read before it closes.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let refused = gateway
        .pava_status()
        .expect("status")
        .counters
        .dropped_by_source
        .get("127.0.0.1")
        .and_then(|r| r.get("too-many-connections"))
        .copied()
        .unwrap_or(0);
    assert!(refused + 16 >= idle.len() as u64, "{refused}");
}
