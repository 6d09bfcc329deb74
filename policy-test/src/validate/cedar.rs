//! The compiled Cedar policies against the policy's flows, request by request.
//!
//! What the policy says: an endpoint may ask an operation of another when a declared flow
//! from the one to the other carries that operation and has not ended, and the asker's level
//! is not below the other's (unless the other is the management gateway of the asker's
//! segment). What Cedar says is its authorizer's decision on the request ward's gateway
//! would make (a thing of the class, the operation, the other endpoint, `now` in the
//! context), at `now` and at every end of a flow or permit after it.
//!
//! Every permit is read (its JSON form) for the principals, actions and resources it can
//! match: its scope, and a `when { principal in [...] }` (or `resource in`) conjunct. Any
//! other condition can only narrow it, so the requests outside those candidates are denied
//! by every permit, and the policy must refuse them too: it does, unless a flow declares one,
//! and declared flows are candidates as well. Each request is decided by the policies that
//! can match it (the forbids, and the permits whose candidates hold it), which Cedar's
//! answer does not depend on the others for.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, RestrictedExpression,
    Schema,
};
use serde_json::Value;
use ward_compiler::emit::cedar as emit;
use ward_compiler::ir::{FlowIr, PolicyIr};

use super::{Compiled, Mismatch, SHOWN};

pub(super) struct Tally {
    pub requests: usize,
    pub mismatches: Vec<Mismatch>,
    pub more: usize,
}

