//! Semantic tokens: what each identifier names (class, profile, threat, ...), for highlighting
//! beyond what a grammar can tell.

use super::*;

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
            ValueKind::Int(_)
            | ValueKind::Duration(_)
            | ValueKind::Date(_)
            | ValueKind::Ip(_)
            | ValueKind::Cidr(..) => TokenKind::Number,
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
