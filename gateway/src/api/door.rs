//! The API's door: every request passes here before any route. It must name the gateway
//! (`Host`), come from no other web origin, and carry credentials that verify: a bearer token, or a client certificate the TLS layer verified.
//! What the caller may then do is the handler's question to the Cedar policy
//! (`Gateway::authorize`); the door only says who it is (`Caller`).

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::access::Principal;
use crate::access::certificate::ClientCertificate;
use crate::error::{ApiError, GatewayError};
use crate::runtime::Gateway;

/// Who made the request, as the door authenticated it.
#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // Only the door inserts it; a route outside the door is a bug, and fails closed.
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            GatewayError::Unauthenticated {
                reason: "no credentials",
            }
            .into()
        })
    }
}

pub async fn door(
    State(gateway): State<Arc<Gateway>>,
    mut request: Request,
    next: Next,
) -> Response {
    match admit(&gateway, &mut request) {
        Ok(()) => next.run(request).await,
        Err(error) => ApiError::from(error).into_response(),
    }
}

fn admit(gateway: &Gateway, request: &mut Request) -> Result<(), GatewayError> {
    let names = &gateway.config.api_names;
    // HTTP/1.1 sends `Host`; HTTP/2 the URI's authority.
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    if !names.iter().any(|name| *name == host_name(&host)) {
        return Err(GatewayError::BadHost {
            host: printable(&host),
        });
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let same = origin
            .split_once("://")
            .is_some_and(|(_, rest)| names.iter().any(|name| *name == host_name(rest)));
        if !same {
            return Err(GatewayError::CrossOrigin {
                origin: printable(origin),
            });
        }
    }
    let certificate = request.extensions().get::<ClientCertificate>();
    let principal = authenticate(gateway, request.headers(), certificate)?;
    request.extensions_mut().insert(Caller(principal));
    Ok(())
}

fn authenticate(
    gateway: &Gateway,
    headers: &HeaderMap,
    certificate: Option<&ClientCertificate>,
) -> Result<Principal, GatewayError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(GatewayError::Unauthenticated {
                reason: "not a bearer token",
            })?;
        return gateway.verify_token(token.trim());
    }
    if let Some(certificate) = certificate {
        if let Some(role) = gateway.config.client_roles.get(&certificate.name) {
            return Ok(Principal::Certificate {
                name: certificate.name.clone(),
                role: *role,
            });
        }
        if let Some(mud_url) = &certificate.mud_url {
            return Ok(Principal::Thing {
                name: certificate.name.clone(),
                mud_url: mud_url.clone(),
            });
        }
        return Err(GatewayError::Unauthenticated {
            reason: "the client certificate has no role and carries no MUD URL",
        });
    }
    Err(GatewayError::Unauthenticated {
        reason: "no credentials",
    })
}

/// The host of `host[:port]`, `[v6]:port` or `v6`, lower-cased.
fn host_name(authority: &str) -> String {
    let authority = authority.trim_end_matches('/');
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else if authority.matches(':').count() == 1 {
        authority.split(':').next().unwrap_or("")
    } else {
        authority
    };
    host.to_ascii_lowercase()
}

/// A header as the error may echo it: printable ASCII, at most 200 characters.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_without_their_port() {
        assert_eq!(host_name("127.0.0.1:8443"), "127.0.0.1");
        assert_eq!(host_name("GW.example"), "gw.example");
        assert_eq!(host_name("[::1]:8443"), "::1");
        assert_eq!(host_name("::1"), "::1");
        assert_eq!(host_name("gw.example:443/"), "gw.example");
    }
}
