//! Deciding a packet on a compiled `firewall/ruleset.nft`, as nftables would, for policy
//! tests (`allow flow` / `deny flow` are decided on the compiled output, not on the source).
//!
//! The evaluator reads the ruleset text itself and knows the nftables subset ward emits:
//! named sets of addresses and prefixes, base chains with a policy, and rules of `iifname`,
//! `oifname`,
//! `ct state`, `ip`/`ip6` `saddr`/`daddr` `@set`, `tcp`/`udp` `dport` (a port or a range),
//! `meta l4proto`, `counter`, `accept`/`drop` and `comment`. A rule with anything else is an
//! error, never skipped: a skipped rule could turn a drop into an accept.
//!
//! Sets the gateway fills at run time (services known by host name) are empty in the file;
//! a packet may name the endpoint it comes from or goes to, and such a set then holds it.

use std::collections::HashMap;
use std::net::IpAddr;

/// A packet of a new connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub source: Option<IpAddr>,
    pub destination: Option<IpAddr>,
    /// Endpoint names (for run-time sets: `e4_<name>`, `e6_<name>`).
    pub source_endpoint: Option<String>,
    pub destination_endpoint: Option<String>,
    pub v6: bool,
    /// `tcp`, `udp`, `icmp`, `ipv6-icmp`.
    pub protocol: String,
    pub port: Option<u16>,
    /// When the connection is opened, in seconds since 1970 (UTC): time-limited flows'
    /// rules (`meta time < END`) match only before their end.
    pub time: i64,
}

/// The decision and the rule that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub accepted: bool,
    /// The deciding rule's comment (its source line), or the chain's policy.
    pub by: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Element {
    Address(IpAddr),
    Prefix(IpAddr, u8),
}

