//! `devices/<class>.json` (and `.cbor`): the configuration the gateway deploys to a thing of
//! each class (PASC's m6), and from which it updates peers (m7).

use serde_json::{Value, json};

use crate::ir::{ClassIr, FlowIr, PolicyIr};

fn peer(ir: &PolicyIr, flow: &FlowIr, peer: &str, direction: &str) -> Value {
    let kind = if ir.class(peer).is_some() {
        "class"
    } else {
        ir.endpoint(peer).map_or("unknown", |e| e.kind.as_str())
    };
    json!({
        "peer": peer,
        "kind": kind,
        "direction": direction,
        "ports": flow.ports.iter().map(|p| p.describe()).collect::<Vec<_>>(),
        "action": flow.action,
        "via": flow.via,
        "addresses": ir.addresses_of(peer),
        "host": ir.endpoint(peer).and_then(|e| e.host.clone()),
        "origin": flow.origin.describe(),
    })
}

/// The mitigation that is the management gateway (section 5: "a management gateway").
const MANAGEMENT_GATEWAY: &str = "M7";

pub fn device(ir: &PolicyIr, class: &ClassIr) -> Value {
    let mut peers = Vec::new();
    for flow in ir.flows_of(&class.name) {
        if flow.from == class.name {
            peers.push(peer(ir, flow, &flow.to, "outbound"));
            if flow.bidirectional {
                peers.push(peer(ir, flow, &flow.to, "inbound"));
            }
        } else if flow.to == class.name {
            peers.push(peer(ir, flow, &flow.from, "inbound"));
            if flow.bidirectional {
                peers.push(peer(ir, flow, &flow.from, "outbound"));
            }
        }
    }
    let gateway = ir.gateway_of_class(class);
    let transport = class.syslog_transport();
    let syslog = gateway.map(|g| {
        json!({
            "gateway": g.name,
            "addresses": g.addresses,
            "port": transport.port(),
            "transport": transport.name(),
            "format": "rfc5424",
        })
    });
    let update_servers: Vec<&str> = ir
        .flows_of(&class.name)
        .filter(|f| f.from == class.name && f.action == "update")
        .map(|f| f.to.as_str())
        .collect();
    let refresh = class
        .mitigations
        .iter()
        .find(|m| m.id == "M11")
        .and_then(|m| m.params.get("refresh"));
    let segment = class.segment.as_deref().and_then(|s| ir.segment(s));
    json!({
        "format": "ward.device/1",
        "class": class.name,
        "title": class.title,
        // null for the quarantine place, which serves no function.
        "function": (!class.function.is_empty()).then_some(&class.function),
        "environments": class.environments,
        // null for a class the policy does not assess (W0004).
        "profile": class.profile.as_ref().map(|profile| json!({
            "name": profile,
            "level": class.level,
            "assigned": class.assigned,
        })),
        "capabilities": class.capabilities,
        "personal_data": class.data,
        "segment": segment.map(|s| json!({
            "name": s.name,
            "subnets": s.subnets,
            "gateway": s.gateway,
        })),
        // M7 is in effect only where the segment has a management gateway: the
        // configuration says what the thing gets, not what its profile asks.
        "mitigations": class
            .mitigations
            .iter()
            .filter(|m| m.id != MANAGEMENT_GATEWAY || gateway.is_some())
            .collect::<Vec<_>>(),
        "allowed_peers": peers,
        // The quarantine place: its things reach nothing until onboarded again.
        "quarantine": class.is_quarantine(),
        "pava": { "syslog": syslog },
        // What the thing can do (`secure_update`), and whether its profile requires it (M1).
        "update": {
            "servers": update_servers,
            "authenticated": class.capabilities.iter().any(|c| c == "secure_update"),
            "required": class.mitigations.iter().any(|m| m.id == "M1"),
        },
        "credentials": { "refresh_seconds": refresh },
        "mud": class.mud,
        "manufacturer": class.manufacturer,
        "model": class.model,
        "origin": class.origin.describe(),
    })
}
