//! Syslog over TLS (RFC 5425) with rustls. Client certificates are verified against the
//! configured CA when presented; whether one is required depends on the thing: a thing whose
//! profile asks for client authentication (M3, the "strong identification" of SecProf_2-4)
//! must present one, and a thing whose credentials were revoked is refused. The certificate's
//! subject (common name, else its first DNS name) is the thing's id.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::listeners::{serve_connections, serve_stream};
use super::service::Pava;
use crate::error::StartError;

/// Where the TLS listener listens and with what.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    pub address: SocketAddr,
    /// The gateway's certificate chain and key (PEM).
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The CA that signs things' certificates (PEM); without it no client certificate is
    /// asked for, and things that need one cannot connect.
    pub client_ca: Option<PathBuf>,
}

/// Decides whether a connection may send: `Err(reason)` refuses it (the reason is counted).
pub type Admission = Arc<dyn Fn(IpAddr, Option<&str>) -> Result<(), &'static str> + Send + Sync>;

fn unusable(path: &std::path::Path, error: impl std::fmt::Display) -> StartError {
    StartError::Tls(format!("{}: {error}", path.display()))
}

/// The rustls configuration: ring as the crypto provider, client certificates optional at
/// the TLS layer (admission decides per thing).
pub fn server_config(settings: &TlsSettings) -> Result<Arc<rustls::ServerConfig>, StartError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&settings.cert)
        .map_err(|e| unusable(&settings.cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| unusable(&settings.cert, e))?;
    if certs.is_empty() {
        return Err(unusable(&settings.cert, "no certificate"));
    }
    let key =
        PrivateKeyDer::from_pem_file(&settings.key).map_err(|e| unusable(&settings.key, e))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StartError::Tls(format!("TLS: {e}")))?;
    let builder = match &settings.client_ca {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| unusable(path, e))? {
                let cert = cert.map_err(|e| unusable(path, e))?;
                roots.add(cert).map_err(|e| unusable(path, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| unusable(path, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|e| unusable(&settings.key, e))?;
    Ok(Arc::new(config))
}

/// The id a client certificate gives: its subject's common name, else its first DNS name.
pub fn identity(cert: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    if let Some(cn) = parsed
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
    {
        return Some(cn.to_string());
    }
    let names = parsed.subject_alternative_name().ok()??;
    names
        .value
        .general_names
        .iter()
        .find_map(|name| match name {
            x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_string()),
            _ => None,
        })
}

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn listen(
    settings: &TlsSettings,
    pava: Arc<Pava>,
    admission: Admission,
    known: super::listeners::Known,
) -> Result<SocketAddr, StartError> {
    let acceptor = TlsAcceptor::from(server_config(settings)?);
    let listener =
        TcpListener::bind(settings.address)
            .await
            .map_err(|error| StartError::Listen {
                what: "syslog TLS",
                address: settings.address,
                error,
            })?;
    serve_connections(
        listener,
        "tls",
        pava.clone(),
        known,
        move |stream, from, state| {
            let (acceptor, pava, admission) = (acceptor.clone(), pava.clone(), admission.clone());
            async move {
                let accepted =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                let Ok(Ok(tls)) = accepted else {
                    super::service::count_refusal(&pava, from.ip(), "tls-handshake");
                    return;
                };
                let id = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|certs| certs.first())
                    .and_then(identity);
                if let Err(reason) = admission(from.ip(), id.as_deref()) {
                    super::service::count_refusal(&pava, from.ip(), reason);
                    return;
                }
                if id.is_some() {
                    state.authenticate();
                }
                serve_stream(tls, from, true, id, &state, &pava).await;
            }
        },
    )
}
