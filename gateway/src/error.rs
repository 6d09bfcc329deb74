//! What can go wrong behind the API, as data: each variant says what happened, and its HTTP
//! status, stable code, message and hint are decided here, in one place, rather than at the
//! site that found it. The JSON body is `ApiError`, made from these.

use ward_mud::MudError;

use crate::mud_source::FetchError;
use crate::pasc::onboard::Refusal;
use serde::Serialize;

use crate::api::extract::MAX_ID_LEN;

/// An error the API answers with: an HTTP status, a stable code, a message and a hint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where in a MUD document, for MUD errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            hint: None,
            path: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayError {
    /// No endpoint at this path.
    NoEndpoint,
    /// The endpoint does not take this method.
    MethodNotAllowed,
    /// The request ran past the deadline.
    Timeout {
        millis: u128,
    },
    /// The body is larger than the API reads.
    PayloadTooLarge {
        limit: usize,
    },
    /// The body is not the JSON the endpoint takes.
    BadJson {
        detail: String,
    },
    /// A device id with other characters, or too long.
    BadId {
        id: String,
    },
    /// m1's address is not an IP address.
    BadAddress {
        address: String,
    },
    /// m1 names neither a MUD URL nor a MUD file.
    NoMud,
    /// The query string does not read (a number that is not one, a value of the wrong kind).
    BadQuery {
        detail: String,
    },
    /// PASC refused the thing (no class matches, two do, ...).
    Refused(Refusal),
    /// The MUD file does not read, at its JSON path.
    Mud(MudError),
    /// The MUD source could not give the file.
    MudFetch(FetchError),
    /// The MUD file is another thing's.
    MudUrlMismatch {
        requested: String,
        declared: String,
    },
    /// The thing's address is outside its class's segment.
    AddressOutsideSegment {
        address: String,
        class: String,
        subnets: Vec<String>,
    },
    DuplicateDevice {
        id: String,
    },
    DuplicateAddress {
        address: String,
        holder: String,
    },
    NoSuchDevice {
        id: String,
    },
    /// The id or address is held: the thing was quarantined or its credentials revoked.
    IdentityHeld {
        kind: String,
        value: String,
        reason: String,
        device: String,
        at: String,
    },
    /// The class requires a MUD signature that verifies (`mud_signature`), and the file's
    /// does not.
    MudSignature {
        class: String,
        why: String,
    },
    /// A release that names neither an id nor an address, or nothing held.
    NothingHeld,
    /// PAVA does not run: no syslog listener.
    PavaOff,
    /// A new bundle did not load; the one in force stays.
    BundleRefused {
        /// `bundle-refused`, or what `BundleError::code` says more precisely
        /// (`bundle-rollback`, `bundle-sequence-reused`, ...).
        code: &'static str,
        reason: String,
    },
    /// No credentials, or credentials that do not verify (a token unknown, revoked or
    /// expired; a client certificate with no role and no MUD URL).
    Unauthenticated {
        reason: &'static str,
    },
    /// The caller's role does not permit the action (the API's Cedar policy decided).
    Forbidden {
        action: &'static str,
        principal: String,
    },
    /// The `Host` header names none of the API's names.
    BadHost {
        host: String,
    },
    /// A request from a web page of another origin.
    CrossOrigin {
        origin: String,
    },
    /// A write whose body is not declared JSON (what an HTML form can send cross-site).
    NotJson {
        content_type: String,
    },
    /// Something the gateway itself failed at (the store, a task).
    Internal(String),
}

impl GatewayError {
    pub fn internal(error: impl std::fmt::Display) -> GatewayError {
        GatewayError::Internal(error.to_string())
    }