#[derive(Clone, Debug, Default)]
struct Set {
    elements: Vec<Element>,
    /// `flags interval`: without it nft holds single addresses only, and refuses to load a
    /// set given a prefix.
    interval: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Match {
    Iif(String),
    CtState(Vec<String>),
    Address {
        v6: bool,
        source: bool,
        set: String,
        /// `ip daddr != @set`: the address is not in the set.
        negated: bool,
    },
    Port {
        protocol: String,
        low: u16,
        high: u16,
    },
    Protocol(String),
    /// An address written in the rule (`ip saddr 0.0.0.0`, `ip6 daddr ff02::1:2`).
    Literal {
        v6: bool,
        source: bool,
        element: Element,
    },
    /// `meta time < END`: the connection is opened before END (seconds since 1970).
    Before(i64),
    /// A match no probe meets: the reverse-path check, and what only protocols of the link
    /// carry (ICMPv6 neighbour discovery, a hop limit, DHCP's fixed source ports): the
    /// evaluator's probes are connections from an endpoint's address and an ephemeral port.
    Never,
}

#[derive(Clone, Debug)]
struct Rule {
    matches: Vec<Match>,
    accept: bool,
    comment: String,
}

#[derive(Clone, Debug)]
struct Chain {
    accept_by_default: bool,
    rules: Vec<Rule>,
}

/// A parsed ruleset.
#[derive(Clone, Debug, Default)]
pub struct Ruleset {
    sets: HashMap<String, Set>,
    chains: HashMap<String, Chain>,
}

fn element(text: &str) -> Result<Element, String> {
    match text.split_once('/') {
        Some((address, length)) => Ok(Element::Prefix(
            address
                .parse()
                .map_err(|_| format!("`{text}` is not a prefix"))?,
            length
                .parse()
                .map_err(|_| format!("`{text}` is not a prefix"))?,
        )),
        None => Ok(Element::Address(
            text.parse()
                .map_err(|_| format!("`{text}` is not an address"))?,
        )),
    }
}

fn contains(element: &Element, address: IpAddr) -> bool {
    match (element, address) {
        (Element::Address(a), b) => *a == b,
        (Element::Prefix(net, len), a) => ward_compiler::prefix::Prefix {
            address: *net,
            len: *len,
        }
        .contains_address(a),
    }
}

/// Splits a rule into words, keeping a quoted comment whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push(quoted[..end].to_string());
            rest = quoted.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

fn rule(line: &str) -> Result<Rule, String> {
    let words = words(line);
    let mut matches = Vec::new();
    let mut verdict = None;
    let mut comment = String::new();
    let mut i = 0;
    let word = |i: usize| words.get(i).map(String::as_str);
    // The word after a `{ ... }` that starts at `i` (or `i` itself when none does).
    let after_braces = |mut i: usize| {
        if word(i) == Some("{") {
            while word(i).is_some_and(|w| w != "}") {
                i += 1;
            }
            i += 1;
        }
        i
    };
    while let Some(w) = word(i) {
        match w {
            // The interface a packet comes in by (`iifname`) or goes out by (`oifname`).
            "iifname" | "oifname" => {
                matches.push(Match::Iif(word(i + 1).unwrap_or_default().to_string()));
                i += 2;
            }
            "ct" if word(i + 1) == Some("state") => {
                let states = word(i + 2).unwrap_or_default();
                matches.push(Match::CtState(
                    states.split(',').map(str::to_string).collect(),
                ));
                i += 3;
            }
            "ip" | "ip6" => {
                let source = match word(i + 1) {
                    Some("saddr") => true,
                    Some("daddr") => false,
                    Some("hoplimit") if w == "ip6" => {
                        matches.push(Match::Never);
                        i += 3;
                        continue;
                    }
                    other => return Err(format!("`{w} {}` in `{line}`", other.unwrap_or(""))),
                };
                let negated = word(i + 2) == Some("!=");
                if negated {
                    i += 1;
                }
                let target = word(i + 2).unwrap_or_default();
                match target.strip_prefix('@') {
                    Some(set) => matches.push(Match::Address {
                        v6: w == "ip6",
                        source,
                        set: set.to_string(),
                        negated,
                    }),
                    None if negated => {
                        return Err(format!(
                            "`{w} {} != {target}`: a negated address is not in the emitted subset",
                            word(i + 1).unwrap_or_default()
                        ));
                    }
                    None => matches.push(Match::Literal {
                        v6: w == "ip6",
                        source,
                        element: element(target)?,
                    }),
                }
                i += 3;
            }
            "tcp" | "udp" if word(i + 1) == Some("dport") => {
                let ports = word(i + 2).unwrap_or_default();
                let (low, high) = match ports.split_once('-') {
                    Some((a, b)) => (a.parse().ok(), b.parse().ok()),
                    None => (ports.parse().ok(), ports.parse().ok()),
                };
                let (Some(low), Some(high)) = (low, high) else {
                    return Err(format!("`{ports}` is not a port in `{line}`"));
                };
                matches.push(Match::Port {
                    protocol: w.to_string(),
                    low,
                    high,
                });
                i += 3;
            }
            "tcp" | "udp" if word(i + 1) == Some("sport") => {
                matches.push(Match::Never);
                i += 3;
            }
            // A per-source meter (`add @set { ip saddr limit rate over N/second ... }`) drops
            // a flood, never one probe; `icmpv6 type { a, b }` is the link's.
            "add" if word(i + 1).is_some_and(|w| w.starts_with('@')) => {
                matches.push(Match::Never);
                i = after_braces(i + 2);
            }
            "icmpv6" if word(i + 1) == Some("type") => {
                matches.push(Match::Never);
                i = if word(i + 2) == Some("{") {
                    after_braces(i + 2)
                } else {
                    i + 3
                };
            }
            "meta" if word(i + 1) == Some("time") && word(i + 2) == Some("<") => {
                let end = word(i + 3).unwrap_or_default();
                let end = end
                    .parse()
                    .map_err(|_| format!("`{end}` is not a time in seconds in `{line}`"))?;
                matches.push(Match::Before(end));
                i += 4;
            }
            "meta" if word(i + 1) == Some("l4proto") => {
                matches.push(Match::Protocol(word(i + 2).unwrap_or_default().to_string()));
                i += 3;
            }
            // The reverse-path check (`fib saddr . iif oif missing`): the evaluator's probes come
            // from their senders' own addresses, which it passes; the rule never matches one.
            "fib" => {
                matches.push(Match::Never);
                i += 1;
                while word(i).is_some_and(|w| !matches!(w, "drop" | "accept" | "comment")) {
                    i += 1;
                }
            }
            "counter" => i += 1,
            "accept" => {
                verdict = Some(true);
                i += 1;
            }
            "drop" => {
                verdict = Some(false);
                i += 1;
            }
            "comment" => {
                comment = word(i + 1).unwrap_or_default().to_string();
                i += 2;
            }
            other => {
                return Err(format!(
                    "`{other}` is not something ward emits, in `{line}`"
                ));
            }
        }
    }
    let accept = verdict.ok_or_else(|| format!("a rule without a verdict: `{line}`"))?;
    Ok(Rule {
        matches,
        accept,
        comment,
    })
}

impl Ruleset {
    /// Reads a ruleset as `ward build` (or the gateway) writes it.
    pub fn parse(text: &str) -> Result<Ruleset, String> {
        let mut ruleset = Ruleset::default();
        let mut lines = text.lines().map(str::trim).peekable();
        while let Some(line) = lines.next() {
            if let Some(name) = line.strip_prefix("set ").and_then(|l| l.strip_suffix(" {")) {
                let mut set = Set::default();
                for inner in lines.by_ref() {
                    if inner == "}" {
                        break;
                    }
                    if let Some(flags) = inner.strip_prefix("flags ") {
                        set.interval = flags.split(',').any(|f| f.trim() == "interval");
                    }
                    if let Some(list) = inner
                        .strip_prefix("elements = {")
                        .and_then(|l| l.strip_suffix('}'))
                    {
                        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                            set.elements.push(element(item)?);
                        }
                    }
                }
                if !set.interval
                    && let Some(prefix) = set.elements.iter().find_map(|e| match e {
                        Element::Prefix(address, len) => Some(format!("{address}/{len}")),
                        Element::Address(_) => None,
                    })
                {
                    return Err(format!(
                        "set `{name}` holds the prefix {prefix} without `flags interval`: nft refuses to load it"
                    ));
                }
                ruleset.sets.insert(name.to_string(), set);
            } else if let Some(name) = line
                .strip_prefix("chain ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                let header = lines.next().unwrap_or_default();
                let accept_by_default = header.contains("policy accept;");
                if !accept_by_default && !header.contains("policy drop;") {
                    return Err(format!("chain `{name}`: no policy in `{header}`"));
                }
                let mut rules = Vec::new();
                for inner in lines.by_ref() {
                    if inner == "}" {
                        break;
                    }
                    if !inner.is_empty() && !inner.starts_with('#') {
                        rules.push(rule(inner)?);
                    }
                }
                ruleset.chains.insert(
                    name.to_string(),
                    Chain {
                        accept_by_default,
                        rules,
                    },
                );
            }
        }
        Ok(ruleset)
    }

