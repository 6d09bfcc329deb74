//! The packet space of a policy: what every question of exact review ranges over.
//!
//! A policy allows traffic: a connection from one endpoint to another, by protocol and
//! destination port, carrying an operation, opened at some moment. That space is large (two
//! port-carrying protocols of 65,536 ports, every moment from now on), but every declared
//! flow is a box in it with few edges, and every rule compiled from a flow is the same box.
//! Between two edges nothing can tell two packets apart, so the space splits into finitely
//! many cells, and deciding one point of each cell decides the whole space: that is how
//! `ward diff` finds a concrete counterexample for each change in allowed traffic, and how
//! translation validation proves the compiled ruleset and Cedar policies accept exactly what
//! the flows declare.
//!
//! The cells of a pair of endpoints are the product of:
//! - protocols: `tcp`, `udp`, `icmp`, `icmpv6`, and `other` (every other IP protocol: what a
//!   flow without ports, or with `any`, also carries);
//! - for `tcp` and `udp`, the port ranges cut at every edge of a flow's range (a flow on
//!   443-450 and another on 445 give 0-442, 443-444, 445, 446-450, 451-65535);
//! - the operations the flows name (`send` when none);
//! - the moments from `now` on, cut at every flow's end (`until`) after `now`: what ended
//!   before `now` is in no cell.
//!
//! The cells of several sets of flows (two versions of a policy, or a policy and what its
//! compiled rules were read back as) are cut at the edges of all of them, so each set
//! decides every cell alike.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use crate::ir::{FlowIr, PolicyIr, PortIr};

/// Every protocol of the space, in the order cells are listed.
pub const PROTOCOLS: [&str; 5] = ["tcp", "udp", "icmp", "icmpv6", "other"];

/// One cell: traffic of one protocol, on a range of ports, carrying one operation, opened
/// between two moments.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cell {
    pub protocol: &'static str,
    /// Inclusive destination ports; `None` for a protocol without ports.
    pub ports: Option<(u16, u16)>,
    pub action: String,
    /// From this moment (seconds since 1970, UTC; inclusive)...
    pub start: i64,
    /// ...to this one (exclusive); `None` is no end.
    pub end: Option<i64>,
}

impl Cell {
    /// The port that stands for the cell: its first.
    pub fn port(&self) -> Option<u16> {
        self.ports.map(|(low, _)| low)
    }

    /// `tcp/443`, `tcp/443-450`, `icmp`.
    pub fn ports_text(&self) -> String {
        match self.ports {
            Some((low, high)) if low == high => format!("{}/{low}", self.protocol),
            Some((low, high)) => format!("{}/{low}-{high}", self.protocol),
            None => self.protocol.to_string(),
        }
    }
}

/// Whether a flow's port item carries `protocol` to `port`.
pub fn port_covers(item: &PortIr, protocol: &str, port: Option<u16>) -> bool {
    if item.protocol == "any" {
        return true;
    }
    if item.protocol != protocol {
        return false;
    }
    match (item.ports, port) {
        (None, _) => true,
        (Some((low, high)), Some(port)) => (low..=high).contains(&port),
        (Some(_), None) => false,
    }
}

/// Whether a flow (in its declared direction) allows a connection of `protocol` to `port`,
/// carrying `action`, opened at `time`.
pub fn covers(flow: &FlowIr, protocol: &str, port: Option<u16>, action: &str, time: i64) -> bool {
    flow.action == action
        && flow.until.is_none_or(|end| time < end)
        && (flow.ports.is_empty() || flow.ports.iter().any(|p| port_covers(p, protocol, port)))
}

/// The flows of a policy by directed pair of endpoints: a `<->` flow is in both.
pub fn directed(flows: &[FlowIr]) -> BTreeMap<(String, String), Vec<&FlowIr>> {
    let mut out: BTreeMap<(String, String), Vec<&FlowIr>> = BTreeMap::new();
    for flow in flows {
        out.entry((flow.from.clone(), flow.to.clone()))
            .or_default()
            .push(flow);
        if flow.bidirectional && flow.from != flow.to {
            out.entry((flow.to.clone(), flow.from.clone()))
                .or_default()
                .push(flow);
        }
    }
    out
}

/// The edges that cut the space into cells: where a port range starts and ends, the
/// operations, the moments something ends. Gathered from flows, and from anything else that
/// decides traffic by the same dimensions (the rules of a compiled ruleset).
#[derive(Clone, Debug)]
pub struct Edges {
    ports: BTreeMap<&'static str, BTreeSet<u32>>,
    actions: BTreeSet<String>,
    moments: BTreeSet<i64>,
    now: i64,
}

