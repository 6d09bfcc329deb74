//! Serving the API: the listener, the accept loop with its deadlines and connection cap, and
//! SIGHUP, which reloads the bundle.

use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;

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
        "ward gateway: bundle {} ({} classes), listening on http://{address}",
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
                match gateway.reload().await {
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
    )
    .await
}

/// The most connections served at once; more wait in the listen queue.
const MAX_CONNECTIONS: usize = 1024;

/// Serves connections with a deadline on reading request headers. `axum::serve` sets none
/// (hyper's default needs a timer it does not install), so a client dribbling a request
/// head would hold a connection forever (slowloris); this loop installs the timer.
pub async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: std::time::Duration,
) -> Result<(), StartError> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
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
        // The client's address, for handlers that record who asked (axum's `ConnectInfo`).
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        ));
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}
