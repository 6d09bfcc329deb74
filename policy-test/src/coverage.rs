//! `ward test --coverage`: which of the policy's flows, profile threat lines and detection
//! rules at least one test exercised, per file.
//!
//! - A flow is exercised by a flow assertion between its endpoints (either way for `<->`).
//! - A profile's threat line (`mitigate T4 with M4`) is exercised when a test expects the
//!   profile of a class holding it, or the risk of one of the line's threats for such a class.
//! - A detection rule is exercised by an `expect detect` on it.
//!
//! Only the policy's own files count: the standard library is tested by ward.

use std::collections::BTreeMap;

use serde::Serialize;
use ward_compiler::Policy;
use ward_lang::LineIndex;
use ward_lang::ast::{DeclKind, StmtKind};

use super::run::Exercised;

/// One thing coverage counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `flow`, `profile line` or `detection rule`.
    pub kind: &'static str,
    pub what: String,
    pub line: u32,
    pub exercised: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FileCoverage {
    pub file: String,
    pub items: Vec<Item>,
}

impl FileCoverage {
    pub fn covered(&self) -> usize {
        self.items.iter().filter(|i| i.exercised).count()
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Coverage {
    pub files: Vec<FileCoverage>,
}

impl Coverage {
    /// The share of items exercised, in percent (100 when there is nothing to cover).
    pub fn percent(&self) -> f64 {
        let total: usize = self.files.iter().map(|f| f.items.len()).sum();
        let covered: usize = self.files.iter().map(FileCoverage::covered).sum();
        if total == 0 {
            100.0
        } else {
            100.0 * covered as f64 / total as f64
        }
    }
}

pub fn coverage(policy: &Policy, exercised: &Exercised) -> Coverage {
    let db = policy.db();
    let ir = ward_compiler::ir::build_ir(db, policy.workspace());
    // The classes holding each profile.
    let mut holders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for class in &ir.classes {
        if let Some(profile) = &class.profile {
            holders
                .entry(profile.as_str())
                .or_default()
                .push(class.name.as_str());
        }
    }
    let mut files = Vec::new();
    for file in policy.user_files() {
        let path = file.path(db).clone();
        let text = file.text(db);
        let lines = LineIndex::new(text);
        let line_of = |offset: u32| lines.line_col(text, offset).line + 1;
        let mut items = Vec::new();
        for flow in ir.flows.iter().filter(|f| f.origin.file == path) {
            let forward = exercised
                .flows
                .contains(&(flow.from.clone(), flow.to.clone()));
            let backward = flow.bidirectional
                && exercised
                    .flows
                    .contains(&(flow.to.clone(), flow.from.clone()));
            items.push(Item {
                kind: "flow",
                what: flow.describe(),
                line: flow.origin.line,
                exercised: forward || backward,
            });
        }
        for rule in ir.detections.iter().filter(|d| d.origin.file == path) {
            items.push(Item {
                kind: "detection rule",
                what: rule.name.clone(),
                line: rule.origin.line,
                exercised: exercised.detections.contains(&rule.name),
            });
        }
        let parsed = ward_compiler::queries::parsed(db, file);
        for decl in parsed.file.decls().filter(|d| d.kind == DeclKind::Profile) {
            let Some(name) = &decl.name else { continue };
            let classes = holders.get(name.text.as_str()).cloned().unwrap_or_default();
            for stmt in &decl.body {
                let StmtKind::Mitigate { threats, .. } = &stmt.kind else {
                    continue;
                };
                let exercised = classes.iter().any(|class| {
                    exercised.profiles_of.contains(*class)
                        || threats.iter().any(|t| {
                            exercised
                                .risks
                                .contains(&(class.to_string(), t.text.clone()))
                        })
                });
                let threats: Vec<&str> = threats.iter().map(|t| t.text.as_str()).collect();
                items.push(Item {
                    kind: "profile line",
                    what: format!("{} mitigates {}", name.text, threats.join(", ")),
                    line: line_of(stmt.range.start),
                    exercised,
                });
            }
        }
        if !items.is_empty() {
            items.sort_by_key(|i| i.line);
            files.push(FileCoverage { file: path, items });
        }
    }
    Coverage { files }
}
