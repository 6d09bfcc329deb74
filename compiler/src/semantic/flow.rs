//! Flows: duplicates, levels end to end, the management gateway, address families, the
//! quarantine place, and what a reviewer would question though the rules allow it (broad
//! flows, cleartext, personal data sent where it is not declared to go).

use super::*;

pub(super) fn flow(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, state: &mut FileState) {
    let Some(spec) = &decl.flow else { return };
    let key = crate::relations::flow_key(decl).unwrap_or_else(|| spec.to_string());
    let earlier_file = flows_declared_earlier(r.db, r.workspace, file)
        .get(state.flow_index)
        .copied()
        .flatten();
    state.flow_index += 1;
    let earlier_here = !state.seen_flows.insert(key.clone());
    duplicate_flow(r, file, spec, &key, earlier_here, earlier_file);
    ended(r, file, decl);

    let (Some(from), Some(to)) = (
        facts_of(r.db, r.workspace, &spec.from.text),
        facts_of(r.db, r.workspace, &spec.to.text),
    ) else {
        // An unknown endpoint is reported by name resolution.
        return;
    };
    // The quarantine place reaches nothing, and nothing reaches it.
    for end in [&spec.from, &spec.to] {
        if class_info(r.db, r.workspace, &end.text).is_some_and(|c| c.quarantine) {
            r.report(
                Diagnostic::new(
                    &codes::QUARANTINE_FLOW,
                    file,
                    end.range,
                    format!(
                        "`{}` is the quarantine place: no flow leaves or enters it",
                        end.text
                    ),
                )
                .with_label("the quarantine place")
                .with_help("remove the flow: quarantined things are cut off until they are onboarded again into a class"),
            );
            return;
        }
    }
    let mut directions = vec![(&spec.from.text, from, &spec.to.text, to)];
    if spec.bidirectional {
        directions.push((&spec.to.text, to, &spec.from.text, from));
    }
    for (source, source_facts, target, target_facts) in &directions {
        // A thing reaches the management gateway of its own segment whatever the levels:
        // the gateway manages it (PAVA's reports, the MUD controllers), and its level guards
        // it against other segments, not against the things it serves.
        let own_gateway = target_facts.kind == DeclKind::Gateway
            && segment_gateways(r, &source_facts.segments)
                .iter()
                .any(|g| g == *target);
        if own_gateway {
            continue;
        }
        if let (Some(sp), Some(tp)) = (&source_facts.profile, &target_facts.profile)
            && sp.level < tp.level
        {
            // A fix that checks: the source's own management gateway, which serves it.
            let relay = segment_gateways(r, &source_facts.segments)
                .into_iter()
                .next()
                .map(|g| format!(", or send it to `{g}`, the management gateway of `{source}`'s segment, which relays it"))
                .unwrap_or_default();
            let how = |p: &HeldProfile| if p.assigned { "assigned" } else { "declared" };
            r.report(
                Diagnostic::new(
                    &codes::FLOW_TO_HIGHER_PROFILE,
                    file,
                    spec.range,
                    format!(
                        "`{source}` ({}, level {}) connects to `{target}` ({}, level {}): a lower security profile may never connect to a higher one",
                        sp.name, sp.level, tp.name, tp.level
                    ),
                )
                .with_label(format!("`{source}` -> `{target}`: level {} -> {}", sp.level, tp.level))
                .with_help(format!(
                    "`{source}` holds {} `{}`, `{target}` {} `{}`; let `{target}` open the connection{relay}",
                    how(sp),
                    sp.name,
                    how(tp),
                    tp.name
                )),
            );
        }
        // An endpoint without a profile (a vendor's cloud, the Internet, a class with nothing
        // to mitigate) is of unknown level: the lower-to-higher rule cannot judge it, so a
        // reviewer must. A compromised doorbell of no profile is as dangerous as a cloud.
        if let (None, Some(tp)) = (&source_facts.profile, &target_facts.profile)
            && tp.level >= UNKNOWN_LEVEL_TARGET
            && decl.property("because").is_none()
            // The management gateway of the thing's segment manages it.
            && !segment_gateways(r, &target_facts.segments)
                .iter()
                .any(|g| g == *source)
        {
            r.report(
                Diagnostic::new(
                    &codes::UNKNOWN_LEVEL_SOURCE,
                    file,
                    spec.range,
                    format!(
                        "`{source}` holds no profile, so its level is unknown, and it connects to `{target}` ({}, level {})",
                        tp.name, tp.level
                    ),
                )
                .with_label(format!("`{source}` (unknown level) -> `{target}` (level {})", tp.level))
                .with_help(format!(
                    "say how far `{source}` is trusted: `profile = ...` in its declaration (a level below {} makes this flow E0300); let `{target}` open the connection; or say why with `because = \"...\"`",
                    tp.level
                )),
            );
        }
    }

    // Address families: a flow between an IPv4-only and an IPv6-only endpoint, or ICMP of the
    // other family, is one no packet can take; the firewall would have no rule for it.
    let common = from.families.common(to.families);
    if common.none() {
        r.report(
            Diagnostic::new(
                &codes::ADDRESS_FAMILY_MISMATCH,
                file,
                spec.range,
                format!(
                    "flow `{spec}` joins `{}` ({}) and `{}` ({}): no packet can pass between them",
                    spec.from.text,
                    from.families.describe(),
                    spec.to.text,
                    to.families.describe()
                ),
            )
            .with_label("no address family in common")
            .with_help("give both ends addresses of one family (a dual-stack subnet or service address), or remove the flow"),
        );
    } else {
        for port in &spec.ports {
            let needs = match port.protocol.text.as_str() {
                "icmp" => Some(crate::facts::Families {
                    v4: true,
                    v6: false,
                }),
                "icmpv6" => Some(crate::facts::Families {
                    v4: false,
                    v6: true,
                }),
                _ => None,
            };
            if let Some(needs) = needs
                && common.common(needs).none()
            {
                r.report(
                    Diagnostic::new(
                        &codes::ADDRESS_FAMILY_MISMATCH,
                        file,
                        port.range,
                        format!(
                            "`{}` is {} only, and `{}` and `{}` talk {} only",
                            port.protocol.text,
                            needs.describe(),
                            spec.from.text,
                            spec.to.text,
                            common.describe()
                        ),
                    )
                    .with_label("cannot pass between these ends")
                    .with_help(if needs.v4 {
                        "use `icmpv6` between IPv6 ends"
                    } else {
                        "use `icmp` between IPv4 ends"
                    }),
                );
            }
        }
    }

    if let Some(via) = decl.property("via")
        && let ward_lang::ast::ValueKind::Name(gateway) = &via.value.kind
    {
        via_gateway(r, file, spec, via.value.range, gateway, from, to);
    }

    if decl.property("because").is_none() {
        dangerous_but_legal(r, file, spec, from, to);
        personal_data(r, file, spec, from, to);
    }

    // The management gateway, when either end's profile requires one.
    let via = decl.property("via").is_some();
    let touches_gateway = from.kind == DeclKind::Gateway || to.kind == DeclKind::Gateway;
    let requiring = [from, to]
        .into_iter()
        .filter_map(|f| f.profile.as_ref())
        .find(|p| p.requires_gateway);
    let same_segment = from.segments.iter().any(|s| to.segments.contains(s));
    if let Some(requiring) = requiring
        && !via
        && !touches_gateway
        && !same_segment
    {
        r.report(
            Diagnostic::new(
                &codes::FLOW_BYPASSES_GATEWAY,
                file,
                spec.range,
                format!(
                    "flow `{spec}` crosses segments without the management gateway `{}` requires",
                    requiring.name
                ),
            )
            .with_label("not routed through a management gateway")
            .with_help(
                "\"All communication with specific services as well as other smart objects MUST \
                 go through the management gateway\": add `{ via = <gateway> }`",
            ),
        );
    }

    // Nothing flows into a thing of a unidirectional profile.
    let mut receivers = vec![(&spec.to.text, to)];
    if spec.bidirectional {
        receivers.insert(0, (&spec.from.text, from));
    }
    for (receiver, facts) in receivers {
        let Some(held) = &facts.profile else { continue };
        if facts.kind == DeclKind::Class && held.unidirectional {
            r.report(
                Diagnostic::new(
                    &codes::UNIDIRECTIONAL_PROFILE,
                    file,
                    spec.range,
                    format!(
                        "flow `{spec}` sends traffic into `{receiver}`, whose profile `{}` is unidirectional",
                        held.name
                    ),
                )
                .with_label(format!("traffic into `{receiver}`"))
                .with_help(
                    "\"This Security Profile requires unidirectional communication from the thing \
                     to a specific service\"; answers go through separate channels",
                ),
            );
        }
    }
}

