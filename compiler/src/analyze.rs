//! `ward analyze`: what a reviewer asks of a policy beyond its checks, read from the IR.
//!
//! - Redundant flows: every connection a flow allows (on the packet space of its pair of
//!   endpoints, `crate::space`) is allowed by other flows too: it can go without changing
//!   anything, or it hides a mistake (the other flow is wider than meant).
//! - Flows that can never carry traffic: an endpoint with no address (a service with neither
//!   address nor host name; a class without a subnet gets its things' addresses at onboarding),
//!   or a flow that has ended. (A
//!   segment that mixes levels, whose lower-to-higher drops would refuse flows the classes'
//!   own levels allow, is E0502.)
//! - Flows the firewall widens: it decides by address, so a flow from one class of a segment
//!   admits the same traffic from the segment's other classes; reported where no flow of
//!   theirs allows it (Cedar tells them apart; a segment of its own closes the gap).
//! - Reachability: from a thing, what it can reach in one or more steps through permitted flows
//!   (each endpoint reached is a place an attacker holding the thing can go next: its blast
//!   radius), and every path from a lower level to a higher one made of steps that are each
//!   allowed: no single flow is lower-to-higher, yet the chain is.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use crate::ir::{FlowIr, PolicyIr};
use crate::space;

/// One finding about one flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowFinding {
    /// `redundant`, `dead` or `widened`.
    pub kind: &'static str,
    /// The flow, as declared, with its source line.
    pub flow: String,
    pub why: String,
}

/// A path of flows, endpoint by endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    pub endpoints: Vec<String>,
    /// The flow of each step, with its source line.
    pub flows: Vec<String>,
}

/// What one endpoint reaches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub from: String,
    /// Every endpoint reached, with the shortest path to it.
    pub reached: Vec<Path>,
}

/// A path that climbs: its first endpoint's level is below its last's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Climb {
    pub from_level: i64,
    pub to_level: i64,
    pub path: Path,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Analysis {
    pub flows: Vec<FlowFinding>,
    pub reach: Vec<Reach>,
    pub climbs: Vec<Climb>,
}

fn label(flow: &FlowIr) -> String {
    let action = if flow.action == "send" {
        String::new()
    } else {
        format!(" {{ action = {} }}", flow.action)
    };
    format!(
        "`{}{action}` ({}:{})",
        flow.describe(),
        flow.origin.file,
        flow.origin.line
    )
}