    fn in_set(&self, set: &str, address: Option<IpAddr>, endpoint: Option<&str>) -> bool {
        let Some(found) = self.sets.get(set) else {
            return false;
        };
        let by_address = address.is_some_and(|a| found.elements.iter().any(|e| contains(e, a)));
        // A run-time set (empty in the file) holds the endpoint it is named for.
        let by_name =
            found.elements.is_empty() && endpoint.is_some_and(|e| set.get(3..) == Some(e));
        by_address || by_name
    }

    /// Whether a match holds for a packet of a new connection.
    fn holds(&self, m: &Match, packet: &Packet) -> bool {
        match m {
            // The packet comes from or goes to a segment, never loopback.
            Match::Iif(_) => false,
            // A new connection: neither established nor invalid.
            Match::CtState(states) => states.iter().any(|s| s == "new"),
            Match::Address {
                v6,
                source,
                set,
                negated,
            } => {
                let held = if *source {
                    self.in_set(set, packet.source, packet.source_endpoint.as_deref())
                } else {
                    self.in_set(
                        set,
                        packet.destination,
                        packet.destination_endpoint.as_deref(),
                    )
                };
                *v6 == packet.v6 && held != *negated
            }
            Match::Port {
                protocol,
                low,
                high,
            } => {
                *protocol == packet.protocol
                    && packet.port.is_some_and(|p| (*low..=*high).contains(&p))
            }
            Match::Protocol(protocol) => *protocol == packet.protocol,
            Match::Literal {
                v6,
                source,
                element,
            } => {
                let address = if *source {
                    packet.source
                } else {
                    packet.destination
                };
                *v6 == packet.v6 && address.is_some_and(|a| contains(element, a))
            }
            Match::Before(end) => packet.time < *end,
            Match::Never => false,
        }
    }

    fn chain(&self, chain: &str) -> Result<&Chain, String> {
        self.chains
            .get(chain)
            .ok_or_else(|| format!("the ruleset has no chain `{chain}`"))
    }

