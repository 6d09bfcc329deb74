//! Changes in allowed traffic, decided on the packet space (`crate::space`) of both versions'
//! flows rather than on their declarations: a range of cells NEW allows and OLD refused
//! widens, the reverse narrows, each with a concrete connection as counterexample and the
//! declarations behind it; a pair of endpoints whose declarations changed while its traffic
//! did not is a rewrite (ranges split or merged, `<->` written as two flows, flows moved to
//! a renamed class).

use std::collections::{BTreeMap, BTreeSet};

use super::{Change, Counterexample, list_or_none, moment};
use crate::ir::{FlowIr, PolicyIr};
use crate::space::{self, Cell};

/// A flow as a reviewer tells it from another: its text, operation and end.
pub(super) fn flow_key(flow: &FlowIr) -> String {
    let mut key = flow.describe();
    if flow.action != "send" {
        key.push_str(&format!(" {{ action = {} }}", flow.action));
    }
    if let Some(end) = flow.until {
        key.push_str(&format!(" until {}", moment(end)));
    }
    key
}

/// A declaration and where it is: "`lamp -> cloud : tcp/443` (lamp.ward:12)".
fn flow_label(flow: &FlowIr) -> String {
    format!(
        "`{}` ({}:{})",
        flow_key(flow),
        flow.origin.file,
        flow.origin.line
    )
}

fn labels(flows: &[&FlowIr]) -> Vec<String> {
    let mut labels: Vec<String> = flows.iter().map(|f| flow_label(f)).collect();
    labels.sort();
    labels.dedup();
    labels
}

/// What the flows of each version allow, pair by pair (under NEW's names: `renamed` maps
/// OLD's to them).
pub(super) fn traffic(
    old: &PolicyIr,
    new: &PolicyIr,
    renamed: &BTreeMap<String, String>,
    now: i64,
) -> Vec<Change> {
    let rename = |name: &String| renamed.get(name).unwrap_or(name).clone();
    let old_flows: Vec<FlowIr> = old
        .flows
        .iter()
        .map(|f| FlowIr {
            from: rename(&f.from),
            to: rename(&f.to),
            ..f.clone()
        })
        .collect();
    let before = space::directed(&old_flows);
    let after = space::directed(&new.flows);
    let pairs: BTreeSet<&(String, String)> = before.keys().chain(after.keys()).collect();
    let places = Places {
        old,
        new,
        renamed_back: renamed
            .iter()
            .map(|(a, b)| (b.clone(), a.clone()))
            .collect(),
    };
    let mut changes = Vec::new();
    // Rewrites, by what they were and what they are: a `<->` split in two is one rewrite.
    let mut rewrites: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    let none = Vec::new();
    for pair in pairs {
        let was = before.get(pair).unwrap_or(&none);
        let is = after.get(pair).unwrap_or(&none);
        let mut open: Option<Span> = None;
        let mut differs = false;
        for cell in space::cells(was.iter().chain(is.iter()).copied(), now) {
            let allowed_before = space::deciding(was, &cell);
            let allowed_after = space::deciding(is, &cell);
            if allowed_before.is_empty() == allowed_after.is_empty() {
                if let Some(span) = open.take() {
                    changes.push(span.change(&places, pair, now));
                }
                continue;
            }
            differs = true;
            let span = Span {
                widens: allowed_before.is_empty(),
                old: labels(&allowed_before),
                new: labels(&allowed_after),
                cell,
            };
            open = match open.take() {
                Some(mut current) if current.extends(&span) => {
                    if let (Some((low, _)), Some((_, high))) = (current.cell.ports, span.cell.ports)
                    {
                        current.cell.ports = Some((low, high));
                    }
                    Some(current)
                }
                Some(current) => {
                    changes.push(current.change(&places, pair, now));
                    Some(span)
                }
                None => Some(span),
            };
        }
        if let Some(span) = open.take() {
            changes.push(span.change(&places, pair, now));
        }
        // A rewrite names the declarations that differ, not those both versions share.
        let keys =
            |flows: &[&FlowIr]| -> BTreeSet<String> { flows.iter().map(|f| flow_key(f)).collect() };
        let (was_keys, is_keys) = (keys(was), keys(is));
        if !differs && was_keys != is_keys {
            let only = |flows: &[&FlowIr], other: &BTreeSet<String>| -> Vec<String> {
                let kept: Vec<&FlowIr> = flows
                    .iter()
                    .copied()
                    .filter(|f| !other.contains(&flow_key(f)))
                    .collect();
                labels(&kept)
            };
            rewrites.insert((only(was, &is_keys), only(is, &was_keys)));
        }
    }
    for (was, is) in rewrites {
        changes.push(Change {
            subject: "flow",
            change: "rewritten",
            what: format!(
                "{} -> {}: the same traffic",
                list_or_none(&was),
                list_or_none(&is)
            ),
            old: was,
            new: is,
            ..Change::default()
        });
    }
    changes
}

