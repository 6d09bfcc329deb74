//! `firewall/ruleset.nft`: the nftables ruleset of the gateway/router (PASC's m8).
//!
//! - One `inet ward` table. Every endpoint is a named set of addresses (`e4_door_lock`,
//!   `e6_door_lock`): a class's segment subnets, a service's or gateway's addresses. A service
//!   known only by host name gets empty sets that the gateway fills from DNS, so that no name
//!   is resolved when the ruleset loads.
//! - `forward` (traffic between segments) and `input` (traffic to the gateway itself) drop by
//!   default and accept established replies; each declared flow is accepted by protocol,
//!   port and direction, with a comment naming its declaration.
//! - Lower-to-higher traffic is dropped and counted explicitly, by profile level, before the
//!   accepted flows (the checker guarantees no declared flow is such traffic).
//! - An endpoint that holds every address (`internet`) is what is none of the policy's: its
//!   flows' rules exclude the policy's own addresses (`o4_policy`, and the run-time sets of
//!   endpoints known by host name), so a flow to the internet reaches no thing of the same
//!   level at home, which no lower-to-higher drop would stop.
//! - `input` admits what the gateway serves: the declared flows to it (its API, the MUD
//!   controllers a policy declares), and PAVA's syslog from the things of the segments it
//!   manages, on the port and transport their device configuration names
//!   (`ClassIr::syslog_transport`, which `devices.rs` writes too).
//! - `output` (what the gateway itself sends) reaches the policy's things and endpoints (other
//!   gateways included) only by flows declared from a gateway: anything else to them is
//!   dropped and counted. Traffic
//!   to addresses outside the policy (DNS, MUD servers, report receivers known by name) is
//!   left to the operator's own rules: the gateway needs it to work.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::ir::{FlowIr, PolicyIr, PortIr};
use crate::prefix::Prefix;

/// The things onboarded so far, by class: their addresses (`192.168.3.7`, `2001:db8::7`).
/// With an inventory, a class's sets hold its things' addresses rather than its segments'
/// subnets: only onboarded things get the class's flows (PASC's m8 at run time).
pub type Inventory = BTreeMap<String, Vec<String>>;

/// Things whose profile PAVA raised above their class's: level -> their addresses. Each joins
/// its new level's set, so the lower-to-higher drops protect it as they protect the segments
/// of that level (a lower-level thing can no longer reach it).
pub type Raised = BTreeMap<i64, Vec<String>>;

/// The addresses of an endpoint in one family.
enum Addresses {
    Static(Vec<String>),
    /// Filled at run time (a service known by host name).
    Dynamic,
    /// The onboarded things of a class (possibly none yet).
    Members(Vec<String>),
    None,
}

