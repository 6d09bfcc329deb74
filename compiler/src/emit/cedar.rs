//! `cedar/schema.cedarschema` and `cedar/policy.cedar`: authorization of application-layer
//! requests through the gateway, in Cedar.
//!
//! Entities: segments, the classes in them (`Class in [Segment]`), the things of a class
//! (`Thing in [Class]`), services and management gateways; each carries its profile level
//! when it has one. Actions: the
//! operations of the declared flows (`lock`, `report`, ...) and the device operations every
//! gateway knows (`send`, `configure`, `update`, `unlock`). A declared flow is a `permit`; one
//! `forbid` refuses any request from a lower profile level to a higher one, whatever the
//! permits say. The result is validated with cedar-policy's strict validator when built.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::str::FromStr;

use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};

use crate::ir::PolicyIr;

/// Operations that every gateway may be asked for, whether or not a flow names them.
pub const DEVICE_OPERATIONS: [&str; 4] = ["send", "configure", "update", "unlock"];

/// The scope of an endpoint in `principal` / `resource`: a class includes its things.
fn scope(ir: &PolicyIr, name: &str) -> String {
    if ir.class(name).is_some() {
        format!("in {}", entity(ir, name))
    } else {
        format!("== {}", entity(ir, name))
    }
}

/// A Cedar string literal.
pub fn cedar_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn actions(ir: &PolicyIr) -> BTreeSet<String> {
    let mut actions: BTreeSet<String> = DEVICE_OPERATIONS.iter().map(|a| a.to_string()).collect();
    actions.extend(ir.flows.iter().map(|f| f.action.clone()));
    actions
}

/// The entity types an endpoint can appear as in a request.
fn entity_types(ir: &PolicyIr, name: &str) -> &'static [&'static str] {
    if ir.class(name).is_some() {
        &["Thing", "Class"]
    } else {
        match ir.endpoint(name).map(|e| e.kind.as_str()) {
            Some("gateway") => &["Gateway"],
            _ => &["Service"],
        }
    }
}

/// The Cedar entities of a policy, as JSON: segments, every class with one thing in it
/// (`<class>-1`), services and gateways, with their levels. What a request is decided
/// against in policy tests and the bundle's own tests.
pub fn entities(ir: &PolicyIr) -> serde_json::Value {
    use serde_json::json;
    // The schema's attributes are optional: one that an endpoint lacks is left out (Cedar
    // refuses `null` as an attribute's value).
    let attrs = |level: Option<i64>, profile: Option<&String>| {
        let mut attrs = serde_json::Map::new();
        if let Some(level) = level {
            attrs.insert("level".into(), json!(level));
        }
        if let Some(profile) = profile {
            attrs.insert("profile".into(), json!(profile));
        }
        serde_json::Value::Object(attrs)
    };
    let mut list = Vec::new();
    for segment in &ir.segments {
        list.push(json!({
            "uid": { "type": "Segment", "id": segment.name },
            "attrs": attrs(segment.level, None),
            "parents": [],
        }));
    }
    for class in &ir.classes {
        let parents: Vec<serde_json::Value> = class
            .segment
            .iter()
            .map(|s| json!({ "type": "Segment", "id": s }))
            .collect();
        list.push(json!({
            "uid": { "type": "Class", "id": class.name },
            "attrs": attrs(class.level, class.profile.as_ref()),
            "parents": parents,
        }));
        list.push(json!({
            "uid": { "type": "Thing", "id": format!("{}-1", class.name) },
            "attrs": attrs(class.level, None),
            "parents": [{ "type": "Class", "id": class.name }],
        }));
    }
    for endpoint in &ir.endpoints {
        let kind = if endpoint.kind == "gateway" {
            "Gateway"
        } else {
            "Service"
        };
        let mut attrs = attrs(endpoint.level, endpoint.profile.as_ref());
        if endpoint.kind == "gateway" {
            // The segments whose management gateway it is.
            let serves: Vec<serde_json::Value> = ir
                .segments
                .iter()
                .filter(|s| s.gateway.as_deref() == Some(endpoint.name.as_str()))
                .map(|s| json!({ "type": "Segment", "id": s.name }))
                .collect();
            if let serde_json::Value::Object(map) = &mut attrs {
                map.insert("serves".into(), json!(serves));
            }
        }
        list.push(
            json!({ "uid": { "type": kind, "id": endpoint.name }, "attrs": attrs, "parents": [] }),
        );
    }
    serde_json::Value::Array(list)
}

