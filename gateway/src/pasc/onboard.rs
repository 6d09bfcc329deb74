//! PASC onboarding (fig5) of one thing, as a decision: the class its MUD file matches, the
//! profile the class holds and the risk assessment behind it (RA and PIA), the configuration
//! to deploy to the thing (m6), the peers whose configuration changes (m7), and what the MUD
//! file asks beyond the class. Storing it and updating the firewall (m8) are the gateway's.

use serde::Serialize;
use serde_json::Value;
use ward_compiler::ir::{AssessmentIr, PolicyIr};

use super::classify::{Classification, Evidence, Unclassified, classify};
use super::excess::{Excess, excess};
use crate::bundle::PolicyBundle;
use crate::mud::MudFile;

/// The outcome of onboarding a thing.
#[derive(Clone, Debug, Serialize)]
pub struct Onboarding {
    pub device: String,
    pub mud_url: String,
    pub class: String,
    pub classification: Classification,
    pub quarantined: bool,
    /// None when the class is not assessed (it declares neither a profile nor an environment).
    pub profile: Option<String>,
    pub level: Option<i64>,
    /// Whether the risk assessment assigned the profile (the class declares none).
    pub assigned: bool,
    pub assessments: Vec<AssessmentIr>,
    /// ACEs of the MUD file the class does not grant: not deployed.
    pub excess: Vec<Excess>,
    /// PASC's m6: the configuration deployed to the thing.
    pub config: Value,
    /// PASC's m7: the classes and endpoints whose configuration lists this class as a peer.
    pub peers: Vec<String>,
    pub bundle_revision: String,
}

/// Why a thing was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub hint: String,
}

impl From<Unclassified> for Refusal {
    fn from(u: Unclassified) -> Self {
        Refusal {
            code: u.code,
            message: u.message,
            hint: u.hint,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {} (hint: {})", self.code, self.message, self.hint)
    }
}

/// The classes and endpoints with a flow to or from `class`, in policy order.
pub fn peers_of(ir: &PolicyIr, class: &str) -> Vec<String> {
    let mut peers: Vec<String> = Vec::new();
    for flow in ir.flows_of(class) {
        let other = if flow.from == class {
            &flow.to
        } else {
            &flow.from
        };
        if other != class && !peers.contains(other) {
            peers.push(other.clone());
        }
    }
    peers
}

/// A device id from what the MUD file says, when the thing gives none.
pub fn default_id(mud: &MudFile) -> String {
    id_from_url(&mud.url)
}

/// The name the MUD URL gives the thing, not its file's: the last two path segments without
/// the extension (`street-light/fw-4.2.json` -> `street-light-fw-4-2`), else the host.
fn id_from_url(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = without_scheme
        .split_once('/')
        .unwrap_or((without_scheme, ""));
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(last) = segments.last_mut() {
        *last = last.strip_suffix(".json").unwrap_or(last);
    }
    let start = segments.len().saturating_sub(2);
    let named = segments[start..].join("-");
    let slug = |text: &str| {
        let mut id = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                id.push(c.to_ascii_lowercase());
            } else if !id.ends_with('-') && !id.is_empty() {
                id.push('-');
            }
        }
        id.trim_end_matches('-')
            .chars()
            .take(64)
            .collect::<String>()
    };
    [slug(&named), slug(host)]
        .into_iter()
        .find(|id| !id.is_empty())
        .unwrap_or_else(|| "thing".to_string())
}

/// Onboards a thing offline: classify, read the class's profile and assessment, build m6.
pub fn onboard(
    bundle: &PolicyBundle,
    mud: &MudFile,
    device: &str,
    evidence: Evidence,
) -> Result<Onboarding, Refusal> {
    place(bundle, mud, device, classify(&bundle.ir, mud, evidence)?)
}

/// Onboards a thing into the quarantine place, whatever its MUD file matches (a signature
/// the class requires does not hold); `None` when the policy has no quarantine place.
pub fn quarantine(bundle: &PolicyBundle, mud: &MudFile, device: &str) -> Option<Onboarding> {
    let class = bundle.ir.classes.iter().find(|c| c.is_quarantine())?;
    let classification = Classification::Quarantine {
        class: class.name.clone(),
    };
    place(bundle, mud, device, classification).ok()
}

/// The onboarding of a thing in the class `classification` names: m6 and m7.
fn place(
    bundle: &PolicyBundle,
    mud: &MudFile,
    device: &str,
    classification: Classification,
) -> Result<Onboarding, Refusal> {
    let class_name = classification.class().to_string();
    let class = bundle.ir.class(&class_name).ok_or_else(|| Refusal {
        code: "bundle-inconsistent",
        message: format!("class `{class_name}` is in the IR but not in the class list"),
        hint: "rebuild the bundle".to_string(),
    })?;
    let mut config = bundle.device_config(&class_name).ok_or_else(|| Refusal {
        code: "bundle-inconsistent",
        message: format!("the bundle has no devices/{class_name}.json"),
        hint: "rebuild the bundle".to_string(),
    })?;
    let quarantined = matches!(classification, Classification::Quarantine { .. });
    if let Some(object) = config.as_object_mut() {
        object.insert(
            "device".to_string(),
            serde_json::json!({
                "id": device,
                "mud_url": mud.url,
                "quarantined": quarantined,
            }),
        );
    }
    Ok(Onboarding {
        device: device.to_string(),
        mud_url: mud.url.clone(),
        excess: excess(&bundle.ir, &class_name, mud),
        peers: peers_of(&bundle.ir, &class_name),
        class: class_name,
        classification,
        quarantined,
        profile: class.profile.clone(),
        level: class.level,
        assigned: class.assigned,
        assessments: class.assessments.clone(),
        config,
        bundle_revision: bundle.manifest.revision.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::id_from_url;

    #[test]
    fn the_default_id_is_the_mud_urls_name_for_the_thing() {
        assert_eq!(
            id_from_url("https://mud.lights.example/street-light/fw-4.2.json"),
            "street-light-fw-4-2"
        );
        assert_eq!(
            id_from_url("https://smartthings.com/.well-known/mud/v1/SmartThingsHub?x=1"),
            "v1-smartthingshub"
        );
        assert_eq!(id_from_url("https://plug.example"), "plug-example");
        assert_eq!(id_from_url("https://plug.example/%%%/"), "plug-example");
        assert!(id_from_url(&format!("https://x.example/{}", "a".repeat(300))).len() <= 64);
    }
}