fn family_addresses(
    ir: &PolicyIr,
    name: &str,
    v6: bool,
    inventory: Option<&Inventory>,
) -> Addresses {
    if let Some(inventory) = inventory
        && ir.class(name).is_some()
    {
        let members = inventory
            .get(name)
            .map(|addresses| {
                addresses
                    .iter()
                    .filter(|a| a.contains(':') == v6)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        return Addresses::Members(members);
    }
    let all = ir.addresses_of(name);
    let mine: Vec<String> = all
        .iter()
        .filter(|a| a.address.is_ipv6() == v6)
        .map(Prefix::to_string)
        .collect();
    if !mine.is_empty() {
        return Addresses::Static(mine);
    }
    let dynamic = all.is_empty() && ir.endpoint(name).is_some_and(|e| e.host.is_some());
    if dynamic {
        Addresses::Dynamic
    } else {
        Addresses::None
    }
}

/// A named set of addresses and prefixes (`flags interval`: without it nft refuses a
/// prefix, and holds single addresses only); empty when the gateway fills it.
fn address_set(out: &mut String, name: &str, v6: bool, elements: &[String]) {
    let kind = if v6 { "ipv6_addr" } else { "ipv4_addr" };
    let _ = write!(
        out,
        "  set {name} {{\n    type {kind}\n    flags interval\n"
    );
    if !elements.is_empty() {
        let _ = writeln!(out, "    elements = {{ {} }}", elements.join(", "));
    }
    out.push_str("  }\n\n");
}

fn set_name(v6: bool, name: &str) -> String {
    format!("{}_{name}", if v6 { "e6" } else { "e4" })
}

/// A comment nft accepts: at most 128 bytes, no double quotes.
fn comment(text: &str) -> String {
    let mut clean = text.replace('"', "'");
    if clean.len() > 127 {
        let mut cut = 124;
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        clean.truncate(cut);
        clean.push_str("...");
    }
    format!("comment \"{clean}\"")
}

fn protocol_matches(ports: &[PortIr], v6: bool) -> Vec<String> {
    if ports.is_empty() {
        return vec![String::new()];
    }
    ports
        .iter()
        .filter_map(|p| match (p.protocol.as_str(), p.ports) {
            ("tcp" | "udp", Some((lo, hi))) if lo == hi => {
                Some(format!("{} dport {lo} ", p.protocol))
            }
            ("tcp" | "udp", Some((lo, hi))) => Some(format!("{} dport {lo}-{hi} ", p.protocol)),
            ("tcp" | "udp", None) => Some(format!("meta l4proto {} ", p.protocol)),
            ("icmp", _) if !v6 => Some("meta l4proto icmp ".to_string()),
            ("icmpv6", _) if v6 => Some("meta l4proto ipv6-icmp ".to_string()),
            ("icmp" | "icmpv6", _) => None,
            _ => Some(String::new()),
        })
        .collect()
}

/// The base chain a rule goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chain {
    Input,
    Forward,
    Output,
}

/// Whether an endpoint holds every address (the standard library's `internet`).
fn is_everywhere(ir: &PolicyIr, name: &str) -> bool {
    ir.endpoint(name)
        .is_some_and(|e| e.addresses.iter().any(|a| a.len == 0))
}

/// The policy's own addresses, per family (IPv4, IPv6): the set `o4_policy`/`o6_policy` of
/// its segments' subnets, its endpoints' addresses and the things onboarded (the outermost
/// prefixes only: an interval set refuses overlapping elements), and the run-time sets of
/// endpoints known by host name. What an endpoint that holds every address (`internet`)
/// stands for is everything else: its flows never admit one of these.
struct Own {
    prefixes: [Vec<Prefix>; 2],
    sets: [Vec<String>; 2],
}

impl Own {
    /// Empty unless a flow names an endpoint that holds every address.
    fn new(ir: &PolicyIr, inventory: Option<&Inventory>) -> Own {
        let mut own = Own {
            prefixes: [Vec::new(), Vec::new()],
            sets: [Vec::new(), Vec::new()],
        };
        if !ir
            .flows
            .iter()
            .any(|f| is_everywhere(ir, &f.from) || is_everywhere(ir, &f.to))
        {
            return own;
        }
        let mut all: Vec<Prefix> = ir
            .segments
            .iter()
            .flat_map(|s| s.subnets.iter().copied())
            .collect();
        for endpoint in &ir.endpoints {
            if !is_everywhere(ir, &endpoint.name) {
                all.extend(endpoint.addresses.iter().copied());
            }
        }
        all.extend(
            inventory
                .into_iter()
                .flat_map(|i| i.values().flatten())
                .filter_map(|a| a.parse().ok())
                .map(Prefix::host),
        );
        // By family, first address, then the wider first: a prefix inside another comes
        // after it, and (prefixes being nested or apart) inside the last one kept if any.
        let mut all: Vec<Prefix> = all
            .into_iter()
            .map(|p| Prefix::new(p.network(), p.len))
            .collect();
        all.sort_unstable_by_key(|p| (p.address.is_ipv6(), p.address, p.len));
        for prefix in all {
            let kept = &mut own.prefixes[usize::from(prefix.address.is_ipv6())];
            if !kept.last().is_some_and(|last| last.contains(prefix)) {
                kept.push(prefix);
            }
        }
        for v6 in [false, true] {
            let f = usize::from(v6);
            if !own.prefixes[f].is_empty() {
                own.sets[f].push(format!("o{}_policy", if v6 { 6 } else { 4 }));
            }
            for endpoint in &ir.endpoints {
                if matches!(
                    family_addresses(ir, &endpoint.name, v6, inventory),
                    Addresses::Dynamic
                ) {
                    own.sets[f].push(set_name(v6, &endpoint.name));
                }
            }
        }
        own
    }

    /// `ip daddr != @o4_policy ...`: the address is none of the policy's own.
    fn outside(&self, v6: bool, source: bool) -> String {
        let family = if v6 { "ip6" } else { "ip" };
        let side = if source { "saddr" } else { "daddr" };
        self.sets[usize::from(v6)]
            .iter()
            .map(|set| format!("{family} {side} != @{set} "))
            .collect()
    }
}

/// What the accept rules of flows are written from: the policy, its inventory, and its own
/// addresses (for `internet`'s flows).
struct FlowRules<'a> {
    ir: &'a PolicyIr,
    inventory: Option<&'a Inventory>,
    own: Own,
}

