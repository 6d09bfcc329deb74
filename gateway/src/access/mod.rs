//! Who calls the API and what they may do: the principal of a request (a bearer token, a
//! client certificate with a role, or a thing's own certificate), the action of each route,
//! and the decision, which Cedar makes (`policy.rs`) against the operator's policy or the
//! default one. ward enforces its own medicine.

pub mod certificate;
pub mod policy;
pub mod tokens;

use std::fmt;

use serde::{Deserialize, Serialize};

/// A role granted to tokens and client certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Operator,
    /// Reads only.
    Auditor,
    /// `POST /v1/onboard` by MUD URL only.
    Onboarding,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Operator, Role::Auditor, Role::Onboarding];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::Onboarding => "onboarding",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a request, once authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A bearer token, by its id (never its secret).
    Token { id: String, role: Role },
    /// A client certificate the operator granted a role (`--client-role NAME=ROLE`).
    Certificate { name: String, role: Role },
    /// A thing's own certificate (802.1AR IDevID) carrying its MUD URL (RFC 8520 section
    /// 10), with no role: it may onboard itself with that URL, and nothing else.
    Thing { name: String, mud_url: String },
}

impl Principal {
    /// How the audit log names it: `token:ID`, `certificate:NAME`, `thing:NAME`.
    pub fn audit_name(&self) -> String {
        match self {
            Principal::Token { id, .. } => format!("token:{id}"),
            Principal::Certificate { name, .. } => format!("certificate:{name}"),
            Principal::Thing { name, .. } => format!("thing:{name}"),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Token { role, .. } | Principal::Certificate { role, .. } => Some(*role),
            Principal::Thing { .. } => None,
        }
    }
}

/// What a request does, as the Cedar schema names it (`api.cedarschema`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    ListDevices,
    ReadDevice,
    ReadStatus,
    ReadAudit,
    ReadIncidents,
    ReadPava,
    ReadHolds,
    ReadOpenapi,
    ReadMetrics,
    RemoveDevice,
    ReloadBundle,
    ReleaseHold,
    /// PASC's m1, with what the request carries.
    Onboard {
        inline_mud: bool,
        mud_url: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::ListDevices => "list_devices",
            Action::ReadDevice => "read_device",
            Action::ReadStatus => "read_status",
            Action::ReadAudit => "read_audit",
            Action::ReadIncidents => "read_incidents",
            Action::ReadPava => "read_pava",
            Action::ReadHolds => "read_holds",
            Action::ReadOpenapi => "read_openapi",
            Action::ReadMetrics => "read_metrics",
            Action::RemoveDevice => "remove_device",
            Action::ReloadBundle => "reload_bundle",
            Action::ReleaseHold => "release_hold",
            Action::Onboard { .. } => "onboard",
        }
    }

    /// Whether it changes what the gateway enforces (such decisions are audited).
    pub fn changes(&self) -> bool {
        matches!(
            self,
            Action::RemoveDevice
                | Action::ReloadBundle
                | Action::ReleaseHold
                | Action::Onboard { .. }
        )
    }
}
