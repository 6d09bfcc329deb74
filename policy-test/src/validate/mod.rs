//! Translation validation: the compiled outputs of a bundle decide exactly what the policy
//! says, proved cell by cell on the packet space (`ward_compiler::space`) rather than
//! sampled.
//!
//! - The firewall (`firewall.rs`): the compiled `firewall/ruleset.nft`, decided by the
//!   evaluator, accepts a new connection between two regions of the address space
//!   (`regions.rs`) exactly when a flow allows it, and never one from a lower level to a
//!   higher one between segments.
//! - Cedar (`cedar.rs`): the compiled policies permit an operation from an endpoint to
//!   another exactly when a flow declares it, and never from a lower level to a higher one
//!   but to the thing's own gateway.
//!
//! A mismatch is a bug in ward's emitters (or a ruleset changed by hand): `ward build` fails
//! with the connection that shows it, the rule or policies that decided it, and the flows
//! that allow it if any.

mod cedar;
mod firewall;
mod regions;
mod things;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use ward_compiler::emit::nft::Inventory;
use ward_compiler::ir::{FlowIr, Origin, PolicyIr, PortIr};
use ward_compiler::space;

use crate::nft_eval::Ruleset;

/// At most this many mismatches are shown; the rest are counted.
const SHOWN: usize = 20;

/// A cell where the compiled output and the policy disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// `firewall` or `cedar`.
    pub layer: &'static str,
    /// The place (firewall: an address and its endpoints) or entity (Cedar) it comes from.
    pub from: String,
    pub to: String,
    pub protocol: String,
    pub port: Option<u16>,
    /// Cedar's action.
    pub operation: Option<String>,
    /// When the connection is opened (seconds since 1970, UTC).
    pub at: i64,
    /// What the policy says (accepted or permitted).
    pub expected: bool,
    /// What the compiled output decided.
    pub actual: bool,
    /// The rule (its comment) or Cedar policies that decided it.
    pub by: String,
    /// The flows that allow it, when the policy does.
    pub declared: Vec<String>,
}

impl Mismatch {
    pub fn describe(&self) -> String {
        let port = self.port.map(|p| format!("/{p}")).unwrap_or_default();
        let operation = self
            .operation
            .as_ref()
            .map(|o| format!(" {{ action = {o} }}"))
            .unwrap_or_default();
        let verdict = |yes: bool| if yes { "accepts" } else { "refuses" };
        let policy = if self.expected {
            format!("the policy allows it ({})", self.declared.join(", "))
        } else {
            "the policy does not allow it".to_string()
        };
        format!(
            "{}: {} -> {} {}{port}{operation} at {}: the compiled output {} it (decided by {}), but {policy}",
            self.layer,
            self.from,
            self.to,
            self.protocol,
            ward_lang::Timestamp::at(self.at),
            verdict(self.actual),
            self.by,
        )
    }
}

/// What validation proved, or where it failed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Validation {
    /// Pairs of regions and cells of the packet space the firewall was checked on.
    pub firewall_pairs: usize,
    pub firewall_cells: usize,
    /// Requests Cedar was asked.
    pub cedar_requests: usize,
    /// The first mismatches; `more` counts the rest.
    pub mismatches: Vec<Mismatch>,
    pub more: usize,
}

