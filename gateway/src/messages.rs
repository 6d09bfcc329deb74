//! What the API reads and answers, as types: PASC's m1 and the body of every response. The
//! handlers serialise these and nothing else, so a response's shape is read here (and in
//! the OpenAPI document), not pieced together from `json!` at each site.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::firewall::FirewallStatus;
use crate::pasc::onboard::Onboarding;
use crate::store::{AuditEntry, Device};

/// PASC's m1: a thing announces itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardRequest {
    pub id: String,
    /// Its address on the local network (the firewall's rules name it).
    pub address: String,
    pub mud_url: Option<String>,
    /// The MUD file itself, when the thing sends it rather than its URL.
    pub mud: Option<Value>,
}

/// What the gateway answers to an onboarding.
#[derive(Clone, Debug, Serialize)]
pub struct OnboardResponse {
    #[serde(flatten)]
    pub onboarding: Onboarding,
    pub address: String,
    /// m7: onboarded things whose configuration changed (they list this class as a peer).
    pub peers_updated: PeersUpdated,
    /// m8: the ruleset now in place.
    pub firewall: FirewallStatus,
    pub audit_seq: i64,
    /// Whether the manufacturer vouches for the MUD file (RFC 8520 section 13).
    pub mud_signature: crate::pasc::signature::SignatureVerdict,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PeersUpdated {
    pub classes: Vec<String>,
    pub things: usize,
    /// The first of them, by id.
    pub ids: Vec<String>,
}

/// `GET /v1/devices`
#[derive(Clone, Debug, Serialize)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

/// `GET /v1/devices/{id}`: the thing, its configuration (m6) and the onboarding record.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceDetail {
    pub device: Device,
    pub config: Value,
    pub onboarding: Value,
}

/// `DELETE /v1/devices/{id}`
#[derive(Clone, Debug, Serialize)]
pub struct Removal {
    pub removed: Device,
    pub firewall: FirewallStatus,
    pub audit_seq: i64,
}

/// `GET /v1/status`
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub bundle: BundleSummary,
    pub things: usize,
    pub things_by_class: BTreeMap<String, usize>,
    pub firewall: FirewallStatus,
    /// Refused onboardings the audit log summarised instead of recording one by one.
    pub onboarding_refusals_suppressed: u64,
}

/// The bundle in force, in brief.
#[derive(Clone, Debug, Serialize)]
pub struct BundleSummary {
    pub revision: String,
    pub compiler: String,
    pub classes: usize,
    pub flows: usize,
    pub detection_rules: usize,
}

/// `POST /v1/bundle/reload`
#[derive(Clone, Debug, Serialize)]
pub struct Reload {
    pub bundle: BundleChange,
    pub firewall: FirewallStatus,
}

/// `POST /v1/bundle/reload` takes `{}`: a JSON body, as every write does (an object with
/// no member; serde would read an empty struct from `[]` too).
pub type ReloadRequest = serde_json::Map<String, serde_json::Value>;

/// What a reload replaced (also the audit entry's detail).
#[derive(Clone, Debug, Serialize)]
pub struct BundleChange {
    pub old: String,
    pub revision: String,
    /// Onboarded things whose class the new bundle no longer has.
    pub devices_without_class: Vec<String>,
}

/// `GET /v1/incidents`
#[derive(Clone, Debug, Serialize)]
pub struct IncidentList {
    pub incidents: Vec<IncidentRecord>,
}

/// An incident as the gateway keeps it in its database (the reported one, `StoredIncident`,
/// carries the rule's captures and messages too, inside `detail` here).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentRecord {
    pub id: String,
    pub at: String,
    pub rule: String,
    pub threat: String,
    pub severity: String,
    /// The onboarded thing the messages came from, when one is known.
    pub device: Option<String>,
    pub source: String,
    pub group: String,
    pub count: i64,
    pub first_ms: i64,
    pub last_ms: i64,
    pub bundle_revision: String,
    pub detail: Value,
}

/// `GET /v1/pava`: what the listeners received, and the reports' delivery.
#[derive(Debug, Serialize)]
pub struct PavaStatus {
    #[serde(flatten)]
    pub counters: crate::pava::service::Counters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp_receive_buffer_bytes: Option<u64>,
    /// Bytes of messages waiting for the engine.
    pub queued_bytes: u64,
    pub reports: Reports,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Reports {
    pub pending: i64,
    pub delivered: i64,
}

/// `GET /v1/holds`: ids and addresses that cannot be onboarded until released.
#[derive(Clone, Debug, Serialize)]
pub struct HoldList {
    pub holds: Vec<crate::holds::Hold>,
}

/// `POST /v1/holds/release`: the id, the address, or both.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    pub id: Option<String>,
    pub address: Option<String>,
    /// Why (kept in the audit log).
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Released {
    pub released: Vec<crate::holds::Hold>,
}

/// `GET /v1/audit`
#[derive(Clone, Debug, Serialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// `GET /v1/audit?after=&limit=`
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

/// `GET /v1/incidents?after=&limit=`: `after` is an incident id.
#[derive(Clone, Debug, Deserialize)]
pub struct IncidentQuery {
    #[serde(default)]
    pub after: String,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

/// `DELETE /v1/devices/{id}?reason=`
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RemoveQuery {
    pub reason: Option<String>,
}

fn default_limit() -> i64 {
    100
}