    /// The HTTP status: the one place it is chosen.
    pub fn status(&self) -> u16 {
        use GatewayError::*;
        match self {
            BadJson { .. } | BadId { .. } | BadAddress { .. } | NoMud | BadQuery { .. } => 400,
            NoEndpoint | NoSuchDevice { .. } | PavaOff => 404,
            Unauthenticated { .. } => 401,
            Forbidden { .. } | CrossOrigin { .. } => 403,
            BadHost { .. } => 421,
            NotJson { .. } => 415,
            MethodNotAllowed => 405,
            Timeout { .. } => 408,
            PayloadTooLarge { .. } => 413,
            DuplicateDevice { .. } | DuplicateAddress { .. } | IdentityHeld { .. } => 409,
            NothingHeld => 404,
            Refused(_)
            | MudSignature { .. }
            | Mud(_)
            | MudUrlMismatch { .. }
            | AddressOutsideSegment { .. }
            | BundleRefused { .. } => 422,
            MudFetch(e) if e.code == "mud-unreachable" => 502,
            MudFetch(e) if e.code == "mud-url-refused" => 422,
            MudFetch(_) => 422,
            Internal(_) => 500,
        }
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            (status, axum::Json(serde_json::json!({ "error": self }))).into_response();
        // RFC 6750 section 3: a 401 says which scheme to use.
        if status == axum::http::StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"ward\""),
            );
        }
        response
    }
}

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> ApiError {
        use GatewayError::*;
        let status = error.status();
        match error {
            NoEndpoint => ApiError::new(status, "not-found", "no such endpoint")
                .hint("the API is under /v1: onboard, devices, status, audit, bundle/reload"),
            MethodNotAllowed => ApiError::new(
                status,
                "method-not-allowed",
                "this endpoint does not take that method",
            ),
            Timeout { millis } => ApiError::new(
                status,
                "timeout",
                format!("the request took more than {millis} ms"),
            ),
            PayloadTooLarge { limit } => ApiError::new(
                status,
                "payload-too-large",
                format!("the request body is larger than {limit} bytes"),
            ),
            BadJson { detail } => ApiError::new(
                status,
                "bad-json",
                format!("the request is not m1: {detail}"),
            )
            .hint("send {\"id\", \"address\", and \"mud_url\" or \"mud\"}"),
            BadId { id } => ApiError::new(status, "bad-id", format!("`{id}` is not a device id"))
                .hint(format!(
                    "1 to {MAX_ID_LEN} letters, digits, `-`, `_`, `.` or `:`"
                )),
            BadAddress { address } => ApiError::new(
                status,
                "bad-address",
                format!("`{address}` is not an IP address"),
            ),
            NoMud => ApiError::new(
                status,
                "bad-request",
                "the request has neither `mud_url` nor `mud`",
            )
            .hint("send the thing's MUD URL (`mud_url`) or its MUD file (`mud`)"),
            BadQuery { detail } => ApiError::new(
                status,
                "bad-request",
                format!("the query does not read: {detail}"),
            )
            .hint("`after` and `limit` are numbers (an incident id for `after` on /v1/incidents)"),
            Refused(refusal) => {
                ApiError::new(status, refusal.code, refusal.message).hint(refusal.hint)
            }
            Mud(e) => ApiError {
                status,
                code: e.code.to_string(),
                message: e.message,
                hint: e.hint,
                path: Some(e.path),
            },
            MudFetch(e) => ApiError::new(status, e.code, e.message)
                .hint("check the MUD source (`--mud-source`) and the MUD URL"),
            MudUrlMismatch {
                requested,
                declared,
            } => ApiError::new(
                status,
                "mud-url-mismatch",
                format!("the request names `{requested}`, the MUD file says `{declared}`"),
            ),
            AddressOutsideSegment {
                address,
                class,
                subnets,
            } => ApiError::new(
                status,
                "address-outside-segment",
                format!(
                    "{address} is outside the segment of class `{class}` ({})",
                    subnets.join(", ")
                ),
            )
            .hint("the gateway places a thing in its class's segment: give it an address there"),
            DuplicateDevice { id } => ApiError::new(
                status,
                "duplicate-device",
                format!("a thing with id `{id}` is already onboarded"),
            )
            .hint("ids are unique; remove the old thing first, or use another id"),
            DuplicateAddress { address, holder } => ApiError::new(
                status,
                "duplicate-address",
                format!("{address} is the address of `{holder}`"),
            ),
            NoSuchDevice { id } => ApiError::new(
                status,
                "not-found",
                format!("no thing with id `{id}` is onboarded"),
            )
            .hint("GET /v1/devices lists the onboarded things"),
            IdentityHeld {
                kind,
                value,
                reason,
                device,
                at,
            } => ApiError::new(
                status,
                "identity-held",
                format!("{kind} `{value}` is held: thing `{device}` was {reason} at {at}"),
            )
            .hint("an operator releases it after dealing with the thing: POST /v1/holds/release {\"id\": ..., \"address\": ...}"),
            MudSignature { class, why } => ApiError::new(
                status,
                "mud-signature-required",
                format!("class `{class}` takes only MUD files its manufacturer signed; this one is {why}"),
            )
            .hint("configure the manufacturer's trust anchor (`--mud-signer HOST=CA.pem`), or see the class's `mud_signature`"),
            NothingHeld => ApiError::new(status, "not-held", "no hold on that id or address")
                .hint("GET /v1/holds lists the holds in force"),
            PavaOff => ApiError::new(status, "pava-off", "the gateway does not listen for syslog")
                .hint("start it with `--syslog-udp` or `--syslog-tcp`"),
            BundleRefused { code, reason } => ApiError::new(status, code, reason)
                .hint("the bundle in force stays; fix or re-sign the new one"),
            Unauthenticated { reason } => ApiError::new(
                status,
                "unauthenticated",
                format!("no valid credentials: {reason}"),
            )
            .hint("send `Authorization: Bearer TOKEN` (`ward gateway token create`) or a client certificate the gateway trusts"),
            Forbidden { action, principal } => ApiError::new(
                status,
                "forbidden",
                format!("{principal} may not {}", action.replace('_', " ")),
            )
            .hint("the API's Cedar policy decides who may do what (`--api-policy`); ask an operator for a token of another role"),
            BadHost { host } => ApiError::new(
                status,
                "bad-host",
                format!("this gateway does not answer to `{host}`"),
            )
            .hint("use one of the API's names (`--api-name`)"),
            CrossOrigin { origin } => ApiError::new(
                status,
                "cross-origin",
                format!("requests from web pages of `{origin}` are refused"),
            ),
            NotJson { content_type } => ApiError::new(
                status,
                "unsupported-media-type",
                format!("a write must be `Content-Type: application/json`, not `{content_type}`"),
            ),
            Internal(message) => ApiError::new(status, "internal", message),
        }
    }
}