/// W0016: a time-limited flow whose end has passed. The firewall and Cedar refuse it already;
/// the declaration only misleads a reader.
fn ended(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(until) = decl.property("until") else {
        return;
    };
    let ward_lang::ast::ValueKind::Date(end) = until.value.kind else {
        return;
    };
    let now = r.workspace.now(r.db);
    if now < end.unix {
        return;
    }
    r.report(
        Diagnostic::new(
            &codes::FLOW_EXPIRED,
            file,
            until.value.range,
            format!(
                "flow `{}` ended on {end}: the firewall and Cedar refuse its new connections",
                decl.label()
            ),
        )
        .with_label("ended")
        .with_help("remove the flow, or give it a new end"),
    );
}

pub(super) fn duplicate_flow(
    r: &mut Resolver<'_>,
    file: SourceFile,
    spec: &FlowSpec,
    key: &str,
    earlier_here: bool,
    earlier_file: Option<SourceFile>,
) {
    if !earlier_here && earlier_file.is_none() {
        return;
    }
    let help = match earlier_file {
        Some(first) => format!(
            "it is first declared in `{}`; remove one of them",
            first.path(r.db)
        ),
        None => "remove one of them".to_string(),
    };
    r.report(
        Diagnostic::new(
            &codes::DUPLICATE_FLOW,
            file,
            spec.range,
            format!("flow `{key}` is declared twice"),
        )
        .with_label("declared again here")
        .with_help(help),
    );
}