/// The endpoints an entity of a scope or condition stands for.
fn endpoints_of(ir: &PolicyIr, entity: &Value) -> Vec<String> {
    let kind = entity["type"].as_str().unwrap_or_default();
    let id = entity["id"].as_str().unwrap_or_default();
    match kind {
        "Class" | "Service" | "Gateway" => vec![id.to_string()],
        "Segment" => ir
            .segment(id)
            .map(|s| s.classes.clone())
            .unwrap_or_default(),
        "Thing" => ir
            .classes
            .iter()
            .filter(|c| format!("{}-1", c.name) == id)
            .map(|c| c.name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The entities an `in` (or `==`) names: one, or a set.
fn entities_in(value: &Value) -> Vec<Value> {
    if let Some(entity) = value.get("Value").and_then(|v| v.get("__entity")) {
        return vec![entity.clone()];
    }
    value
        .get("Set")
        .and_then(Value::as_array)
        .map(|items| items.iter().flat_map(entities_in).collect())
        .unwrap_or_default()
}

/// The sets a `when` body's conjuncts give a variable (`principal in [...]`).
fn conjunct_sets(body: &Value, variable: &str, out: &mut Vec<Vec<Value>>) {
    if let Some(both) = body.get("&&") {
        conjunct_sets(&both["left"], variable, out);
        conjunct_sets(&both["right"], variable, out);
        return;
    }
    if let Some(test) = body.get("in").or_else(|| body.get("=="))
        && test["left"].get("Var").and_then(Value::as_str) == Some(variable)
    {
        out.push(entities_in(&test["right"]));
    }
}

/// The endpoints a permit can match for `principal` or `resource`; `None` is any.
fn candidates(ir: &PolicyIr, est: &Value, variable: &str) -> Option<BTreeSet<String>> {
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    let scope = &est[variable];
    if let Some(entity) = scope.get("entity") {
        sets.push(endpoints_of(ir, entity).into_iter().collect());
    }
    for condition in est["conditions"].as_array().into_iter().flatten() {
        if condition["kind"] == "when" {
            let mut found = Vec::new();
            conjunct_sets(&condition["body"], variable, &mut found);
            for entities in found {
                sets.push(entities.iter().flat_map(|e| endpoints_of(ir, e)).collect());
            }
        }
    }
    sets.into_iter()
        .reduce(|a, b| a.intersection(&b).cloned().collect())
}

/// The actions a permit's scope can match; `None` is any.
fn actions_of(est: &Value) -> Option<BTreeSet<String>> {
    let scope = &est["action"];
    match scope["op"].as_str() {
        Some("==") => Some(
            scope["entity"]["id"]
                .as_str()
                .map(str::to_string)
                .into_iter()
                .collect(),
        ),
        Some("in") => Some(
            scope["entities"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(scope.get("entity"))
                .filter_map(|e| e["id"].as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// Every whole number in the policies' conditions on `context.now`: the moments they change.
fn moments(text: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("context.now") {
        let rest = &text[at + "context.now".len()..];
        let rest = rest.trim_start_matches([' ', '<', '>', '=', '!']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(value) = digits.parse::<i64>() {
            out.push(value);
            out.push(value.saturating_add(1));
        }
    }
    out
}

pub(super) fn check(ir: &PolicyIr, compiled: &Compiled, now: i64) -> Result<Tally, String> {
    let (schema, _) = Schema::from_cedarschema_str(compiled.cedar_schema)
        .map_err(|e| format!("cedar schema: {e}"))?;
    let policies =
        PolicySet::from_str(compiled.cedar_policies).map_err(|e| format!("cedar policies: {e}"))?;
    let entities = Entities::from_json_value(emit::entities(ir), Some(&schema))
        .map_err(|e| format!("cedar entities: {e}"))?;
    let all_endpoints: BTreeSet<String> = ir
        .classes
        .iter()
        .map(|c| c.name.clone())
        .chain(ir.endpoints.iter().map(|e| e.name.clone()))
        .collect();
    let all_actions = emit::actions(ir);

    // The requests to ask: each permit's candidates, and each declared flow's.
    let mut requests: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut forbids = Vec::new();
    let mut permits_for: BTreeMap<(String, String, String), Vec<cedar_policy::PolicyId>> =
        BTreeMap::new();
    for policy in policies.policies() {
        if policy.effect() == cedar_policy::Effect::Forbid {
            forbids.push(policy.clone());
            continue;
        }
        let est = policy.to_json().map_err(|e| format!("cedar policy: {e}"))?;
        let principals = candidates(ir, &est, "principal").unwrap_or_else(|| all_endpoints.clone());
        let resources = candidates(ir, &est, "resource").unwrap_or_else(|| all_endpoints.clone());
        let actions = actions_of(&est).unwrap_or_else(|| all_actions.clone());
        for principal in &principals {
            for resource in &resources {
                for action in &actions {
                    requests
                        .entry((principal.clone(), resource.clone()))
                        .or_default()
                        .insert(action.clone());
                    permits_for
                        .entry((principal.clone(), action.clone(), resource.clone()))
                        .or_default()
                        .push(policy.id().clone());
                }
            }
        }
    }
    let declared = ward_compiler::space::directed(&ir.flows);
    for ((from, to), flows) in &declared {
        let actions = requests.entry((from.clone(), to.clone())).or_default();
        actions.extend(flows.iter().map(|f| f.action.clone()));
    }
    let mut times: BTreeSet<i64> = BTreeSet::from([now]);
    times.extend(
        moments(compiled.cedar_policies)
            .into_iter()
            .chain(ir.flows.iter().filter_map(|f| f.until))
            .filter(|&t| t > now),
    );

    let mut tally = Tally {
        requests: 0,
        mismatches: Vec::new(),
        more: 0,
    };
    let authorizer = Authorizer::new();
    let no_flows = Vec::new();
    for ((from, to), actions) in &requests {
        let principal =
            EntityUid::from_str(&emit::request_uid(ir, from)).map_err(|e| e.to_string())?;
        let resource =
            EntityUid::from_str(&emit::request_uid(ir, to)).map_err(|e| e.to_string())?;
        let flows: &Vec<&FlowIr> = declared
            .get(&(from.clone(), to.clone()))
            .unwrap_or(&no_flows);
        for action in actions {
            // The policies that can decide this request.
            let mut slice = PolicySet::new();
            for policy in &forbids {
                slice.add(policy.clone()).map_err(|e| e.to_string())?;
            }
            for id in permits_for
                .get(&(from.clone(), action.clone(), to.clone()))
                .into_iter()
                .flatten()
            {
                if let Some(policy) = policies.policy(id) {
                    slice.add(policy.clone()).map_err(|e| e.to_string())?;
                }
            }
            let action_uid =
                EntityUid::from_str(&format!("Action::{}", emit::cedar_string(action)))
                    .map_err(|e| e.to_string())?;
            for &time in &times {
                let context = Context::from_pairs([(
                    "now".to_string(),
                    RestrictedExpression::new_long(time),
                )])
                .map_err(|e| e.to_string())?;
                let request = Request::new(
                    principal.clone(),
                    action_uid.clone(),
                    resource.clone(),
                    context,
                    None,
                )
                .map_err(|e| e.to_string())?;
                tally.requests += 1;
                let response = authorizer.is_authorized(&request, &slice, &entities);
                let permitted = response.decision() == Decision::Allow;
                let allowing: Vec<String> = flows
                    .iter()
                    .filter(|f| f.action == *action && f.until.is_none_or(|end| time < end))
                    .map(|f| f.origin.describe())
                    .collect();
                let upward = match (ir.level_of(from), ir.level_of(to)) {
                    (Some(low), Some(high)) => low < high && !own_gateway(ir, from, to),
                    _ => false,
                };
                let expected = !allowing.is_empty() && !upward;
                if permitted != expected {
                    let by: Vec<String> = response
                        .diagnostics()
                        .reason()
                        .map(|id| {
                            slice
                                .policy(id)
                                .and_then(|p| p.annotation("id").map(str::to_string))
                                .unwrap_or_else(|| id.to_string())
                        })
                        .collect();
                    let mismatch = Mismatch {
                        layer: "cedar",
                        from: principal.to_string(),
                        to: resource.to_string(),
                        protocol: "-".to_string(),
                        port: None,
                        operation: Some(action.clone()),
                        at: time,
                        expected,
                        actual: permitted,
                        by: if by.is_empty() {
                            "no permit".to_string()
                        } else {
                            by.join(", ")
                        },
                        declared: allowing,
                    };
                    if tally.mismatches.len() < SHOWN {
                        tally.mismatches.push(mismatch);
                    } else {
                        tally.more += 1;
                    }
                }
            }
        }
    }
    Ok(tally)
}

/// Whether `to` is the management gateway of `from`'s segment.
fn own_gateway(ir: &PolicyIr, from: &str, to: &str) -> bool {
    ir.class(from)
        .and_then(|c| ir.gateway_of_class(c))
        .is_some_and(|g| g.name == to)
}