    /// The verdict of a chain (`forward`, `input`) on a packet of a new connection.
    pub fn decide(&self, chain: &str, packet: &Packet) -> Result<Verdict, String> {
        let rules = self.chain(chain)?.rules.len();
        self.decide_among(chain, &(0..rules).collect::<Vec<_>>(), packet)
    }

    /// The verdict of a chain on a packet, reading only the rules `rules` (in order): those
    /// that `may_decide` says can match it, the others being known not to.
    pub fn decide_among(
        &self,
        chain: &str,
        rules: &[usize],
        packet: &Packet,
    ) -> Result<Verdict, String> {
        let chain_rules = self.chain(chain)?;
        for rule in rules.iter().filter_map(|&i| chain_rules.rules.get(i)) {
            if rule.matches.iter().all(|m| self.holds(m, packet)) {
                return Ok(Verdict {
                    accepted: rule.accept,
                    by: rule.comment.clone(),
                });
            }
        }
        Ok(Verdict {
            accepted: chain_rules.accept_by_default,
            by: format!(
                "the `{chain}` chain's policy ({})",
                if chain_rules.accept_by_default {
                    "accept"
                } else {
                    "drop"
                }
            ),
        })
    }
}

/// What translation validation asks of a ruleset beyond one packet's verdict: the addresses
/// it decides by, and, for a pair of places, the few rules that can match traffic between
/// them with the ports and ends they cut the packet space at. A ruleset of tens of thousands
/// of rules is asked about hundreds of thousands of pairs: rules are found through the sets
/// they name, never by reading every rule for every pair.
pub struct ChainIndex {
    /// Rules that name no set (read for every pair).
    always: Vec<usize>,
    /// The places each accept rule can admit traffic between: its source and destination
    /// sets (`None`: any address), and whether it names an address literally.
    pub accepts: Vec<AcceptScope>,
    /// Rules by the set their source address is in; those without one, by their destination's.
    by_source: HashMap<String, Vec<usize>>,
    by_destination: HashMap<String, Vec<usize>>,
}

impl ChainIndex {
    /// Whether a rule of the chain decides by the source's set.
    pub fn names_sources(&self) -> bool {
        !self.by_source.is_empty()
    }
}

/// Where an accept rule can admit traffic: between the addresses of its source set and those
/// of its destination set (`None`: any), or, with a literal address, anywhere it says.
#[derive(Clone, Debug)]
pub struct AcceptScope {
    pub source: Option<String>,
    pub destination: Option<String>,
    pub literal: bool,
}

impl Ruleset {
    /// Every prefix and address the ruleset names, in its sets and its rules.
    pub fn prefixes(&self) -> Vec<ward_compiler::prefix::Prefix> {
        let as_prefix = |element: &Element| match element {
            Element::Address(address) => ward_compiler::prefix::Prefix::host(*address),
            Element::Prefix(address, len) => ward_compiler::prefix::Prefix::new(*address, *len),
        };
        let mut out: Vec<_> = self
            .sets
            .values()
            .flat_map(|set| set.elements.iter().map(as_prefix))
            .collect();
        for chain in self.chains.values() {
            for rule in &chain.rules {
                for m in &rule.matches {
                    if let Match::Literal { element, .. } = m {
                        out.push(as_prefix(element));
                    }
                }
            }
        }
        out
    }

    /// The sets that hold an address, or (a run-time set, empty in the file) the endpoint.
    pub fn sets_holding(
        &self,
        address: Option<IpAddr>,
        endpoint: Option<&str>,
    ) -> std::collections::BTreeSet<String> {
        self.sets
            .keys()
            .filter(|set| self.in_set(set, address, endpoint))
            .cloned()
            .collect()
    }

    /// Every moment a rule's `meta time <` names.
    pub fn moments(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for chain in self.chains.values() {
            for rule in &chain.rules {
                for m in &rule.matches {
                    if let Match::Before(end) = m {
                        out.push(*end);
                    }
                }
            }
        }
        out
    }

    /// Whether the chain drops what no rule decides.
    pub fn accepts_by_default(&self, chain: &str) -> Result<bool, String> {
        Ok(self.chain(chain)?.accept_by_default)
    }