/// The gateway a flow passes (`via`) must be one that serves it: the management gateway of a
/// segment of one of its classes, and of a level no lower than either end's (traffic of a
/// higher profile does not pass through a lower one).
pub(super) fn via_gateway(
    r: &mut Resolver<'_>,
    file: SourceFile,
    spec: &FlowSpec,
    range: TextRange,
    gateway: &str,
    from: &crate::facts::EndpointFacts,
    to: &crate::facts::EndpointFacts,
) {
    let mut serving = segment_gateways(r, &from.segments);
    serving.extend(segment_gateways(r, &to.segments));
    let has_class_end = !from.segments.is_empty() || !to.segments.is_empty();
    if has_class_end && !serving.iter().any(|g| g == gateway) {
        let help = if serving.is_empty() {
            format!(
                "neither end's segment names a gateway: add `gateway = {gateway}` to the segment it serves"
            )
        } else {
            format!(
                "the ends' segments are served by {}: pass one of them",
                quoted(&serving)
            )
        };
        r.report(
            Diagnostic::new(
                &codes::VIA_UNRELATED_GATEWAY,
                file,
                range,
                format!("flow `{spec}` passes `{gateway}`, which serves neither of its ends"),
            )
            .with_label("not the gateway of either end's segment")
            .with_help(help),
        );
        return;
    }
    let Some(held) = facts_of(r.db, r.workspace, gateway).and_then(|f| f.profile.as_ref()) else {
        return;
    };
    let above = [(&spec.from.text, from), (&spec.to.text, to)]
        .into_iter()
        .find_map(|(name, end)| {
            end.profile
                .as_ref()
                .filter(|p| p.level > held.level)
                .map(|p| (name, p))
        });
    if let Some((name, end)) = above {
        r.report(
            Diagnostic::new(
                &codes::VIA_UNRELATED_GATEWAY,
                file,
                range,
                format!(
                    "flow `{spec}` passes `{gateway}` ({}, level {}), lower than `{name}` ({}, level {})",
                    held.name, held.level, end.name, end.level
                ),
            )
            .with_label("a lower gateway")
            .with_help(format!(
                "traffic of `{name}` passes gateways of its level or higher: raise `{gateway}`'s profile, or pass another"
            )),
        );
    }
}

