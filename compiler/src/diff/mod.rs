//! The semantic difference of two bundles, for code review: what a policy change opens,
//! closes, raises, lowers, adds or drops, read from the bundles' IR (`ir.json`).
//!
//! A change "widens" when it gives more access or less protection: a flow opened, a profile
//! lowered, a mitigation dropped, a credential refreshed less often, a detection rule removed
//! or loosened. `ward diff --fail-on widen` fails on those, so CI can ask for a second
//! reviewer.

mod rename;
mod traffic;

use std::collections::BTreeMap;

use serde::Serialize;
use ward_lang::time::Timestamp;

use crate::ir::{DetectIr, PolicyIr};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `traffic` (what the flows allow), `flow` (declarations rewritten without changing
    /// it), `profile`, `mitigation`, `parameter`, `detection`, `class`, `segment`,
    /// `endpoint` (a service's or gateway's name, addresses or host).
    pub subject: &'static str,
    /// `widened`, `narrowed`, `rewritten`, `raised`, `lowered`, `added`, `dropped`,
    /// `changed`, `removed`, `renamed`, `loosened`, `tightened`.
    pub change: &'static str,
    /// What changed, in a line: "`lamp -> cloud` tcp/444-450: allowed by ...".
    pub what: String,
    pub widens: bool,
    /// For a change in traffic: one connection that NEW allows and OLD refused (widened), or
    /// the reverse (narrowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    /// The declarations of OLD behind it (those that allowed what is narrowed, or those
    /// rewritten), with their source lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub old: Vec<String>,
    /// The declarations of NEW behind it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new: Vec<String>,
}

/// One connection: from an endpoint to another, by protocol and port, carrying an
/// operation, opened at a moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    pub from: String,
    pub to: String,
    /// An address the connection comes from and one it goes to, when the endpoints have
    /// addresses (a class's segment, a service's address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, or `gre` standing for every other protocol.
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub operation: String,
    /// When the connection is opened (UTC): the diff's `now`, or a flow's end after it.
    pub at: String,
}

impl Counterexample {
    /// `lamp (10.0.1.1) -> cloud (192.0.2.7) tcp/444 { action = send } at 2026-12-02`.
    pub fn describe(&self) -> String {
        let place = |name: &str, address: &Option<String>| match address {
            Some(address) => format!("{name} ({address})"),
            None => name.to_string(),
        };
        let port = self.port.map(|p| format!("/{p}")).unwrap_or_default();
        format!(
            "{} -> {} {}{port} {{ action = {} }} at {}",
            place(&self.from, &self.source),
            place(&self.to, &self.destination),
            self.protocol,
            self.operation,
            self.at
        )
    }
}

/// A moment as the language writes it: a date at midnight, else to the second.
fn moment(unix: i64) -> String {
    Timestamp::natural(unix).to_string()
}

fn detection_looser(old: &DetectIr, new: &DetectIr) -> Option<bool> {
    let old_window = old.window_ms.unwrap_or(0);
    let new_window = new.window_ms.unwrap_or(0);
    // A higher threshold or a shorter window fires less: looser. Changed matchers cannot be
    // ordered: they count as changed, and as loosening (a reviewer must look).
    if old.matchers != new.matchers || old.group_by != new.group_by {
        return Some(true);
    }
    if new.threshold > old.threshold || (new.threshold == old.threshold && new_window < old_window)
    {
        return Some(true);
    }
    if new.threshold < old.threshold || new_window > old_window {
        return Some(false);
    }
    if old.actions != new.actions || old.severity != new.severity {
        return Some(new.actions.len() < old.actions.len());
    }
    None
}

/// A matcher as users write it: `/regex/i`, `"value"`, or `none`.
fn matcher_text(matcher: Option<&crate::ir::MatcherIr>) -> String {
    match matcher {
        None => "none".to_string(),
        Some(crate::ir::MatcherIr::Regex { pattern, flags }) => format!("/{pattern}/{flags}"),
        Some(crate::ir::MatcherIr::Equals { value }) => format!("{value:?}"),
    }
}

