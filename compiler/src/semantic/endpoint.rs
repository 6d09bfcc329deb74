//! Services, gateways and segments: where they sit (subnets, a service among a segment's
//! things) and the assessment of those placed in an environment.

use super::*;
use ward_lang::ast::ValueKind;

/// A service or gateway placed in an environment is assessed as a class is.
pub(super) fn assessed_endpoint(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(name) = &decl.name else { return };
    let Some(info) = class_info(r.db, r.workspace, &name.text) else {
        return;
    };
    if info.environments.is_empty() {
        return;
    }
    let profile_range = decl
        .property("profile")
        .map_or(name.range, |p| p.value.range);
    assess(r, file, decl, info, profile_range);
}

/// A service is outside the policy's segments: an address inside a segment's subnet would be
/// both a service and a thing of that segment to the firewall (its level's drops included).
pub(super) fn service(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    assessed_endpoint(r, file, decl);
    let Some(address) = decl.property("address") else {
        return;
    };
    let values = match &address.value.kind {
        ValueKind::List(items) => items.iter().collect(),
        _ => vec![&address.value],
    };
    for value in values {
        inside_segment(r, file, value);
    }
}

/// E0504 for an address of a service that lies inside a segment's subnet.
fn inside_segment(r: &mut Resolver<'_>, file: SourceFile, value: &ward_lang::ast::Value) {
    let (ip, len) = match value.kind {
        ValueKind::Ip(ip) => (ip, if ip.is_ipv4() { 32 } else { 128 }),
        ValueKind::Cidr(ip, len) => (ip, len),
        _ => return,
    };
    for (segment, subnet) in crate::relations::segment_subnets(r.db, r.workspace) {
        // Inside the subnet; a service that holds whole segments (the Internet,
        // `0.0.0.0/0`) is the outside they talk to.
        let inside = subnet.contains(crate::prefix::Prefix::new(ip, len));
        if !inside {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            &codes::SERVICE_INSIDE_SEGMENT,
            file,
            value.range,
            format!("this address lies inside `{subnet}` of segment `{segment}`"),
        )
        .with_label("a service among a segment's things")
        .with_help("a thing of the segment is a class's, not a service: move the service out of the subnet, or declare it as a class of the segment");
        if let Some(def) = definition_of(r.db, r.workspace, segment) {
            diagnostic =
                diagnostic.with_secondary(def.file, def.name_range, format!("segment `{segment}`"));
        }
        r.report(diagnostic);
    }
}

pub(super) fn segment(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(name) = &decl.name else { return };
    // Only segments with a subnet read the workspace's overlaps.
    if let Some(subnet) = decl.property("subnet")
        && let Some(overlaps) = crate::relations::subnet_overlaps(r.db, r.workspace).get(&name.text)
    {
        for (other, other_subnet) in overlaps {
            let mut diagnostic = Diagnostic::new(
                &codes::OVERLAPPING_SEGMENTS,
                file,
                subnet.value.range,
                format!(
                    "the subnet of segment `{}` overlaps `{other_subnet}` of segment `{other}`",
                    name.text
                ),
            )
            .with_label("addresses in two segments")
            .with_help("give each segment a subnet of its own: an address must say which segment a thing is in");
            if let Some(def) = definition_of(r.db, r.workspace, other) {
                diagnostic = diagnostic.with_secondary(
                    def.file,
                    def.name_range,
                    format!("segment `{other}` has `{other_subnet}`"),
                );
            }
            r.report(diagnostic);
        }
    }
    let Some(classes) = decl.property("classes") else {
        return;
    };
    let mut levels: Vec<(String, String, i64)> = Vec::new();
    // Classes of the segment that hold no profile, with where the list names them.
    let mut unknown: Vec<(String, TextRange)> = Vec::new();
    let items = match &classes.value.kind {
        ValueKind::List(items) => items.iter().collect(),
        _ => vec![&classes.value],
    };
    for item in items {
        let ValueKind::Name(class) = &item.kind else {
            continue;
        };
        match facts_of(r.db, r.workspace, class) {
            Some(facts) if facts.kind == DeclKind::Class => match &facts.profile {
                Some(held) => levels.push((class.clone(), held.name.clone(), held.level)),
                // A profile declared but unknown is E0100 already.
                None if class_info(r.db, r.workspace, class)
                    .is_none_or(|info| info.profile.is_none()) =>
                {
                    unknown.push((class.clone(), item.range))
                }
                None => {}
            },
            _ => {}
        }
    }
    unknown_beside_higher(r, file, &name.text, &unknown, &levels);
    let distinct: HashSet<i64> = levels.iter().map(|(_, _, l)| *l).collect();
    if distinct.len() > 1 {
        let list = levels
            .iter()
            .map(|(c, p, _)| format!("`{c}` ({p})"))
            .collect::<Vec<_>>()
            .join(", ");
        r.report(
            Diagnostic::new(
                &codes::MIXED_PROFILE_SEGMENT,
                file,
                name.range,
                format!("segment `{}` mixes security profiles: {list}", name.text),
            )
            .with_label("classes of different profiles")
            .with_help(
                "give each profile its own segment, so that no lower profile reaches a higher one",
            ),
        );
    }
}

/// W0017 for a class of no profile (unknown level) in a segment with classes of level 2 or
/// more: things of one segment reach each other without a gateway, so the lower-to-higher
/// rule cannot judge what the class's things do to their neighbours. The finding sits on the
/// class's name in the list, so that a waiver of the class can waive it.
fn unknown_beside_higher(
    r: &mut Resolver<'_>,
    file: SourceFile,
    segment: &str,
    unknown: &[(String, TextRange)],
    levels: &[(String, String, i64)],
) {
    let Some((higher, profile, level)) = levels
        .iter()
        .filter(|(_, _, level)| *level >= super::flow::UNKNOWN_LEVEL_TARGET)
        .max_by_key(|(_, _, level)| *level)
    else {
        return;
    };
    for (class, range) in unknown {
        r.report(
            Diagnostic::new(
                &codes::UNKNOWN_LEVEL_SOURCE,
                file,
                *range,
                format!(
                    "`{class}` holds no profile, so its level is unknown, and segment `{segment}` puts it beside `{higher}` ({profile}, level {level}): its things reach them without a gateway"
                ),
            )
            .with_label(format!("unknown level beside level {level}"))
            .with_help(format!(
                "give `{class}` a segment of its own, or say how far it is trusted: `profile = ...` in its declaration (a level other than {level} makes this E0502)"
            )),
        );
    }
}
