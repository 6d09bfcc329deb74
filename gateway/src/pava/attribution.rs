//! Whose message it is, and how sure the gateway is: PAVA's actions change the network, so
//! they are taken only on evidence as strong as the thing's profile requires.
//!
//! A message is tied to an onboarded thing by its TLS client certificate (the strongest:
//! the thing proved it holds its key), by its source address (a LAN attacker can forge a UDP
//! datagram's), or by the host name it writes itself (anyone can). An incident is made and
//! reported on any of them, marked with its evidence; an action with effect on a thing
//! (quarantine, raise its profile, revoke its credentials) needs the thing's certificate when
//! its profile has client authentication (M3) or it is in quarantine, its address otherwise,
//! and never follows a claimed host name alone.

use serde::Serialize;
use ward_compiler::ir::ClassIr;

/// How a message was tied to a thing, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// The HOSTNAME the message gives: the sender's word.
    HostName,
    /// The source address the message came from.
    Address,
    /// The TLS client certificate the connection presented.
    Certificate,
}

/// The thing a message is from, and how that is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    pub device: String,
    pub evidence: Evidence,
}

/// The actions that change what a thing may do.
pub const EFFECTS: [&str; 3] = ["quarantine", "raise_profile", "revoke_credentials"];

/// The evidence a rule's action with effect on a thing of `class` requires: what the rule
/// states (`evidence = certificate | address`), else what the class's profile demands.
pub fn required_by(rule: Option<&str>, class: Option<&ClassIr>) -> Evidence {
    match rule {
        Some("certificate") => Evidence::Certificate,
        Some("address") => Evidence::Address,
        _ => required(class),
    }
}

/// The evidence an action with effect on a thing of `class` requires by default.
pub fn required(class: Option<&ClassIr>) -> Evidence {
    let needs_certificate =
        class.is_some_and(|c| c.is_quarantine() || c.mitigations.iter().any(|m| m.id == "M3"));
    if needs_certificate {
        Evidence::Certificate
    } else {
        Evidence::Address
    }
}

/// Whether `action` of a rule (stating `rule` evidence, if any) may be taken on a thing of
/// `class` on `evidence`. A claimed host name never suffices.
pub fn suffices(
    action: &str,
    evidence: Evidence,
    rule: Option<&str>,
    class: Option<&ClassIr>,
) -> bool {
    !EFFECTS.contains(&action)
        || (evidence > Evidence::HostName && evidence >= required_by(rule, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_ordered_and_a_host_name_never_acts() {
        assert!(Evidence::HostName < Evidence::Address);
        assert!(Evidence::Address < Evidence::Certificate);
        for action in EFFECTS {
            assert!(
                !suffices(action, Evidence::HostName, None, None),
                "{action}"
            );
            assert!(suffices(action, Evidence::Address, None, None), "{action}");
            // A rule may ask for more, never for a host name.
            assert!(!suffices(
                action,
                Evidence::Address,
                Some("certificate"),
                None
            ));
            assert!(!suffices(
                action,
                Evidence::HostName,
                Some("host_name"),
                None
            ));
        }
        // A report needs no more than the incident.
        assert!(suffices("report", Evidence::HostName, None, None));
    }
}
