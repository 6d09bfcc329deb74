//! The signature verdict of a MUD file at onboarding (RFC 8520 section 13): whether the
//! manufacturer vouches for the file. The class's rule (`mud_signature`, see
//! `ClassIr::signature_rule`) then decides what a missing or failing signature costs.

use serde::Serialize;

/// What the gateway found of a MUD file's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum SignatureVerdict {
    /// The document came from the caller, whom the API's policy allowed to send it: the
    /// caller vouches for it, nothing is fetched.
    Inline,
    /// The signature verifies against a trust anchor of the MUD URL's host.
    Valid { signer: String },
    /// No signature to check: the file names none, or no trust anchor is configured for its
    /// manufacturer.
    Unsigned { why: String },
    /// The signature could not be fetched, or does not verify.
    Invalid { reason: String },
}

impl SignatureVerdict {
    /// Whether someone the gateway trusts vouches for the file.
    pub fn vouched(&self) -> bool {
        matches!(
            self,
            SignatureVerdict::Inline | SignatureVerdict::Valid { .. }
        )
    }

    /// The reason, for a verdict that vouches for nothing.
    pub fn why_not(&self) -> String {
        match self {
            SignatureVerdict::Unsigned { why } => format!("unsigned: {why}"),
            SignatureVerdict::Invalid { reason } => format!("the signature fails: {reason}"),
            SignatureVerdict::Inline | SignatureVerdict::Valid { .. } => String::new(),
        }
    }
}
