//! How handlers read a request: the body as JSON, the query and the device id of the path,
//! each refused with the API's own JSON error (`GatewayError`) rather than axum's plain-text
//! rejections, and the body bounded before it is read.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, GatewayError};
use crate::mud::MAX_MUD_BYTES;

/// The largest request body: a MUD document (at most `MAX_MUD_BYTES`) and the rest of m1.
pub const MAX_BODY_BYTES: usize = MAX_MUD_BYTES + 64 * 1024;

/// A JSON body of at most `MAX_BODY_BYTES`, declared `Content-Type: application/json`: what
/// an HTML form cannot send cross-site without a CORS preflight, which the gateway never
/// answers. serde_json refuses nesting deeper than 128 levels: hostile depth is a 400, not a
/// stack overflow. Every write of the API reads its body through this.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(GatewayError::NotJson {
                content_type: super::door::printable(content_type),
            }
            .into());
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| GatewayError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|error| {
                GatewayError::BadJson {
                    detail: error.to_string(),
                }
                .into()
            })
    }
}

/// The query string, read into `T`.
pub struct QueryOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(value)| QueryOf(value))
            .map_err(|rejection| {
                GatewayError::BadQuery {
                    detail: rejection.body_text(),
                }
                .into()
            })
    }
}

/// The client's address, when the accept loop gave it (axum's `ConnectInfo`).
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// The `{id}` of the path: percent-decoded, UTF-8, and a device id (`check_id`).
pub struct DeviceId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for DeviceId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| GatewayError::BadId {
                id: parts
                    .uri
                    .path()
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            })?;
        check_id(&id)?;
        Ok(DeviceId(id))
    }
}

/// The longest device id: ids are keys in the inventory, the audit log and URLs.
pub const MAX_ID_LEN: usize = 128;

/// 1 to `MAX_ID_LEN` letters, digits, `-`, `_`, `.` or `:`.
pub fn check_id(id: &str) -> Result<(), GatewayError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if valid {
        Ok(())
    } else {
        Err(GatewayError::BadId { id: id.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_plain() {
        assert!(check_id("plug-1.kitchen:a_b").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(MAX_ID_LEN + 1)] {
            assert_eq!(
                check_id(bad),
                Err(GatewayError::BadId {
                    id: bad.to_string()
                })
            );
        }
    }
}
