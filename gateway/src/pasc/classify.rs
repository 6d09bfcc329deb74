//! Which class a thing belongs to, from its MUD file (PASC's m2/m3): the class whose `match
//! mud` pattern matches the MUD URL most specifically; else a class declaring the file's
//! manufacturer and model (and no pattern of its own); else the quarantine class, if the
//! policy declares one (a class matching every URL: `match mud "*"`); else none.
//!
//! A class is a place in the firewall, so the evidence must be as strong as what it grants:
//! a pattern selects a class only when the URL's host is the host the pattern names (a URL
//! of `evil.example` never takes the class of `https://*.lockmaker.com/*`, whatever its path
//! or user part says), and a file's manufacturer and model, which whoever serves the file
//! writes, select a class only when someone the gateway trusts vouches for the document
//! (`Evidence`).

use serde::Serialize;
use ward_compiler::ir::{ClassIr, PolicyIr};

use crate::mud::MudFile;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Classification {
    /// A pattern of the class matched the MUD URL.
    Pattern { class: String, pattern: String },
    /// The class declares the file's manufacturer and model.
    Manufacturer { class: String },
    /// No class matches; the policy's quarantine class takes the thing.
    Quarantine { class: String },
}

impl Classification {
    pub fn class(&self) -> &str {
        match self {
            Classification::Pattern { class, .. }
            | Classification::Manufacturer { class }
            | Classification::Quarantine { class } => class,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Classification::Pattern { class, pattern } => {
                format!("class `{class}`: its pattern `{pattern}` matches the MUD URL")
            }
            Classification::Manufacturer { class } => {
                format!("class `{class}`: it declares the MUD file's manufacturer and model")
            }
            Classification::Quarantine { class } => format!(
                "quarantine class `{class}`: no class matches the MUD URL, manufacturer or model"
            ),
        }
    }
}

/// Who vouches for the MUD file's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The document came from a caller the API's policy allowed to send it (an operator, by
    /// default), or from the operator's own disk (`ward onboard`).
    Sender,
    /// The document was fetched for its URL, and its signature verified against the
    /// manufacturer's trust anchor (RFC 8520 section 13): the manufacturer vouches for it.
    Signed,
    /// The document was fetched for its URL: only the URL's host is vouched for (by TLS).
    Fetched,
}

/// The host of an absolute URL (`scheme://host[:port]/...`), lower-cased; `None` for a URL
/// with a user part (`https://lockmaker.com@evil.example/`), a backslash, or no host.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains(['@', '\\']) {
        return None;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The host part of a pattern: after its `://`, up to the next `/` (the whole start of a
/// pattern without a scheme), port left out.
fn pattern_host(pattern: &str) -> String {
    let rest = pattern.split_once("://").map_or(pattern, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit() || b == b'*') => host,
        _ => authority,
    };
    host.to_ascii_lowercase()
}

/// Whether a pattern selects a class for this URL: the whole URL matches, and its host is the
/// pattern's.
pub fn selects(pattern: &str, url: &str) -> bool {
    glob(pattern, url) && host_of(url).is_some_and(|host| glob(&pattern_host(pattern), &host))
}

/// Why no class takes the thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unclassified {
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

use ward_compiler::mud_pattern::specificity;
pub use ward_compiler::mud_pattern::{QUARANTINE_PATTERN, glob};