impl Edges {
    /// No edge yet: from `now` on, every port of each protocol one cell.
    pub fn new(now: i64) -> Edges {
        Edges {
            ports: ["tcp", "udp"]
                .into_iter()
                .map(|p| (p, BTreeSet::from([0, 65_536])))
                .collect(),
            actions: BTreeSet::new(),
            moments: BTreeSet::from([now]),
            now,
        }
    }

    /// A range of ports of `protocol` decided alike (inclusive).
    pub fn ports(&mut self, protocol: &str, low: u16, high: u16) {
        if let Some(edges) = self.ports.get_mut(protocol) {
            edges.insert(u32::from(low));
            edges.insert(u32::from(high) + 1);
        }
    }

    /// A moment something ends; one before `now` cuts nothing.
    pub fn moment(&mut self, end: i64) {
        if end > self.now {
            self.moments.insert(end);
        }
    }

    pub fn action(&mut self, action: &str) {
        if !self.actions.contains(action) {
            self.actions.insert(action.to_string());
        }
    }

    /// A flow's edges: its ports, operation and end.
    pub fn flow(&mut self, flow: &FlowIr) {
        self.action(&flow.action);
        self.traffic(flow);
    }

    /// A flow's edges but its operation, for what decides by packets alone (a firewall).
    pub fn traffic(&mut self, flow: &FlowIr) {
        if let Some(end) = flow.until {
            self.moment(end);
        }
        for item in &flow.ports {
            if let Some((low, high)) = item.ports {
                self.ports(&item.protocol, low, high);
            }
        }
    }

    /// The cells, listed by operation, moment, protocol and port, so that neighbours in the
    /// list are neighbours in the space (a report merges them back into ranges). With no
    /// operation named, the cells carry `send`.
    pub fn cells(&self) -> Vec<Cell> {
        let moments: Vec<i64> = self.moments.iter().copied().collect();
        let send = BTreeSet::from(["send".to_string()]);
        let actions = if self.actions.is_empty() {
            &send
        } else {
            &self.actions
        };
        let mut out = Vec::new();
        for action in actions {
            for (i, &start) in moments.iter().enumerate() {
                let end = moments.get(i + 1).copied();
                for protocol in PROTOCOLS {
                    let mut cell = |ports| {
                        out.push(Cell {
                            protocol,
                            ports,
                            action: action.clone(),
                            start,
                            end,
                        })
                    };
                    let Some(edges) = self.ports.get(protocol) else {
                        cell(None);
                        continue;
                    };
                    let edges: Vec<u32> = edges.iter().copied().collect();
                    for pair in edges.windows(2) {
                        // Edges are at most 65,536, so both ends fit a port.
                        if let (Ok(low), Ok(high)) =
                            (u16::try_from(pair[0]), u16::try_from(pair[1] - 1))
                        {
                            cell(Some((low, high)));
                        }
                    }
                }
            }
        }
        out
    }
}

/// The cells that tell apart every flow of `flows` (from one set or several), from `now` on.
pub fn cells<'a>(flows: impl IntoIterator<Item = &'a FlowIr>, now: i64) -> Vec<Cell> {
    let mut edges = Edges::new(now);
    for flow in flows {
        edges.flow(flow);
    }
    edges.cells()
}

/// An address an endpoint's traffic comes from or goes to, in one family: a class's first
/// segment host that no gateway or service holds, a service's or gateway's first address;
/// none for an endpoint known by host name only. For an endpoint that holds every address (`internet`), a documentation address
/// (RFC 5737, RFC 3849) stands for a host out there, not `0.0.0.1`.
pub fn example_address(ir: &PolicyIr, name: &str, v6: bool) -> Option<IpAddr> {
    let all = ir.addresses_of(name);
    let first = all.iter().find(|a| a.address.is_ipv6() == v6)?;
    if first.len == 0 {
        // An address of the rest of the world (documentation ranges, RFC 5737 and 3849, then
        // public resolvers' addresses): none of the policy's own, which `internet` is not.
        let candidates: [IpAddr; 4] = if v6 {
            [
                IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
                IpAddr::from([0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1]),
                IpAddr::from([0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111]),
                IpAddr::from([0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888]),
            ]
        } else {
            [
                IpAddr::from([192, 0, 2, 1]),
                IpAddr::from([198, 51, 100, 1]),
                IpAddr::from([203, 0, 113, 1]),
                IpAddr::from([1, 1, 1, 1]),
            ]
        };
        let own = |address: IpAddr| {
            ir.segments
                .iter()
                .flat_map(|s| s.subnets.iter())
                .chain(
                    ir.endpoints
                        .iter()
                        .flat_map(|e| e.addresses.iter())
                        .filter(|p| p.len > 0),
                )
                .any(|p| p.contains_address(address))
        };
        return Some(
            candidates
                .into_iter()
                .find(|a| !own(*a))
                .unwrap_or(candidates[0]),
        );
    }
    // A class's host is one no gateway or service of the policy holds: a gateway often sits
    // at the first host of its segment's subnet, and a packet from there is the gateway's.
    let held = |address: IpAddr| {
        ir.endpoints
            .iter()
            .filter(|e| e.name != name)
            .flat_map(|e| e.addresses.iter())
            .any(|p| p.len > 0 && p.contains_address(address))
    };
    let mut host = first.first_host();
    for _ in 0..EXAMPLE_HOST_TRIES {
        if !held(host) {
            return Some(host);
        }
        match crate::prefix::next_address(host) {
            Some(next) if first.contains_address(next) => host = next,
            _ => break,
        }
    }
    Some(first.first_host())
}

