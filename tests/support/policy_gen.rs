//! Random well-formed policies, for the pipeline's invariant: a policy `ward check` accepts
//! builds, validates in Cedar, passes `nft -c`, runs its tests and onboards a thing of each
//! class with a `match mud` pattern.
//!
//! The generator draws a model (`GenPolicy`) that proptest can shrink, and prints it as ward
//! text. Every declaration kind and property the language has is drawn: environments with
//! per-threat and per-target levels, a custom profile, classes with or without environment,
//! profile, capabilities, data, credential refresh, manufacturer, model and MUD patterns
//! (overlapping ones too), services by host or address (IPv4 and IPv6) with report
//! receivers, gateways, segments with subnets of either family, gateways and VLANs, flows of
//! every endpoint pairing in both directions with ports, shared operations and `via`,
//! detection rules with captures, windows and every action, and tests with flow assertions,
//! expectations and tables. Names are drawn from small pools so that references resolve
//! most of the time and sometimes do not.

#![allow(dead_code, reason = "each test file uses part of it")]

use std::fmt::Write;

use proptest::prelude::*;
use proptest::sample::Index;

// The language's own vocabularies: a word the schema adds is drawn at once.
const FUNCTIONS: &[&str] = ward_compiler::schema::FUNCTIONS.words;
const LEVELS: &[&str] = ward_compiler::schema::LEVELS.words;
const CAPABILITIES: &[&str] = &[
    "x509",
    "tls",
    "secure_update",
    "credential_rotation",
    "second_factor",
    "tamper_resistance",
];
const DATA: &[&str] = ward_compiler::schema::PERSONAL_DATA.words;
const PROFILES: &[&str] = &[
    "SecProf_1",
    "SecProf_2",
    "SecProf_3",
    "SecProf_4",
    "Custom_5",
];
const OPERATIONS: &[&str] = &["report", "configure", "send", "lock", "unlock", "stream"];
const SEVERITIES: &[&str] = ward_compiler::schema::SEVERITIES.words;
const TARGETS: &[&str] = ward_compiler::schema::TARGETS.words;

