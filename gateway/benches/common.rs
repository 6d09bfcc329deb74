//! What the gateway benchmarks share: the home policy of the tests, with each class's segment
//! widened from a /24 to a /16 so that 10,000 things fit, built and signed in a folder.

use std::path::Path;

use ward_compiler::Policy;
use ward_compiler::bundle::sign;
use ward_compiler::emit::{self, BuildOptions};

/// The classes of the policy and the second octet of their 10.N.0.0/16 segment.
pub const CLASSES: [(&str, u8, &str); 5] = [
    ("cameras", 2, "https://augustdoorbellcam.com/"),
    ("plugs", 3, "https://tplinkplug.com/"),
    ("media", 4, "https://amazonecho.com/"),
    ("sensors", 5, "https://awairairquality.com/"),
    ("hubs", 6, "https://smartthings.com/"),
];

pub fn policy_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onboarding/home.ward");
    let mut text = std::fs::read_to_string(path).expect("the home policy");
    for n in 2..=6 {
        text = text.replace(&format!("192.168.{n}.0/24"), &format!("10.{n}.0.0/16"));
    }
    text.replace("192.168.99.0/24", "10.99.0.0/16")
}

pub fn policy() -> Policy {
    let mut policy = Policy::default();
    policy.add_file("home.ward", policy_text());
    policy
}

/// Builds and signs the bundle into `dir` (`bundle.cbor`, `k.pub`).
pub fn signed_bundle(dir: &Path) {
    signed_bundle_with(dir, "");
}

/// As `signed_bundle`, with `extra` declarations in a file of their own.
pub fn signed_bundle_with(dir: &Path, extra: &str) {
    let mut policy = policy();
    if !extra.is_empty() {
        policy.add_file("extra.ward", extra.to_string());
    }
    let bundle = emit::build(policy.db(), policy.workspace(), BuildOptions::default())
        .unwrap_or_else(|e| panic!("the bench policy builds: {e:?}"));
    let (private, public) = sign::generate_key().expect("key");
    let key = sign::signing_key(&private).expect("key");
    let signed = sign::sign(&bundle, &key, 1).expect("signed");
    std::fs::write(dir.join("bundle.cbor"), signed).expect("write");
    std::fs::write(dir.join("k.pub"), public).expect("write");
}

/// The gateway's settings over the bundle of `signed_bundle` in `dir`, with `more` set.
pub fn config(
    dir: &Path,
    more: ward_gateway::config::FileConfig,
) -> ward_gateway::config::GatewayConfig {
    ward_gateway::config::FileConfig {
        bundle: Some(dir.join("bundle.cbor")),
        key: Some(dir.join("k.pub")),
        state: Some(dir.join("state.sqlite")),
        ..more
    }
    .resolve()
    .expect("config")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The address of thing `n` of class `class`.
pub fn address(octet: u8, n: usize) -> String {
    format!("10.{octet}.{}.{}", n / 250, n % 250 + 1)
}

/// A synthetic MUD file: one cloud flow and DNS through the gateway.
pub fn mud(url: &str) -> serde_json::Value {
    serde_json::json!({
        "ietf-mud:mud": {
            "mud-version": 1, "mud-url": url, "last-update": "2026-01-01T00:00:00Z",
            "is-supported": true, "systeminfo": "synthetic thing",
            "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}
        },
        "ietf-access-control-list:acls": {"acl": [{
            "name": "out", "type": "ipv4-acl-type",
            "aces": {"ace": [
                {"name": "dns", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"},
                    "ipv4": {"protocol": 17}, "udp": {"destination-port": {"operator": "eq", "port": 53}}},
                 "actions": {"forwarding": "accept"}},
                {"name": "cloud", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "cloud.example"},
                    "tcp": {"destination-port": {"operator": "eq", "port": 443}, "ietf-mud:direction-initiated": "from-device"}},
                 "actions": {"forwarding": "accept"}}
            ]}
        }]}
    })
}

/// A CA, the gateway's certificate for 127.0.0.1 (`gw.pem`, `gw.key`, `ca.pem` in `dir`) and
/// a client certificate named `client` signed by the CA: (CA PEM, client certificate DER,
/// client key PKCS #8 DER, client certificate and key PEM).
pub fn pki(
    dir: &Path,
    client: &str,
) -> (
    String,
    rustls_pki_types::CertificateDer<'static>,
    Vec<u8>,
    String,
) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "bench CA");
    let ca_key = KeyPair::generate().expect("key");
    let ca_pem = ca.self_signed(&ca_key).expect("CA").pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = |name: &str, ip: bool| {
        let mut params = CertificateParams::new(vec![name.to_string()]).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        if ip {
            params
                .subject_alt_names
                .push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &issuer).expect("signed");
        (cert, key)
    };
    let (server, server_key) = leaf("localhost", true);
    std::fs::write(dir.join("gw.pem"), server.pem()).expect("write");
    std::fs::write(dir.join("gw.key"), server_key.serialize_pem()).expect("write");
    std::fs::write(dir.join("ca.pem"), &ca_pem).expect("write");
    let (cert, key) = leaf(client, false);
    let pem = format!("{}{}", cert.pem(), key.serialize_pem());
    (ca_pem, cert.der().clone(), key.serialize_der(), pem)
}
