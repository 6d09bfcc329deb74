//! Hover: what a name is (its declaration's doc comment and title), with the tables behind it:
//! a class's assessment, a threat's mitigations, a test table's values.

use super::*;

/// Markdown for the declaration at the offset: its docs, and what ward knows of it.
pub fn hover(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<(String, TextRange)> {
    if let Some(found) = table_name_hover(db, file, offset) {
        return Some(found);
    }
    let name = name_at(db, file, offset)?;
    let def = definition_of(db, ws, &name.text)?;
    let decl = crate::queries::decl_at(db, def.file, def.item)?;
    let mut out = format!("**{}** `{}`", decl.kind.noun(), name.text);
    if let Some(title) = &decl.title {
        out.push_str(&format!(" — {}", title.value));
    }
    out.push('\n');
    if !decl.docs.is_empty() {
        out.push('\n');
        out.push_str(&decl.docs.join("\n"));
        out.push('\n');
    }
    match decl.kind {
        DeclKind::Threat => {
            if let Some(info) = threat_info(db, ws, &name.text) {
                out.push_str(&format!(
                    "\nTargets: {}  \nLifecycle: {}\n",
                    info.targets.join(", "),
                    info.lifecycle.join(", ")
                ));
            }
        }
        DeclKind::Profile => {
            if let Some(profile) = catalog(db, ws).profile(&name.text) {
                out.push_str(&format!(
                    "\nLevel {}, communication {}, gateway {}.\n\n| threat | mitigations |\n|---|---|\n",
                    profile.level, profile.communication, profile.gateway
                ));
                for (threat, mitigations) in &profile.table {
                    out.push_str(&format!("| {threat} | {} |\n", mitigations.join(", ")));
                }
            }
        }
        DeclKind::Class => {
            if let Some(held) = profile_of_class(db, ws, &name.text) {
                out.push_str(&format!(
                    "\nProfile **{}** (level {}), {}.\n",
                    held.profile,
                    held.level,
                    if held.assigned {
                        "assigned by the risk assessment"
                    } else {
                        "declared"
                    }
                ));
            }
            for assessment in assessments_of(db, ws, &name.text) {
                let risky: Vec<String> = assessment
                    .risky()
                    .iter()
                    .take(6)
                    .map(|r| format!("{} ({})", r.threat, r.risk.as_str()))
                    .collect();
                out.push_str(&format!(
                    "\nIn `{}`: requires {}; risks to mitigate: {}.\n",
                    assessment.environment,
                    assessment
                        .required
                        .as_ref()
                        .map_or("no fitting profile".to_string(), |(p, _)| format!("`{p}`")),
                    if risky.is_empty() {
                        "none".to_string()
                    } else {
                        risky.join(", ")
                    }
                ));
            }
        }
        _ => {}
    }
    if def.file.is_stdlib(db) {
        out.push_str(&format!("\n_Standard library: {}_\n", def.file.path(db)));
    }
    Some((out, name.range))
}

/// Hover on a name of a test's table (in its `for` or its body): the values its rows give it.
pub(super) fn table_name_hover(
    db: &dyn Db,
    file: SourceFile,
    offset: u32,
) -> Option<(String, TextRange)> {
    let text = file.text(db);
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let at = (offset as usize).min(text.len());
    let start = text
        .get(..at)?
        .rfind(|c: char| !is_word(c))
        .map_or(0, |i| i + 1);
    let end = at
        + text
            .get(at..)?
            .find(|c: char| !is_word(c))
            .unwrap_or(text.len() - at);
    let word = text.get(start..end).filter(|w| !w.is_empty())?;
    let range = TextRange::new(start as u32, end as u32);
    for decl in parsed(db, file).file.decls() {
        for stmt in &decl.body {
            let StmtKind::Table(table) = &stmt.kind else {
                continue;
            };
            if !(stmt.range.start <= range.start && range.end <= stmt.range.end) {
                continue;
            }
            // Inside the rows, a word is a value, not the table's name.
            if table
                .rows
                .iter()
                .any(|r| r.range.start <= range.start && range.end <= r.range.end)
            {
                continue;
            }
            let column = table.params.iter().position(|p| p.text == word)?;
            let values: Vec<&str> = table
                .rows
                .iter()
                .filter_map(|r| r.cells.get(column))
                .map(|c| text.get(c.range().as_usize()).unwrap_or_default())
                .map(|v| {
                    if v.contains('\n') {
                        "(several lines)"
                    } else {
                        v
                    }
                })
                .collect();
            return Some((
                format!(
                    "**table name** `{word}`: one value per row ({})\n\n{}",
                    values.len(),
                    values
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                range,
            ));
        }
    }
    None
}
