//! IDE queries: what the language server asks, as plain data. Positions are byte offsets;
//! the server converts them to and from LSP positions. Every function works on broken files:
//! the parser recovers, and a declaration that did not parse is simply absent.

use ward_lang::TextRange;
use ward_lang::ast::*;

use crate::db::{Db, SourceFile, Workspace};
use crate::model::{catalog, class_info, threat_info};
use crate::queries::{definition_of, item_index, owner_of, parsed};
use crate::risk::{assessments_of, profile_of_class};
use crate::schema;

/// An identifier in a file: a declaration's name or a reference to one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAt {
    pub text: String,
    pub range: TextRange,
    pub is_declaration: bool,
}

/// Every identifier of a file that may name a declaration, in source order.
pub fn identifiers(db: &dyn Db, file: SourceFile) -> Vec<NameAt> {
    let mut out = Vec::new();
    let mut push = |text: &str, range: TextRange, is_declaration: bool| {
        if !text.is_empty() {
            out.push(NameAt {
                text: text.to_string(),
                range,
                is_declaration,
            });
        }
    };
    for decl in parsed(db, file).file.decls() {
        if let Some(name) = &decl.name {
            push(&name.text, name.range, true);
        }
        if let Some(flow) = &decl.flow {
            push(&flow.from.text, flow.from.range, false);
            push(&flow.to.text, flow.to.range, false);
        }
        for stmt in &decl.body {
            let instances;
            let mut found: Vec<(&str, TextRange)> = Vec::new();
            if let StmtKind::Table(_) = &stmt.kind {
                // A table's names are its rows' values (put in for its parameters) and the
                // body's other names: the parameters themselves name no declaration.
                instances = ward_lang::table::instances(std::slice::from_ref(stmt)).0;
                for instance in &instances {
                    stmt_names(&instance.stmt, &mut found);
                }
                found.sort_by_key(|(_, range)| range.start);
                found.dedup();
            } else {
                stmt_names(stmt, &mut found);
            }
            for (text, range) in found {
                push(text, range, false);
            }
        }
    }
    out
}

/// The names in a value (a list's too).
fn values<'a>(value: &'a Value, out: &mut Vec<(&'a str, TextRange)>) {
    match &value.kind {
        ValueKind::Name(name) => out.push((name, value.range)),
        ValueKind::List(items) => {
            for item in items {
                values(item, out);
            }
        }
        _ => {}
    }
}

/// The names a statement uses, with their ranges.
fn stmt_names<'a>(stmt: &'a Stmt, found: &mut Vec<(&'a str, TextRange)>) {
    match &stmt.kind {
        StmtKind::FlowAssert { flow, .. } => {
            found.push((&flow.from.text, flow.from.range));
            found.push((&flow.to.text, flow.to.range));
        }
        StmtKind::Property(property) => {
            if let Some(subject) = &property.subject {
                found.push((&subject.text, subject.range));
            }
            values(&property.value, found);
        }
        StmtKind::Mitigate {
            threats,
            mitigations,
        } => found.extend(
            threats
                .iter()
                .chain(mitigations)
                .map(|i| (i.text.as_str(), i.range)),
        ),
        StmtKind::Bound { path, .. } => {
            found.extend(path.first().map(|p| (p.text.as_str(), p.range)));
        }
        StmtKind::Accept { threats, .. } => {
            found.extend(threats.iter().map(|i| (i.text.as_str(), i.range)));
        }
        StmtKind::Then { actions } => {
            for action in actions {
                for arg in &action.args {
                    values(arg, found);
                }
            }
        }
        StmtKind::Expect { subject, value, .. } => {
            match subject {
                ExpectSubject::Path(path) => {
                    found.extend(path.first().map(|p| (p.text.as_str(), p.range)));
                }
                ExpectSubject::Call { args, .. } => {
                    for arg in args {
                        values(arg, found);
                    }
                }
            }
            values(value, found);
        }
        StmtKind::ExpectDetect { rule, .. } => found.push((&rule.text, rule.range)),
        _ => {}
    }
}