    pub fn index(&self, chain: &str) -> Result<ChainIndex, String> {
        let mut index = ChainIndex {
            always: Vec::new(),
            accepts: Vec::new(),
            by_source: HashMap::new(),
            by_destination: HashMap::new(),
        };
        for (i, rule) in self.chain(chain)?.rules.iter().enumerate() {
            // A rule that can match no new connection between two places is never read.
            if rule.matches.iter().any(|m| {
                matches!(m, Match::Never | Match::Iif(_))
                    || matches!(m, Match::CtState(s) if !s.iter().any(|s| s == "new"))
            }) {
                continue;
            }
            let set = |source: bool| {
                rule.matches.iter().find_map(|m| match m {
                    Match::Address {
                        source: s,
                        set,
                        negated: false,
                        ..
                    } if *s == source => Some(set.clone()),
                    _ => None,
                })
            };
            if rule.accept {
                index.accepts.push(AcceptScope {
                    source: set(true),
                    destination: set(false),
                    literal: rule
                        .matches
                        .iter()
                        .any(|m| matches!(m, Match::Literal { .. })),
                });
            }
            match (set(true), set(false)) {
                (Some(set), _) => index.by_source.entry(set).or_default().push(i),
                (None, Some(set)) => index.by_destination.entry(set).or_default().push(i),
                (None, None) => index.always.push(i),
            }
        }
        Ok(index)
    }

    /// The rules of a chain, in order, that can match a packet between the two places
    /// (`packet`'s addresses, in the sets `source_sets` and `destination_sets`), whatever
    /// its protocol, port and time.
    pub fn may_decide(
        &self,
        chain: &str,
        index: &ChainIndex,
        source_sets: &std::collections::BTreeSet<String>,
        destination_sets: &std::collections::BTreeSet<String>,
        packet: &Packet,
    ) -> Result<Vec<usize>, String> {
        let chain_rules = self.chain(chain)?;
        let mut found: Vec<usize> = index.always.clone();
        for set in source_sets {
            found.extend(index.by_source.get(set).into_iter().flatten());
        }
        for set in destination_sets {
            found.extend(index.by_destination.get(set).into_iter().flatten());
        }
        found.sort_unstable();
        found.dedup();
        found.retain(|&i| {
            chain_rules.rules.get(i).is_some_and(|rule| {
                rule.matches.iter().all(|m| match m {
                    Match::Address { .. } | Match::Literal { .. } => self.holds(m, packet),
                    _ => true,
                })
            })
        });
        Ok(found)
    }