impl FlowRules<'_> {
    /// The accept rules of one direction of a flow, in `chain`.
    fn write(&self, flow: &FlowIr, from: &str, to: &str, chain: Chain, out: &mut Vec<String>) {
        let (ir, inventory, own) = (self.ir, self.inventory, &self.own);
        for v6 in [false, true] {
            let has_set =
                |name: &str| !matches!(family_addresses(ir, name, v6, inventory), Addresses::None);
            if !has_set(from) || !has_set(to) {
                continue;
            }
            let family = if v6 { "ip6" } else { "ip" };
            // `internet` is what is not the policy's: a flow to it admits no thing, service or
            // gateway of the policy (each has its own flows), nor does a flow from it.
            let from_outside = if is_everywhere(ir, from) && chain != Chain::Output {
                own.outside(v6, true)
            } else {
                String::new()
            };
            let to_outside = if is_everywhere(ir, to) {
                own.outside(v6, false)
            } else {
                String::new()
            };
            // What the gateway itself sends (`output`) leaves from whichever of its addresses
            // faces the destination: the rule names the destination only. Anywhere else the
            // source is named, a gateway's too: in `input`, a rule without it would admit
            // anyone to the port.
            let source = if chain == Chain::Output {
                String::new()
            } else {
                format!("{family} saddr @{} ", set_name(v6, from))
            };
            // A time-limited flow's rule ends by itself: the kernel compares its clock (UTC
            // seconds since 1970, so no time zone applies) for each new connection.
            let until = flow
                .until
                .map(|end| format!("meta time < {end} "))
                .unwrap_or_default();
            for l4 in protocol_matches(&flow.ports, v6) {
                out.push(format!(
                    "{source}{from_outside}{family} daddr @{} {to_outside}{l4}{until}accept {}",
                    set_name(v6, to),
                    comment(&flow.origin.describe())
                ));
            }
        }
    }
}

/// PAVA's reports reach the gateway that manages a class's segment, on the port and transport
/// its device configuration names: TLS where the class can do it, else UDP.
fn pava_syslog_rules(ir: &PolicyIr, inventory: Option<&Inventory>, out: &mut Vec<String>) {
    for class in &ir.classes {
        let Some(gateway) = ir.gateway_of_class(class).map(|g| g.name.as_str()) else {
            continue;
        };
        let transport = class.syslog_transport();
        let (protocol, port) = (transport.protocol(), transport.port());
        for v6 in [false, true] {
            let has =
                |name: &str| !matches!(family_addresses(ir, name, v6, inventory), Addresses::None);
            if !has(&class.name) || !has(gateway) {
                continue;
            }
            let family = if v6 { "ip6" } else { "ip" };
            out.push(format!(
                "{family} saddr @{} {family} daddr @{} {protocol} dport {port} accept {}",
                set_name(v6, &class.name),
                set_name(v6, gateway),
                comment(&format!(
                    "PAVA: syslog of `{}` to its gateway `{gateway}`",
                    class.name
                ))
            ));
        }
    }
}

/// Whether a flow's ports carry UDP to `port` (no ports, `any` and `udp` alone carry all).
fn carries_udp(ports: &[PortIr], port: u16) -> bool {
    ports.is_empty()
        || ports.iter().any(|p| match (p.protocol.as_str(), p.ports) {
            ("any", _) | ("udp", None) => true,
            ("udp", Some((lo, hi))) => lo <= port && port <= hi,
            _ => false,
        })
}

