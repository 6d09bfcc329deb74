//! Which class a thing belongs to, from its MUD file (PASC's m2/m3): the class whose `match
//! mud` pattern matches the MUD URL most specifically; else a class declaring the file's
//! manufacturer and model (and no pattern of its own); else the quarantine class, if the
//! policy declares one (a class matching every URL: `match mud "*"`); else none.

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

pub fn classify(ir: &PolicyIr, mud: &MudFile) -> Result<Classification, Unclassified> {
    let mut best: Vec<(&ClassIr, &str)> = Vec::new();
    let mut best_score = 0;
    for class in &ir.classes {
        for pattern in &class.mud {
            if pattern == QUARANTINE_PATTERN || !glob(pattern, &mud.url) {
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
    let by_maker: Vec<&ClassIr> = ir
        .classes
        .iter()
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