/// Where a counterexample's endpoints are: NEW's addresses for what NEW allows, OLD's (under
/// the OLD names of renamed endpoints) for what OLD allowed.
struct Places<'a> {
    old: &'a PolicyIr,
    new: &'a PolicyIr,
    renamed_back: BTreeMap<String, String>,
}

impl Places<'_> {
    fn addresses(&self, widens: bool, from: &str, to: &str) -> (Option<String>, Option<String>) {
        let back = |name: &str| {
            self.renamed_back
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string())
        };
        let (ir, from, to) = if widens {
            (self.new, from.to_string(), to.to_string())
        } else {
            (self.old, back(from), back(to))
        };
        // IPv4 when both ends have an IPv4 address, else IPv6.
        let v6 = space::example_address(ir, &from, false).is_none()
            || space::example_address(ir, &to, false).is_none();
        let address = |name: &str| space::example_address(ir, name, v6).map(|a| a.to_string());
        (address(&from), address(&to))
    }
}

/// Neighbouring cells of one pair that changed alike, merged into a range of ports.
struct Span {
    widens: bool,
    old: Vec<String>,
    new: Vec<String>,
    cell: Cell,
}

impl Span {
    fn extends(&self, next: &Span) -> bool {
        let (a, b) = (&self.cell, &next.cell);
        let adjacent = matches!(
            (a.ports, b.ports),
            (Some((_, high)), Some((low, _))) if u32::from(high) + 1 == u32::from(low)
        );
        adjacent
            && self.widens == next.widens
            && self.old == next.old
            && self.new == next.new
            && (a.protocol, &a.action, a.start, a.end) == (b.protocol, &b.action, b.start, b.end)
    }

    fn change(self, places: &Places, pair: &(String, String), now: i64) -> Change {
        let cell = &self.cell;
        let (from, to) = pair;
        let action = if cell.action == "send" {
            String::new()
        } else {
            format!(" {{ action = {} }}", cell.action)
        };
        let when = match (cell.start > now, cell.end) {
            (false, None) => String::new(),
            (false, Some(end)) => format!(" until {}", moment(end)),
            (true, None) => format!(" from {}", moment(cell.start)),
            (true, Some(end)) => format!(" from {} until {}", moment(cell.start), moment(end)),
        };
        let what = if self.widens {
            format!(
                "`{from} -> {to}` {}{action}{when}: allowed by {}; refused before",
                cell.ports_text(),
                self.new.join(", ")
            )
        } else {
            format!(
                "`{from} -> {to}` {}{action}{when}: refused now; allowed before by {}",
                cell.ports_text(),
                self.old.join(", ")
            )
        };
        let (source, destination) = places.addresses(self.widens, from, to);
        Change {
            subject: "traffic",
            change: if self.widens { "widened" } else { "narrowed" },
            what,
            widens: self.widens,
            counterexample: Some(Counterexample {
                from: from.clone(),
                to: to.clone(),
                source,
                destination,
                // Every protocol but TCP, UDP and ICMP is alike to a flow: GRE stands for
                // them.
                protocol: if cell.protocol == "other" {
                    "gre".to_string()
                } else {
                    cell.protocol.to_string()
                },
                port: cell.port(),
                operation: cell.action.clone(),
                at: moment(cell.start),
            }),
            old: self.old,
            new: self.new,
        }
    }
}