/// Hover on a name of a test's table (in its `for` or its body): the values its rows give it.
fn table_name_hover(db: &dyn Db, file: SourceFile, offset: u32) -> Option<(String, TextRange)> {
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

/// The identifier at an offset (or just before it, at the end of a word being typed).
pub fn name_at(db: &dyn Db, file: SourceFile, offset: u32) -> Option<NameAt> {
    identifiers(db, file)
        .into_iter()
        .find(|n| n.range.start <= offset && offset <= n.range.end)
}

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: SourceFile,
    pub range: TextRange,
}

pub fn goto_definition(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
    offset: u32,
) -> Option<Location> {
    let name = name_at(db, file, offset)?;
    let def = definition_of(db, ws, &name.text)?;
    Some(Location {
        file: def.file,
        range: def.name_range,
    })
}

/// Every use of the declaration at the offset, its declaration included.
pub fn references(db: &dyn Db, ws: Workspace, file: SourceFile, offset: u32) -> Vec<Location> {
    let Some(name) = name_at(db, file, offset) else {
        return Vec::new();
    };
    if owner_of(db, ws, &name.text).is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &other in ws.files(db) {
        for found in identifiers(db, other) {
            if found.text == name.text {
                out.push(Location {
                    file: other,
                    range: found.range,
                });
            }
        }
    }
    out
}

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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: DeclKind,
    pub range: TextRange,
    pub selection: TextRange,
}

pub fn document_symbols(db: &dyn Db, file: SourceFile) -> Vec<Symbol> {
    parsed(db, file)
        .file
        .decls()
        .map(|decl| Symbol {
            name: decl.label(),
            kind: decl.kind,
            range: decl.range,
            selection: decl
                .name
                .as_ref()
                .map(|n| n.range)
                .or_else(|| decl.flow.as_ref().map(|f| f.range))
                .unwrap_or(decl.range),
        })
        .collect()
}

pub fn workspace_symbols(db: &dyn Db, ws: Workspace, query: &str) -> Vec<(SourceFile, Symbol)> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    for &file in ws.files(db) {
        for symbol in document_symbols(db, file) {
            if symbol.name.to_lowercase().contains(&query) {
                out.push((file, symbol));
            }
            if out.len() >= 500 {
                return out;
            }
        }
    }
    out
}

