//! Completion by context: declaration keywords at the top level, a block's properties and
//! statements, the words or declarations a property's value takes, threats after `mitigate`,
//! mitigations after `with`, endpoints in flows.

use super::*;

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
pub(super) fn char_floor(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

pub(super) enum Expected {
    Names(&'static [DeclKind]),
    Words(&'static schema::Vocabulary),
    Nothing,
}

pub(super) fn value_kind(ty: &'static schema::ValueType) -> Expected {
    match ty {
        schema::ValueType::Ref(kinds) => Expected::Names(kinds),
        schema::ValueType::Word(vocabulary) => Expected::Words(vocabulary),
        schema::ValueType::List(item) | schema::ValueType::OneOrList(item) => value_kind(item),
        _ => Expected::Nothing,
    }
}

/// The brace depth at the end of `text`, skipping strings and comments.
pub(super) fn brace_depth(text: &str) -> i64 {
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
pub(super) fn enclosing_decl(db: &dyn Db, file: SourceFile, offset: u32) -> Option<DeclKind> {
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