/// The entity a request names for an endpoint: a class's thing, a gateway or a service.
pub fn request_uid(ir: &PolicyIr, name: &str) -> String {
    let quoted = cedar_string(name);
    if ir.class(name).is_some() {
        format!("Thing::{}", cedar_string(&format!("{name}-1")))
    } else if ir.endpoint(name).is_some_and(|e| e.kind == "gateway") {
        format!("Gateway::{quoted}")
    } else {
        format!("Service::{quoted}")
    }
}

pub fn schema(ir: &PolicyIr) -> String {
    let mut out = String::from(
        "// Generated by ward. Entities of the policy and the operations its flows carry.\n\n\
         entity Segment = { level?: Long };\n\
         entity Class in [Segment] = { level?: Long, profile?: String };\n\
         entity Thing in [Class] = { level?: Long };\n\
         entity Service = { level?: Long, profile?: String };\n\
         entity Gateway = { level?: Long, profile?: String, serves?: Set<Segment> };\n\n",
    );
    // Each action applies to the entity types its flows connect (the device operations to
    // all): precise for requests, and the validator checks each policy against far fewer
    // principal x resource combinations.
    let all = ["Thing", "Class", "Segment", "Service", "Gateway"];
    for action in actions(ir) {
        let mut principals: BTreeSet<&str> = BTreeSet::new();
        let mut resources: BTreeSet<&str> = BTreeSet::new();
        if DEVICE_OPERATIONS.contains(&action.as_str()) {
            principals.extend(all);
            resources.extend(all);
        }
        for flow in ir.flows.iter().filter(|f| f.action == action) {
            principals.extend(entity_types(ir, &flow.from));
            resources.extend(entity_types(ir, &flow.to));
            if flow.bidirectional {
                principals.extend(entity_types(ir, &flow.to));
                resources.extend(entity_types(ir, &flow.from));
            }
        }
        let list = |set: &BTreeSet<&str>| set.iter().copied().collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "action {} appliesTo {{\n  principal: [{}],\n  resource: [{}],\n  context: {{ \"now\"?: Long }}\n}};",
            cedar_string(&action),
            list(&principals),
            list(&resources)
        );
    }
    out
}

/// A principal or resource of a grouped permit, with the origins of the flows behind it.
type Party = (String, Vec<String>);

/// The Cedar entity of an endpoint, for `principal in [...]` lists.
fn entity(ir: &PolicyIr, name: &str) -> String {
    format!("{}::{}", entity_type(ir, name), cedar_string(name))
}

/// The Cedar type of an endpoint's entity in `in [...]` lists: `Class`, `Gateway` or `Service`.
fn entity_type(ir: &PolicyIr, name: &str) -> &'static str {
    if ir.class(name).is_some() {
        "Class"
    } else if ir.endpoint(name).is_some_and(|e| e.kind == "gateway") {
        "Gateway"
    } else {
        "Service"
    }
}

/// Splits names by their entity type, in a stable order. Cedar's strict validator requires the
/// elements of a set literal to share one type (`[Gateway::"g", Service::"s"]` does not
/// validate: "the types Gateway and Service are not compatible"), so a permit whose flows
/// connect endpoints of several kinds becomes one permit per kind.
fn by_entity_type<'a, T>(
    ir: &PolicyIr,
    items: impl IntoIterator<Item = (&'a String, T)>,
) -> BTreeMap<&'static str, Vec<(&'a String, T)>> {
    let mut out: BTreeMap<&'static str, Vec<(&'a String, T)>> = BTreeMap::new();
    for (name, value) in items {
        out.entry(entity_type(ir, name))
            .or_default()
            .push((name, value));
    }
    out
}

/// A permit's `@id`: `base`, or `base (Type)` when its flows were split by entity type.
fn permit_id(base: String, kind: &str, split: bool) -> String {
    if split {
        cedar_string(&format!("{base} ({kind})"))
    } else {
        cedar_string(&base)
    }
}

