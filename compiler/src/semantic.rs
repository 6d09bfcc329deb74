//! The semantic checks of a declaration: what a security reviewer would catch. Each reads
//! the range-free model of the declarations it involves (model.rs, risk.rs, relations.rs).

use std::collections::HashSet;

use ward_lang::TextRange;
use ward_lang::ast::{CmpOp, Decl, DeclKind, FlowSpec, StmtKind};

use crate::codes;
use crate::db::SourceFile;
use crate::diagnostic::Diagnostic;
use crate::facts::{HeldProfile, facts_of};
use crate::model::{class_info, mitigation_info, profile_info};
use crate::queries::definition_of;
use crate::relations::{destinations_of, flows_declared_earlier, is_used, segments_of};
use crate::resolve::Resolver;
use crate::risk::{Assessment, assessments_of, lacking_capabilities, profile_of_class};

/// Runs the checks that apply to the declaration's kind.
/// What the checks of one file carry from declaration to declaration.
#[derive(Default)]
pub struct FileState {
    /// The flows seen so far in this file, for duplicates within it.
    seen_flows: HashSet<String>,
    /// How many flows of the file were checked: the position in `flows_declared_earlier`.
    flow_index: usize,
}

pub fn check_semantics(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, state: &mut FileState) {
    if decl.broken {
        // Judged on part of what was written: E0001 says what is wrong.
        if decl.kind == DeclKind::Flow {
            state.flow_index += 1;
        }
        return;
    }
    match decl.kind {
        DeclKind::Class => class(r, file, decl),
        DeclKind::Service => service(r, file, decl),
        DeclKind::Gateway => assessed_endpoint(r, file, decl),
        DeclKind::Segment => segment(r, file, decl),
        DeclKind::Flow => flow(r, file, decl, state),
        DeclKind::Profile => profile(r, file, decl),
        DeclKind::Detect => crate::detect::check_detect(r, file, decl),
        _ => {}
    }
    unused(r, file, decl);
}

fn name_range(decl: &Decl) -> TextRange {
    decl.name.as_ref().map_or(decl.range, |n| n.range)
}

