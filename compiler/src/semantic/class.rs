//! Classes: capabilities and bounds of a declared profile, the risk assessment's findings
//! (assigned or required profile, residual risks), segments, the quarantine place and the MUD
//! patterns by which PASC recognises their things.

use super::*;

pub(super) fn class(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
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
pub(super) fn assess(
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
pub(super) fn quarantine_place(
    r: &mut Resolver<'_>,
    file: SourceFile,
    decl: &Decl,
    is_place: bool,
) {
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

pub(super) fn risk_findings(
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
            .with_help(no_profile_help(r, decl.kind, &name.text)),
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
pub(super) fn residual_risk(
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

/// A `match mud` pattern of this class that can match a URL together with another class's
/// pattern of the same specificity: a thing with that URL would be refused as ambiguous.
/// (A third, more specific pattern may decide some of those URLs; the check does not try to
/// prove that it decides all of them, and asks for distinct patterns instead.)
pub(super) fn mud_matches(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
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

/// E0404's way out: what the assessment says, and for a class whose things cannot meet any
/// profile (a consumer TV, a legacy pump), a waiver that someone signs for a while, rather
/// than dropping its environment (which would stop its assessment silently).
fn no_profile_help(r: &Resolver<'_>, kind: DeclKind, name: &str) -> String {
    let explain = format!("`ward check --explain-risk {name}` shows the assessment");
    if kind != DeclKind::Class {
        return explain;
    }
    let in_three_months = ward_lang::Timestamp::day_of(r.workspace.now(r.db) + 90 * 86_400);
    format!(
        "{explain}. If its things cannot do better, waive it for a time, signed by who answers for it (it then holds the lowest profile, the most confined): `waiver {name}_exception {{ class = {name}, waives = [E0404], reason = \"...\", owner = \"...\", expires = {in_three_months} }}`"
    )
}
