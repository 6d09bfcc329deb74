//! `ward mud import`: ward declarations from MUD files, so that policy authors start from the
//! manufacturer's description: per file a class with `match mud`, a segment for it, the
//! services it talks to (by DNS name or network) and its flows, each flow commented with the
//! names of the ACEs it came from. What ward's flows cannot say (local-networks,
//! same-manufacturer, model and manufacturer matches, Ethernet ACLs, drop entries) is listed
//! in comments, ACE by ACE, for the author to decide.
//!
//! Replies are not imported as flows: an ACE that matches only the source port of traffic to
//! the thing from a peer it calls (or the TCP side opened by the other end) is the return half
//! of a flow, which the firewall already accepts as an established connection.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::model::*;

/// The controller classes RFC 8520 (section 8) names for services of the local network: the
/// gateway (DHCP), DNS and NTP, all provided by the local gateway.
const LOCAL_CONTROLLERS: &[&str] = &[
    "urn:ietf:params:mud:gateway",
    "urn:ietf:params:mud:dns",
    "urn:ietf:params:mud:ntp",
];

/// Choices the MUD file cannot make.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The class's `function` (what the thing does): MUD does not say.
    pub function: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            function: "monitoring".to_string(),
        }
    }
}

/// Names that must stay free: the language's keywords and the standard library's names.
fn reserved(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "threat",
        "mitigation",
        "capability",
        "profile",
        "environment",
        "class",
        "service",
        "gateway",
        "segment",
        "flow",
        "detect",
        "test",
        "match",
        "mud",
        "with",
        "true",
        "false",
        "allow",
        "deny",
        "expect",
    ];
    KEYWORDS.contains(&name)
        || name.starts_with("SecProf_")
        || (name.len() > 1
            && (name.starts_with('T') || name.starts_with('M'))
            && name[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// A ward name from free text: lowercase letters, digits and underscores.
fn identifier(text: &str, fallback: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let name = name.trim_end_matches('_').to_string();
    match name.chars().next() {
        None => fallback.to_string(),
        Some(c) if c.is_ascii_digit() => format!("{fallback}_{name}"),
        Some(_) if reserved(&name) => format!("{fallback}_{name}"),
        Some(_) => name,
    }
}

/// A ward string literal.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe inside a `//` comment.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Whom an ACE lets the thing talk to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Peer {
    Host(String),
    Network(String),
    Gateway,
}

/// One imported flow, before it is written.
#[derive(Default)]
struct Flow {
    /// An ACE allows any protocol: the flow names no ports.
    any: bool,
    ports: BTreeSet<String>,
    aces: Vec<String>,
}

/// The declarations of one MUD file's class.
struct Imported {
    class: String,
    flows: BTreeMap<(bool, Peer), Flow>,
    skipped: Vec<(String, String)>,
}

/// What to write for a port match: `tcp/443`, `udp/5683-5684`, `tcp`; None when ward's flows
/// cannot say it (every port but one).
fn port_text(protocol: &str, port: Option<PortRange>) -> Option<String> {
    match port {
        None => Some(protocol.to_string()),
        Some(PortRange::Range(lo, hi)) if lo == hi => Some(format!("{protocol}/{lo}")),
        Some(PortRange::Range(0, u16::MAX)) => Some(protocol.to_string()),
        Some(PortRange::Range(lo, hi)) => Some(format!("{protocol}/{lo}-{hi}")),
        Some(PortRange::Not(_)) => None,
    }
}

/// What one ACE of a policy (`outbound`: from the thing) becomes: a peer and the protocol
/// and port to it (None: any), or why it is not imported.
fn flow_of(ace: &Ace, outbound: bool) -> Result<(Peer, Option<String>), String> {
    if ace.forwarding != Forwarding::Accept {
        return Err("a drop or reject entry: ward denies whatever no flow allows".into());
    }
    let m = &ace.matches;
    if let Some(mud) = &m.mud {
        if mud.local_networks {
            return Err("local-networks: any thing of the local networks; declare flows to the classes it needs".into());
        }
        if mud.same_manufacturer || mud.manufacturer.is_some() || mud.model.is_some() {
            return Err(
                "a manufacturer or model match: declare flows to the classes of those things"
                    .into(),
            );
        }
        if mud.my_controller {
            return Err(
                "my-controller: declare the controller as a service and a flow to it".into(),
            );
        }
        if mud
            .controller
            .as_deref()
            .is_some_and(|c| !LOCAL_CONTROLLERS.contains(&c))
        {
            return Err(
                "a controller class other than the local gateway: declare it as a service".into(),
            );
        }
    }
    if m.eth.is_some() && m.ip.is_none() {
        return Err("an Ethernet match: ward's flows are IP flows".into());
    }
    let ip = m.ip.as_ref();
    let (dnsname, network) = match (outbound, ip) {
        (true, Some(ip)) => (ip.destination_dnsname.as_ref(), ip.destination_network),
        (false, Some(ip)) => (ip.source_dnsname.as_ref(), ip.source_network),
        (_, None) => (None, None),
    };
    let peer = if m.mud.as_ref().is_some_and(|mud| mud.controller.is_some()) {
        Peer::Gateway
    } else if let Some(host) = dnsname {
        Peer::Host(host.trim_end_matches('.').to_ascii_lowercase())
    } else if let Some(network) = network {
        Peer::Network(network.to_string())
    } else {
        return Err("no peer: a match on any address would open the thing to everyone".into());
    };
    let protocol = ip.and_then(|ip| ip.protocol);
    let (ports, reply) = match (protocol, &m.tcp, &m.udp) {
        (Some(6), tcp, _) | (None, tcp @ Some(_), _) => {
            let tcp = tcp.clone().unwrap_or_default();
            // The side that opens the connection decides the flow's direction; the other
            // side's ACE is its reply.
            let opened_here = match tcp.direction_initiated {
                Some(Initiated::FromDevice) => outbound,
                Some(Initiated::ToDevice) => !outbound,
                None => tcp.ports.destination_port.is_some() || tcp.ports.source_port.is_none(),
            };
            (port_text("tcp", tcp.ports.destination_port), !opened_here)
        }
        (Some(17), _, udp) | (None, None, udp @ Some(_)) => {
            let udp = udp.clone().unwrap_or_default();
            let reply = udp.destination_port.is_none() && udp.source_port.is_some();
            (port_text("udp", udp.destination_port), reply)
        }
        (Some(1), _, _) => (Some("icmp".to_string()), false),
        (Some(58), _, _) => (Some("icmpv6".to_string()), false),
        (Some(other), _, _) => {
            return Err(format!(
                "IP protocol {other}: ward's flows carry TCP, UDP and ICMP"
            ));
        }
        (None, None, None) => return Ok((peer, None)),
    };
    if reply {
        return Err("the reply half of a flow: accepted as an established connection".into());
    }
    match ports {
        Some(ports) => Ok((peer, Some(ports))),
        None => Err("a port match ward's flows cannot say (every port but one)".into()),
    }
}

/// The class name of a MUD file: its model name, system info, or the last segment of its URL.
fn class_name(mud: &MudFile) -> String {
    let from_url = mud
        .url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".json");
    let source = mud
        .model_name
        .as_deref()
        .or(mud.systeminfo.as_deref())
        .unwrap_or(from_url);
    identifier(source, "thing")
}