/// Why the gateway did not start: said once, to the operator at the terminal. Each variant
/// names the file or address at fault; `Display` is the message.
#[derive(Debug)]
pub enum StartError {
    /// The settings (flags and config file) are incomplete or wrong.
    Config(crate::config::ConfigError),
    /// The bundle or its public key was refused.
    Bundle(crate::bundle::BundleError),
    /// The state database could not be opened or written.
    State(crate::store::StoreError),
    /// A listener could not be opened.
    Listen {
        what: &'static str,
        address: std::net::SocketAddr,
        error: std::io::Error,
    },
    /// TLS material (certificate, key, client CA) is unusable.
    Tls(String),
    /// A file the gateway writes (the incidents log) could not be opened.
    File {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    /// The bundle's detection rules do not compile for the engine.
    Rules(String),
    /// The first ruleset did not load.
    Firewall(String),
    /// The runtime itself (the HTTP client, the PAVA threads).
    Runtime(String),
    /// The API's Cedar policy does not read or does not validate.
    ApiPolicy { path: String, error: String },
    /// A MUD signer's trust anchors do not read.
    MudSigner { host: String, error: String },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Config(error) => write!(f, "{error}"),
            StartError::Tls(message) => f.write_str(message),
            StartError::Bundle(error) => write!(f, "{error}"),
            StartError::State(error) => write!(f, "state: {}", error.0),
            StartError::Listen {
                what,
                address,
                error,
            } => write!(f, "{what} {address}: {error}"),
            StartError::File { path, error } => write!(f, "{}: {error}", path.display()),
            StartError::Rules(message) => write!(f, "detection rules: {message}"),
            StartError::Firewall(message) => write!(f, "firewall: {message}"),
            StartError::Runtime(message) => f.write_str(message),
            StartError::ApiPolicy { path, error } => write!(f, "API policy {path}: {error}"),
            StartError::MudSigner { host, error } => {
                write!(f, "mud-signer {host}: {error}")
            }
        }
    }
}

impl std::error::Error for StartError {}

impl From<crate::bundle::BundleError> for StartError {
    fn from(error: crate::bundle::BundleError) -> StartError {
        StartError::Bundle(error)
    }
}

impl From<crate::config::ConfigError> for StartError {
    fn from(error: crate::config::ConfigError) -> StartError {
        StartError::Config(error)
    }
}

impl From<crate::store::StoreError> for StartError {
    fn from(error: crate::store::StoreError) -> StartError {
        StartError::State(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status_and_code() {
        let cases = [
            (GatewayError::BadId { id: "x y".into() }, 400, "bad-id"),
            (GatewayError::NoMud, 400, "bad-request"),
            (
                GatewayError::NoSuchDevice { id: "a".into() },
                404,
                "not-found",
            ),
            (GatewayError::PavaOff, 404, "pava-off"),
            (
                GatewayError::DuplicateDevice { id: "a".into() },
                409,
                "duplicate-device",
            ),
            (
                GatewayError::BundleRefused {
                    code: "bundle-refused",
                    reason: "bad".into(),
                },
                422,
                "bundle-refused",
            ),
            (GatewayError::internal("disk full"), 500, "internal"),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code.as_str()), (status, code));
        }
    }
}