/// Flows whose every cell another flow of the same pair also allows (both pairs, for `<->`).
fn redundant(ir: &PolicyIr, now: i64, out: &mut Vec<FlowFinding>) {
    // Per flow (by its place in the IR): whether some cell is its alone, and who covers it.
    let index: BTreeMap<*const FlowIr, usize> = ir
        .flows
        .iter()
        .enumerate()
        .map(|(i, f)| (f as *const FlowIr, i))
        .collect();
    let mut alone = vec![false; ir.flows.len()];
    let mut allows = vec![false; ir.flows.len()];
    let mut covered_by: Vec<BTreeSet<String>> = vec![BTreeSet::new(); ir.flows.len()];
    for flows in space::directed(&ir.flows).values() {
        for cell in space::cells(flows.iter().copied(), now) {
            let covering: Vec<&FlowIr> = flows
                .iter()
                .copied()
                .filter(|f| space::covers(f, cell.protocol, cell.port(), &cell.action, cell.start))
                .collect();
            for flow in &covering {
                let Some(&i) = index.get(&(*flow as *const FlowIr)) else {
                    continue;
                };
                allows[i] = true;
                if covering.len() == 1 {
                    alone[i] = true;
                } else {
                    covered_by[i].extend(
                        covering
                            .iter()
                            .filter(|other| !std::ptr::eq(**other, *flow))
                            .map(|other| label(other)),
                    );
                }
            }
        }
    }
    for (i, flow) in ir.flows.iter().enumerate() {
        if allows[i] && !alone[i] {
            out.push(FlowFinding {
                kind: "redundant",
                flow: label(flow),
                why: format!(
                    "every connection it allows is allowed by {}",
                    covered_by[i].iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
}

/// Whether an endpoint has no address the firewall can ever know: a service or gateway with
/// neither address nor host name. A class always can: without a subnet its things' addresses
/// come at onboarding, and the ruleset a gateway renders for them carries the class's flows.
fn placeless(ir: &PolicyIr, name: &str) -> bool {
    ir.class(name).is_none()
        && ir.addresses_of(name).is_empty()
        && ir.endpoint(name).is_none_or(|e| e.host.is_none())
}

/// Flows that can never carry traffic.
fn dead(ir: &PolicyIr, now: i64, out: &mut Vec<FlowFinding>) {
    for flow in &ir.flows {
        let mut why = Vec::new();
        for end in [&flow.from, &flow.to] {
            if placeless(ir, end) {
                why.push(format!("`{end}` has neither an address nor a host name"));
            }
        }
        if let Some(end) = flow.until
            && end <= now
        {
            why.push(format!(
                "it ended on {}",
                ward_lang::time::Timestamp::natural(end)
            ));
        }
        if !why.is_empty() {
            out.push(FlowFinding {
                kind: "dead",
                flow: label(flow),
                why: why.join("; "),
            });
        }
    }
}

/// Flows the firewall widens: it decides by address, so the classes of one segment are one
/// place to it, and a flow from (or to) one of them admits the same traffic from (or to) the
/// others. Reported where no flow of the other class's own allows that traffic (Cedar still
/// tells them apart: the firewall is the coarser wall).
fn widened(ir: &PolicyIr, now: i64, out: &mut Vec<FlowFinding>) {
    let by_pair = space::directed(&ir.flows);
    // The other classes that share an address with a class: those of its segment, when the
    // segment has a subnet.
    let neighbours = |class: &str| -> Vec<(&str, &str)> {
        let Some(segment) = ir
            .class(class)
            .and_then(|c| c.segment.as_deref())
            .and_then(|s| ir.segment(s))
            .filter(|s| !s.subnets.is_empty())
        else {
            return Vec::new();
        };
        segment
            .classes
            .iter()
            .filter(|c| c.as_str() != class)
            .map(|c| (c.as_str(), segment.name.as_str()))
            .collect()
    };
    // A flow that carries nothing (`dead`) widens nothing.
    let carrying = ir.flows.iter().filter(|f| {
        !placeless(ir, &f.from) && !placeless(ir, &f.to) && f.until.is_none_or(|end| end > now)
    });
    for flow in carrying {
        let mut directions = vec![(flow.from.as_str(), flow.to.as_str())];
        if flow.bidirectional {
            directions.push((flow.to.as_str(), flow.from.as_str()));
        }
        let mut why = Vec::new();
        for (from, to) in directions {
            for (source_side, end) in [(true, from), (false, to)] {
                for (other, segment) in neighbours(end) {
                    let (a, b) = if source_side {
                        (other, to)
                    } else {
                        (from, other)
                    };
                    if a == b {
                        continue;
                    }
                    let own: &[&FlowIr] = by_pair
                        .get(&(a.to_string(), b.to_string()))
                        .map_or(&[], Vec::as_slice);
                    // Cells cut by this flow and the pair's own flows, so that a port the
                    // own flows leave out is a cell of its own. The firewall ignores
                    // operations: any flow of the pair carrying the packet lets it through.
                    let cells = space::cells(std::iter::once(flow).chain(own.iter().copied()), now);
                    let example = cells.into_iter().find(|cell| {
                        space::covers(flow, cell.protocol, cell.port(), &flow.action, cell.start)
                            && !own.iter().any(|g| {
                                space::covers(g, cell.protocol, cell.port(), &g.action, cell.start)
                            })
                    });
                    if let Some(cell) = example {
                        let port = cell.port().map(|p| format!("/{p}")).unwrap_or_default();
                        why.push(format!(
                            "`{a} -> {b}` passes the firewall too ({}{port}, e.g.): `{other}` shares segment `{segment}` with `{end}`, and no flow of its own allows it",
                            cell.protocol
                        ));
                    }
                }
            }
        }
        if !why.is_empty() {
            out.push(FlowFinding {
                kind: "widened",
                flow: label(flow),
                why: why.join("; "),
            });
        }
    }
}

/// The flows that can carry traffic now, as steps from endpoint to endpoint.
fn steps(ir: &PolicyIr, now: i64) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for flow in ir
        .flows
        .iter()
        .filter(|f| f.until.is_none_or(|end| end > now))
    {
        out.entry(flow.from.clone())
            .or_default()
            .push((flow.to.clone(), label(flow)));
        if flow.bidirectional {
            out.entry(flow.to.clone())
                .or_default()
                .push((flow.from.clone(), label(flow)));
        }
    }
    out
}

/// Shortest paths from `start` to every endpoint it reaches (breadth first).
fn reach_from(steps: &BTreeMap<String, Vec<(String, String)>>, start: &str) -> Vec<Path> {
    let mut previous: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut queue = VecDeque::from([start.to_string()]);
    let mut order = Vec::new();
    while let Some(at) = queue.pop_front() {
        for (next, flow) in steps.get(&at).into_iter().flatten() {
            if next != start && !previous.contains_key(next) {
                previous.insert(next.clone(), (at.clone(), flow.clone()));
                order.push(next.clone());
                queue.push_back(next.clone());
            }
        }
    }
    order
        .into_iter()
        .map(|end| {
            let mut endpoints = vec![end.clone()];
            let mut flows = Vec::new();
            let mut at = end;
            while let Some((before, flow)) = previous.get(&at) {
                endpoints.push(before.clone());
                flows.push(flow.clone());
                at = before.clone();
            }
            endpoints.reverse();
            flows.reverse();
            Path { endpoints, flows }
        })
        .collect()
}

/// At most this many climbing paths are listed.
const CLIMBS: usize = 100;

/// Analyses the policy as of `now`; `from` limits reachability to those endpoints (every class
/// when empty).
pub fn analyze(ir: &PolicyIr, now: i64, from: &[String]) -> Analysis {
    let mut analysis = Analysis::default();
    redundant(ir, now, &mut analysis.flows);
    dead(ir, now, &mut analysis.flows);
    widened(ir, now, &mut analysis.flows);
    let steps = steps(ir, now);
    let starts: Vec<String> = if from.is_empty() {
        ir.classes.iter().map(|c| c.name.clone()).collect()
    } else {
        from.to_vec()
    };
    for start in &starts {
        let reached = reach_from(&steps, start);
        if let Some(low) = ir.level_of(start) {
            for path in &reached {
                let Some(last) = path.endpoints.last() else {
                    continue;
                };
                // A climb through more than one step: one step up is E0300's, or the
                // thing's own gateway.
                if let Some(high) = ir.level_of(last)
                    && high > low
                    && path.flows.len() > 1
                    && analysis.climbs.len() < CLIMBS
                {
                    analysis.climbs.push(Climb {
                        from_level: low,
                        to_level: high,
                        path: path.clone(),
                    });
                }
            }
        }
        if !from.is_empty() {
            analysis.reach.push(Reach {
                from: start.clone(),
                reached,
            });
        }
    }
    analysis
}

/// The reachability of `reach` as Graphviz DOT: the starting endpoints, what they reach and the
/// flows on the shortest paths; the steps of a path that climbs to a higher level in red.
pub fn reach_dot(ir: &PolicyIr, analysis: &Analysis) -> String {
    // DOT's quoted string, its line breaks written `\n`.
    let quote = |s: &str| {
        format!(
            "\"{}\"",
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        )
    };
    let mut out = String::from(
        "digraph reach {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n",
    );
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for reach in &analysis.reach {
        nodes.insert(reach.from.clone());
        for path in &reach.reached {
            for pair in path.endpoints.windows(2) {
                nodes.insert(pair[1].clone());
                edges.insert((pair[0].clone(), pair[1].clone()));
            }
        }
    }
    let starts: BTreeSet<&String> = analysis.reach.iter().map(|r| &r.from).collect();
    for node in &nodes {
        let level = ir
            .level_of(node)
            .map_or("unknown level".to_string(), |l| format!("level {l}"));
        let style = if starts.contains(node) {
            ", style=bold"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {} [label={}{style}];\n",
            quote(node),
            quote(&format!("{node}\n{level}"))
        ));
    }
    // The steps of a path that climbs from a starting endpoint.
    let climbing: BTreeSet<(&String, &String)> = analysis
        .climbs
        .iter()
        .filter(|c| c.path.endpoints.first().is_some_and(|f| starts.contains(f)))
        .flat_map(|c| c.path.endpoints.windows(2).map(|w| (&w[0], &w[1])))
        .collect();
    for (a, b) in &edges {
        let colour = if climbing.contains(&(a, b)) {
            " [color=red]"
        } else {
            ""
        };
        out.push_str(&format!("  {} -> {}{colour};\n", quote(a), quote(b)));
    }
    out.push_str("}\n");
    out
}