#[derive(Clone, Debug)]
pub struct GenEnv {
    likelihood: usize,
    impact: usize,
    /// (threat number, level) overrides.
    threats: Vec<(u8, usize)>,
    /// (target, level) overrides of the impact.
    targets: Vec<(usize, usize)>,
    /// `area = home` (0) or `industrial` (1).
    area: Option<usize>,
    /// Threats accepted for every class here.
    accepts: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct GenClass {
    function: usize,
    environment: Option<Index>,
    profile: Option<usize>,
    capabilities: u8,
    data: u8,
    refresh_days: Option<u16>,
    maker: Option<u8>,
    /// (vendor, path kind): `https://mud.vendorN.example/...`.
    mud: Vec<(u8, u8)>,
    /// Its own segment, or (rarely) the previous class's.
    segment: GenSegment,
    share_segment: bool,
    management: Option<usize>,
    accepts: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct GenService {
    host: bool,
    v6: bool,
    /// At an address inside the first segment's subnet (a server among the things).
    inside: bool,
    profile: Option<usize>,
    receives: u8,
}

#[derive(Clone, Debug)]
pub struct GenGateway {
    address: bool,
    /// Where: 0 apart (`10.250.N.1`), 1 inside segment N's subnet (as most gateways are), 2
    /// both families (`10.250.N.1` and `fd99:250:N::1`).
    place: u8,
    profile: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct GenSegment {
    v6: bool,
    subnet: bool,
    /// A subnet that holds every other segment's of its family (E0503).
    wide: bool,
    gateway: Option<Index>,
    vlan: Option<u16>,
}

#[derive(Clone, Debug)]
pub struct GenPort {
    protocol: u8,
    low: u16,
    span: Option<u16>,
}

#[derive(Clone, Debug)]
pub struct GenFlow {
    from: Index,
    to: Index,
    both: bool,
    ports: Vec<GenPort>,
    action: Option<usize>,
    via: Option<Index>,
    /// A time-limited flow: days from 2020-01-01, past (W0016) or to come.
    until: Option<u16>,
}

/// A waiver of some findings or risks of a class, until a day (days from 2020-01-01, often
/// past: E0406).
#[derive(Clone, Debug)]
pub struct GenWaiver {
    class: Index,
    codes: u8,
    threats: Vec<u8>,
    expires: u16,
}

/// Codes a waiver may name: waivable ones, and one that is not (E0405).
const WAIVED: [&str; 7] = [
    "E0404", "E0401", "W0009", "W0017", "W0008", "W0007", "E0300",
];

#[derive(Clone, Debug)]
pub struct GenDetect {
    threat: u8,
    severity: usize,
    app: bool,
    /// The bound of a counted repetition in the other pattern: past about 70 it compiles
    /// beyond the engine's limit, which the checker must refuse (E0600), never the gateway.
    repeat: u8,
    /// Flags of the other pattern, a subset of `imsxU` by bits.
    flags: u8,
    window: Option<(u16, u8)>,
    actions: Vec<u8>,
}

#[derive(Clone, Debug)]
pub enum GenAssert {
    Flow {
        allow: bool,
        from: Index,
        to: Index,
        both: bool,
        port: Option<GenPort>,
        action: Option<usize>,
    },
    Profile(Index, usize),
    Level(Index, u8),
    Risk(Index, u8, usize),
    Detect(Index, u8),
    Table(Vec<(bool, Index)>, Index),
}

#[derive(Clone, Debug)]
pub struct GenPolicy {
    environments: Vec<GenEnv>,
    custom_profile: bool,
    classes: Vec<GenClass>,
    services: Vec<GenService>,
    gateways: Vec<GenGateway>,
    flows: Vec<GenFlow>,
    detects: Vec<GenDetect>,
    tests: Vec<Vec<GenAssert>>,
    waivers: Vec<GenWaiver>,
    /// Names padded close to the longest the checker allows (E0206), where they become file
    /// names and nftables set names.
    long_names: bool,
    /// The address family of the policy: 0 IPv4, 1 IPv6, 2 each address its own (E0303).
    family: u8,
}

fn env() -> impl Strategy<Value = GenEnv> {
    (
        0..3usize,
        0..3usize,
        prop::collection::vec((1..=25u8, 0..3usize), 0..3),
        prop::collection::vec((0..4usize, 0..3usize), 0..2),
        prop::option::weighted(0.2, 0..2usize),
        prop::collection::vec(1..=25u8, 0..6),
    )
        .prop_map(
            |(likelihood, impact, threats, targets, area, accepts)| GenEnv {
                likelihood,
                impact,
                threats,
                targets,
                area,
                accepts,
            },
        )
}

fn class() -> impl Strategy<Value = GenClass> {
    (
        (
            0..FUNCTIONS.len(),
            prop::option::weighted(0.6, any::<Index>()),
            prop::option::weighted(0.6, 0..PROFILES.len()),
            // Mostly every capability, so that profiles fit; sometimes a random subset.
            prop_oneof![6 => Just(0b111111u8), 1 => 0..64u8],
            0..128u8,
        ),
        (
            // Mostly within every profile's bound; sometimes beyond.
            prop::option::weighted(0.3, prop_oneof![4 => 1..30u16, 1 => 30..400u16]),
            prop::option::weighted(0.3, 0..3u8),
            // The catch-all pattern (the quarantine place) seldom: a flow naming it is E0305.
            prop::collection::vec((0..3u8, prop_oneof![19 => 0..3u8, 1 => Just(3u8)]), 0..3),
            segment(),
            prop::bool::weighted(0.15),
        ),
        (
            prop::option::weighted(0.1, 0..3usize),
            prop::collection::vec(1..=25u8, 0..4),
        ),
    )
        .prop_map(
            |(
                (function, environment, profile, capabilities, data),
                (refresh, maker, mud, segment, share_segment),
                (management, accepts),
            )| {
                GenClass {
                    function,
                    environment,
                    profile,
                    capabilities,
                    data,
                    refresh_days: refresh,
                    maker,
                    mud,
                    segment,
                    share_segment,
                    management,
                    accepts,
                }
            },
        )
}

fn segment() -> impl Strategy<Value = GenSegment> {
    (
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.05),
        prop::option::weighted(0.8, any::<Index>()),
        prop::option::weighted(0.2, 1..4095u16),
    )
        .prop_map(|(v6, subnet, wide, gateway, vlan)| GenSegment {
            v6,
            subnet,
            wide,
            gateway,
            vlan,
        })
}

fn port() -> impl Strategy<Value = GenPort> {
    (
        prop_oneof![4 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8)],
        1..65535u16,
        prop::option::weighted(0.2, 0..100u16),
    )
        .prop_map(|(protocol, low, span)| GenPort {
            protocol,
            low,
            span,
        })
}

fn flow() -> impl Strategy<Value = GenFlow> {
    (
        any::<Index>(),
        any::<Index>(),
        prop::bool::weighted(0.2),
        prop::collection::vec(port(), 0..3),
        prop::option::weighted(0.5, 0..OPERATIONS.len()),
        prop::option::weighted(0.85, any::<Index>()),
        prop::option::weighted(0.15, 0..6000u16),
    )
        .prop_map(|(from, to, both, ports, action, via, until)| GenFlow {
            from,
            to,
            both,
            ports,
            action,
            via,
            until,
        })
}

/// Mostly waivers in force that waive what may be waived; one in eight expired, one in
/// sixteen naming a code that cannot be waived (E0405): refusals are tested, and most
/// policies that carry a waiver can still check clean.
fn waiver() -> impl Strategy<Value = GenWaiver> {
    (
        any::<Index>(),
        prop_oneof![15 => 0..64u8, 1 => 64..128u8],
        prop::collection::vec(1..=25u8, 0..3),
        prop_oneof![7 => 3000..6000u16, 1 => 0..2500u16],
    )
        .prop_map(|(class, codes, threats, expires)| GenWaiver {
            class,
            codes,
            threats,
            expires,
        })
}

/// `2020-01-01` plus `days`, as ward writes a date.
fn date(days: u16) -> String {
    ward_lang::Timestamp::day_of(1_577_836_800 + i64::from(days) * 86_400).to_string()
}

fn detect() -> impl Strategy<Value = GenDetect> {
    (
        1..=25u8,
        0..SEVERITIES.len(),
        any::<bool>(),
        prop::option::weighted(0.6, (1..1000u16, 1..10u8)),
        prop::collection::vec(0..6u8, 0..4),
        (prop_oneof![3 => 1..40u8, 1 => 40..=255u8], 0..32u8),
    )
        .prop_map(
            |(threat, severity, app, window, actions, (repeat, flags))| GenDetect {
                threat,
                severity,
                app,
                repeat,
                flags,
                window,
                actions,
            },
        )
}

fn assertion() -> impl Strategy<Value = GenAssert> {
    prop_oneof![
        4 => (
            any::<bool>(),
            any::<Index>(),
            any::<Index>(),
            prop::bool::weighted(0.1),
            prop::option::weighted(0.7, port()),
            prop::option::weighted(0.3, 0..OPERATIONS.len()),
        )
            .prop_map(|(allow, from, to, both, port, action)| GenAssert::Flow {
                allow,
                from,
                to,
                both,
                port,
                action,
            }),
        1 => (any::<Index>(), 0..PROFILES.len()).prop_map(|(c, p)| GenAssert::Profile(c, p)),
        1 => (any::<Index>(), 1..6u8).prop_map(|(c, l)| GenAssert::Level(c, l)),
        1 => (any::<Index>(), 1..=25u8, 0..3usize).prop_map(|(c, t, l)| GenAssert::Risk(c, t, l)),
        1 => (any::<Index>(), 0..3u8).prop_map(|(d, n)| GenAssert::Detect(d, n)),
        1 => (prop::collection::vec((any::<bool>(), any::<Index>()), 1..4), any::<Index>())
            .prop_map(|(rows, to)| GenAssert::Table(rows, to)),
    ]
}

/// Policies of up to a few dozen declarations.
pub fn policy() -> impl Strategy<Value = GenPolicy> {
    (
        (
            prop::collection::vec(env(), 0..3),
            prop::bool::weighted(0.2),
            prop::collection::vec(class(), 1..5),
            prop::collection::vec(
                (
                    any::<bool>(),
                    prop::bool::weighted(0.2),
                    prop::bool::weighted(0.2),
                    prop::option::weighted(0.4, 0..PROFILES.len()),
                    0..4u8,
                )
                    .prop_map(|(host, v6, inside, profile, receives)| GenService {
                        host,
                        v6,
                        inside,
                        profile,
                        receives,
                    }),
                0..4,
            ),
            prop::collection::vec(
                (
                    prop::bool::weighted(0.7),
                    prop_oneof![2 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
                    prop::option::weighted(0.3, 0..PROFILES.len()),
                )
                    .prop_map(|(address, place, profile)| GenGateway {
                        address,
                        place,
                        profile,
                    }),
                // Mostly one or two: segments without one are drawn too (`segment.gateway`).
                1..3,
            ),
        ),
        (
            prop::collection::vec(flow(), 0..8),
            prop::collection::vec(detect(), 0..3),
            prop::collection::vec(prop::collection::vec(assertion(), 1..5), 0..3),
            prop::bool::weighted(0.1),
            prop_oneof![14 => Just(0u8), 3 => Just(1u8), 3 => Just(2u8)],
            prop::option::weighted(0.15, waiver()).prop_map(|w| w.into_iter().collect()),
        ),
    )
        .prop_map(
            |(
                (environments, custom_profile, classes, services, gateways),
                (flows, detects, tests, long_names, family, waivers),
            )| {
                GenPolicy {
                    environments,
                    custom_profile,
                    classes,
                    services,
                    gateways,
                    flows,
                    detects,
                    tests,
                    waivers,
                    long_names,
                    family,
                }
            },
        )
}

fn bits<'a>(mask: u8, words: &[&'a str]) -> Vec<&'a str> {
    words
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, w)| *w)
        .collect()
}

