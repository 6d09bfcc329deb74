//! Certificates made in the test (rcgen), written as PEM files: a CA, the gateway's server
//! certificate for its addresses, and client certificates (an operator's, or a thing's
//! 802.1AR certificate carrying its MUD URL, RFC 8520 section 10).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair, SanType,
};

pub struct Ca {
    pub pem: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

/// A CA named `name`, its certificate written to `dir/<file>.pem`.
pub fn ca(dir: &Path, file: &str, name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("CA");
    let pem = dir.join(format!("{file}.pem"));
    std::fs::write(&pem, cert.pem()).expect("write the CA");
    Ca {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A certificate and its key, as files.
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A certificate for `name` (its common name and a DNS name), with the IP addresses as
/// subject alternative names and, for a thing, its MUD URL; written to `dir/<file>.pem` and
/// `dir/<file>.key`.
pub fn leaf(
    ca: &Ca,
    dir: &Path,
    file: &str,
    name: &str,
    ips: &[&str],
    mud_url: Option<&str>,
) -> Leaf {
    let mut params = CertificateParams::new(vec![name.to_string()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    for ip in ips {
        params
            .subject_alt_names
            .push(SanType::IpAddress(ip.parse().expect("ip")));
    }
    if let Some(url) = mud_url {
        // id-pe-mud-url (1.3.6.1.5.5.7.1.25), an IA5String.
        let mut value = vec![0x16, url.len() as u8];
        value.extend_from_slice(url.as_bytes());
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 25],
                value,
            ));
    }
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &ca.issuer).expect("signed");
    let leaf = Leaf {
        cert: dir.join(format!("{file}.pem")),
        key: dir.join(format!("{file}.key")),
    };
    std::fs::write(&leaf.cert, cert.pem()).expect("write the certificate");
    std::fs::write(&leaf.key, key.serialize_pem()).expect("write the key");
    leaf
}