fn class(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(name) = &decl.name else { return };
    let Some(info) = class_info(r.db, r.workspace, &name.text) else {
        return;
    };
    let profile_range = decl
        .property("profile")
        .map_or(name.range, |p| p.value.range);

    // Capabilities and bounds of an explicit profile.
    if let Some(profile) = &info.profile
        && let Some(table) = profile_info(r.db, r.workspace, profile)
    {
        for (mitigation, capability) in lacking_capabilities(
            crate::model::catalog(r.db, r.workspace),
            info,
            table.mitigations(),
        ) {
            let threats: Vec<&str> = table
                .table
                .iter()
                .filter(|(_, ms)| ms.contains(&mitigation))
                .map(|(t, _)| t.as_str())
                .collect();
            r.report(
                Diagnostic::new(
                    &codes::MISSING_CAPABILITY,
                    file,
                    profile_range,
                    format!(
                        "class `{}` lacks capability `{capability}`, which {mitigation} of `{profile}` needs",
                        name.text
                    ),
                )
                .with_label(format!(
                    "`{profile}` mitigates {} with {mitigation}",
                    threats.join(", ")
                ))
                .with_help(format!(
                    "add `{capability}` to `capabilities` if the things have it, or choose a profile without {mitigation}"
                )),
            );
        }
        for bound in &table.bounds {
            if bound.mitigation != "M11" || bound.param != "refresh" {
                continue;
            }
            let (value, range, from_default) = match info.credential_refresh {
                Some(ms) => (
                    ms,
                    decl.property("credential_refresh")
                        .map_or(name.range, |p| p.value.range),
                    false,
                ),
                None => {
                    let default = mitigation_info(r.db, r.workspace, "M11")
                        .and_then(|m| m.params.iter().find(|p| p.name == "refresh"))
                        .and_then(|p| p.default);
                    let Some(default) = default else { continue };
                    (default, name.range, true)
                }
            };
            if !holds(value, bound.op, bound.value) {
                let mut diagnostic = Diagnostic::new(
                    &codes::PARAMETER_OUT_OF_BOUND,
                    file,
                    range,
                    format!(
                        "credential refresh of `{}` is {}, but `{profile}` requires {} {}",
                        name.text,
                        show_duration(value),
                        bound.op.as_str(),
                        show_duration(bound.value)
                    ),
                )
                .with_label(format!("`{profile}` bounds M11.refresh"));
                diagnostic = if from_default {
                    diagnostic.with_help(format!(
                        "M11's default applies; set `credential_refresh = {}`",
                        show_duration(bound.value)
                    ))
                } else {
                    diagnostic.with_help(format!(
                        "refresh credentials at least every {}",
                        show_duration(bound.value)
                    ))
                };
                r.report(diagnostic);
            }
        }
    }

    assess(r, file, decl, info, profile_range);

    mud_matches(r, file, decl);

    quarantine_place(r, file, decl, info.quarantine);

    // Nothing to assess a class in, and no profile: say so, with the fix (the quarantine
    // place is assessed in nothing on purpose).
    if info.environments.is_empty() && info.profile.is_none() && !info.quarantine {
        let diagnostic = Diagnostic::new(
            &codes::CLASS_NOT_ASSESSED,
            file,
            name.range,
            format!(
                "class `{}` declares neither a profile nor an environment: it is not assessed and holds no profile",
                name.text
            ),
        )
        .with_label("no `environment`, no `profile`")
        .with_help(
            "add `environment = ...` (the risk assessment then assigns a profile) or `profile = ...`; \
             until then its things onboard with no profile level",
        );
        r.report(diagnostic);
    }

    // Segments: exactly one.
    let segments = segments_of(r.db, r.workspace, &name.text);
    match segments.len() {
        // Quarantined things keep their addresses: the place needs no segment.
        0 if info.quarantine => {}
        0 => r.report(
            Diagnostic::new(
                &codes::CLASS_WITHOUT_SEGMENT,
                file,
                name.range,
                format!("class `{}` is in no segment", name.text),
            )
            .with_label("no segment lists this class")
            .with_help(format!(
                "every class is an isolated segment: add `segment {} {{ classes = [{}] }}`",
                name.text, name.text
            )),
        ),
        1 => {}
        _ => {
            let mut diagnostic = Diagnostic::new(
                &codes::CLASS_IN_SEVERAL_SEGMENTS,
                file,
                name.range,
                format!(
                    "class `{}` is in {} segments: {}",
                    name.text,
                    segments.len(),
                    quoted(segments)
                ),
            )
            .with_label("listed by several segments")
            .with_help("a class is one isolated segment; split the class if its things live apart");
            for segment in segments {
                if let Some(def) = definition_of(r.db, r.workspace, segment) {
                    diagnostic = diagnostic.with_secondary(
                        def.file,
                        def.name_range,
                        format!("segment `{segment}` lists it"),
                    );
                }
            }
            r.report(diagnostic);
        }
    }

    // A unidirectional profile talks to one endpoint.
    if let Some(held) = profile_of_class(r.db, r.workspace, &name.text)
        && is_unidirectional(r, &held.profile)
    {
        let destinations = destinations_of(r.db, r.workspace, &name.text);
        if destinations.len() > 1 {
            r.report(
                Diagnostic::new(
                    &codes::UNIDIRECTIONAL_PROFILE,
                    file,
                    name.range,
                    format!(
                        "class `{}` of `{}` sends to {} endpoints: {}",
                        name.text,
                        held.profile,
                        destinations.len(),
                        quoted(destinations)
                    ),
                )
                .with_label("unidirectional: one specific service only")
                .with_help(
                    "\"This Security Profile requires unidirectional communication from the thing \
                     to a specific service\": keep one destination",
                ),
            );
        }
    }
}