impl GenPort {
    /// The port as ward writes it; `family` (0 IPv4, 1 IPv6, 2 mixed) picks the ICMP that
    /// exists between the ends, but in mixed policies.
    fn text(&self, family: u8) -> String {
        let protocol = match (usize::from(self.protocol) % 5, family) {
            (2 | 3, 0) => "icmp",
            (2 | 3, 1) => "icmpv6",
            (n, _) => ["tcp", "udp", "icmp", "icmpv6", "any"][n],
        };
        match protocol {
            "tcp" | "udp" => match self.span {
                Some(span) => format!("{protocol}/{}-{}", self.low, self.low.saturating_add(span)),
                None => format!("{protocol}/{}", self.low),
            },
            other => other.to_string(),
        }
    }
}

impl GenPolicy {
    /// Every endpoint's name: classes, then services, then gateways, then the standard
    /// library's `internet`.
    fn endpoints(&self) -> Vec<String> {
        let mut names: Vec<String> = (0..self.classes.len()).map(|i| format!("c{i}")).collect();
        names.extend((0..self.services.len()).map(|i| format!("svc{i}")));
        names.extend((0..self.gateways.len()).map(|i| format!("gw{i}")));
        names.push("internet".to_string());
        names
    }

    fn pick(names: &[String], index: &Index) -> String {
        if names.is_empty() {
            "nothing".to_string()
        } else {
            names[index.index(names.len())].clone()
        }
    }