/// Well-known protocols that carry their data in clear text: (protocol, port, name).
pub(super) const CLEARTEXT: &[(&str, u16, &str)] = &[
    ("tcp", 21, "FTP"),
    ("tcp", 23, "telnet"),
    ("tcp", 80, "HTTP"),
    ("udp", 69, "TFTP"),
    ("udp", 161, "SNMP"),
    ("tcp", 502, "Modbus/TCP"),
    ("tcp", 1883, "MQTT"),
    ("tcp", 20000, "DNP3"),
    ("udp", 47808, "BACnet/IP"),
];

/// The lowest profile level whose things a broad flow may reach without a word.
pub(super) const BROAD_FLOW_LEVEL: i64 = 3;

/// The level from which a connection from an endpoint of unknown level is questioned (W0017):
/// SecProf_2 and up hold things that are managed and whose risks are moderate or high.
pub(super) const UNKNOWN_LEVEL_TARGET: i64 = 2;

/// Flows a reviewer would question though every rule allows them (warnings, silenced by
/// `because = "..."`): every port, or from anywhere, into a thing of level 3 or more; a
/// cleartext protocol to or from a class whose profile requires encryption (M4).
pub(super) fn dangerous_but_legal(
    r: &mut Resolver<'_>,
    file: SourceFile,
    spec: &FlowSpec,
    from: &crate::facts::EndpointFacts,
    to: &crate::facts::EndpointFacts,
) {
    let mut targets = vec![(&spec.to.text, to, &spec.from.text)];
    if spec.bidirectional {
        targets.push((&spec.from.text, from, &spec.to.text));
    }
    for (target, facts, source) in targets {
        let Some(held) = facts
            .profile
            .as_ref()
            .filter(|p| p.level >= BROAD_FLOW_LEVEL)
        else {
            continue;
        };
        let all_ports = spec.ports.is_empty()
            || spec.ports.iter().any(|p| {
                p.protocol.text == "any"
                    || (matches!(p.protocol.text.as_str(), "tcp" | "udp")
                        && p.ports
                            .is_none_or(|(low, high)| high.saturating_sub(low) >= 1023))
            });
        let from_anywhere =
            crate::queries::decl_named(r.db, r.workspace, source, DeclKind::Service)
                .and_then(|d| d.property("address"))
                .is_some_and(|p| match &p.value.kind {
                    ward_lang::ast::ValueKind::Cidr(_, 0) => true,
                    ward_lang::ast::ValueKind::List(items) => items
                        .iter()
                        .any(|i| matches!(i.kind, ward_lang::ast::ValueKind::Cidr(_, 0))),
                    _ => false,
                });
        if all_ports || from_anywhere {
            let what = if all_ports {
                "every port"
            } else {
                "traffic from anywhere"
            };
            r.report(
                Diagnostic::new(
                    &codes::BROAD_FLOW,
                    file,
                    spec.range,
                    format!(
                        "flow `{spec}` opens {what} of `{target}` ({}, level {})",
                        held.name, held.level
                    ),
                )
                .with_label(format!("{what} into level {}", held.level))
                .with_help("name the ports (and the sources) the things use, or say why with `because = \"...\"`"),
            );
        }
    }
    // An end whose class (or one of its environments) accepts eavesdropping (T4, what M4
    // answers) has said why it talks in clear.
    let accepts_eavesdropping = |endpoint: &str| {
        class_info(r.db, r.workspace, endpoint).is_some_and(|class| {
            crate::risk::acceptance(r.db, r.workspace, endpoint, &class.environments, "T4")
                .is_some()
        })
    };
    let encrypted = |facts: &crate::facts::EndpointFacts, endpoint: &str| {
        if accepts_eavesdropping(endpoint) {
            return None;
        }
        facts.profile.as_ref().and_then(|p| {
            profile_info(r.db, r.workspace, &p.name)
                .filter(|info| info.mitigations().contains(&"M4"))
                .map(|_| p.name.clone())
        })
    };
    let Some(profile) = encrypted(from, &spec.from.text).or_else(|| encrypted(to, &spec.to.text))
    else {
        return;
    };
    for port in &spec.ports {
        let Some((_, number, name)) = CLEARTEXT.iter().find(|(protocol, number, _)| {
            // The port itself: a range is about many services (and W0007 when wide).
            port.protocol.text == *protocol && port.ports == Some((*number, *number))
        }) else {
            continue;
        };
        r.report(
            Diagnostic::new(
                &codes::CLEARTEXT_PROTOCOL,
                file,
                port.range,
                format!(
                    "`{port}` is {name}, which carries its data in clear text, on a flow of `{profile}`, whose M4 requires encryption"
                ),
            )
            .with_label(format!("{name} ({}/{number})", port.protocol.text))
            .with_help("use the protocol's TLS form (HTTPS, MQTT over TLS on 8883, Modbus/TCP Security on 802, ...), or say why with `because = \"...\"`"),
        );
    }
}

