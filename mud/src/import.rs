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
///
/// The defaults make a class that checks, builds and onboards as it is: `SecProf_2`
/// ("Managed home usage", the setting MUD is made for: consumer things behind a MUD manager),
/// with the capabilities the profile's mitigations need (MUD does not say what a thing can
/// do; the output says they are assumed), in a segment behind the local gateway, every flow
/// to a service through it. The author then edits what the MUD file could not tell.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The class's `function` (what the thing does): MUD does not say.
    pub function: String,
    /// The profile the classes declare.
    pub profile: String,
    /// The capabilities the classes declare (usually what `profile` needs).
    pub capabilities: Vec<String>,
    /// The environment the classes are assessed in, if any.
    pub environment: Option<String>,
    /// What the policy folder the declarations join already declares.
    pub existing: Existing,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            function: "monitoring".to_string(),
            profile: "SecProf_2".to_string(),
            capabilities: vec![
                "x509".to_string(),
                "tls".to_string(),
                "credential_rotation".to_string(),
            ],
            environment: None,
            existing: Existing::default(),
        }
    }
}

/// What a policy folder already declares, so that an import joins it instead of repeating
/// it: a service for the same host or network and the local gateway are reused, and new
/// names avoid the taken ones.
#[derive(Clone, Debug, Default)]
pub struct Existing {
    pub names: BTreeSet<String>,
    /// Services by what they stand for.
    pub services: BTreeMap<Peer, String>,
    /// The gateway imports route through: `local_gateway`, or the folder's only gateway.
    pub gateway: Option<String>,
    /// `match mud` patterns already claimed, with their class.
    pub patterns: BTreeMap<String, String>,
}