    /// Whether an address is IPv6: the policy's family, or the item's own in a mixed policy.
    fn v6(&self, own: bool) -> bool {
        match self.family {
            0 => false,
            1 => true,
            _ => own,
        }
    }

    /// A name other than `pick(names, from)` when there is one: flows to oneself are refused.
    fn other(names: &[String], from: &Index, to: &Index) -> String {
        if names.len() < 2 {
            return Self::pick(names, to);
        }
        let from = from.index(names.len());
        names[(from + 1 + to.index(names.len() - 1)) % names.len()].clone()
    }

    /// The policy as ward text.
    pub fn text(&self) -> String {
        let text = self.short_text();
        if self.long_names {
            padded(&text, 120)
        } else {
            text
        }
    }

    fn short_text(&self) -> String {
        let mut out = String::new();
        let endpoints = self.endpoints();
        let gateways: Vec<String> = (0..self.gateways.len()).map(|i| format!("gw{i}")).collect();
        let classes: Vec<String> = (0..self.classes.len()).map(|i| format!("c{i}")).collect();
        let environments: Vec<String> = (0..self.environments.len())
            .map(|i| format!("env{i}"))
            .collect();
        let detects: Vec<String> = (0..self.detects.len()).map(|i| format!("d{i}")).collect();

        for (i, env) in self.environments.iter().enumerate() {
            let _ = writeln!(out, "environment env{i} \"Environment {i}\" {{");
            if let Some(area) = env.area {
                let _ = writeln!(out, "  area = {}", ["home", "industrial"][area]);
            }
            accept_lines(&mut out, &env.accepts);
            let _ = writeln!(out, "  likelihood default = {}", LEVELS[env.likelihood]);
            let _ = writeln!(out, "  impact default = {}", LEVELS[env.impact]);
            for (threat, level) in &env.threats {
                let _ = writeln!(out, "  likelihood T{threat} = {}", LEVELS[*level]);
            }
            for (target, level) in &env.targets {
                let _ = writeln!(out, "  impact {} = {}", TARGETS[*target], LEVELS[*level]);
            }
            let _ = writeln!(out, "}}\n");
        }
        if self.custom_profile {
            out.push_str(
                "profile Custom_5 \"Stricter than the draft's\" {\n  level = 5\n  communication = mixed\n  gateway = optional\n  mitigate T4 with M4\n  mitigate T1, T3, T7 with M3\n  bound M11.refresh <= 60d\n}\n\n",
            );
        }
        let profile = |p: usize| {
            let name = PROFILES[p];
            if name == "Custom_5" && !self.custom_profile {
                "SecProf_4"
            } else {
                name
            }
        };
        for (i, class) in self.classes.iter().enumerate() {
            let _ = writeln!(out, "class c{i} \"Class {i}\" {{");
            let _ = writeln!(out, "  function = {}", FUNCTIONS[class.function]);
            if let Some(env) = &class.environment
                && !environments.is_empty()
            {
                let _ = writeln!(out, "  environment = {}", Self::pick(&environments, env));
            }
            if let Some(management) = class.management {
                let _ = writeln!(
                    out,
                    "  management = {}",
                    ward_compiler::schema::MANAGEMENT.words[management]
                );
            }
            accept_lines(&mut out, &class.accepts);
            let capabilities = bits(class.capabilities, CAPABILITIES);
            if !capabilities.is_empty() {
                let _ = writeln!(out, "  capabilities = [{}]", capabilities.join(", "));
            }
            if let Some(p) = class.profile {
                let _ = writeln!(out, "  profile = {}", profile(p));
            }
            let data = bits(class.data, DATA);
            if !data.is_empty() {
                let _ = writeln!(out, "  data = [{}]", data.join(", "));
            }
            if let Some(days) = class.refresh_days {
                let _ = writeln!(out, "  credential_refresh = {days}d");
            }
            if let Some(maker) = class.maker {
                let _ = writeln!(out, "  manufacturer = \"Maker {maker}\"");
                let _ = writeln!(out, "  model = \"Model {i}\"");
            }
            for (vendor, kind) in &class.mud {
                let pattern = match kind {
                    0 => format!("https://mud.vendor{vendor}.example/c{i}/*"),
                    1 => format!("https://mud.vendor{vendor}.example/*"),
                    2 => format!("https://mud.vendor{vendor}.example/c{i}/model.json"),
                    _ => "*".to_string(),
                };
                let _ = writeln!(out, "  match mud \"{pattern}\"");
            }
            let _ = writeln!(out, "}}\n");
        }
        for (i, service) in self.services.iter().enumerate() {
            let _ = writeln!(out, "service svc{i} \"Service {i}\" {{");
            match (service.host, self.v6(service.v6)) {
                (true, _) => {
                    let _ = writeln!(out, "  host = \"svc{i}.example.com\"");
                }
                // Segment 0's subnet is `10.0.0.0/24` (or the wide `/8`) or `fd00:0::/64`.
                (false, false) if service.inside => {
                    let _ = writeln!(out, "  address = 10.0.0.{}", 200 + i);
                }
                (false, true) if service.inside => {
                    let _ = writeln!(out, "  address = fd00::{}", 200 + i);
                }
                (false, false) => {
                    let _ = writeln!(out, "  address = 172.16.{i}.10");
                }
                (false, true) => {
                    let _ = writeln!(out, "  address = fd99::{i}:10");
                }
            }
            if let Some(p) = service.profile {
                let _ = writeln!(out, "  profile = {}", profile(p));
            }
            let receives = bits(service.receives, &["manufacturer", "platform"]);
            if !receives.is_empty() {
                let _ = writeln!(out, "  receives = [{}]", receives.join(", "));
                let _ = writeln!(out, "  report_url = \"https://svc{i}.example.com/reports\"");
            }
            let _ = writeln!(out, "}}\n");
        }
        for (i, gateway) in self.gateways.iter().enumerate() {
            let _ = writeln!(out, "gateway gw{i} \"Gateway {i}\" {{");
            if gateway.address {
                // Segment N's subnet is `10.N.0.0/24` or `fd00:N::/64` (the segment may not
                // exist, or be of the other family: then the address is apart too).
                let address = match (gateway.place, self.v6(i % 2 == 1)) {
                    (1, false) => format!("10.{i}.0.1"),
                    (1, true) => format!("fd00:{i}::1"),
                    (2, _) => format!("[10.250.{i}.1, fd99:250:{i}::1]"),
                    _ => format!("10.250.{i}.1"),
                };
                let _ = writeln!(out, "  address = {address}");
            }
            if let Some(p) = gateway.profile {
                let _ = writeln!(out, "  profile = {}", profile(p));
            }
            let _ = writeln!(out, "}}\n");
        }
        // Each class in its own segment, unless it shares the previous class's.
        let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
        for (i, class) in self.classes.iter().enumerate() {
            match groups.last_mut() {
                Some((_, members)) if class.share_segment => members.push(format!("c{i}")),
                _ => groups.push((i, vec![format!("c{i}")])),
            }
        }
        for (s, members) in &groups {
            let segment = &self.classes[*s].segment;
            let _ = writeln!(out, "segment seg{s} \"Segment {s}\" {{");
            let _ = writeln!(out, "  classes = [{}]", members.join(", "));
            if segment.subnet {
                match (self.v6(segment.v6), segment.wide) {
                    (true, false) => {
                        let _ = writeln!(out, "  subnet = fd00:{s}::/64");
                    }
                    (true, true) => {
                        let _ = writeln!(out, "  subnet = fd00::/16");
                    }
                    (false, false) => {
                        let _ = writeln!(out, "  subnet = 10.{s}.0.0/24");
                    }
                    (false, true) => {
                        let _ = writeln!(out, "  subnet = 10.0.0.0/8");
                    }
                }
            }
            if let Some(gateway) = &segment.gateway
                && !gateways.is_empty()
            {
                let _ = writeln!(out, "  gateway = {}", Self::pick(&gateways, gateway));
            }
            if let Some(vlan) = segment.vlan {
                let _ = writeln!(out, "  vlan = {vlan}");
            }
            let _ = writeln!(out, "}}\n");
        }
        // The management gateway of each class's segment, for `via`.
        let mut class_gateway: Vec<Option<String>> = vec![None; self.classes.len()];
        for (s, members) in &groups {
            let gateway = self.classes[*s]
                .segment
                .gateway
                .as_ref()
                .filter(|_| !gateways.is_empty())
                .map(|g| Self::pick(&gateways, g));
            for member in members {
                if let Some(i) = member
                    .strip_prefix('c')
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    class_gateway[i] = gateway.clone();
                }
            }
        }
        for flow in &self.flows {
            let from = Self::pick(&endpoints, &flow.from);
            let to = Self::other(&endpoints, &flow.from, &flow.to);
            let arrow = if flow.both { "<->" } else { "->" };
            let mut line = format!("flow {from} {arrow} {to}");
            if !flow.ports.is_empty() {
                let ports: Vec<String> = flow.ports.iter().map(|p| p.text(self.family)).collect();
                let _ = write!(line, " : {}", ports.join(", "));
            }
            let mut props = Vec::new();
            if let Some(action) = flow.action {
                props.push(format!("action = {}", OPERATIONS[action]));
            }
            if let Some(via) = &flow.via
                && !gateways.is_empty()
            {
                // Mostly the gateway of the source's segment (the one that serves it),
                // sometimes any (E0304).
                let gateway_of = |name: &str| {
                    name.strip_prefix('c')
                        .and_then(|n| n.parse::<usize>().ok())
                        .and_then(|i| class_gateway.get(i).cloned().flatten())
                };
                let serving = gateway_of(&from).or_else(|| gateway_of(&to));
                match serving {
                    Some(gateway) if via.index(5) != 0 => props.push(format!("via = {gateway}")),
                    Some(_) => props.push(format!("via = {}", Self::pick(&gateways, via))),
                    // No end has a gateway: mostly no `via`, sometimes an unrelated one.
                    None if via.index(5) == 0 => {
                        props.push(format!("via = {}", Self::pick(&gateways, via)))
                    }
                    None => {}
                }
            }
            if let Some(until) = flow.until {
                props.push(format!("until = {}", date(until)));
            }
            if !props.is_empty() {
                let _ = write!(line, " {{ {} }}", props.join(", "));
            }
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
        for (i, waiver) in self.waivers.iter().enumerate() {
            let class = Self::pick(&classes, &waiver.class);
            let codes = bits(waiver.codes, &WAIVED);
            let threats: Vec<String> = waiver.threats.iter().map(|t| format!("T{t}")).collect();
            let _ = writeln!(out, "waiver w{i} \"Waiver {i}\" {{");
            let _ = writeln!(out, "  class = {class}");
            if !codes.is_empty() {
                let _ = writeln!(out, "  waives = [{}]", codes.join(", "));
            }
            if !threats.is_empty() {
                let _ = writeln!(out, "  accepts = [{}]", threats.join(", "));
            }
            let _ = writeln!(out, "  reason = \"generated\"");
            let _ = writeln!(out, "  owner = \"owner@example.org\"");
            let _ = writeln!(out, "  expires = {}", date(waiver.expires));
            let _ = writeln!(out, "}}");
        }
        for (i, detect) in self.detects.iter().enumerate() {
            let _ = writeln!(out, "detect d{i} \"Rule {i}\" {{");
            let _ = writeln!(out, "  threat = T{}", detect.threat);
            let _ = writeln!(out, "  severity = {}", SEVERITIES[detect.severity]);
            if detect.app {
                let _ = writeln!(
                    out,
                    "  match syslog {{ app = /^sshd$/, msg = /Failed password for \\S+ from (?<src>\\S+)/ }}"
                );
            } else {
                let flags: String = "imsxU"
                    .chars()
                    .enumerate()
                    .filter(|(bit, _)| detect.flags & (1 << bit) != 0)
                    .map(|(_, flag)| flag)
                    .collect();
                let _ = writeln!(
                    out,
                    "  match syslog {{ msg = /signature (?<what>\\w{{1,{}}}) failed/{flags} }}",
                    detect.repeat
                );
            }
            if let Some((count, minutes)) = detect.window {
                let by = if detect.app { " by src" } else { "" };
                let _ = writeln!(out, "  when count >= {count} within {minutes}m{by}");
            }
            let actions: Vec<&str> = detect
                .actions
                .iter()
                .map(|a| match a {
                    0 => "report user",
                    1 => "report user, manufacturer, platform",
                    2 => "quarantine",
                    3 => "raise_profile",
                    4 => "raise_profile SecProf_3",
                    _ => "revoke_credentials",
                })
                .collect();
            if !actions.is_empty() {
                let _ = writeln!(out, "  then {{ {} }}", actions.join("; "));
            }
            let _ = writeln!(out, "}}\n");
        }
        for (t, assertions) in self.tests.iter().enumerate() {
            let _ = writeln!(out, "test \"generated {t}\" {{");
            for assertion in assertions {
                match assertion {
                    GenAssert::Flow {
                        allow,
                        from,
                        to,
                        both,
                        port,
                        action,
                    } => {
                        let verdict = if *allow { "allow" } else { "deny" };
                        let arrow = if *both { "<->" } else { "->" };
                        let mut line = format!(
                            "  {verdict} flow {} {arrow} {}",
                            Self::pick(&endpoints, from),
                            Self::other(&endpoints, from, to)
                        );
                        if let Some(port) = port {
                            let _ = write!(line, " : {}", port.text(self.family));
                        }
                        if let Some(action) = action {
                            let _ = write!(line, " {{ action = {} }}", OPERATIONS[*action]);
                        }
                        let _ = writeln!(out, "{line}");
                    }
                    GenAssert::Profile(class, p) => {
                        let _ = writeln!(
                            out,
                            "  expect {}.profile == {}",
                            Self::pick(&classes, class),
                            profile(*p)
                        );
                    }
                    GenAssert::Level(class, level) => {
                        let _ = writeln!(
                            out,
                            "  expect {}.level >= {level}",
                            Self::pick(&classes, class)
                        );
                    }
                    GenAssert::Risk(class, threat, level) => {
                        let _ = writeln!(
                            out,
                            "  expect risk({}, T{threat}) == {}",
                            Self::pick(&classes, class),
                            LEVELS[*level]
                        );
                    }
                    GenAssert::Detect(detect, n) => {
                        if detects.is_empty() {
                            continue;
                        }
                        let _ = writeln!(
                            out,
                            "  expect detect {} fires {n} on \"\"\"\n    Nov 25 10:00:01 h1 sshd[1]: Failed password for root from 203.0.113.7 port 1 ssh2\n    Nov 25 10:00:02 h1 fw: signature check failed\n  \"\"\"",
                            Self::pick(&detects, detect)
                        );
                    }
                    GenAssert::Table(rows, to) => {
                        let _ = writeln!(out, "  for (verdict, source) in [");
                        for (allow, from) in rows {
                            let _ = writeln!(
                                out,
                                "    ({}, {}),",
                                if *allow { "allow" } else { "deny" },
                                Self::other(&endpoints, to, from)
                            );
                        }
                        let _ = writeln!(
                            out,
                            "  ] {{\n    verdict flow source -> {}\n  }}",
                            Self::pick(&endpoints, to)
                        );
                    }
                }
            }
            let _ = writeln!(out, "}}\n");
        }
        out
    }
}

/// `text` with every generated name (`c0`, `svc1`, `gw0`, `d2`, `env0`, `seg3`) lengthened by
/// `_` and `pad` letters, everywhere it appears.
fn padded(text: &str, pad: usize) -> String {
    let suffix = format!("_{}", "x".repeat(pad));
    let mut out = String::with_capacity(text.len() * 2);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let generated = ["c", "svc", "gw", "d", "env", "seg"].iter().any(|prefix| {
            word.strip_prefix(prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        out.push_str(word);
        if generated {
            out.push_str(&suffix);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `accept T.., T.. because "..."`, the threats once each.
fn accept_lines(out: &mut String, threats: &[u8]) {
    let mut threats = threats.to_vec();
    threats.sort_unstable();
    threats.dedup();
    if !threats.is_empty() {
        let listed: Vec<String> = threats.iter().map(|t| format!("T{t}")).collect();
        let _ = writeln!(out, "  accept {} because \"generated\"", listed.join(", "));
    }
}