impl Validation {
    pub fn holds(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// Adds another check's mismatches, showing at most `SHOWN` and counting the rest.
    fn absorb(&mut self, mismatches: Vec<Mismatch>, more: usize) {
        for mismatch in mismatches {
            if self.mismatches.len() < SHOWN {
                self.mismatches.push(mismatch);
            } else {
                self.more += 1;
            }
        }
        self.more += more;
    }
}

/// Traffic the policy implies besides its flows, as the design states it: each thing's PAVA
/// reports (syslog) to the gateway of its segment, on the port and transport its device
/// configuration names; each gateway's reports to the services that receive them, on their
/// URL's port.
pub fn implied_flows(ir: &PolicyIr) -> Vec<FlowIr> {
    let implied = |from: &str, to: &str, protocol: &str, port: u16, what: String| FlowIr {
        from: from.to_string(),
        to: to.to_string(),
        bidirectional: false,
        ports: vec![PortIr {
            protocol: protocol.to_string(),
            ports: Some((port, port)),
        }],
        action: "send".to_string(),
        via: None,
        until: None,
        origin: Origin {
            file: "(implied)".to_string(),
            line: 0,
            declaration: what,
        },
    };
    let mut out = Vec::new();
    for class in &ir.classes {
        if let Some(gateway) = ir.gateway_of_class(class) {
            let transport = class.syslog_transport();
            out.push(implied(
                &class.name,
                &gateway.name,
                transport.protocol(),
                transport.port(),
                format!("PAVA: syslog of `{}` to its gateway", class.name),
            ));
        }
    }
    let gateways: Vec<&str> = ir
        .endpoints
        .iter()
        .filter(|e| e.kind == "gateway")
        .map(|e| e.name.as_str())
        .collect();
    for service in ir.endpoints.iter().filter(|e| !e.receives.is_empty()) {
        if let Some(port) = service
            .report_url
            .as_deref()
            .and_then(ward_compiler::emit::nft::url_port)
        {
            for gateway in &gateways {
                out.push(implied(
                    gateway,
                    &service.name,
                    "tcp",
                    port,
                    format!("PAVA: reports to `{}`", service.name),
                ));
            }
        }
    }
    out
}

/// The compiled texts of a bundle that validation reads.
pub struct Compiled<'a> {
    pub ruleset: &'a str,
    pub cedar_policies: &'a str,
    pub cedar_schema: &'a str,
}

/// A bundle's files that validation reads, as text: the ruleset, the Cedar policies and the
/// Cedar schema (empty when missing: validation then says what does not parse).
pub fn texts_of(bundle: &ward_compiler::emit::Bundle) -> [String; 3] {
    [
        "firewall/ruleset.nft",
        "cedar/policy.cedar",
        "cedar/schema.cedarschema",
    ]
    .map(|path| {
        bundle
            .files
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    })
}

/// Where a checked connection comes from: a region, or, for the gateway's own traffic
/// (`output`), the gateways of the bundle together.
enum Side {
    Region(usize),
    Gateways(regions::Region, BTreeSet<String>),
}

/// The pairs of regions whose traffic must be decided cell by cell: those a flow joins, and
/// those an accept rule can admit traffic between. Between any other two regions of
/// `forward` or `input`, no rule can accept (the chain drops) and no flow allows: they agree
/// without asking. The gateway's own traffic (`output`, whose rules name only the
/// destination: every gateway of a bundle loads the same ruleset) is decided from the
/// gateways together to every region. A chain that accepts by default, or an accept rule
/// that names no set, is checked on every pair.
fn pairs(
    regions: &[regions::Region],
    sets: &[BTreeSet<String>],
    flows: &BTreeMap<(String, String), Vec<&FlowIr>>,
    ruleset: &Ruleset,
    indexes: &BTreeMap<&'static str, crate::nft_eval::ChainIndex>,
) -> Result<Vec<(Side, usize)>, String> {
    let mut by_owner: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_set: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, region) in regions.iter().enumerate() {
        for owner in &region.owners {
            by_owner.entry(owner).or_default().push(i);
        }
        for set in &sets[i] {
            by_set.entry(set).or_default().push(i);
        }
    }
    let chain_of = |a: &regions::Region, b: &regions::Region| match (a.gateway, b.gateway) {
        (_, true) => "input",
        (true, false) => "output",
        (false, false) => "forward",
    };
    let comparable = comparable;
    let all: Vec<usize> = (0..regions.len()).collect();
    let mut found: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (from, to) in flows.keys() {
        for &i in by_owner.get(from.as_str()).into_iter().flatten() {
            for &j in by_owner.get(to.as_str()).into_iter().flatten() {
                found.insert((i, j));
            }
        }
    }
    for chain in ["forward", "input"] {
        let Some(index) = indexes.get(chain) else {
            continue;
        };
        let everywhere = ruleset.accepts_by_default(chain)?
            || index.accepts.iter().any(|scope| {
                scope.literal || (scope.source.is_none() && scope.destination.is_none())
            });
        if everywhere {
            for &i in &all {
                for &j in &all {
                    if chain_of(&regions[i], &regions[j]) == chain {
                        found.insert((i, j));
                    }
                }
            }
            continue;
        }
        for scope in &index.accepts {
            let holding = |set: &Option<String>| match set {
                Some(set) => by_set.get(set.as_str()).cloned().unwrap_or_default(),
                None => all.clone(),
            };
            for i in holding(&scope.source) {
                for &j in &holding(&scope.destination) {
                    found.insert((i, j));
                }
            }
        }
    }
    // The gateways' own traffic: every gateway loads the same `output`.
    let gateways = [all_gateways(regions, false), all_gateways(regions, true)];
    let mut out: Vec<(Side, usize)> = found
        .into_iter()
        .filter(|&(i, j)| {
            comparable(&regions[i], &regions[j]) && chain_of(&regions[i], &regions[j]) != "output"
        })
        .map(|(i, j)| {
            if regions[i].gateway {
                // To another gateway: the sender's `output`, then the receiver's `input`.
                let mut together = regions[i].clone();
                together.gateways = gateways[usize::from(together.v6)].clone();
                (Side::Gateways(together, sets[i].clone()), j)
            } else {
                (Side::Region(i), j)
            }
        })
        .collect();
    let names_sources = indexes.get("output").is_some_and(|i| i.names_sources());
    for v6 in [false, true] {
        let senders: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| regions[i].gateway && regions[i].v6 == v6 && regions[i].address.is_some())
            .collect();
        // One stands for all, unless a rule of `output` tells them apart.
        let senders = if names_sources {
            senders
        } else {
            senders.into_iter().take(1).collect()
        };
        for i in senders {
            let mut together = regions[i].clone();
            together.gateways = gateways[usize::from(v6)].clone();
            for &j in &all {
                if comparable(&together, &regions[j]) && !regions[j].gateway {
                    out.push((Side::Gateways(together.clone(), sets[i].clone()), j));
                }
            }
        }
    }
    Ok(out)
}

