//! What can go wrong behind the API, as data: each variant says what happened, and its HTTP
//! status, stable code, message and hint are decided here, in one place, rather than at the
//! site that found it. The JSON body is `ApiError` (runtime.rs), made from these.

use ward_mud::MudError;

use crate::mud_source::FetchError;
use crate::pasc::onboard::Refusal;
use crate::runtime::{ApiError, MAX_ID_LEN};

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
    /// A query parameter that must be a number is not.
    NotANumber {
        key: String,
        text: Option<String>,
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
    /// PAVA does not run: no syslog listener.
    PavaOff,
    /// A new bundle did not load; the one in force stays.
    BundleRefused {
        reason: String,
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
            BadJson { .. } | BadId { .. } | BadAddress { .. } | NoMud | NotANumber { .. } => 400,
            NoEndpoint | NoSuchDevice { .. } | PavaOff => 404,
            MethodNotAllowed => 405,
            Timeout { .. } => 408,
            PayloadTooLarge { .. } => 413,
            DuplicateDevice { .. } | DuplicateAddress { .. } => 409,
            Refused(_)
            | Mud(_)
            | MudUrlMismatch { .. }
            | AddressOutsideSegment { .. }
            | BundleRefused { .. } => 422,
            MudFetch(e) if e.code == "mud-unreachable" => 502,
            MudFetch(_) => 422,
            Internal(_) => 500,
        }
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
            NotANumber { key, text } => ApiError::new(
                status,
                "bad-request",
                match text {
                    Some(text) => format!("`{key}` is not a number: `{text}`"),
                    None => format!("`{key}` is not a number"),
                },
            ),
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
            PavaOff => ApiError::new(status, "pava-off", "the gateway does not listen for syslog")
                .hint("start it with `--syslog-udp` or `--syslog-tcp`"),
            BundleRefused { reason } => ApiError::new(status, "bundle-refused", reason)
                .hint("the bundle in force stays; fix or re-sign the new one"),
            Internal(message) => ApiError::new(status, "internal", message),
        }
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
