//! Profiles: their threat -> mitigation tables.

use super::*;

pub(super) fn profile(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
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