fn list_or_none<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        joined(items)
    }
}

fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    let texts: Vec<String> = items.iter().map(T::to_string).collect();
    texts.join(", ")
}

/// A parameter as users write it. Every parameter the standard library declares is a
/// duration, which the IR keeps in seconds.
fn seconds(value: i64) -> String {
    crate::semantic::show_duration(value.saturating_mul(1000))
}

/// The changes from OLD to NEW, with time-limited flows judged from `now` on (seconds since
/// 1970, UTC): a flow that ended before it allows nothing.
pub fn diff(old: &PolicyIr, new: &PolicyIr, now: i64) -> Vec<Change> {
    let mut changes = Vec::new();

    // Classes and endpoints renamed: their traffic is compared under the new names.
    let renamed = rename::renames(old, new);
    for (before, after) in &renamed {
        changes.push(Change {
            subject: if old.class(before).is_some() {
                "class"
            } else {
                "endpoint"
            },
            change: "renamed",
            what: format!(
                "`{before}` -> `{after}` (the same {})",
                rename::identity(old, before).unwrap_or_default()
            ),
            ..Change::default()
        });
    }
    let old_name_of: BTreeMap<&str, &str> = renamed
        .iter()
        .map(|(before, after)| (after.as_str(), before.as_str()))
        .collect();
    changes.extend(traffic::traffic(old, new, &renamed, now));

    // Classes: profiles, mitigations, parameters.
    for class in &new.classes {
        let old_name = old_name_of
            .get(class.name.as_str())
            .copied()
            .unwrap_or(&class.name);
        let Some(before) = old.class(old_name) else {
            changes.push(Change {
                subject: "class",
                change: "added",
                what: format!("`{}` with {}", class.name, class.profile_label()),
                widens: false,
                ..Change::default()
            });
            continue;
        };
        if class.level != before.level {
            let raised = class.level > before.level;
            changes.push(Change {
                subject: "profile",
                change: if raised { "raised" } else { "lowered" },
                what: format!(
                    "`{}`: {} -> {}",
                    class.name,
                    before.profile_label(),
                    class.profile_label()
                ),
                widens: !raised,
                ..Change::default()
            });
        }
        for mitigation in &class.mitigations {
            match before.mitigations.iter().find(|m| m.id == mitigation.id) {
                None => changes.push(Change {
                    subject: "mitigation",
                    change: "added",
                    what: format!("`{}`: {} {}", class.name, mitigation.id, mitigation.title),
                    widens: false,
                    ..Change::default()
                }),
                Some(previous) => {
                    for (param, value) in &mitigation.params {
                        let old_value = previous.params.get(param);
                        if old_value != Some(value) {
                            // Every parameter ward knows is a period: longer is weaker.
                            let weaker = old_value.is_some_and(|old| value > old);
                            changes.push(Change {
                                subject: "parameter",
                                change: "changed",
                                what: format!(
                                    "`{}`: {}.{param} {} -> {}",
                                    class.name,
                                    mitigation.id,
                                    old_value.map_or("unset".to_string(), |v| seconds(*v)),
                                    seconds(*value)
                                ),
                                widens: weaker,
                                ..Change::default()
                            });
                        }
                    }
                }
            }
        }
        for mitigation in &before.mitigations {
            if !class.mitigations.iter().any(|m| m.id == mitigation.id) {
                changes.push(Change {
                    subject: "mitigation",
                    change: "dropped",
                    what: format!("`{}`: {} {}", class.name, mitigation.id, mitigation.title),
                    widens: true,
                    ..Change::default()
                });
            }
        }
        if class.segment != before.segment {
            changes.push(Change {
                subject: "class",
                change: "changed",
                what: format!(
                    "`{}` moved from segment {} to {}",
                    class.name,
                    before.segment.as_deref().unwrap_or("none"),
                    class.segment.as_deref().unwrap_or("none")
                ),
                widens: false,
                ..Change::default()
            });
        }
    }
    for class in &old.classes {
        if new.class(&class.name).is_none() && !renamed.contains_key(&class.name) {
            changes.push(Change {
                subject: "class",
                change: "removed",
                what: format!("`{}`", class.name),
                widens: false,
                ..Change::default()
            });
        }
    }

    // Segments: subnets.
    for segment in &new.segments {
        if let Some(before) = old.segment(&segment.name)
            && before.subnets != segment.subnets
        {
            changes.push(Change {
                subject: "segment",
                change: "changed",
                what: format!(
                    "`{}`: subnets {} -> {}",
                    segment.name,
                    joined(&before.subnets),
                    joined(&segment.subnets)
                ),
                // New addresses are reachable under the segment's flows.
                widens: segment.subnets.iter().any(|s| !before.subnets.contains(s)),
                ..Change::default()
            });
        }
    }

    // Services and gateways: where they are. A new address, or a new host name, is a new
    // place the flows to and from them reach.
    for endpoint in &new.endpoints {
        let old_name = old_name_of
            .get(endpoint.name.as_str())
            .copied()
            .unwrap_or(&endpoint.name);
        let Some(before) = old.endpoint(old_name) else {
            continue;
        };
        if before.addresses != endpoint.addresses {
            changes.push(Change {
                subject: "endpoint",
                change: "changed",
                what: format!(
                    "{} `{}`: addresses {} -> {}",
                    endpoint.kind,
                    endpoint.name,
                    list_or_none(&before.addresses),
                    list_or_none(&endpoint.addresses)
                ),
                widens: endpoint
                    .addresses
                    .iter()
                    .any(|a| !before.addresses.iter().any(|b| b.contains(*a))),
                ..Change::default()
            });
        }
        if before.host != endpoint.host {
            changes.push(Change {
                subject: "endpoint",
                change: "changed",
                what: format!(
                    "{} `{}`: host {} -> {}",
                    endpoint.kind,
                    endpoint.name,
                    before.host.as_deref().unwrap_or("none"),
                    endpoint.host.as_deref().unwrap_or("none")
                ),
                widens: endpoint.host.is_some(),
                ..Change::default()
            });
        }
    }

    // Detection rules.
    for rule in &new.detections {
        match old.detections.iter().find(|r| r.name == rule.name) {
            None => changes.push(Change {
                subject: "detection",
                change: "added",
                what: format!("`{}` for {}", rule.name, rule.threat),
                widens: false,
                ..Change::default()
            }),
            Some(before) => {
                if let Some(looser) = detection_looser(before, rule) {
                    let mut what = format!("`{}`:", rule.name);
                    // What matches, field by field, where it changed.
                    let fields: std::collections::BTreeSet<&String> =
                        before.matchers.keys().chain(rule.matchers.keys()).collect();
                    for field in fields {
                        let (was, is) = (before.matchers.get(field), rule.matchers.get(field));
                        if was != is {
                            what.push_str(&format!(
                                " {field} {} -> {};",
                                matcher_text(was),
                                matcher_text(is)
                            ));
                        }
                    }
                    if before.group_by != rule.group_by {
                        what.push_str(&format!(
                            " by {} -> {};",
                            list_or_none(&before.group_by),
                            list_or_none(&rule.group_by)
                        ));
                    }
                    what.push_str(&format!(
                        " count >= {} within {}s -> count >= {} within {}s",
                        before.threshold,
                        before.window_ms.unwrap_or(0) / 1000,
                        rule.threshold,
                        rule.window_ms.unwrap_or(0) / 1000
                    ));
                    changes.push(Change {
                        subject: "detection",
                        change: if looser { "loosened" } else { "tightened" },
                        what,
                        widens: looser,
                        ..Change::default()
                    });
                }
            }
        }
    }
    for rule in &old.detections {
        if !new.detections.iter().any(|r| r.name == rule.name) {
            changes.push(Change {
                subject: "detection",
                change: "removed",
                what: format!("`{}` for {}", rule.name, rule.threat),
                widens: true,
                ..Change::default()
            });
        }
    }
    changes
}