/// The risk assessment of an endpoint assessed as a class is, per environment: the profile it
/// gets or needs, and its residual risks.
fn assess(
    r: &mut Resolver<'_>,
    file: SourceFile,
    decl: &Decl,
    info: &crate::model::ClassInfo,
    profile_range: TextRange,
) {
    let Some(name) = &decl.name else { return };
    let explicit_level = info
        .profile
        .as_ref()
        .and_then(|p| profile_info(r.db, r.workspace, p))
        .map(|p| (info.profile.clone().unwrap_or_default(), p.level));
    // Assess only what resolved: an unknown profile or environment is reported already, and
    // an assessment on a guess would only add noise to that error.
    let profile_resolves = info
        .profile
        .as_ref()
        .is_none_or(|p| profile_info(r.db, r.workspace, p).is_some());
    // A class that cannot perform its own profile's mitigations has E0401 with the fix; that
    // no profile fits it either is the same fact again.
    let lacks_for_own = info
        .profile
        .as_ref()
        .and_then(|p| profile_info(r.db, r.workspace, p))
        .is_some_and(|table| {
            !lacking_capabilities(
                crate::model::catalog(r.db, r.workspace),
                info,
                table.mitigations(),
            )
            .is_empty()
        });
    if profile_resolves {
        for assessment in assessments_of(r.db, r.workspace, &name.text) {
            if lacks_for_own && assessment.required.is_none() {
                continue;
            }
            risk_findings(
                r,
                file,
                decl,
                assessment,
                explicit_level.as_ref(),
                profile_range,
            );
        }
    }
}

/// The quarantine place: one at most (E0801); and where the policy has none, the standard
/// library's rules that quarantine are noted on the policy's first class (N0002).
fn quarantine_place(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, is_place: bool) {
    let Some(name) = &decl.name else { return };
    // Only a place, or the first class of its file (where N0002 may go), reads the
    // workspace's answers: one such dependency per file rather than per class keeps the
    // re-check after an edit cheap.
    let first_of_file =
        crate::relations::file_quarantine(r.db, file).2.as_deref() == Some(name.text.as_str());
    if !is_place && !first_of_file {
        return;
    }
    let places = crate::relations::quarantine_places(r.db, r.workspace);
    if is_place && places.len() > 1 {
        let others: Vec<String> = places
            .iter()
            .filter(|p| **p != name.text)
            .cloned()
            .collect();
        let mut diagnostic = Diagnostic::new(
            &codes::SEVERAL_QUARANTINE_PLACES,
            file,
            name.range,
            format!(
                "class `{}` is a quarantine place, and so is {}",
                name.text,
                quoted(&others)
            ),
        )
        .with_label("a second quarantine place")
        .with_help("keep one quarantine place: PASC and PAVA put things into exactly one");
        for other in &others {
            if let Some(def) = definition_of(r.db, r.workspace, other) {
                diagnostic = diagnostic.with_secondary(
                    def.file,
                    def.name_range,
                    format!("`{other}` is one too"),
                );
            }
        }
        r.report(diagnostic);
    }
    if !places.is_empty() {
        return;
    }
    let (rules, first_class) = crate::relations::stdlib_quarantine_rules(r.db, r.workspace);
    if rules.is_empty() || first_class.as_deref() != Some(name.text.as_str()) {
        return;
    }
    r.report(
        Diagnostic::new(
            &codes::STDLIB_QUARANTINE_WITHOUT_PLACE,
            file,
            name.range,
            format!(
                "the standard library's {} {} {}, and the policy declares no quarantine place: a thing they flag stays where it is",
                if rules.len() == 1 { "rule" } else { "rules" },
                quoted(rules),
                if rules.len() == 1 { "quarantines" } else { "quarantine" }
            ),
        )
        .with_label("the policy's first class")
        .with_help("declare one: `class isolation \"Quarantine\" { quarantine = true }`"),
    );
}