fn same(a: &Option<String>, b: &Option<String>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

pub fn classify(
    ir: &PolicyIr,
    mud: &MudFile,
    evidence: Evidence,
) -> Result<Classification, Unclassified> {
    let mut best: Vec<(&ClassIr, &str)> = Vec::new();
    let mut best_score = 0;
    for class in &ir.classes {
        for pattern in &class.mud {
            if pattern == QUARANTINE_PATTERN || !selects(pattern, &mud.url) {
                continue;
            }
            let score = specificity(pattern);
            if score > best_score || best.is_empty() {
                best.clear();
                best_score = score;
            }
            // Two patterns of one class matching alike are not an ambiguity.
            if score == best_score && !best.iter().any(|(c, _)| c.name == class.name) {
                best.push((class, pattern));
            }
        }
    }
    match best.as_slice() {
        [(class, pattern)] => {
            return Ok(Classification::Pattern {
                class: class.name.clone(),
                pattern: pattern.to_string(),
            });
        }
        [] => {}
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|(c, p)| format!("`{}` (`{p}`)", c.name))
                .collect();
            return Err(Unclassified {
                code: "ambiguous-class",
                message: format!(
                    "MUD URL `{}` matches as many classes equally: {}",
                    mud.url,
                    names.join(", ")
                ),
                hint: "make one pattern more specific, or merge the classes".to_string(),
            });
        }
    }
    // What the file says of its maker is the word of whoever served it: it places a thing
    // only when the document is vouched for.
    let by_maker: Vec<&ClassIr> = ir
        .classes
        .iter()
        .filter(|_| evidence != Evidence::Fetched)
        .filter(|c| c.mud.is_empty())
        .filter(|c| c.manufacturer.is_some() || c.model.is_some())
        .filter(|c| {
            (c.manufacturer.is_none() || same(&c.manufacturer, &mud.mfg_name))
                && (c.model.is_none() || same(&c.model, &mud.model_name))
        })
        .collect();
    match by_maker.as_slice() {
        [class] => {
            return Ok(Classification::Manufacturer {
                class: class.name.clone(),
            });
        }
        [] => {}
        several => {
            let names: Vec<String> = several.iter().map(|c| format!("`{}`", c.name)).collect();
            return Err(Unclassified {
                code: "ambiguous-class",
                message: format!(
                    "manufacturer {:?} and model {:?} match as many classes: {}",
                    mud.mfg_name.as_deref().unwrap_or("-"),
                    mud.model_name.as_deref().unwrap_or("-"),
                    names.join(", ")
                ),
                hint: "give the classes `match mud` patterns".to_string(),
            });
        }
    }
    if let Some(class) = ir.classes.iter().find(|c| c.is_quarantine()) {
        return Ok(Classification::Quarantine {
            class: class.name.clone(),
        });
    }
    Err(Unclassified {
        code: "no-class",
        message: format!(
            "no class matches MUD URL `{}` (manufacturer {:?}, model {:?}), and the policy declares no quarantine place",
            mud.url,
            mud.mfg_name.as_deref().unwrap_or("-"),
            mud.model_name.as_deref().unwrap_or("-"),
        ),
        hint: "add a class with `match mud \"<pattern>\"` for this thing (`ward mud import` writes one), or a quarantine place: `class isolation \"Quarantine\" { quarantine = true }`".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_selects_only_urls_of_its_own_host() {
        let lock = "https://*.lockmaker.com/*";
        assert!(selects(lock, "https://mud.lockmaker.com/door-1"));
        for forged in [
            "https://evil.example/.lockmaker.com/door-1",
            "https://lockmaker.com@evil.example/x.lockmaker.com/",
            "https://evil.example/?https://mud.lockmaker.com/",
            "https://mud.lockmaker.com.evil.example/door",
            "https://mud.lockmaker.com\\@evil.example/door",
        ] {
            assert!(!selects(lock, forged), "{forged}");
        }
        assert!(selects(
            "https://tplinkplug.com/*",
            "https://tplinkplug.com/tplinkplug"
        ));
        assert!(selects(
            "https://gw.example:8443/*",
            "https://gw.example:8443/m"
        ));
        assert!(selects("*tplinkplug*", "https://tplinkplug.com/tplinkplug"));
        assert!(!selects("*tplinkplug*", "https://evil.example/tplinkplug"));
        assert_eq!(
            host_of("https://[2001:db8::1]:443/m").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(host_of("https:///m"), None);
    }
}
