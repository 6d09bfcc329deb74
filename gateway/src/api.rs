//! The gateway's HTTP API: thin handlers over `runtime::Gateway`. Every error is JSON with a
//! stable code (`{"error": {"code", "message", "hint"}}`); bodies are bounded and every
//! request has a deadline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::{Value, json};

use crate::error::GatewayError;
use crate::mud::MAX_MUD_BYTES;
use crate::runtime::{ApiError, Gateway, OnboardRequest};

/// The largest request body: a MUD document (at most `MAX_MUD_BYTES`) and the rest of m1.
pub const MAX_BODY_BYTES: usize = MAX_MUD_BYTES + 64 * 1024;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(json!({ "error": self }))).into_response()
    }
}

fn ok(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    let timeout = gateway.config.request_timeout;
    Router::new()
        .route("/v1/onboard", post(onboard))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{id}", get(device).delete(remove))
        .route("/v1/status", get(status))
        .route("/v1/audit", get(audit))
        .route("/v1/bundle/reload", post(reload))
        .route("/v1/incidents", get(incidents))
        .route("/v1/pava", get(pava))
        .fallback(|| async { ApiError::from(GatewayError::NoEndpoint) })
        .method_not_allowed_fallback(|| async { ApiError::from(GatewayError::MethodNotAllowed) })
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            deadline(timeout, request, next)
        }))
        .with_state(gateway)
}

/// Every request ends within the deadline, slow clients and slow MUD servers included.
async fn deadline(limit: std::time::Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::from(GatewayError::Timeout {
            millis: limit.as_millis(),
        })
        .into_response(),
    }
}

/// The body, if it fits.
async fn body_of(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::from(GatewayError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            })
        })
}

async fn onboard(
    State(gateway): State<Arc<Gateway>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Body,
) -> Response {
    let bytes = match body_of(body).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    // serde_json refuses nesting deeper than 128 levels: hostile depth is a 400, not a
    // stack overflow.
    let request: OnboardRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => {
            return ApiError::from(GatewayError::BadJson {
                detail: error.to_string(),
            })
            .into_response();
        }
    };
    match gateway
        .onboard(request, peer.map(|Extension(ConnectInfo(p))| p.ip()))
        .await
    {
        Ok(response) => match serde_json::to_value(&response) {
            Ok(value) => ok(StatusCode::CREATED, value),
            Err(error) => ApiError::from(GatewayError::internal(error)).into_response(),
        },
        Err(error) => error.into_response(),
    }
}

async fn devices(State(gateway): State<Arc<Gateway>>) -> Response {
    match gateway.devices().await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

async fn device(State(gateway): State<Arc<Gateway>>, Path(id): Path<String>) -> Response {
    match gateway.device(id).await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

/// `DELETE /v1/devices/{id}?reason=...`
async fn remove(
    State(gateway): State<Arc<Gateway>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match gateway.remove(id, query.get("reason").cloned()).await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

async fn status(State(gateway): State<Arc<Gateway>>) -> Response {
    match gateway.status().await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

async fn audit(
    State(gateway): State<Arc<Gateway>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let number = |key: &str, default: i64| -> Result<i64, ApiError> {
        match query.get(key) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                ApiError::from(GatewayError::NotANumber {
                    key: key.to_string(),
                    text: Some(text.clone()),
                })
            }),
        }
    };
    let (after, limit) = match (number("after", 0), number("limit", 100)) {
        (Ok(after), Ok(limit)) => (after, limit),
        (Err(error), _) | (_, Err(error)) => return error.into_response(),
    };
    match gateway.audit(after, limit).await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

async fn incidents(
    State(gateway): State<Arc<Gateway>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let after = query.get("after").cloned().unwrap_or_default();
    let limit = match query.get("limit").map(|l| l.parse::<i64>()) {
        None => 100,
        Some(Ok(limit)) => limit,
        Some(Err(_)) => {
            return ApiError::from(GatewayError::NotANumber {
                key: "limit".to_string(),
                text: None,
            })
            .into_response();
        }
    };
    match gateway.incidents(after, limit).await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

async fn pava(State(gateway): State<Arc<Gateway>>) -> Response {
    match gateway.pava_status() {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

async fn reload(State(gateway): State<Arc<Gateway>>) -> Response {
    match gateway.reload().await {
        Ok(value) => ok(StatusCode::OK, value),
        Err(error) => error.into_response(),
    }
}

/// Serves the API until the process is stopped; SIGHUP reloads the bundle.
pub async fn serve(gateway: Arc<Gateway>) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(gateway.config.listen)
        .await
        .map_err(|e| format!("listen on {}: {e}", gateway.config.listen))?;
    let address = listener.local_addr().map_err(|e| format!("listen: {e}"))?;
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
) -> Result<(), String> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| format!("serve: {e}"))?;
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