fn risk_findings(
    r: &mut Resolver<'_>,
    file: SourceFile,
    decl: &Decl,
    assessment: &Assessment,
    explicit: Option<&(String, i64)>,
    profile_range: TextRange,
) {
    let Some(name) = &decl.name else { return };
    let scope = if assessment.environment.is_empty() {
        String::new()
    } else {
        format!(" in `{}`", assessment.environment)
    };
    let risks = |rows: Vec<&crate::risk::RiskRow>| {
        rows.iter()
            .map(|row| format!("{} ({})", row.threat, row.risk.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((required, required_level)) = &assessment.required else {
        // Nothing must be mitigated: no profile is required, so none missing is no error.
        if assessment.risky().is_empty() {
            r.report(
                Diagnostic::new(
                    &codes::NOTHING_TO_MITIGATE,
                    file,
                    name.range,
                    format!(
                        "{} `{}` has no moderate or high risk{scope}, and no profile fits what it can do: it holds none",
                        decl.kind.noun(),
                        name.text
                    ),
                )
                .with_label("nothing to mitigate")
                .with_help(format!(
                    "its things onboard with no profile level; to give it one, declare `profile = ...` with the capabilities it needs (`ward check --explain-risk {}` shows why none fits)",
                    name.text
                )),
            );
            return;
        }
        let reasons = assessment
            .rejected
            .iter()
            .map(|rej| format!("`{}` {}", rej.profile, rej.reason))
            .collect::<Vec<_>>()
            .join("; ");
        r.report(
            Diagnostic::new(
                &codes::NO_PROFILE_FITS,
                file,
                name.range,
                format!(
                    "no profile fits {} `{}`{scope}: {}",
                    decl.kind.noun(),
                    name.text,
                    reasons
                ),
            )
            .with_label(format!("risks: {}", risks(assessment.risky())))
            .with_help(format!(
                "`ward check --explain-risk {}` shows the assessment",
                name.text
            )),
        );
        return;
    };
    match explicit {
        Some((profile, level)) if level < required_level => {
            let table = profile_info(r.db, r.workspace, profile);
            let unmitigated: Vec<&crate::risk::RiskRow> = assessment
                .risky()
                .into_iter()
                .filter(|row| {
                    !assessment.residual.contains(&row.threat)
                        && !table.is_some_and(|t| t.mitigates(&row.threat))
                })
                .collect();
            let what = if unmitigated.is_empty() {
                "the class cannot perform its mitigations".to_string()
            } else {
                format!("it leaves {} unmitigated", risks(unmitigated))
            };
            r.report(
                Diagnostic::new(
                    &codes::PROFILE_BELOW_REQUIRED,
                    file,
                    profile_range,
                    format!(
                        "{} `{}` holds `{profile}` (level {level}), but its risk assessment{scope} requires `{required}` (level {required_level}): {what}",
                        decl.kind.noun(),
                        name.text
                    ),
                )
                .with_label(format!("`{required}` or higher is required"))
                .with_help(format!(
                    "raise the profile to `{required}`; `ward check --explain-risk {}` shows why",
                    name.text
                ))
                .with_suggestion(crate::diagnostic::Suggestion {
                    message: format!("raise to `{required}`"),
                    range: profile_range,
                    replacement: required.clone(),
                }),
            );
            return;
        }
        Some(_) => {}
        None => {
            // What the profile mitigates: the risks it answers, not the residual ones (no
            // profile mitigates those; `--explain-risk` lists them apart).
            let table = profile_info(r.db, r.workspace, required);
            let mitigated: Vec<&crate::risk::RiskRow> = assessment
                .risky()
                .into_iter()
                .filter(|row| {
                    !assessment.residual.contains(&row.threat)
                        && table.is_some_and(|t| t.mitigates(&row.threat))
                })
                .collect();
            let why = if assessment.risky().is_empty() {
                "no moderate or high risk".to_string()
            } else if mitigated.is_empty() {
                "mitigates none of its risks; the rest are residual".to_string()
            } else {
                let more = mitigated.len().saturating_sub(4);
                let mut why = format!(
                    "mitigates {}",
                    risks(mitigated.into_iter().take(4).collect())
                );
                if more > 0 {
                    why.push_str(&format!(" and {more} more"));
                }
                why
            };
            r.report(
                Diagnostic::new(
                    &codes::ASSIGNED_PROFILE,
                    file,
                    name.range,
                    format!(
                        "{} `{}` gets `{required}`{scope} from the risk assessment",
                        decl.kind.noun(),
                        name.text
                    ),
                )
                .with_label(format!("`{required}`: {why}")),
            );
        }
    }
    residual_risk(r, file, decl.kind.noun(), name, assessment, &scope);
}

/// W0009: the moderate and high risks the class's profile leaves, that neither the class nor
/// its environment accepts, with what would mitigate them.
fn residual_risk(
    r: &mut Resolver<'_>,
    file: SourceFile,
    noun: &str,
    name: &ward_lang::ast::Ident,
    assessment: &Assessment,
    scope: &str,
) {
    let open: Vec<crate::risk::Residual> =
        crate::risk::residual_risks(r.db, r.workspace, assessment)
            .into_iter()
            .filter(|residual| residual.accepted.is_none())
            .collect();
    if open.is_empty() {
        return;
    }
    let listed: Vec<String> = open
        .iter()
        .map(|o| format!("{} ({})", o.threat, o.risk.as_str()))
        .collect();
    // What would mitigate them, mitigation by mitigation, and what nothing in the policy does.
    let mut answers: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let mut unanswered: Vec<&str> = Vec::new();
    for residual in &open {
        if residual.answered_by.is_empty() {
            unanswered.push(&residual.threat);
        }
        for (mitigation, profiles) in &residual.answered_by {
            match answers.iter_mut().find(|(m, _, _)| m == mitigation) {
                Some((_, threats, _)) => threats.push(residual.threat.clone()),
                None => answers.push((
                    mitigation.clone(),
                    vec![residual.threat.clone()],
                    profiles.clone(),
                )),
            }
        }
    }
    let mut help: Vec<String> = answers
        .iter()
        .map(|(mitigation, threats, profiles)| {
            format!(
                "{mitigation} would mitigate {} (as {} {})",
                threats.join(", "),
                quoted(profiles),
                if profiles.len() == 1 { "does" } else { "do" }
            )
        })
        .collect();
    if !unanswered.is_empty() {
        help.push(format!(
            "no profile of the policy mitigates {}: add {} to a profile's table",
            unanswered.join(", "),
            if unanswered.len() == 1 { "it" } else { "them" }
        ));
    }
    let threats: Vec<&str> = open.iter().map(|o| o.threat.as_str()).collect();
    help.push(format!(
        "or accept them, in the {noun} or its environment: `accept {} because \"...\"`",
        threats.join(", ")
    ));
    r.report(
        Diagnostic::new(
            &codes::RESIDUAL_RISK,
            file,
            name.range,
            format!(
                "{} `{}` leaves {} moderate or high risk{}{scope} unmitigated: {}",
                noun,
                name.text,
                open.len(),
                if open.len() == 1 { "" } else { "s" },
                listed.join(", ")
            ),
        )
        .with_label("residual risk")
        .with_help(help.join("; ")),
    );
}

/// W0011: the personal data a flow carries to an end not declared to receive it. Either end
/// may open the connection; the replies carry data too. A class's own management gateway
/// manages it and is no recipient.
fn personal_data(
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

/// Well-known protocols that carry their data in clear text: (protocol, port, name).
const CLEARTEXT: &[(&str, u16, &str)] = &[
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
const BROAD_FLOW_LEVEL: i64 = 3;

/// Flows a reviewer would question though every rule allows them (warnings, silenced by
/// `because = "..."`): every port, or from anywhere, into a thing of level 3 or more; a
/// cleartext protocol to or from a class whose profile requires encryption (M4).
fn dangerous_but_legal(
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
                .is_some_and(|p| matches!(p.value.kind, ward_lang::ast::ValueKind::Cidr(_, 0)));
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
            class.accepted.iter().any(|(t, _)| t == "T4")
                || class.environments.iter().any(|env| {
                    crate::model::environment_info(r.db, r.workspace, env)
                        .is_some_and(|e| e.accepted.iter().any(|(t, _)| t == "T4"))
                })
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

/// A service is outside the policy's segments: an address inside a segment's subnet would be
/// both a service and a thing of that segment to the firewall (its level's drops included).
/// A service or gateway placed in an environment is assessed as a class is.
fn assessed_endpoint(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
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

fn service(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    assessed_endpoint(r, file, decl);
    let Some(address) = decl.property("address") else {
        return;
    };
    let (ip, len) = match address.value.kind {
        ward_lang::ast::ValueKind::Ip(ip) => (ip, if ip.is_ipv4() { 32 } else { 128 }),
        ward_lang::ast::ValueKind::Cidr(ip, len) => (ip, len),
        _ => return,
    };
    for (segment, subnet, subnet_len) in crate::relations::segment_subnets(r.db, r.workspace) {
        // Inside the subnet; a service that holds whole segments (the Internet,
        // `0.0.0.0/0`) is the outside they talk to.
        let inside = crate::ir::prefix_contains(*subnet, *subnet_len, ip, len);
        if !inside {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            &codes::SERVICE_INSIDE_SEGMENT,
            file,
            address.value.range,
            format!("this address lies inside `{subnet}/{subnet_len}` of segment `{segment}`"),
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

/// The management gateways of these segments (`segment ... { gateway = ... }`).
fn segment_gateways(r: &Resolver<'_>, segments: &[String]) -> Vec<String> {
    segments
        .iter()
        .filter_map(|segment| {
            let decl = crate::queries::decl_named(r.db, r.workspace, segment, DeclKind::Segment)?;
            match &decl.property("gateway")?.value.kind {
                ward_lang::ast::ValueKind::Name(g) => Some(g.clone()),
                _ => None,
            }
        })
        .collect()
}

/// The gateway a flow passes (`via`) must be one that serves it: the management gateway of a
/// segment of one of its classes, and of a level no lower than either end's (traffic of a
/// higher profile does not pass through a lower one).
fn via_gateway(
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

/// A `match mud` pattern of this class that can match a URL together with another class's
/// pattern of the same specificity: a thing with that URL would be refused as ambiguous.
/// (A third, more specific pattern may decide some of those URLs; the check does not try to
/// prove that it decides all of them, and asks for distinct patterns instead.)
fn mud_matches(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(name) = &decl.name else { return };
    let has_patterns = decl.mud_patterns().next().is_some();
    // Only classes with patterns read the workspace's overlaps.
    if !has_patterns {
        return;
    }
    let Some(overlaps) = crate::relations::mud_overlaps(r.db, r.workspace).get(&name.text) else {
        return;
    };
    for url in decl.mud_patterns() {
        // One message per pattern is enough to act on.
        let Some(overlap) = overlaps.iter().find(|o| o.pattern == url.value) else {
            continue;
        };
        let mut diagnostic = Diagnostic::new(
            &codes::AMBIGUOUS_MUD_MATCH,
            file,
            url.range,
            format!(
                "`match mud \"{}\"` of class `{}` and `\"{}\"` of class `{}` match MUD URLs such as `{}` equally",
                overlap.pattern, name.text, overlap.other_pattern, overlap.other_class, overlap.example
            ),
        )
        .with_label("a thing with such a URL would be refused as `ambiguous-class`")
        .with_help(
            "make one pattern more specific (more of the URL spelled out), or merge the classes",
        );
        if let Some(def) = definition_of(r.db, r.workspace, &overlap.other_class) {
            diagnostic = diagnostic.with_secondary(
                def.file,
                def.name_range,
                format!(
                    "class `{}` matches `{}`",
                    overlap.other_class, overlap.other_pattern
                ),
            );
        }
        r.report(diagnostic);
    }
}

fn is_unidirectional(r: &Resolver<'_>, profile: &str) -> bool {
    profile_info(r.db, r.workspace, profile).is_some_and(|p| p.communication == "unidirectional")
}

fn holds(value: i64, op: CmpOp, bound: i64) -> bool {
    match op {
        CmpOp::Lt => value < bound,
        CmpOp::Le => value <= bound,
        CmpOp::Gt => value > bound,
        CmpOp::Ge => value >= bound,
        CmpOp::Eq => value == bound,
        CmpOp::Ne => value != bound,
    }
}

/// A duration in milliseconds as users write it: `30d`, `12h`, `90s`, `250ms`.
pub fn show_duration(ms: i64) -> String {
    const UNITS: [(i64, &str); 5] = [
        (604_800_000, "w"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for (unit, suffix) in UNITS {
        if ms != 0 && ms % unit == 0 {
            // Weeks read worse than days below a year.
            if suffix == "w" && ms / unit < 52 {
                continue;
            }
            return format!("{}{suffix}", ms / unit);
        }
    }
    format!("{ms}ms")
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn segment(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
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
    for class in crate::model::names_in(&classes.value.kind) {
        if let Some(held) = facts_of(r.db, r.workspace, &class).and_then(|f| f.profile.as_ref()) {
            levels.push((class, held.name.clone(), held.level));
        }
    }
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

fn flow(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, state: &mut FileState) {
    let Some(spec) = &decl.flow else { return };
    let key = crate::relations::flow_key(decl).unwrap_or_else(|| spec.to_string());
    let earlier_file = flows_declared_earlier(r.db, r.workspace, file)
        .get(state.flow_index)
        .copied()
        .flatten();
    state.flow_index += 1;
    let earlier_here = !state.seen_flows.insert(key.clone());
    duplicate_flow(r, file, spec, &key, earlier_here, earlier_file);

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

fn duplicate_flow(
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

fn profile(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    for stmt in &decl.body {
        if let StmtKind::Mitigate {
            threats,
            mitigations,
        } = &stmt.kind
            && mitigations.is_empty()
        {
            // The fix: the mitigations other profiles use against the first threat.
            let catalog = crate::model::catalog(r.db, r.workspace);
            let known: Vec<String> = threats
                .first()
                .map(|t| {
                    let mut found: Vec<String> = Vec::new();
                    for (_, profile) in &catalog.profiles {
                        for (threat, ms) in &profile.table {
                            if *threat == t.text {
                                for m in ms {
                                    if !found.contains(m) {
                                        found.push(m.clone());
                                    }
                                }
                            }
                        }
                    }
                    found
                })
                .unwrap_or_default();
            for threat in threats {
                let mut diagnostic = Diagnostic::new(
                    &codes::UNMITIGATED_THREAT,
                    file,
                    threat.range,
                    format!(
                        "threat `{}` is in the table of `{}` without a mitigation",
                        threat.text,
                        decl.label()
                    ),
                )
                .with_label("no mitigation");
                diagnostic = if known.is_empty() {
                    diagnostic.with_help(format!("write `mitigate {} with M...`", threat.text))
                } else {
                    let with = format!(" with {}", known.join(", "));
                    diagnostic
                        .with_help(format!(
                            "other profiles mitigate `{}`{with}",
                            threats[0].text
                        ))
                        .with_suggestion(crate::diagnostic::Suggestion {
                            message: format!("add `{}`", with.trim_start()),
                            range: TextRange::new(stmt.range.end, stmt.range.end),
                            replacement: with,
                        })
                };
                r.report(diagnostic);
            }
        }
    }
}

/// Declarations that exist to be referred to, and are not.
fn unused(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    if file.is_stdlib(r.db) {
        return;
    }
    let referable = matches!(
        decl.kind,
        DeclKind::Environment
            | DeclKind::Service
            | DeclKind::Gateway
            | DeclKind::Capability
            | DeclKind::Mitigation
            | DeclKind::Profile
            | DeclKind::Threat
    );
    let Some(name) = &decl.name else { return };
    if referable
        && !is_used(r.db, r.workspace, &name.text)
        && !used_without_reference(r, decl, &name.text)
    {
        r.report(
            Diagnostic::new(
                &codes::UNUSED_DECLARATION,
                file,
                name_range(decl),
                format!("{} `{}` is never used", decl.kind.noun(), name.text),
            )
            .with_label("declared but never referred to")
            .with_help("remove it, or check the places that should name it for a misspelling"),
        );
    }
}

/// Declarations that serve without being named: a service that receives PAVA's reports (the
/// gateway posts to it), a profile the risk assessment assigns to a class.
fn used_without_reference(r: &Resolver<'_>, decl: &Decl, name: &str) -> bool {
    match decl.kind {
        DeclKind::Service => decl.property("receives").is_some(),
        DeclKind::Profile => {
            let index = crate::queries::item_index(r.db, r.workspace);
            index
                .names()
                .filter(|(_, kind)| *kind == DeclKind::Class)
                .any(|(class, _)| {
                    facts_of(r.db, r.workspace, class)
                        .and_then(|f| f.profile.as_ref())
                        .is_some_and(|held| held.name == name)
                })
        }
        _ => false,
    }
}