pub fn policies(ir: &PolicyIr) -> String {
    let mut out = String::from(
        "// Generated by ward. One permit per operation and resource, naming the principals of\n\
         // the declared flows; lower-to-higher is always forbidden.\n\n\
         // \"Never let lower security profiles connect to higher security profiles.\" A thing\n\
         // reaches the management gateway of its own segment whatever the levels.\n\
         @id(\"lower-to-higher\")\n\
         forbid (principal, action, resource)\n\
         when { principal has level && resource has level && principal.level < resource.level }\n\
         unless { resource is Gateway && resource has serves && principal in resource.serves };\n",
    );
    // Flows that carry the same operation to the same resource share one permit: many things
    // reporting to one service are one policy, not thousands (Cedar has no ports; flows that
    // differ only by port are one request). The flows behind each permit are listed above it.
    // A time-limited flow shares a permit only with flows that end when it does.
    let mut grouped: BTreeMap<(String, String, Option<i64>), Vec<Party>> = BTreeMap::new();
    for flow in &ir.flows {
        let mut directions = vec![(&flow.from, &flow.to)];
        if flow.bidirectional {
            directions.push((&flow.to, &flow.from));
        }
        for (from, to) in directions {
            let principals = grouped
                .entry((flow.action.clone(), to.clone(), flow.until))
                .or_default();
            match principals.iter_mut().find(|(p, _)| p == from) {
                Some((_, origins)) => origins.push(flow.origin.describe()),
                None => principals.push((from.clone(), vec![flow.origin.describe()])),
            }
        }
    }
    // Permits with a single principal are grouped again by principal: one service
    // configuring many things is one policy too.
    let mut by_principal: BTreeMap<(String, String, Option<i64>), Vec<Party>> = BTreeMap::new();
    for ((action, to, until), principals) in &grouped {
        if let [(one, origins)] = principals.as_slice() {
            by_principal
                .entry((action.clone(), one.clone(), *until))
                .or_default()
                .push((to.clone(), origins.clone()));
            continue;
        }
        let kinds = by_entity_type(ir, principals.iter().map(|(p, o)| (p, o)));
        let split = kinds.len() > 1;
        for (kind, principals) in &kinds {
            out.push('\n');
            for (_, origins) in principals {
                for origin in origins.iter() {
                    let _ = writeln!(out, "// {origin}");
                }
            }
            let _ = writeln!(
                out,
                "@id({})\npermit (\n  principal,\n  action == Action::{},\n  resource {}\n)\nwhen {{ principal in [{}] }}{};",
                permit_id(with_end(format!("{action} -> {to}"), *until), kind, split),
                cedar_string(action),
                scope(ir, to),
                principals
                    .iter()
                    .map(|(n, _)| entity(ir, n))
                    .collect::<Vec<_>>()
                    .join(", "),
                until_condition(*until)
            );
        }
    }
    for ((action, from, until), resources) in &by_principal {
        let kinds = by_entity_type(ir, resources.iter().map(|(to, o)| (to, o)));
        let split = kinds.len() > 1;
        for (kind, resources) in &kinds {
            out.push('\n');
            for (_, origins) in resources {
                for origin in origins.iter() {
                    let _ = writeln!(out, "// {origin}");
                }
            }
            let (resource, condition) = match resources.as_slice() {
                [(to, _)] => (format!("resource {}", scope(ir, to)), String::new()),
                many => (
                    "resource".to_string(),
                    format!(
                        "\nwhen {{ resource in [{}] }}",
                        many.iter()
                            .map(|(to, _)| entity(ir, to))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            };
            let _ = writeln!(
                out,
                "@id({})\npermit (\n  principal {},\n  action == Action::{},\n  {resource}\n){condition}{};",
                permit_id(with_end(format!("{from} -> {action}"), *until), kind, split),
                scope(ir, from),
                cedar_string(action),
                until_condition(*until)
            );
        }
    }
    out
}

/// A permit's id names the end of its flows, which keeps it apart from the permit of the
/// same operation and ends without one.
fn with_end(base: String, until: Option<i64>) -> String {
    match until {
        Some(end) => format!("{base} until {}", ward_lang::Timestamp::at(end)),
        None => base,
    }
}

/// The condition of a time-limited permit: the request says when it is made (`now`, seconds
/// since 1970, UTC) and it is before the end. A request that does not say is refused.
fn until_condition(until: Option<i64>) -> String {
    match until {
        Some(end) => format!("\nwhen {{ context has now && context.now < {end} }}"),
        None => String::new(),
    }
}

/// A schema or policy set that does not validate: a bug in this emitter, not in the policy.
#[derive(Debug)]
pub struct CedarBug(pub String);

impl std::fmt::Display for CedarBug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ward generated Cedar that does not validate; this is a bug in ward, please report it: {}",
            self.0
        )
    }
}

/// Parses both and runs the strict validator.
pub fn validate(schema_text: &str, policy_text: &str) -> Result<(), CedarBug> {
    let (schema, _warnings) =
        Schema::from_cedarschema_str(schema_text).map_err(|e| CedarBug(format!("schema: {e}")))?;
    let policies =
        PolicySet::from_str(policy_text).map_err(|e| CedarBug(format!("policies: {e}")))?;
    let result = Validator::new(schema).validate(&policies, ValidationMode::Strict);
    if result.validation_passed() {
        Ok(())
    } else {
        let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
        Err(CedarBug(errors.join("; ")))
    }
}