/// Whether traffic between two regions passes the firewall: of one family, one of them at an
/// address, and not a gateway's traffic to its own address (which stays on loopback).
fn comparable(a: &regions::Region, b: &regions::Region) -> bool {
    a.v6 == b.v6
        && (a.address.is_some() || b.address.is_some())
        && !(a.gateway && b.gateway && a.address == b.address)
}

/// Every gateway at some address of the family, once each: the gateways that can send
/// what a gateway's flow lets out in that family (the emitter writes a flow's rules in the
/// families its sender has addresses in).
fn all_gateways(regions: &[regions::Region], v6: bool) -> Vec<String> {
    regions
        .iter()
        .filter(|r| r.v6 == v6)
        .flat_map(|r| r.gateways.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Every pair of regions of a family; the gateways' own traffic from each gateway, speaking
/// for them all.
fn every_pair(regions: &[regions::Region], sets: &[BTreeSet<String>]) -> Vec<(Side, usize)> {
    let gateways = [all_gateways(regions, false), all_gateways(regions, true)];
    let mut out = Vec::new();
    for (i, a) in regions.iter().enumerate() {
        for (j, b) in regions.iter().enumerate() {
            if !comparable(a, b) {
                continue;
            }
            if a.gateway {
                let mut together = a.clone();
                together.gateways = gateways[usize::from(a.v6)].clone();
                out.push((Side::Gateways(together, sets[i].clone()), j));
            } else {
                out.push((Side::Region(i), j));
            }
        }
    }
    out
}

/// One ruleset against the flows, on the pairs of regions chosen (or every pair); with the
/// inventory it was rendered for, if any.
#[allow(clippy::too_many_arguments)]
fn check_firewall(
    ir: &PolicyIr,
    flows_all: &[FlowIr],
    flows: &BTreeMap<(String, String), Vec<&FlowIr>>,
    ruleset: &Ruleset,
    inventory: Option<&Inventory>,
    now: i64,
    exhaustive: bool,
    tally: &mut firewall::Tally,
) -> Result<(), String> {
    let is_everywhere = |name: &str| {
        ir.endpoint(name)
            .is_some_and(|e| e.addresses.iter().any(|a| a.len == 0))
    };
    let is_gateway = |name: &str| ir.endpoint(name).is_some_and(|e| e.kind == "gateway");
    let outbound_declared = ir.flows.iter().any(|f| {
        (is_gateway(&f.from) && is_everywhere(&f.to))
            || (f.bidirectional && is_gateway(&f.to) && is_everywhere(&f.from))
    });
    let mut moments: Vec<i64> = ruleset.moments();
    moments.extend(flows_all.iter().filter_map(|f| f.until));
    let checker = firewall::Firewall {
        layer: if inventory.is_some() {
            "firewall (one thing of each class onboarded)"
        } else {
            "firewall"
        },
        ruleset,
        flows,
        now,
        outbound_declared,
    };
    let regions = regions::regions(ir, &ruleset.prefixes(), inventory);
    let sets: Vec<BTreeSet<String>> = regions
        .iter()
        .map(|r| ruleset.sets_holding(r.address, r.named.as_deref()))
        .collect();
    let mut indexes = BTreeMap::new();
    for chain in ["input", "forward", "output"] {
        indexes.insert(chain, ruleset.index(chain)?);
    }
    let chosen = if exhaustive {
        every_pair(&regions, &sets)
    } else {
        pairs(&regions, &sets, flows, ruleset, &indexes)?
    };
    for (a, b) in chosen {
        let (a, sets_a) = match &a {
            Side::Region(i) => (&regions[*i], &sets[*i]),
            Side::Gateways(region, sets) => (region, sets),
        };
        checker.pair(
            a,
            &regions[b],
            (sets_a, &sets[b]),
            &indexes,
            &moments,
            tally,
        )?;
    }
    Ok(())
}

/// One thing of each class, as validation onboards them (`things.rs`).
pub fn one_thing_of_each(ir: &PolicyIr) -> Inventory {
    things::one_of_each(ir)
}

/// The firewall alone: `ruleset` (rendered for `inventory`, if any) against the IR's flows.
pub fn validate_firewall(
    ir: &PolicyIr,
    ruleset: &str,
    inventory: Option<&Inventory>,
    now: i64,
    exhaustive: bool,
) -> Result<Validation, String> {
    let mut flows_all: Vec<FlowIr> = ir.flows.clone();
    flows_all.extend(implied_flows(ir));
    let flows = space::directed(&flows_all);
    let mut tally = firewall::Tally::default();
    let ruleset = Ruleset::parse(ruleset)?;
    check_firewall(
        ir, &flows_all, &flows, &ruleset, inventory, now, exhaustive, &mut tally,
    )?;
    Ok(Validation {
        firewall_pairs: tally.pairs,
        firewall_cells: tally.cells,
        mismatches: tally.mismatches,
        more: tally.more,
        ..Validation::default()
    })
}

/// Validates a bundle's firewall and Cedar policies against its IR, as of `now` and after:
/// time-limited flows are checked on both sides of their ends.
pub fn validate(ir: &PolicyIr, compiled: &Compiled, now: i64) -> Result<Validation, String> {
    validate_pairs(ir, compiled, now, false)
}

/// `validate`, with the firewall checked on every pair of regions (and every gateway on its
/// own) when `exhaustive`: what tests compare the chosen pairs against.
///
/// The firewall is checked twice: the bundle's ruleset (classes stand for their segments'
/// subnets), and the ruleset a gateway renders once one thing of each class is onboarded
/// (`things::one_of_each`; classes stand for their things' addresses), which is what runs,
/// and the only one that gives a class without a subnet (a MUD import's) any rule.
pub fn validate_pairs(
    ir: &PolicyIr,
    compiled: &Compiled,
    now: i64,
    exhaustive: bool,
) -> Result<Validation, String> {
    let mut validation = validate_firewall(ir, compiled.ruleset, None, now, exhaustive)?;
    let inventory = one_thing_of_each(ir);
    let rendered = ward_compiler::emit::nft::ruleset_for_inventory(
        ir,
        &inventory,
        &ward_compiler::emit::nft::Raised::new(),
    );
    let onboarded = validate_firewall(ir, &rendered, Some(&inventory), now, exhaustive)?;
    validation.firewall_pairs += onboarded.firewall_pairs;
    validation.firewall_cells += onboarded.firewall_cells;
    validation.absorb(onboarded.mismatches, onboarded.more);
    let cedar = cedar::check(ir, compiled, now)?;
    validation.cedar_requests = cedar.requests;
    validation.absorb(cedar.mismatches, cedar.more);
    Ok(validation)
}
