//! The gateway's HTTP API: the routes, and a handler for each that reads the request
//! (`extract.rs`), calls `runtime::Gateway` and answers with a type of `messages.rs`. Every
//! error is JSON with a stable code (`{"error": {"code", "message", "hint"}}`, decided in
//! `error.rs`); bodies are bounded and every request has a deadline (`server.rs`).

pub mod door;
pub mod extract;
pub mod server;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::access::Action;
use crate::error::{ApiError, GatewayError};
use crate::messages::{
    AuditLog, AuditQuery, DeviceDetail, DeviceList, HoldList, IncidentList, IncidentQuery,
    OnboardRequest, OnboardResponse, PavaStatus, ReleaseRequest, Released, Reload, ReloadRequest,
    Removal, RemoveQuery, Status,
};
use crate::runtime::Gateway;
use door::Caller;
use extract::{DeviceId, JsonBody, Peer, QueryOf};

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
        .route("/v1/holds", get(holds))
        .route("/v1/holds/release", post(release))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/metrics", get(metrics))
        .fallback(|| async { ApiError::from(GatewayError::NoEndpoint) })
        .method_not_allowed_fallback(|| async { ApiError::from(GatewayError::MethodNotAllowed) })
        // Before any route, unknown ones included: who is asking (401 otherwise).
        .layer(middleware::from_fn_with_state(gateway.clone(), door::door))
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
    Caller(caller): Caller,
    Peer(source): Peer,
    JsonBody(request): JsonBody<OnboardRequest>,
) -> Result<(StatusCode, Json<OnboardResponse>), ApiError> {
    let action = Action::Onboard {
        inline_mud: request.mud.is_some(),
        mud_url: request.mud_url.clone().unwrap_or_default(),
    };
    gateway.authorize(&caller, action, source).await?;
    let response = gateway.onboard(request, source, &caller).await?;
    Ok((StatusCode::CREATED, Json(response)))
}

async fn devices(State(gateway): Shared, Caller(caller): Caller) -> Answer<DeviceList> {
    gateway
        .authorize(&caller, Action::ListDevices, None)
        .await?;
    gateway.devices().await.map(Json)
}

async fn device(
    State(gateway): Shared,
    Caller(caller): Caller,
    DeviceId(id): DeviceId,
) -> Answer<DeviceDetail> {
    gateway.authorize(&caller, Action::ReadDevice, None).await?;
    gateway.device(id).await.map(Json)
}

/// `DELETE /v1/devices/{id}?reason=...`
async fn remove(
    State(gateway): Shared,
    Caller(caller): Caller,
    Peer(source): Peer,
    DeviceId(id): DeviceId,
    QueryOf(query): QueryOf<RemoveQuery>,
) -> Answer<Removal> {
    gateway
        .authorize(&caller, Action::RemoveDevice, source)
        .await?;
    gateway.remove(id, query.reason, &caller).await.map(Json)
}

async fn status(State(gateway): Shared, Caller(caller): Caller) -> Answer<Status> {
    gateway.authorize(&caller, Action::ReadStatus, None).await?;
    Ok(Json(gateway.status()))
}

async fn audit(
    State(gateway): Shared,
    Caller(caller): Caller,
    QueryOf(query): QueryOf<AuditQuery>,
) -> Answer<AuditLog> {
    gateway.authorize(&caller, Action::ReadAudit, None).await?;
    gateway.audit(query.after, query.limit).await.map(Json)
}

async fn incidents(
    State(gateway): Shared,
    Caller(caller): Caller,
    QueryOf(query): QueryOf<IncidentQuery>,
) -> Answer<IncidentList> {
    gateway
        .authorize(&caller, Action::ReadIncidents, None)
        .await?;
    gateway.incidents(query.after, query.limit).await.map(Json)
}

async fn pava(State(gateway): Shared, Caller(caller): Caller) -> Answer<PavaStatus> {
    gateway.authorize(&caller, Action::ReadPava, None).await?;
    gateway.pava_status().map(Json)
}

async fn holds(State(gateway): Shared, Caller(caller): Caller) -> Answer<HoldList> {
    gateway.authorize(&caller, Action::ReadHolds, None).await?;
    gateway.holds().await.map(Json)
}

async fn release(
    State(gateway): Shared,
    Caller(caller): Caller,
    Peer(source): Peer,
    JsonBody(request): JsonBody<ReleaseRequest>,
) -> Answer<Released> {
    gateway
        .authorize(&caller, Action::ReleaseHold, source)
        .await?;
    gateway.release(request, &caller).await.map(Json)
}

/// The API's OpenAPI document (kept beside the routes; schemathesis holds it true).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi(State(gateway): Shared, Caller(caller): Caller) -> Result<Response, ApiError> {
    gateway
        .authorize(&caller, Action::ReadOpenapi, None)
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response())
}

/// The counters in the Prometheus text format.
async fn metrics(State(gateway): Shared, Caller(caller): Caller) -> Result<Response, ApiError> {
    gateway
        .authorize(&caller, Action::ReadMetrics, None)
        .await?;
    let pava = gateway.pava_status().ok();
    let text = crate::metrics::render(&gateway.status(), pava.as_ref());
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn reload(
    State(gateway): Shared,
    Caller(caller): Caller,
    Peer(source): Peer,
    JsonBody(request): JsonBody<ReloadRequest>,
) -> Answer<Reload> {
    if !request.is_empty() {
        return Err(GatewayError::BadJson {
            detail: "a reload takes `{}`".to_string(),
        }
        .into());
    }
    gateway
        .authorize(&caller, Action::ReloadBundle, source)
        .await?;
    gateway.reload(&caller.audit_name()).await.map(Json)
}