/// W0011: the personal data a flow carries to an end not declared to receive it. Either end
/// may open the connection; the replies carry data too. A class's own management gateway
/// manages it and is no recipient.
pub(super) fn personal_data(
    r: &mut Resolver<'_>,
    file: SourceFile,
    spec: &FlowSpec,
    from: &crate::facts::EndpointFacts,
    to: &crate::facts::EndpointFacts,
) {
    for (owner, owner_facts, receiver, receiver_facts) in [
        (&spec.from.text, from, &spec.to.text, to),
        (&spec.to.text, to, &spec.from.text, from),
    ] {
        if owner_facts.data.is_empty() {
            continue;
        }
        let own_gateway = receiver_facts.kind == DeclKind::Gateway
            && segment_gateways(r, &owner_facts.segments)
                .iter()
                .any(|g| g == receiver);
        if own_gateway {
            continue;
        }
        let undeclared: Vec<&str> = owner_facts
            .data
            .iter()
            .filter(|kind| !receiver_facts.receives_data.contains(kind))
            .map(String::as_str)
            .collect();
        if undeclared.is_empty() {
            continue;
        }
        let kinds = match undeclared.as_slice() {
            [one] => one.to_string(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
            [] => String::new(),
        };
        let mut receives: Vec<&str> = receiver_facts
            .receives_data
            .iter()
            .map(String::as_str)
            .collect();
        receives.extend(&undeclared);
        r.report(
            Diagnostic::new(
                &codes::PERSONAL_DATA_FLOW,
                file,
                spec.range,
                format!(
                    "flow `{spec}` carries `{owner}`'s {kinds} data to `{receiver}`, which is not declared to receive it"
                ),
            )
            .with_label(format!("personal data: {kinds}"))
            .with_help(format!(
                "if `{receiver}` may have it, declare `receives_data = [{}]` on it; else remove the flow, or say why with `because = \"...\"`",
                receives.join(", ")
            )),
        );
    }
}
