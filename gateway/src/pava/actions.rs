//! PAVA's actions on a thing, applied from what is stored. An incident is stored first,
//! marked pending when it decided actions with effect on a thing; the actions are then
//! planned against the thing as it stands (the quarantine place, the profile to raise it to)
//! and applied in one transaction that also marks the incident applied. A crash between the
//! two leaves a pending incident, which the gateway applies when it starts again: a stored
//! quarantine is never left unapplied, and each action is audited exactly once.

use serde_json::{Value, json};
use ward_compiler::ir::ActionIr;

use crate::bundle::PolicyBundle;
use crate::store::{Store, StoreError};

/// An action decided for a thing, ready to apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Move the thing to the quarantine place.
    Quarantine { class: String },
    /// Raise the thing's profile to this one.
    Raise { profile: String },
    /// Revoke the thing's credentials.
    Revoke,
}

/// What applying changed, for the in-memory index and the firewall.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub moved_to: Option<String>,
    pub raised: Option<String>,
    pub revoked: bool,
}

/// The effects of `actions` on `device` as it stands; an action that cannot be taken (no
/// quarantine place, no profile above) is audited instead.
pub fn plan(
    store: &Store,
    policy: &PolicyBundle,
    incident: &str,
    device: &str,
    actions: &[ActionIr],
) -> Vec<Effect> {
    let mut effects = Vec::new();
    for action in actions {
        match action.action.as_str() {
            "quarantine" => match policy.ir.classes.iter().find(|c| c.is_quarantine()) {
                Some(class) => effects.push(Effect::Quarantine {
                    class: class.name.clone(),
                }),
                None => {
                    let _ = store.audit(
                        "quarantine-unavailable",
                        Some(device),
                        &json!({ "incident": incident, "reason": "the policy declares no quarantine place (`quarantine = true`)" }),
                    );
                }
            },
            "raise_profile" => match raised_profile(store, policy, device, action) {
                Some(profile) => effects.push(Effect::Raise { profile }),
                None => {
                    let _ = store.audit(
                        "profile-at-highest",
                        Some(device),
                        &json!({ "incident": incident }),
                    );
                }
            },
            "revoke_credentials" => effects.push(Effect::Revoke),
            _ => {}
        }
    }
    effects
}

/// The profile `raise_profile` names, or the next one above where the thing stands.
fn raised_profile(
    store: &Store,
    policy: &PolicyBundle,
    device: &str,
    action: &ActionIr,
) -> Option<String> {
    if let Some(named) = action.args.first() {
        return Some(named.clone());
    }
    let (thing, _) = store.device(device).ok().flatten()?;
    let level = thing
        .raised_profile
        .as_deref()
        .and_then(|p| policy.ir.profile_level(p))
        .map_or(thing.level, |raised| {
            Some(thing.level.map_or(raised, |l| raised.max(l)))
        });
    next_profile(policy, level)
}

/// The next profile above `level` (the lowest one for a thing without a level): from the
/// bundle's profiles, or, in a bundle built before they were listed, from those its classes
/// hold.
fn next_profile(policy: &PolicyBundle, level: Option<i64>) -> Option<String> {
    let above = |l: i64| level.is_none_or(|level| l > level);
    if let Some(next) = policy.ir.profiles.iter().find(|p| above(p.level)) {
        return Some(next.name.clone());
    }
    let mut levels: std::collections::BTreeMap<i64, String> = Default::default();
    for class in &policy.ir.classes {
        if let (Some(level), Some(profile)) = (class.level, &class.profile) {
            levels.entry(level).or_insert_with(|| profile.clone());
        }
    }
    levels.into_iter().find(|(l, _)| above(*l)).map(|(_, p)| p)
}

/// The actions an incident decided: its rule's, less those withheld for weak evidence (as
/// stored in its detail).
pub fn decided(detail: &Value) -> Vec<ActionIr> {
    let withheld: Vec<String> =
        serde_json::from_value(detail["withheld"].clone()).unwrap_or_default();
    let actions: Vec<ActionIr> =
        serde_json::from_value(detail["actions"].clone()).unwrap_or_default();
    actions
        .into_iter()
        .filter(|a| !withheld.contains(&a.action))
        .collect()
}

/// Applies the pending incidents a crash left (at start, before the inventory is read).
pub fn replay(store: &mut Store, policy: &PolicyBundle) -> Result<usize, StoreError> {
    let pending = store.pending_incidents()?;
    for (incident, device, detail) in &pending {
        let effects = plan(store, policy, incident, device, &decided(detail));
        store.apply_incident(incident, device, &effects)?;
        store.audit(
            "incident-replayed",
            Some(device),
            &json!({ "incident": incident }),
        )?;
    }
    Ok(pending.len())
}