/// Lines `(start, end)` (zero-based) of declarations that span several lines.
pub fn folding_ranges(db: &dyn Db, file: SourceFile) -> Vec<(u32, u32)> {
    let text = file.text(db);
    let index = ward_lang::LineIndex::new(text);
    parsed(db, file)
        .file
        .decls()
        .filter_map(|decl| {
            let start = index.line_col(text, decl.range.start).line;
            let end = index.line_col(text, decl.range.end).line;
            (end > start).then_some((start, end))
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    /// What it is: "keyword", a declaration kind's noun, or a vocabulary's name.
    pub detail: String,
    pub is_keyword: bool,
}

/// Completions at an offset, by context: declaration keywords at the top level; inside a
/// block, property keys and statements; after `=` or in a list, the names or words the
/// property takes; after `mitigate`, threats; after `with`, mitigations; in flows, endpoints.
pub fn completions(db: &dyn Db, ws: Workspace, file: SourceFile, offset: u32) -> Vec<Completion> {
    let text = file.text(db);
    let offset = char_floor(text, offset as usize);
    let before = &text[..offset];
    let line = before.rsplit('\n').next().unwrap_or("");
    // The word being typed is replaced; the context is what precedes it.
    let word_start = line
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let context = line[..word_start].trim_end();
    let depth = brace_depth(before);
    let names_of = |kinds: &[DeclKind]| -> Vec<Completion> {
        let mut names: Vec<Completion> = item_index(db, ws)
            .names()
            .filter(|(_, kind)| kinds.contains(kind))
            .map(|(name, kind)| Completion {
                label: name.to_string(),
                detail: kind.noun().to_string(),
                is_keyword: false,
            })
            .collect();
        names.sort_by(|a, b| {
            crate::model::natural_key(&a.label).cmp(&crate::model::natural_key(&b.label))
        });
        names
    };
    let words = |vocabulary: &schema::Vocabulary| -> Vec<Completion> {
        vocabulary
            .words
            .iter()
            .map(|w| Completion {
                label: w.to_string(),
                detail: vocabulary.what.to_string(),
                is_keyword: false,
            })
            .collect()
    };
    let keywords = |list: &[&str], detail: &str| -> Vec<Completion> {
        list.iter()
            .map(|k| Completion {
                label: k.to_string(),
                detail: detail.to_string(),
                is_keyword: true,
            })
            .collect()
    };

    let first_word = context.split_whitespace().next().unwrap_or("");
    if depth == 0 {
        if context.is_empty() {
            let kws: Vec<&str> = DeclKind::ALL.iter().map(|k| k.keyword()).collect();
            return keywords(&kws, "declaration");
        }
        if first_word == "flow" {
            return names_of(schema::endpoint_kinds());
        }
        return Vec::new();
    }
    // Inside a block: which declaration?
    let decl_kind = enclosing_decl(db, file, offset as u32);
    if context.ends_with("mitigate") || (first_word == "mitigate" && !context.contains(" with")) {
        return names_of(&[DeclKind::Threat]);
    }
    if first_word == "mitigate" && context.contains(" with") {
        return names_of(&[DeclKind::Mitigation]);
    }
    if first_word == "bound" {
        return names_of(&[DeclKind::Mitigation]);
    }
    if first_word == "accept" && !context.contains(" because") {
        return names_of(&[DeclKind::Threat]);
    }
    if first_word == "then" || first_word == "report" {
        if context.contains("report") {
            return words(&schema::REPORT_TARGETS);
        }
        return words(&schema::ACTIONS);
    }
    if matches!(first_word, "allow" | "deny")
        || context.ends_with("flow")
        || context.ends_with("->")
    {
        return names_of(schema::endpoint_kinds());
    }
    if let Some(eq) = context.find('=') {
        let key_part = context[..eq].trim();
        let mut key_words = key_part.split_whitespace();
        let key = key_words.next().unwrap_or("");
        if let Some(kind) = decl_kind
            && let Some(property) = schema::spec(kind).property(key)
        {
            return match value_kind(&property.ty) {
                Expected::Names(kinds) => names_of(kinds),
                Expected::Words(vocabulary) => words(vocabulary),
                Expected::Nothing => Vec::new(),
            };
        }
        return Vec::new();
    }
    if context.is_empty()
        || context.ends_with('{')
        || context.ends_with(',')
        || context.ends_with(';')
    {
        if let Some(kind) = decl_kind {
            let spec = schema::spec(kind);
            let mut out: Vec<Completion> = spec
                .properties
                .iter()
                .map(|p| Completion {
                    label: p.key.to_string(),
                    detail: p.ty.describe(),
                    is_keyword: false,
                })
                .collect();
            let statements: Vec<&str> = spec
                .statements
                .iter()
                .flat_map(|s| match s {
                    schema::StmtTag::Mitigate => vec!["mitigate"],
                    schema::StmtTag::Accept => vec!["accept"],
                    schema::StmtTag::Param => vec!["param"],
                    schema::StmtTag::Bound => vec!["bound"],
                    schema::StmtTag::Match => vec!["match"],
                    schema::StmtTag::When => vec!["when"],
                    schema::StmtTag::Then => vec!["then"],
                    schema::StmtTag::FlowAssert => vec!["allow", "deny"],
                    schema::StmtTag::Expect => vec!["expect"],
                    schema::StmtTag::Table => vec!["for"],
                })
                .collect();
            out.extend(keywords(&statements, "statement"));
            return out;
        }
    }
    // After a subject position (`likelihood `), threats and targets.
    if matches!(first_word, "likelihood" | "impact") {
        let mut out = names_of(&[DeclKind::Threat]);
        out.extend(words(&schema::TARGETS));
        out.push(Completion {
            label: "default".to_string(),
            detail: "every threat".to_string(),
            is_keyword: true,
        });
        return out;
    }
    Vec::new()
}

/// The largest character boundary at or before `offset` (editors may send any offset).
fn char_floor(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

enum Expected {
    Names(&'static [DeclKind]),
    Words(&'static schema::Vocabulary),
    Nothing,
}

fn value_kind(ty: &'static schema::ValueType) -> Expected {
    match ty {
        schema::ValueType::Ref(kinds) => Expected::Names(kinds),
        schema::ValueType::Word(vocabulary) => Expected::Words(vocabulary),
        schema::ValueType::List(item) | schema::ValueType::OneOrList(item) => value_kind(item),
        _ => Expected::Nothing,
    }
}

/// The brace depth at the end of `text`, skipping strings and comments.
fn brace_depth(text: &str) -> i64 {
    let mut depth = 0i64;
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                chars.next();
            }
            '/' if !in_string && chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' if !in_string => depth += 1,
            '}' if !in_string => depth -= 1,
            _ => {}
        }
    }
    depth.max(0)
}

/// The kind of the declaration whose text holds the offset; for a declaration being typed
/// (not yet parsed), the keyword of the last line that starts one.
fn enclosing_decl(db: &dyn Db, file: SourceFile, offset: u32) -> Option<DeclKind> {
    let parse = parsed(db, file);
    for item in &parse.file.items {
        if item.range().start <= offset && offset <= item.range().end {
            if let Item::Decl(decl) = item {
                return Some(decl.kind);
            }
            break;
        }
    }
    let text = file.text(db);
    text[..char_floor(text, offset as usize)]
        .lines()
        .rev()
        .find_map(|line| DeclKind::from_keyword(line.split_whitespace().next().unwrap_or("")))
}

/// Inlay hints: the profile PASC assigns to each class that declares none, after its name.
pub fn inlay_hints(db: &dyn Db, ws: Workspace, file: SourceFile) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for decl in parsed(db, file).file.decls() {
        if decl.kind != DeclKind::Class {
            continue;
        }
        let Some(name) = &decl.name else { continue };
        if class_info(db, ws, &name.text).is_some_and(|c| c.profile.is_none())
            && let Some(held) = profile_of_class(db, ws, &name.text)
        {
            out.push((name.range.end, format!(": {} (assigned)", held.profile)));
        }
    }
    out
}

/// The edits of a rename, or why it is refused.
pub fn rename(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
    offset: u32,
    new_name: &str,
) -> Result<Vec<Location>, String> {
    let name = name_at(db, file, offset).ok_or("no name here to rename")?;
    let def = definition_of(db, ws, &name.text)
        .ok_or_else(|| format!("`{}` is not declared", name.text))?;
    if def.file.is_stdlib(db) {
        return Err(format!(
            "`{}` belongs to the standard library, which is read-only",
            name.text
        ));
    }
    let valid = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid || DeclKind::from_keyword(new_name).is_some() {
        return Err(format!("`{new_name}` is not a valid name"));
    }
    if let Some((kind, _)) = owner_of(db, ws, new_name) {
        return Err(format!(
            "`{new_name}` is already declared as {}",
            kind.with_article()
        ));
    }
    Ok(references(db, ws, file, offset))
}

/// What a highlighted token is, for semantic highlighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    Comment,
    String,
    Number,
    Regexp,
    /// A property key.
    Property,
    /// A name, by the kind of declaration it names.
    Declared(DeclKind),
    /// A word of a fixed vocabulary (`low`, `tcp`).
    EnumMember,
}

