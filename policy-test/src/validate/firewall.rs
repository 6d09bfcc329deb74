//! The compiled ruleset against the policy, on every cell of the packet space between every
//! two regions of the address space.
//!
//! What the policy says of a packet (the specification, read from the IR alone): a new
//! connection from region A to region B is accepted when a flow (declared, or implied: see
//! `super::implied_flows`) from one of A's endpoints to one of B's carries its protocol and
//! port and has not ended; except, between segments (`forward`), from a lower level to a
//! higher one, never. The gateway itself reaches what is outside the policy (its DNS and
//! MUD servers) unless a flow from a gateway names `internet`, after which it reaches only
//! what flows declare. What the ruleset says is the evaluator's verdict on the region's
//! representative addresses, in the chain the packet passes: `input` when B is a gateway's
//! address, `output` when A is, else `forward`; between two gateways, the sender's `output`
//! and the receiver's `input` both.
//!
//! The firewall decides by address: a flow from a class admits every address of its
//! segments, so two classes of one segment are one place to it (Cedar tells them apart).

use std::collections::{BTreeMap, BTreeSet};

use ward_compiler::ir::FlowIr;
use ward_compiler::space::{self, Cell, Edges};

use super::Mismatch;
use super::regions::Region;
use crate::nft_eval::{ChainIndex, Packet, Ruleset};

/// The evaluator's name of a protocol of the space.
fn nft_protocol(protocol: &str) -> &str {
    match protocol {
        "icmpv6" => "ipv6-icmp",
        "other" => "gre",
        other => other,
    }
}

/// Whether a protocol exists in a family: ICMP is IPv4's, ICMPv6 IPv6's.
fn in_family(protocol: &str, v6: bool) -> bool {
    match protocol {
        "icmp" => !v6,
        "icmpv6" => v6,
        _ => true,
    }
}

pub(super) struct Firewall<'a> {
    /// Which ruleset, in mismatches: the bundle's, or one rendered for onboarded things.
    pub layer: &'static str,
    pub ruleset: &'a Ruleset,
    pub flows: &'a BTreeMap<(String, String), Vec<&'a FlowIr>>,
    pub now: i64,
    /// Whether a flow from a gateway names `internet`: the gateway's outbound traffic is the
    /// policy's.
    pub outbound_declared: bool,
}

/// What the checks found: the cells decided, and the first mismatches.
#[derive(Default)]
pub(super) struct Tally {
    pub cells: usize,
    pub pairs: usize,
    pub mismatches: Vec<Mismatch>,
    pub more: usize,
}

impl Tally {
    pub fn push(&mut self, mismatch: Mismatch) {
        if self.mismatches.len() < super::SHOWN {
            self.mismatches.push(mismatch);
        } else {
            self.more += 1;
        }
    }
}

