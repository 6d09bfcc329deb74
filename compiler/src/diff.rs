//! The semantic difference of two bundles, for code review: what a policy change opens,
//! closes, raises, lowers, adds or drops, read from the bundles' IR (`ir.json`).
//!
//! A change "widens" when it gives more access or less protection: a flow opened, a profile
//! lowered, a mitigation dropped, a credential refreshed less often, a detection rule removed
//! or loosened. `ward diff --fail-on widen` fails on those, so CI can ask for a second
//! reviewer.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ir::{DetectIr, FlowIr, PolicyIr};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `flow`, `profile`, `mitigation`, `parameter`, `detection`, `class`, `segment`,
    /// `endpoint` (a service's or gateway's addresses or host).
    pub subject: &'static str,
    /// `opened`, `closed`, `raised`, `lowered`, `added`, `dropped`, `changed`, `removed`,
    /// `loosened`, `tightened`.
    pub change: &'static str,
    /// What changed, in a line: "`lamp -> cloud : tcp/443` (lamp.ward:12)".
    pub what: String,
    pub widens: bool,
}

fn flow_key(flow: &FlowIr) -> String {
    let mut key = flow.describe();
    if flow.action != "send" {
        key.push_str(&format!(" {{ action = {} }}", flow.action));
    }
    key
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

pub fn diff(old: &PolicyIr, new: &PolicyIr) -> Vec<Change> {
    let mut changes = Vec::new();

    // Flows.
    let old_flows: BTreeMap<String, &FlowIr> = old.flows.iter().map(|f| (flow_key(f), f)).collect();
    let new_flows: BTreeMap<String, &FlowIr> = new.flows.iter().map(|f| (flow_key(f), f)).collect();
    for (key, flow) in &new_flows {
        if !old_flows.contains_key(key) {
            changes.push(Change {
                subject: "flow",
                change: "opened",
                what: format!("`{key}` ({}:{})", flow.origin.file, flow.origin.line),
                widens: true,
            });
        }
    }
    for (key, flow) in &old_flows {
        if !new_flows.contains_key(key) {
            changes.push(Change {
                subject: "flow",
                change: "closed",
                what: format!("`{key}` (was {}:{})", flow.origin.file, flow.origin.line),
                widens: false,
            });
        }
    }

    // Classes: profiles, mitigations, parameters.
    for class in &new.classes {
        let Some(before) = old.class(&class.name) else {
            changes.push(Change {
                subject: "class",
                change: "added",
                what: format!("`{}` with {}", class.name, class.profile_label()),
                widens: false,
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
            });
        }
        for mitigation in &class.mitigations {
            match before.mitigations.iter().find(|m| m.id == mitigation.id) {
                None => changes.push(Change {
                    subject: "mitigation",
                    change: "added",
                    what: format!("`{}`: {} {}", class.name, mitigation.id, mitigation.title),
                    widens: false,
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
            });
        }
    }
    for class in &old.classes {
        if new.class(&class.name).is_none() {
            changes.push(Change {
                subject: "class",
                change: "removed",
                what: format!("`{}`", class.name),
                widens: false,
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
            });
        }
    }

    // Services and gateways: where they are. A new address, or a new host name, is a new
    // place the flows to and from them reach.
    for endpoint in &new.endpoints {
        let Some(before) = old.endpoint(&endpoint.name) else {
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
            });
        }
    }
    changes
}
