//! IDE queries: what the language server asks, as plain data, one feature per file. Positions are byte offsets;
//! the server converts them to and from LSP positions. Every function works on broken files:
//! the parser recovers, and a declaration that did not parse is simply absent.

use ward_lang::TextRange;
use ward_lang::ast::*;

use crate::db::{Db, SourceFile, Workspace};
use crate::model::{catalog, class_info, threat_info};
use crate::queries::{definition_of, item_index, owner_of, parsed};
use crate::risk::{assessments_of, profile_of_class};
use crate::schema;

mod completion;
mod folding;
mod hover;
mod inlay;
mod navigation;
mod rename;
mod symbols;
mod tokens;

pub use completion::*;
pub use folding::*;
pub use hover::*;
pub use inlay::*;
pub use navigation::*;
pub use rename::*;
pub use symbols::*;
pub use tokens::*;

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
pub(super) fn values<'a>(value: &'a Value, out: &mut Vec<(&'a str, TextRange)>) {
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
pub(super) fn stmt_names<'a>(stmt: &'a Stmt, found: &mut Vec<(&'a str, TextRange)>) {
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

/// The identifier at an offset (or just before it, at the end of a word being typed).
pub fn name_at(db: &dyn Db, file: SourceFile, offset: u32) -> Option<NameAt> {
    identifiers(db, file)
        .into_iter()
        .find(|n| n.range.start <= offset && offset <= n.range.end)
}