/// How many hosts of a class's subnet `example_address` tries before it settles for the
/// first: gateways and services hold a few addresses of a segment, not hundreds.
const EXAMPLE_HOST_TRIES: usize = 256;

/// The flows of `flows` that allow the traffic of `cell` (each alike on all of it).
pub fn deciding<'a>(flows: &[&'a FlowIr], cell: &Cell) -> Vec<&'a FlowIr> {
    flows
        .iter()
        .copied()
        .filter(|f| covers(f, cell.protocol, cell.port(), &cell.action, cell.start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Origin;

    fn flow(ports: &[(&str, Option<(u16, u16)>)], action: &str, until: Option<i64>) -> FlowIr {
        FlowIr {
            from: "a".into(),
            to: "b".into(),
            bidirectional: false,
            ports: ports
                .iter()
                .map(|(protocol, ports)| PortIr {
                    protocol: protocol.to_string(),
                    ports: *ports,
                })
                .collect(),
            action: action.into(),
            via: None,
            until,
            origin: Origin::default(),
        }
    }

    /// Every cell is decided alike by every flow at each of its ports: checked on its edges
    /// and its middle, for overlapping ranges, a flow without ports and one that ends.
    #[test]
    fn every_flow_decides_a_cell_alike() {
        let flows = [
            flow(&[("tcp", Some((443, 450)))], "send", None),
            flow(
                &[("tcp", Some((445, 445))), ("udp", None)],
                "send",
                Some(2_000),
            ),
            flow(&[], "read", None),
            flow(&[("any", None)], "send", Some(500)),
        ];
        let now = 1_000;
        let cells = cells(&flows, now);
        let tcp: Vec<String> = cells
            .iter()
            .filter(|c| c.protocol == "tcp" && c.action == "send" && c.start == now)
            .map(Cell::ports_text)
            .collect();
        assert_eq!(
            tcp,
            [
                "tcp/0-442",
                "tcp/443-444",
                "tcp/445",
                "tcp/446-450",
                "tcp/451-65535"
            ]
        );
        // The flow that ended at 500 cuts nothing; the one ending at 2,000 does.
        let moments: BTreeSet<(i64, Option<i64>)> =
            cells.iter().map(|c| (c.start, c.end)).collect();
        assert_eq!(
            moments,
            BTreeSet::from([(1_000, Some(2_000)), (2_000, None)])
        );
        for cell in &cells {
            let samples: Vec<Option<u16>> = match cell.ports {
                Some((low, high)) => vec![Some(low), Some(low + (high - low) / 2), Some(high)],
                None => vec![None],
            };
            let times = [cell.start, cell.end.map_or(cell.start + 10_000, |e| e - 1)];
            for flow in &flows {
                let first = covers(flow, cell.protocol, cell.port(), &cell.action, cell.start);
                for port in &samples {
                    for time in times {
                        assert_eq!(
                            covers(flow, cell.protocol, *port, &cell.action, time),
                            first,
                            "{cell:?} at {port:?} {time}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn both_directions_of_a_two_way_flow() {
        let mut two_way = flow(&[], "send", None);
        two_way.bidirectional = true;
        let pairs: Vec<(String, String)> = directed(std::slice::from_ref(&two_way))
            .into_keys()
            .collect();
        assert_eq!(pairs, [("a".into(), "b".into()), ("b".into(), "a".into())]);
    }
}
