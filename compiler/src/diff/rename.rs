//! Classes and endpoints renamed between two versions: the same members under another name.
//! A class is the things its `match mud` patterns (or maker and model) take in; a service or
//! gateway is its place (addresses or host name). Traffic is compared under NEW's names, so
//! that moving flows to a renamed class is no change in what they allow.

use std::collections::BTreeMap;

use crate::ir::PolicyIr;

/// What makes a class or endpoint the same under another name, in words; `None` when it has
/// nothing to tell it by (a class that matches no MUD URL, maker or model).
pub(super) fn identity(ir: &PolicyIr, name: &str) -> Option<String> {
    if let Some(class) = ir.class(name) {
        if !class.mud.is_empty() {
            let mut patterns = class.mud.clone();
            patterns.sort();
            return Some(format!("members: match mud {}", patterns.join(", ")));
        }
        return match (&class.manufacturer, &class.model) {
            (None, None) => None,
            (maker, model) => Some(format!(
                "members: {} {}",
                maker.as_deref().unwrap_or("any maker"),
                model.as_deref().unwrap_or("any model")
            )),
        };
    }
    let endpoint = ir.endpoint(name)?;
    if endpoint.addresses.is_empty() && endpoint.host.is_none() {
        return None;
    }
    let mut addresses: Vec<String> = endpoint.addresses.iter().map(|a| a.to_string()).collect();
    addresses.sort();
    Some(format!(
        "{} at {}",
        endpoint.kind,
        endpoint
            .host
            .clone()
            .unwrap_or_else(|| addresses.join(", "))
    ))
}

/// The names of classes and endpoints in `ir` that `other` does not have, by identity.
fn leaving(ir: &PolicyIr, other: &PolicyIr) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let classes = ir
        .classes
        .iter()
        .map(|c| &c.name)
        .filter(|name| other.class(name).is_none());
    let endpoints = ir
        .endpoints
        .iter()
        .map(|e| &e.name)
        .filter(|name| other.endpoint(name).is_none());
    for name in classes.chain(endpoints) {
        if let Some(key) = identity(ir, name) {
            out.entry(key).or_default().push(name.clone());
        }
    }
    out
}

/// OLD name -> NEW name, for each class or endpoint that left OLD while exactly one of the
/// same identity came in NEW. An identity two names share on either side decides nothing.
pub(super) fn renames(old: &PolicyIr, new: &PolicyIr) -> BTreeMap<String, String> {
    let gone = leaving(old, new);
    let came = leaving(new, old);
    let mut out = BTreeMap::new();
    for (key, before) in &gone {
        if let ([before], Some([after])) = (before.as_slice(), came.get(key).map(Vec::as_slice)) {
            out.insert(before.clone(), after.clone());
        }
    }
    out
}