/// DHCP, which a gateway serves the things of its segments when a flow to it carries the
/// server's port (udp/67, or udp/547 for DHCPv6): a client asks before it holds an address,
/// from 0.0.0.0 to the broadcast address (from its link-local address to ff02::1:2), which
/// neither the flow's rule (its source set) nor the reverse-path check would pass; the
/// server's answers go to the address it offers, in the class's set, which `output` would
/// drop. Returns the rules before the reverse-path check (`input`) and the answers
/// (`output`).
fn dhcp_rules(ir: &PolicyIr, inventory: Option<&Inventory>) -> (Vec<String>, Vec<String>) {
    let is_gateway = |name: &str| ir.endpoint(name).is_some_and(|e| e.kind == "gateway");
    let (mut input, mut output) = (Vec::new(), Vec::new());
    for flow in &ir.flows {
        let mut clients = Vec::new();
        if is_gateway(&flow.to) && ir.class(&flow.from).is_some() {
            clients.push(flow.from.as_str());
        }
        if flow.bidirectional && is_gateway(&flow.from) && ir.class(&flow.to).is_some() {
            clients.push(flow.to.as_str());
        }
        let gateway_of = |flow: &'_ FlowIr, client: &str| {
            if flow.from == client {
                flow.to.clone()
            } else {
                flow.from.clone()
            }
        };
        // A time-limited flow's DHCP ends with it, as its own rule does.
        let until = flow
            .until
            .map(|end| format!("meta time < {end} "))
            .unwrap_or_default();
        for client in clients {
            let origin = flow.origin.describe();
            if carries_udp(&flow.ports, 67) {
                input.push(format!(
                    "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 {until}accept {}",
                    comment(&format!(
                        "DHCP discovery at `{}`, before the client holds an address",
                        gateway_of(flow, client)
                    ))
                ));
                if !matches!(
                    family_addresses(ir, client, false, inventory),
                    Addresses::None
                ) {
                    output.push(format!(
                        "ip daddr @{} udp sport 67 udp dport 68 {until}accept {}",
                        set_name(false, client),
                        comment(&format!("DHCP answers: {origin}"))
                    ));
                }
            }
            if carries_udp(&flow.ports, 547) {
                input.push(format!(
                    "ip6 saddr fe80::/10 ip6 daddr ff02::1:2 udp sport 546 udp dport 547 {until}accept {}",
                    comment(&format!(
                        "DHCPv6 at `{}`, from the client's link-local address",
                        gateway_of(flow, client)
                    ))
                ));
            }
        }
    }
    (input, output)
}

/// Datagrams per second a source may send to PAVA's UDP port, and new connections per second
/// to its TCP or TLS port, before the kernel drops the rest: the listener's own share per
/// source (2,000 messages a second, bursts of twice that) enforced before the socket, where
/// a flood beyond what the listener can read would otherwise crowd out every other sender's
/// datagrams alike. A thing opens a connection rarely: 10 a second is a storm.
const SYSLOG_DATAGRAMS_PER_SECOND: u32 = 2_000;
const SYSLOG_CONNECTIONS_PER_SECOND: u32 = 10;

/// The sets and rules that hold each source to its share of PAVA's listeners (the ports the
/// device configurations name), per family.
fn syslog_flood_rules(ir: &PolicyIr) -> (Vec<String>, Vec<String>) {
    let mut ports: Vec<(&'static str, u16)> = ir
        .classes
        .iter()
        .filter(|c| ir.gateway_of_class(c).is_some())
        .map(|c| {
            let transport = c.syslog_transport();
            (transport.protocol(), transport.port())
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let (mut sets, mut rules) = (Vec::new(), Vec::new());
    for (protocol, port) in ports {
        for v6 in [false, true] {
            let (family, kind) = if v6 {
                ("ip6", "ipv6_addr")
            } else {
                ("ip", "ipv4_addr")
            };
            let set = format!("pava_{protocol}{port}_{}", if v6 { 6 } else { 4 });
            sets.push(format!(
                "  set {set} {{\n    type {kind}\n    size 65536\n    flags dynamic,timeout\n    timeout 1m\n  }}\n"
            ));
            let (what, rate, burst, new) = if protocol == "udp" {
                (
                    "datagrams",
                    SYSLOG_DATAGRAMS_PER_SECOND,
                    2 * SYSLOG_DATAGRAMS_PER_SECOND,
                    "",
                )
            } else {
                (
                    "new connections",
                    SYSLOG_CONNECTIONS_PER_SECOND,
                    2 * SYSLOG_CONNECTIONS_PER_SECOND,
                    "ct state new ",
                )
            };
            rules.push(format!(
                "{protocol} dport {port} {new}add @{set} {{ {family} saddr limit rate over {rate}/second burst {burst} packets }} counter drop {}",
                comment(&format!(
                    "PAVA: a source's {what} to {protocol}/{port} beyond {rate} a second"
                ))
            ));
        }
    }
    (sets, rules)
}

/// The TCP port of a report URL: the one it names, else its scheme's.
pub fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    // `[v6]:port` or `host:port`.
    let port = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => port.parse().ok(),
        _ => None,
    };
    port.or(match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })
}

