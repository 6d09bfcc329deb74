//! `ward mud import`: ward declarations from MUD files, so that policy authors start from the
//! manufacturer's description: per file a class with `match mud`, a segment for it, the
//! services it talks to (by DNS name or network) and its flows, each flow commented with the
//! names of the ACEs it came from. What ward's flows cannot say (local-networks,
//! same-manufacturer, model and manufacturer matches, Ethernet ACLs, drop entries) is listed
//! in comments, ACE by ACE, for the author to decide. Which ACE becomes which flow is `flows`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::flows::{Peer, mud_flows};
use super::model::*;

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
        for flow in mud_flows(mud) {
            match flow.asks {
                Ok((peer, ports)) => {
                    let entry = imported.flows.entry((flow.outbound, peer)).or_default();
                    entry.any |= ports.is_none();
                    entry.ports.extend(ports);
                    entry.aces.push(flow.ace);
                }
                Err(why) => imported.skipped.push((flow.ace, why)),
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