    /// The ports and moments at which the rules `rules` of a chain decide differently.
    pub fn edges(&self, chain: &str, rules: &[usize], edges: &mut ward_compiler::space::Edges) {
        let Ok(chain_rules) = self.chain(chain) else {
            return;
        };
        for rule in rules.iter().filter_map(|&i| chain_rules.rules.get(i)) {
            for m in &rule.matches {
                match m {
                    Match::Port {
                        protocol,
                        low,
                        high,
                    } => edges.ports(protocol, *low, *high),
                    Match::Before(end) => edges.moment(*end),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULESET: &str = r#"
table inet ward {
  set e4_alpha {
    type ipv4_addr
    flags interval
    elements = { 10.91.1.0/24 }
  }
  set e4_beta {
    type ipv4_addr
    flags interval
    elements = { 10.91.2.0/24 }
  }
  # `cloud` is known by host name (cloud.example): filled by the gateway.
  set e4_cloud {
    type ipv4_addr
    flags interval
  }
  set l4_level2 {
    type ipv4_addr
    flags interval
    elements = { 10.91.1.0/24 }
  }
  set l4_level3 {
    type ipv4_addr
    flags interval
    elements = { 10.91.2.0/24 }
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    ip saddr @l4_level2 ip daddr @l4_level3 counter drop comment "lower to higher"
    ip saddr @e4_beta ip daddr @e4_alpha tcp dport 8080 accept comment "p.ward:41 (beta -> alpha : tcp/8080)"
    ip saddr @e4_alpha ip daddr @e4_cloud udp dport 5683-5684 accept comment "p.ward:43 (alpha -> cloud : udp/5683-5684)"
  }
}
"#;

    fn packet(from: &str, to: &str, protocol: &str, port: u16) -> Packet {
        let address = |name: &str| match name {
            "alpha" => "10.91.1.1".parse().ok(),
            "beta" => "10.91.2.1".parse().ok(),
            _ => None,
        };
        Packet {
            source: address(from),
            destination: address(to),
            source_endpoint: Some(from.into()),
            destination_endpoint: Some(to.into()),
            v6: false,
            protocol: protocol.into(),
            port: Some(port),
            time: 1_800_000_000,
        }
    }

    #[test]
    fn declared_flows_pass_and_the_rest_is_dropped() {
        let ruleset = Ruleset::parse(RULESET).expect("parses");
        let decide = |p: Packet| ruleset.decide("forward", &p).expect("decides");
        let declared = decide(packet("beta", "alpha", "tcp", 8080));
        assert!(declared.accepted);
        assert_eq!(declared.by, "p.ward:41 (beta -> alpha : tcp/8080)");
        assert!(!decide(packet("beta", "alpha", "tcp", 8081)).accepted);
        assert!(!decide(packet("beta", "alpha", "udp", 8080)).accepted);
        let upward = decide(packet("alpha", "beta", "tcp", 8080));
        assert_eq!(
            (upward.accepted, upward.by.as_str()),
            (false, "lower to higher")
        );
        // A service known by host name: its run-time set holds it.
        assert!(decide(packet("alpha", "cloud", "udp", 5684)).accepted);
        assert!(!decide(packet("beta", "cloud", "udp", 5684)).accepted);
        let nothing = decide(packet("alpha", "alpha", "tcp", 1));
        assert_eq!(nothing.by, "the `forward` chain's policy (drop)");
    }

    /// A time-limited flow's rule matches connections opened before its end only.
    #[test]
    fn a_time_limited_rule_ends() {
        let text = RULESET.replace(
            "tcp dport 8080 accept",
            "tcp dport 8080 meta time < 1800000000 accept",
        );
        let ruleset = Ruleset::parse(&text).expect("parses");
        let mut probe = packet("beta", "alpha", "tcp", 8080);
        probe.time = 1_799_999_999;
        assert!(ruleset.decide("forward", &probe).expect("decides").accepted);
        probe.time = 1_800_000_000;
        let after = ruleset.decide("forward", &probe).expect("decides");
        assert!(!after.accepted, "decided by {}", after.by);
    }

    /// Neighbour discovery and DHCP before an address are the link's: a probe (a connection
    /// from an endpoint's address) is decided by the flows, and a literal address matches.
    #[test]
    fn rules_of_the_link_never_decide_a_probe() {
        let text = r#"
table inet ward {
  set e4_alpha {
    type ipv4_addr
    flags interval
    elements = { 10.91.1.0/24 }
  }
  set e4_gw {
    type ipv4_addr
    flags interval
    elements = { 10.91.1.254 }
  }
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "lo" accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } ip6 hoplimit 255 accept comment "nd"
    ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept comment "dhcp"
    ip6 saddr fe80::/10 ip6 daddr ff02::1:2 udp sport 546 udp dport 547 accept comment "dhcp6"
    ip saddr 10.91.1.7 udp dport 53 accept comment "one host"
    udp dport 67 add @pava_udp514_4 { ip saddr limit rate over 2000/second burst 4000 packets } counter drop comment "meter"
    tcp dport 6514 ct state new add @pava_tcp6514_4 { ip saddr limit rate over 10/second burst 20 packets } counter drop comment "meter"
    ip saddr @e4_alpha ip daddr @e4_gw udp dport 67 accept comment "flow"
  }
}
"#;
        let ruleset = Ruleset::parse(text).expect("parses");
        let mut probe = packet("alpha", "gw", "udp", 67);
        probe.destination = "10.91.1.254".parse().ok();
        assert_eq!(ruleset.decide("input", &probe).expect("decides").by, "flow");
        probe.port = Some(53);
        assert!(!ruleset.decide("input", &probe).expect("decides").accepted);
        probe.source = "10.91.1.7".parse().ok();
        assert_eq!(
            ruleset.decide("input", &probe).expect("decides").by,
            "one host"
        );
    }

    #[test]
    fn a_rule_it_does_not_know_is_an_error_not_a_skip() {
        let text = "chain forward {\n type filter hook forward priority filter; policy drop;\n ip ttl 5 accept\n}\n";
        assert!(Ruleset::parse(text).is_err());
        let text = "chain forward {\n type filter hook forward priority filter; policy drop;\n tcp flags syn accept\n}\n";
        assert!(Ruleset::parse(text).is_err());
    }
}
