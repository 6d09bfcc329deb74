//! Why a MUD file was refused: a stable code, the JSON path of the offending member (RFC 6901
//! JSON Pointer), a message and a hint, for an API response as much as for a terminal.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MudError {
    /// Stable, kebab-case: scripts and API clients match on it.
    pub code: &'static str,
    /// Where in the document, as a JSON Pointer (`/ietf-mud:mud/mud-url`); empty for the
    /// whole document.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl MudError {
    pub fn new(code: &'static str, path: &str, message: impl Into<String>) -> Self {
        MudError {
            code,
            path: path.to_string(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for MudError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "[{}] at `{at}`: {}", self.code, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for MudError {}

/// The codes, for documentation and tests.
pub const CODES: &[(&str, &str)] = &[
    (
        "mud-too-large",
        "the document is larger than a MUD file may be",
    ),
    (
        "mud-not-json",
        "the document is not JSON, or nests too deeply",
    ),
    (
        "mud-missing",
        "a member RFC 8520 or RFC 8519 requires is absent",
    ),
    ("mud-wrong-type", "a member has the wrong JSON type"),
    (
        "mud-bad-value",
        "a member's value is outside what its YANG type allows",
    ),
    ("mud-unknown-member", "a member no supported module defines"),
    (
        "mud-draft-era",
        "a name from a draft of RFC 8520 or RFC 8519, not the RFC",
    ),
    (
        "mud-unknown-acl-type",
        "an ACL type other than ipv4, ipv6, eth or mixed",
    ),
    (
        "mud-dangling-acl",
        "a policy names an ACL the file does not define",
    ),
    ("mud-unsupported", "a valid construct ward cannot enforce"),
];