/// The gateway posts PAVA's reports to the services that receive them (`receives`,
/// `report_url`): its output reaches them on the URL's port (from whichever of its addresses
/// faces them).
fn report_rules(ir: &PolicyIr, inventory: Option<&Inventory>, out: &mut Vec<String>) {
    for service in ir.endpoints.iter().filter(|e| !e.receives.is_empty()) {
        let Some(port) = service.report_url.as_deref().and_then(url_port) else {
            continue;
        };
        for v6 in [false, true] {
            if matches!(
                family_addresses(ir, &service.name, v6, inventory),
                Addresses::None
            ) {
                continue;
            }
            let family = if v6 { "ip6" } else { "ip" };
            out.push(format!(
                "{family} daddr @{} tcp dport {port} accept {}",
                set_name(v6, &service.name),
                comment(&format!("PAVA: reports to `{}`", service.name))
            ));
        }
    }
}

/// The ruleset of the bundle: classes stand for their segments' subnets.
pub fn ruleset(ir: &PolicyIr) -> String {
    ruleset_for(ir, None, &Raised::new())
}

/// The ruleset for the things onboarded so far (the gateway's m8), with the things whose
/// profile was raised placed at their new level.
pub fn ruleset_for_inventory(ir: &PolicyIr, inventory: &Inventory, raised: &Raised) -> String {
    ruleset_for(ir, Some(inventory), raised)
}