/// Every token worth highlighting, in source order; `declaration` marks a declaration's
/// own name.
pub fn semantic_tokens(
    db: &dyn Db,
    ws: Workspace,
    file: SourceFile,
) -> Vec<(TextRange, TokenKind, bool)> {
    let parse = parsed(db, file);
    let mut out: Vec<(TextRange, TokenKind, bool)> = Vec::new();
    for comment in &parse.file.comments {
        out.push((comment.range, TokenKind::Comment, false));
    }
    let mut kinds: std::collections::HashMap<String, Option<DeclKind>> =
        std::collections::HashMap::new();
    let mut kind_of = |name: &str| -> Option<DeclKind> {
        *kinds
            .entry(name.to_string())
            .or_insert_with(|| owner_of(db, ws, name).map(|(k, _)| k))
    };
    fn value_tokens(
        value: &Value,
        out: &mut Vec<(TextRange, TokenKind, bool)>,
        names: &mut Vec<(String, TextRange)>,
    ) {
        let kind = match &value.kind {
            ValueKind::Name(name) => {
                names.push((name.clone(), value.range));
                return;
            }
            ValueKind::Str(_) => TokenKind::String,
            ValueKind::Int(_) | ValueKind::Duration(_) | ValueKind::Ip(_) | ValueKind::Cidr(..) => {
                TokenKind::Number
            }
            ValueKind::Regex { .. } => TokenKind::Regexp,
            ValueKind::List(items) => {
                for item in items {
                    value_tokens(item, out, names);
                }
                return;
            }
            ValueKind::Invalid => return,
        };
        out.push((value.range, kind, false));
    }
    /// Property keys and values, and statements' first keyword; a table's body too.
    fn stmt_tokens(
        stmts: &[Stmt],
        out: &mut Vec<(TextRange, TokenKind, bool)>,
        names: &mut Vec<(String, TextRange)>,
    ) {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Property(property) => {
                    out.push((property.key.range, TokenKind::Property, false));
                    if let Some(subject) = &property.subject {
                        names.push((subject.text.clone(), subject.range));
                    }
                    value_tokens(&property.value, out, names);
                }
                StmtKind::FlowAssert { verdict, .. } => {
                    // `allow` / `deny`; a table's parameter in its place is a name.
                    if Verdict::parse(&verdict.text).is_some() {
                        out.push((verdict.range, TokenKind::Keyword, false));
                    }
                }
                other => {
                    let word = other.describe().trim_matches('`');
                    if !word.contains(' ') {
                        out.push((
                            TextRange::new(stmt.range.start, stmt.range.start + word.len() as u32),
                            TokenKind::Keyword,
                            false,
                        ));
                    }
                    if let StmtKind::Table(table) = other {
                        stmt_tokens(&table.body, out, names);
                    }
                }
            }
        }
    }
    let mut names: Vec<(String, TextRange)> = Vec::new();
    for decl in parse.file.decls() {
        let keyword = decl.kind.keyword();
        out.push((
            TextRange::new(decl.range.start, decl.range.start + keyword.len() as u32),
            TokenKind::Keyword,
            false,
        ));
        if let Some(name) = &decl.name {
            out.push((name.range, TokenKind::Declared(decl.kind), true));
        }
        if let Some(title) = &decl.title {
            out.push((title.range, TokenKind::String, false));
        }
        stmt_tokens(&decl.body, &mut out, &mut names);
    }
    for found in identifiers(db, file) {
        if !found.is_declaration {
            names.push((found.text, found.range));
        }
    }
    names.sort_by_key(|(_, r)| r.start);
    names.dedup_by_key(|(_, r)| r.start);
    for (name, range) in names {
        let kind = match kind_of(&name) {
            Some(kind) => TokenKind::Declared(kind),
            None => TokenKind::EnumMember,
        };
        out.push((range, kind, false));
    }
    out.sort_by_key(|(r, _, _)| (r.start, r.end));
    out.dedup_by_key(|(r, _, _)| r.start);
    out
}