impl Firewall<'_> {
    /// The flows from one of `sources` to one of `destinations`.
    fn flows_between(&self, sources: &[String], destinations: &[String]) -> Vec<&FlowIr> {
        let mut out = Vec::new();
        for from in sources {
            for to in destinations {
                if let Some(flows) = self.flows.get(&(from.clone(), to.clone())) {
                    out.extend(flows.iter().copied());
                }
            }
        }
        out
    }

    /// The policy's verdict on a cell's packet in one chain, with the flows that allow it.
    fn expected(
        &self,
        chain: &str,
        a: &Region,
        b: &Region,
        flows: &[&FlowIr],
        cell: &Cell,
    ) -> (bool, Vec<String>) {
        let (protocol, port, time) = (cell.protocol, cell.port(), cell.start);
        if chain == "forward"
            && a.levels
                .iter()
                .any(|low| b.levels.iter().any(|high| low < high))
        {
            return (false, Vec::new());
        }
        let allowing: Vec<String> = flows
            .iter()
            .filter(|f| {
                f.until.is_none_or(|end| time < end)
                    && (f.ports.is_empty()
                        || f.ports
                            .iter()
                            .any(|p| space::port_covers(p, protocol, port)))
            })
            .map(|f| f.origin.describe())
            .collect();
        if !allowing.is_empty() {
            return (true, allowing);
        }
        // The gateway reaches what is outside the policy unless the policy states its
        // outbound traffic; the policy's endpoints, other gateways included, only by flows.
        let operators = chain == "output" && b.outside && !self.outbound_declared;
        (operators, Vec::new())
    }

    fn packet(a: &Region, b: &Region, protocol: &str, port: Option<u16>, time: i64) -> Packet {
        Packet {
            source: a.address,
            destination: b.address,
            source_endpoint: a.named.clone(),
            destination_endpoint: b.named.clone(),
            v6: a.v6,
            protocol: nft_protocol(protocol).to_string(),
            port,
            time,
        }
    }

    /// Checks every cell between two regions.
    #[allow(clippy::too_many_arguments)]
    pub fn pair(
        &self,
        a: &Region,
        b: &Region,
        sets: (&BTreeSet<String>, &BTreeSet<String>),
        indexes: &BTreeMap<&'static str, ChainIndex>,
        moments: &[i64],
        tally: &mut Tally,
    ) -> Result<(), String> {
        let chains: &[&'static str] = match (a.gateway, b.gateway) {
            (true, true) => &["output", "input"],
            (false, true) => &["input"],
            (true, false) => &["output"],
            (false, false) => &["forward"],
        };
        // Who sends and who receives, per chain. The gateway itself leaves by `output`,
        // whose rules name the destination only: it reaches a gateway's address as it
        // reaches whatever endpoint holds that address (a gateway's address often lies in a
        // segment's subnet). Everywhere else the source is judged by its address, and what
        // `input` admits is for the gateway.
        let ends = |chain: &str| -> (&[String], &[String]) {
            if chain == "output" {
                (&a.gateways, &b.owners)
            } else {
                (&a.owners, b.destinations())
            }
        };
        let flows_of: Vec<Vec<&FlowIr>> = chains
            .iter()
            .map(|chain| {
                let (senders, receivers) = ends(chain);
                self.flows_between(senders, receivers)
            })
            .collect();
        let flows: Vec<&FlowIr> = flows_of.iter().flatten().copied().collect();
        let probe = Self::packet(a, b, "tcp", None, self.now);
        let mut edges = Edges::new(self.now);
        for &end in moments {
            edges.moment(end);
        }
        for flow in &flows {
            edges.traffic(flow);
        }
        let mut candidates = Vec::new();
        for &chain in chains {
            let Some(index) = indexes.get(chain) else {
                return Err(format!("the ruleset has no chain `{chain}`"));
            };
            let rules = self
                .ruleset
                .may_decide(chain, index, sets.0, sets.1, &probe)?;
            self.ruleset.edges(chain, &rules, &mut edges);
            candidates.push((chain, rules));
        }
        tally.pairs += 1;
        // The firewall ignores operations: one cell per port range and moment.
        for cell in edges.cells() {
            if !in_family(cell.protocol, a.v6) {
                continue;
            }
            tally.cells += 1;
            let packet = Self::packet(a, b, cell.protocol, cell.port(), cell.start);
            let mut accepted = true;
            let mut by = Vec::new();
            for (chain, rules) in &candidates {
                let verdict = self.ruleset.decide_among(chain, rules, &packet)?;
                by.push(format!("{chain}: {}", verdict.by));
                if !verdict.accepted {
                    accepted = false;
                    break;
                }
            }
            // Allowed when every chain the packet passes allows it.
            let mut expected = true;
            let mut allowing = Vec::new();
            for (chain, flows) in chains.iter().zip(&flows_of) {
                let (yes, why) = self.expected(chain, a, b, flows, &cell);
                expected &= yes;
                allowing.extend(why);
            }
            allowing.sort();
            allowing.dedup();
            if accepted != expected {
                tally.push(Mismatch {
                    layer: self.layer,
                    from: a.describe(),
                    to: b.describe(),
                    protocol: nft_protocol(cell.protocol).to_string(),
                    port: cell.port(),
                    operation: None,
                    at: cell.start,
                    expected,
                    actual: accepted,
                    by: by.join("; "),
                    declared: allowing,
                });
            }
        }
        Ok(())
    }
}
