//! Serving the API: the listener, the accept loop with its deadlines and connection cap, and
//! SIGHUP, which reloads the bundle.

use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use tokio_rustls::TlsAcceptor;

use super::router;
use crate::error::StartError;
use crate::runtime::Gateway;

/// Serves the API until the process is stopped; SIGHUP reloads the bundle.
pub async fn serve(gateway: Arc<Gateway>) -> Result<(), StartError> {
    let refused = |error| StartError::Listen {
        what: "listen on",
        address: gateway.config.listen,
        error,
    };
    let listener = tokio::net::TcpListener::bind(gateway.config.listen)
        .await
        .map_err(refused)?;
    let address = listener.local_addr().map_err(refused)?;
    let tls = match &gateway.config.api_tls {
        Some(tls) => Some(acceptor(tls, gateway.config.listen)?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some(udp) = gateway.syslog.0 {
        eprintln!("ward gateway: syslog UDP on {udp}");
    }
    if let Some(tcp) = gateway.syslog.1 {
        eprintln!("ward gateway: syslog TCP on {tcp}");
    }
    if let Some(tls) = gateway.syslog.2 {
        eprintln!("ward gateway: syslog TLS on {tls}");
    }
    eprintln!(
        "ward gateway: bundle {} ({} classes), listening on {scheme}://{address}",
        gateway.bundle().manifest.short_revision(),
        gateway.bundle().ir.classes.len()
    );
    #[cfg(unix)]
    {
        let gateway = gateway.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hangup) = signal(SignalKind::hangup()) else {
                return;
            };
            while hangup.recv().await.is_some() {
                match gateway.reload("signal").await {
                    Ok(_) => eprintln!(
                        "ward gateway: bundle reloaded ({})",
                        gateway.bundle().manifest.short_revision()
                    ),
                    Err(error) => eprintln!(
                        "ward gateway: new bundle refused, keeping the old one: {}",
                        error.message
                    ),
                }
            }
        });
    }
    accept(
        listener,
        router(gateway.clone()),
        gateway.config.request_timeout,
        tls,
    )
    .await
}

/// The API's TLS: the gateway's certificate and key; client certificates verified against
/// the client CA when presented (bearer tokens need none).
pub fn acceptor(
    tls: &crate::config::ApiTls,
    address: std::net::SocketAddr,
) -> Result<TlsAcceptor, StartError> {
    let settings = crate::pava::tls::TlsSettings {
        address,
        cert: tls.cert.clone(),
        key: tls.key.clone(),
        client_ca: tls.client_ca.clone(),
    };
    Ok(TlsAcceptor::from(crate::pava::tls::server_config(
        &settings,
    )?))
}

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The most connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 1024;
/// The most connections of one source address at once; more are closed at accept, so that
/// one host cannot take the slots of the others. 64: an onboarding tool on one host with 32
/// workers (the onboard benchmark) briefly holds more than 32 while it replaces connections.
const MAX_PER_SOURCE: usize = 64;
/// How long a response write may stall: a client that sends requests and never reads its
/// answers is cut off, rather than holding its buffers and its slot.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a connection may wait for its client's next bytes (idle keep-alive included).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Serves connections with a deadline on reading request headers. `axum::serve` sets none
/// (hyper's default needs a timer it does not install), so a client dribbling a request
/// head would hold a connection forever (slowloris); this loop installs the timer.
pub async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: std::time::Duration,
    tls: Option<TlsAcceptor>,
) -> Result<(), StartError> {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let sources = crate::limits::Sources::new(MAX_PER_SOURCE);
    loop {
        // The semaphore is never closed: the loop holds it to the end.
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: wait, do not stop serving.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // Beyond its share, a source's connection is closed unanswered.
        let Some(slot) = sources.take(peer.ip()) else {
            drop(stream);
            continue;
        };
        let (app, tls) = (app.clone(), tls.clone());
        tokio::spawn(async move {
            match tls {
                None => serve_one(stream, app, peer, None, header_timeout).await,
                Some(acceptor) => {
                    let accepted =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                    // A failed or slow handshake ends the connection; nothing is answered.
                    let Ok(Ok(stream)) = accepted else {
                        drop(slot);
                        drop(permit);
                        return;
                    };
                    let certificate = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|certs| certs.first())
                        .and_then(crate::access::certificate::read);
                    serve_one(stream, app, peer, certificate, header_timeout).await;
                }
            }
            drop(slot);
            drop(permit);
        });
    }
}

/// Serves one connection: HTTP/1.1 or HTTP/2, with a deadline on reading request headers;
/// the client's address (axum's `ConnectInfo`) and verified certificate go to the handlers.
async fn serve_one<IO>(
    io: IO,
    app: Router,
    peer: std::net::SocketAddr,
    certificate: Option<crate::access::certificate::ClientCertificate>,
    header_timeout: std::time::Duration,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;
    let mut io = tokio_io_timeout::TimeoutStream::new(io);
    io.set_write_timeout(Some(WRITE_TIMEOUT));
    io.set_read_timeout(Some(READ_TIMEOUT));
    let io = Box::pin(io);
    let service = TowerToHyperService::new(app.map_request(
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(certificate) = &certificate {
                request.extensions_mut().insert(certificate.clone());
            }
            request
        },
    ));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let _ = builder.serve_connection(TokioIo::new(io), service).await;
}