/// ward declarations for MUD files (`(label, file)`: the label, usually the path, is quoted
/// in the header comment). The text is formatted.
pub fn import(files: &[(String, MudFile)], options: &ImportOptions) -> String {
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut unique = |name: String| {
        let mut candidate = name.clone();
        let mut n = 2;
        while !used.insert(candidate.clone()) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        candidate
    };
    let mut classes = Vec::new();
    for (_, mud) in files {
        let mut imported = Imported {
            class: unique(class_name(mud)),
            flows: BTreeMap::new(),
            skipped: Vec::new(),
        };
        for (outbound, names) in [(true, &mud.from_device), (false, &mud.to_device)] {
            for name in names {
                let Some(acl) = mud.acl(name) else { continue };
                for ace in &acl.aces {
                    match flow_of(ace, outbound) {
                        Ok((peer, ports)) => {
                            let flow = imported.flows.entry((outbound, peer)).or_default();
                            flow.any |= ports.is_none();
                            flow.ports.extend(ports);
                            flow.aces.push(ace.name.clone());
                        }
                        Err(why) => imported.skipped.push((ace.name.clone(), why)),
                    }
                }
            }
        }
        classes.push(imported);
    }
    // Services and networks are shared by every class that talks to them.
    let mut services: BTreeMap<Peer, String> = BTreeMap::new();
    let mut gateway = None;
    for imported in &classes {
        for (_, peer) in imported.flows.keys() {
            match peer {
                Peer::Gateway => {
                    if gateway.is_none() {
                        gateway = Some(unique("local_gateway".to_string()));
                    }
                }
                Peer::Host(host) => {
                    if !services.contains_key(peer) {
                        let name = unique(identifier(host, "host"));
                        services.insert(peer.clone(), name);
                    }
                }
                Peer::Network(network) => {
                    if !services.contains_key(peer) {
                        let name = unique(format!("net_{}", identifier(network, "net")));
                        services.insert(peer.clone(), name);
                    }
                }
            }
        }
    }
    let name_of = |peer: &Peer| match peer {
        Peer::Gateway => gateway.clone().unwrap_or_default(),
        other => services.get(other).cloned().unwrap_or_default(),
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Imported by `ward mud import` from {} MUD file{}. Review before use: set each class's",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "// function, environment and capabilities, and give its segment a subnet. Flows are the"
    );
    let _ = writeln!(
        out,
        "// manufacturer's, each with the names of the ACEs it came from."
    );
    for ((label, mud), imported) in files.iter().zip(&classes) {
        let _ = writeln!(out);
        let _ = writeln!(out, "// From {}", comment_text(label));
        let _ = writeln!(
            out,
            "// MUD URL {}, last update {}",
            comment_text(&mud.url),
            comment_text(&mud.last_update)
        );
        for warning in &mud.warnings {
            let _ = writeln!(
                out,
                "// Note: {} ({})",
                comment_text(&warning.message),
                comment_text(&warning.path)
            );
        }
        let title = mud
            .systeminfo
            .as_deref()
            .or(mud.model_name.as_deref())
            .unwrap_or(&imported.class);
        let _ = writeln!(out, "class {} {} {{", imported.class, quoted(title));
        let _ = writeln!(out, "  function = {}", options.function);
        if let Some(mfg) = &mud.mfg_name {
            let _ = writeln!(out, "  manufacturer = {}", quoted(mfg));
        }
        if let Some(model) = &mud.model_name {
            let _ = writeln!(out, "  model = {}", quoted(model));
        }
        let _ = writeln!(out, "  match mud {}", quoted(&mud.url));
        let _ = writeln!(out, "}}");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "segment {} {} {{",
            unique(format!("{}_things", imported.class)),
            quoted(&format!("Things of class {}", imported.class))
        );
        let _ = writeln!(out, "  classes = [{}]", imported.class);
        let _ = writeln!(out, "}}");
        for ((outbound, peer), flow) in &imported.flows {
            let _ = writeln!(out);
            let _ = writeln!(out, "// MUD: {}", comment_text(&flow.aces.join(", ")));
            let (from, to) = if *outbound {
                (imported.class.clone(), name_of(peer))
            } else {
                (name_of(peer), imported.class.clone())
            };
            let ports: Vec<&str> = flow.ports.iter().map(String::as_str).collect();
            if flow.any || ports.is_empty() {
                let _ = writeln!(out, "flow {from} -> {to}");
            } else {
                let _ = writeln!(out, "flow {from} -> {to} : {}", ports.join(", "));
            }
        }
        if !imported.skipped.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "// Not imported:");
            for (ace, why) in &imported.skipped {
                let _ = writeln!(out, "// - {}: {}", comment_text(ace), comment_text(why));
            }
        }
    }
    if let Some(gateway) = &gateway {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "/// The local gateway: MUD's controllers `urn:ietf:params:mud:gateway`, `dns` and `ntp`."
        );
        let _ = writeln!(out, "gateway {gateway} \"Local gateway\" {{\n}}");
    }
    for (peer, name) in &services {
        let _ = writeln!(out);
        match peer {
            Peer::Host(host) => {
                let _ = writeln!(out, "service {name} {} {{", quoted(host));
                let _ = writeln!(out, "  host = {}", quoted(host));
            }
            Peer::Network(network) => {
                let _ = writeln!(out, "service {name} {} {{", quoted(network));
                let _ = writeln!(out, "  address = {network}");
            }
            Peer::Gateway => {}
        }
        let _ = writeln!(out, "}}");
    }
    ward_lang::format::format(&out).unwrap_or(out)
}