impl Existing {
    /// Reads the declarations of a policy's source texts (files that do not parse are read
    /// as far as they do: the parser recovers).
    pub fn from_sources<'a>(texts: impl IntoIterator<Item = &'a str>) -> Existing {
        use ward_lang::ast::{DeclKind, ValueKind};
        let mut existing = Existing::default();
        let mut gateways = Vec::new();
        for text in texts {
            let parse = ward_lang::parse(text);
            for decl in parse.file.decls() {
                let Some(name) = &decl.name else { continue };
                existing.names.insert(name.text.clone());
                match decl.kind {
                    DeclKind::Service => {
                        let value = |key: &str| decl.property(key).map(|p| &p.value.kind);
                        if let Some(ValueKind::Str(host)) = value("host") {
                            existing
                                .services
                                .entry(Peer::Host(host.to_ascii_lowercase()))
                                .or_insert_with(|| name.text.clone());
                        }
                        let network = match value("address") {
                            Some(ValueKind::Cidr(ip, len)) => Some(format!("{ip}/{len}")),
                            Some(ValueKind::Ip(ip)) => Some(ip.to_string()),
                            _ => None,
                        };
                        if let Some(network) = network {
                            existing
                                .services
                                .entry(Peer::Network(network))
                                .or_insert_with(|| name.text.clone());
                        }
                    }
                    DeclKind::Gateway => gateways.push(name.text.clone()),
                    DeclKind::Class => {
                        for url in decl.mud_patterns() {
                            existing
                                .patterns
                                .insert(url.value.clone(), name.text.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
        existing.gateway = if gateways.iter().any(|g| g == "local_gateway") {
            Some("local_gateway".to_string())
        } else if let [only] = gateways.as_slice() {
            Some(only.clone())
        } else {
            None
        };
        existing
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
/// in the header comment), to join the policy `options.existing` describes. The text is
/// formatted.
pub fn import(files: &[(String, MudFile)], options: &ImportOptions) -> String {
    let existing = &options.existing;
    let mut used: BTreeSet<String> = existing.names.clone();
    let mut unique = |name: String| {
        let mut candidate = name.clone();
        let mut n = 2;
        while !used.insert(candidate.clone()) {
            candidate = format!("{name}_{n}");
            n += 1;
        }
        candidate
    };
    // A MUD URL a class already matches would make onboarding ambiguous: such a file is
    // left out, and the output says which class has it.
    let mut claimed = existing.patterns.clone();
    let mut classes = Vec::new();
    let mut duplicates = Vec::new();
    for (label, mud) in files {
        if let Some(class) = claimed.get(&mud.url) {
            duplicates.push((label, mud, class.clone()));
            continue;
        }
        let mut imported = Imported {
            class: unique(class_name(mud)),
            flows: BTreeMap::new(),
            skipped: Vec::new(),
        };
        claimed.insert(mud.url.clone(), imported.class.clone());
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
        classes.push((label, mud, imported));
    }
    // Services and networks are shared by every class that talks to them, and with the
    // policy the import joins; so is the local gateway, which every imported segment has.
    let mut services: BTreeMap<Peer, String> = BTreeMap::new();
    let mut new_services: Vec<Peer> = Vec::new();
    for (_, _, imported) in &classes {
        for (_, peer) in imported.flows.keys() {
            if *peer == Peer::Gateway || services.contains_key(peer) {
                continue;
            }
            if let Some(name) = existing.services.get(peer) {
                services.insert(peer.clone(), name.clone());
                continue;
            }
            let name = match peer {
                Peer::Host(host) => unique(identifier(host, "host")),
                Peer::Network(network) => unique(format!("net_{}", identifier(network, "net"))),
                Peer::Gateway => continue,
            };
            services.insert(peer.clone(), name);
            new_services.push(peer.clone());
        }
    }
    let (gateway, new_gateway) = match &existing.gateway {
        Some(gateway) => (gateway.clone(), false),
        None => (unique("local_gateway".to_string()), !classes.is_empty()),
    };
    let name_of = |peer: &Peer| match peer {
        Peer::Gateway => gateway.clone(),
        other => services.get(other).cloned().unwrap_or_default(),
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Imported by `ward mud import` from {} MUD file{}. Review before use: the MUD file says",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "// what a thing talks to, not what it does or can do: check each class's function,"
    );
    let _ = writeln!(
        out,
        "// profile and capabilities (assumed: what the profile needs), give it an environment to"
    );
    let _ = writeln!(
        out,
        "// be assessed in and its segment a subnet. Flows are the manufacturer's, each with the"
    );
    let _ = writeln!(out, "// names of the ACEs it came from.");
    for (label, mud, class) in &duplicates {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "// Not imported: {}: class `{class}` already matches its MUD URL {}",
            comment_text(label),
            comment_text(&mud.url)
        );
    }
    for (label, mud, imported) in &classes {
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
        if let Some(environment) = &options.environment {
            let _ = writeln!(out, "  environment = {environment}");
        }
        let _ = writeln!(out, "  profile = {}", options.profile);
        let _ = writeln!(
            out,
            "  // Assumed, not read from the MUD file: what `{}` needs.",
            options.profile
        );
        let _ = writeln!(
            out,
            "  capabilities = [{}]",
            options.capabilities.join(", ")
        );
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
        let _ = writeln!(out, "  gateway = {gateway}");
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
            let ports = if flow.any || ports.is_empty() {
                String::new()
            } else {
                format!(" : {}", ports.join(", "))
            };
            // Cross-segment traffic passes the management gateway (section 10.1); traffic
            // with the gateway itself does not name it twice. A connection a service of
            // unknown level opens to the thing (W0017) is what the manufacturer asks: said so.
            let via = if *peer == Peer::Gateway {
                String::new()
            } else if !outbound {
                format!(
                    " {{ via = {gateway}, because = {} }}",
                    quoted("the manufacturer's MUD file lets it connect to the thing")
                )
            } else {
                format!(" {{ via = {gateway} }}")
            };
            let _ = writeln!(out, "flow {from} -> {to}{ports}{via}");
        }
        if !imported.skipped.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "// Not imported:");
            for (ace, why) in &imported.skipped {
                let _ = writeln!(out, "// - {}: {}", comment_text(ace), comment_text(why));
            }
        }
    }
    if new_gateway {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "/// The local gateway: the MUD manager, and MUD's controllers `urn:ietf:params:mud:gateway`,"
        );
        let _ = writeln!(out, "/// `dns` and `ntp`.");
        let _ = writeln!(out, "gateway {gateway} \"Local gateway\" {{\n}}");
    }
    new_services.sort();
    for peer in &new_services {
        let Some(name) = services.get(peer) else {
            continue;
        };
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
