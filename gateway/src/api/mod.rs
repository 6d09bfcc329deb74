//! The gateway's HTTP API: the routes, and a handler for each that reads the request
//! (`extract.rs`), calls `runtime::Gateway` and answers with a type of `messages.rs`. Every
//! error is JSON with a stable code (`{"error": {"code", "message", "hint"}}`, decided in
//! `error.rs`); bodies are bounded and every request has a deadline (`server.rs`).

pub mod extract;
pub mod server;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use crate::error::{ApiError, GatewayError};
use crate::messages::{
    AuditLog, AuditQuery, DeviceDetail, DeviceList, IncidentList, IncidentQuery, OnboardRequest,
    OnboardResponse, PavaStatus, Reload, Removal, RemoveQuery, Status,
};
use crate::runtime::Gateway;
use extract::{DeviceId, JsonBody, QueryOf};

pub use extract::MAX_BODY_BYTES;
pub use server::{accept, serve};

type Answer<T> = Result<Json<T>, ApiError>;
type Shared = State<Arc<Gateway>>;

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

async fn onboard(
    State(gateway): Shared,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    JsonBody(request): JsonBody<OnboardRequest>,
) -> Result<(StatusCode, Json<OnboardResponse>), ApiError> {
    let source = peer.map(|Extension(ConnectInfo(p))| p.ip());
    let response = gateway.onboard(request, source).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

async fn devices(State(gateway): Shared) -> Answer<DeviceList> {
    gateway.devices().await.map(Json)
}

async fn device(State(gateway): Shared, DeviceId(id): DeviceId) -> Answer<DeviceDetail> {
    gateway.device(id).await.map(Json)
}

/// `DELETE /v1/devices/{id}?reason=...`
async fn remove(
    State(gateway): Shared,
    DeviceId(id): DeviceId,
    QueryOf(query): QueryOf<RemoveQuery>,
) -> Answer<Removal> {
    gateway.remove(id, query.reason).await.map(Json)
}

async fn status(State(gateway): Shared) -> Answer<Status> {
    Ok(Json(gateway.status()))
}

async fn audit(State(gateway): Shared, QueryOf(query): QueryOf<AuditQuery>) -> Answer<AuditLog> {
    gateway.audit(query.after, query.limit).await.map(Json)
}

async fn incidents(
    State(gateway): Shared,
    QueryOf(query): QueryOf<IncidentQuery>,
) -> Answer<IncidentList> {
    gateway.incidents(query.after, query.limit).await.map(Json)
}

async fn pava(State(gateway): Shared) -> Answer<PavaStatus> {
    gateway.pava_status().map(Json)
}

async fn reload(State(gateway): Shared) -> Answer<Reload> {
    gateway.reload().await.map(Json)
}