fn ruleset_for(ir: &PolicyIr, inventory: Option<&Inventory>, raised: &Raised) -> String {
    let mut out = String::new();
    out.push_str("#!/usr/sbin/nft -f\n");
    match inventory {
        None => out.push_str(
            "# Generated by ward from the policy's flows (PASC m8). Do not edit: change the policy.\n",
        ),
        Some(inventory) => {
            let things: usize = inventory.values().map(Vec::len).sum();
            let _ = writeln!(
                out,
                "# Generated by the ward gateway from the policy's flows for {things} onboarded things\n\
                 # (PASC m8). Do not edit: change the policy, or onboard things."
            );
        }
    }
    out.push_str(
        "# Load with `nft -f ruleset.nft`; the gateway fills the e4_/e6_ sets of services known\n\
         # by host name.\n\n\
         table inet ward\n\
         delete table inet ward\n\n\
         table inet ward {\n",
    );

    // Sets: every endpoint that has addresses or will have them.
    let mut names: Vec<&str> = ir.classes.iter().map(|c| c.name.as_str()).collect();
    names.extend(ir.endpoints.iter().map(|e| e.name.as_str()));
    names.sort_unstable();
    for name in &names {
        for v6 in [false, true] {
            let set = set_name(v6, name);
            match family_addresses(ir, name, v6, inventory) {
                Addresses::Static(addresses) => address_set(&mut out, &set, v6, &addresses),
                Addresses::Dynamic => {
                    let host = ir
                        .endpoint(name)
                        .and_then(|e| e.host.clone())
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  # `{name}` is known by host name ({host}): filled by the gateway."
                    );
                    address_set(&mut out, &set, v6, &[]);
                }
                Addresses::Members(addresses) => {
                    if addresses.is_empty() {
                        let _ = writeln!(out, "  # No thing of class `{name}` onboarded yet.");
                    }
                    address_set(&mut out, &set, v6, &addresses);
                }
                Addresses::None => {}
            }
        }
    }

    // The policy's own addresses, which `internet`'s flows never admit (none when no flow
    // names it).
    let own = Own::new(ir, inventory);
    for v6 in [false, true] {
        let prefixes: Vec<String> = own.prefixes[usize::from(v6)]
            .iter()
            .map(Prefix::to_string)
            .collect();
        if !prefixes.is_empty() {
            let _ = writeln!(
                out,
                "  # The policy's own addresses: what `internet` is not."
            );
            address_set(
                &mut out,
                &format!("o{}_policy", if v6 { 6 } else { 4 }),
                v6,
                &prefixes,
            );
        }
    }

    let (flood_sets, flood_rules) = syslog_flood_rules(ir);
    for set in &flood_sets {
        let _ = writeln!(out, "{set}");
    }

    // Lower-to-higher drops, by level: one set of subnets per level and family, with the
    // things raised to that level.
    let mut levels: Vec<i64> = ir.segments.iter().filter_map(|s| s.level).collect();
    levels.extend(raised.keys());
    levels.sort_unstable();
    levels.dedup();
    let mut level_sets: Vec<(i64, bool)> = Vec::new();
    for &level in &levels {
        for v6 in [false, true] {
            let subnets: Vec<String> = ir
                .segments
                .iter()
                .filter(|s| s.level == Some(level))
                .flat_map(|s| s.subnets.iter().map(Prefix::to_string))
                .chain(raised.get(&level).into_iter().flatten().cloned())
                .filter(|a| a.contains(':') == v6)
                .collect();
            if subnets.is_empty() {
                continue;
            }
            address_set(
                &mut out,
                &format!("l{}_level{level}", if v6 { 6 } else { 4 }),
                v6,
                &subnets,
            );
            level_sets.push((level, v6));
        }
    }
    let mut drops = Vec::new();
    for &(low, v6) in &level_sets {
        for &(high, v6_high) in &level_sets {
            if low < high && v6 == v6_high {
                let family = if v6 { "ip6" } else { "ip" };
                let n = if v6 { 6 } else { 4 };
                drops.push(format!(
                    "{family} saddr @l{n}_level{low} {family} daddr @l{n}_level{high} counter drop {}",
                    comment(&format!(
                        "lower to higher: profile level {low} -> {high} is never allowed"
                    ))
                ));
            }
        }
    }

    // Accepted flows: to the gateway itself (input), from it (output), between segments
    // (forward).
    let mut input = Vec::new();
    let mut output = Vec::new();
    let mut forward = Vec::new();
    let rules = FlowRules { ir, inventory, own };
    for flow in &ir.flows {
        let mut directions = vec![(flow.from.as_str(), flow.to.as_str())];
        if flow.bidirectional {
            directions.push((flow.to.as_str(), flow.from.as_str()));
        }
        for (from, to) in directions {
            let is_gateway = |name: &str| ir.endpoint(name).is_some_and(|e| e.kind == "gateway");
            match (is_gateway(from), is_gateway(to)) {
                // Between two gateways: the sender's `output` lets it leave, and the
                // receiver's `input` admits it from the sender's addresses only.
                (true, true) => {
                    rules.write(flow, from, to, Chain::Output, &mut output);
                    rules.write(flow, from, to, Chain::Input, &mut input);
                }
                (false, true) => rules.write(flow, from, to, Chain::Input, &mut input),
                (true, false) => rules.write(flow, from, to, Chain::Output, &mut output),
                (false, false) => rules.write(flow, from, to, Chain::Forward, &mut forward),
            }
        }
    }
    pava_syslog_rules(ir, inventory, &mut input);
    report_rules(ir, inventory, &mut output);
    let (dhcp_input, dhcp_output) = dhcp_rules(ir, inventory);
    output.extend(dhcp_output);
    // What the gateway sends to the policy's things and endpoints that no flow declares. An
    // endpoint that holds every address (`internet`) is the rest of the world, not one of
    // them: when a flow from a gateway names it, the policy states the gateways' outbound
    // traffic and `output` drops whatever no flow declares; else DNS, MUD servers and the
    // bundle's server stay reachable.
    let is_everywhere = |name: &str| is_everywhere(ir, name);
    let outbound_declared = ir.flows.iter().any(|flow| {
        let from_gateway = |a: &str, b: &str| {
            ir.endpoint(a).is_some_and(|e| e.kind == "gateway") && is_everywhere(b)
        };
        from_gateway(&flow.from, &flow.to)
            || (flow.bidirectional && from_gateway(&flow.to, &flow.from))
    });
    let mut unreached = Vec::new();
    for v6 in [false, true] {
        let family = if v6 { "ip6" } else { "ip" };
        for name in &names {
            // Other gateways too: a gateway's address often lies in a segment's subnet, and
            // skipping them here would leave the set of that segment's classes deciding for
            // it by address.
            if is_everywhere(name)
                || matches!(family_addresses(ir, name, v6, inventory), Addresses::None)
            {
                continue;
            }
            unreached.push(format!(
                "{family} daddr @{} counter drop {}",
                set_name(v6, name),
                comment(&format!(
                    "the gateway reaches `{name}` only by a declared flow"
                ))
            ));
        }
        // With an inventory a class's set holds its onboarded things only: the rest of its
        // segment (a thing not onboarded yet) is the policy's too, and no more reachable.
        if inventory.is_some() {
            for segment in &ir.segments {
                for subnet in segment.subnets.iter().filter(|s| s.address.is_ipv6() == v6) {
                    unreached.push(format!(
                        "{family} daddr {subnet} counter drop {}",
                        comment(&format!(
                            "the gateway reaches segment `{}` only by a declared flow",
                            segment.name
                        ))
                    ));
                }
            }
        }
    }

    let chain = |out: &mut String, name: &str, hook: &str, policy: &str, rules: &[Vec<String>]| {
        let _ = writeln!(
            out,
            "  chain {name} {{\n    type filter hook {hook} priority filter; policy {policy};"
        );
        for group in rules {
            for rule in group {
                let _ = writeln!(out, "    {rule}");
            }
        }
        out.push_str("  }\n\n");
    };
    let established = vec![
        "ct state established,related accept".to_string(),
        "ct state invalid drop".to_string(),
    ];
    // Anti-spoofing: a packet whose source address would not be routed back out of the
    // interface it came in by is forged (strict reverse-path filtering, RFC 3704), whatever
    // set its source address falls in: a thing cannot borrow another's address to pass a
    // flow, nor its identity at PAVA's listeners.
    let spoofed = vec![format!(
        "fib saddr . iif oif missing drop {}",
        comment("a source address not routed back through the interface it came in by: spoofed")
    )];
    // IPv6 neighbour discovery between the gateway and the hosts of its links: without it no
    // IPv6 packet reaches or leaves the gateway, forwarded or not. A hop limit of 255 proves
    // the packet was sent on the link (RFC 4861 section 7.1), never forwarded from elsewhere.
    let neighbours = |chain: &str| {
        format!(
            "icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert }} ip6 hoplimit 255 accept {}",
            comment(&format!(
                "IPv6 neighbour discovery on the gateway's links ({chain})"
            ))
        )
    };
    chain(
        &mut out,
        "input",
        "input",
        "drop",
        &[
            vec!["iifname \"lo\" accept".to_string(), neighbours("in")],
            dedup(dhcp_input),
            spoofed.clone(),
            established.clone(),
            flood_rules,
            input,
        ],
    );
    chain(
        &mut out,
        "forward",
        "forward",
        "drop",
        &[spoofed, established, drops, forward],
    );
    chain(
        &mut out,
        "output",
        "output",
        if outbound_declared { "drop" } else { "accept" },
        &[
            vec!["oifname \"lo\" accept".to_string(), neighbours("out")],
            vec!["ct state established,related accept".to_string()],
            output,
            unreached,
        ],
    );
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push_str("\n}\n");
    out
}

/// Rules in their first order, each once.
fn dedup(rules: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    rules
        .into_iter()
        .filter(|r| seen.insert(r.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{comment, url_port};

    #[test]
    fn report_urls_name_their_port() {
        assert_eq!(url_port("https://reports.example/v1"), Some(443));
        assert_eq!(url_port("http://reports.example/v1"), Some(80));
        assert_eq!(url_port("https://reports.example:8443/v1"), Some(8443));
        assert_eq!(url_port("https://[2001:db8::1]:9443/x"), Some(9443));
        assert_eq!(url_port("https://[2001:db8::1]/x"), Some(443));
        assert_eq!(url_port("ftp://x"), None);
    }

    #[test]
    fn comments_fit_nft() {
        assert_eq!(comment("a \"b\""), "comment \"a 'b'\"");
        let long = "é".repeat(100);
        let made = comment(&long);
        assert!(made.len() <= 128 + "comment \"\"".len());
    }
}
