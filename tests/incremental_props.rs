//! Incremental equals cold: a generated policy split over files, then a random sequence of
//! edits (a line deleted, duplicated or changed, a file added, removed or renamed); after
//! each, the diagnostics of the long-lived salsa database equal those of a fresh database
//! over the same files (compared as sets: the order of files in a workspace is the order
//! they were added).
//!
//! CI runs a few dozen sequences; more with `WARD_PROPTEST_CASES=N`.

#[path = "support/edits.rs"]
mod edits;
#[path = "support/policy_gen.rs"]
mod policy_gen;

use std::collections::BTreeMap;

use edits::{Edit, apply, edit, split};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ward_compiler::{Diagnostic, Policy, SourceFile};

/// A diagnostic as a user sees it, by file path (salsa ids differ between databases).
fn seen(policy: &Policy, d: &Diagnostic) -> String {
    let db = policy.db();
    let path = |f: SourceFile| f.path(db).clone();
    let labels: Vec<String> = d
        .labels
        .iter()
        .map(|l| format!("{}:{:?}:{}", path(l.file), l.range, l.message))
        .collect();
    format!(
        "{}:{:?} {} {} [{}] {:?} {labels:?} {:?}",
        path(d.file),
        d.range,
        d.code.code,
        d.message,
        d.primary_label,
        d.help,
        d.suggestion
    )
}

fn diagnostics(policy: &Policy) -> Vec<String> {
    let mut all: Vec<String> = policy
        .check()
        .diagnostics
        .iter()
        .map(|d| seen(policy, d))
        .collect();
    all.sort();
    all
}

#[test]
fn incremental_checks_equal_cold_ones_after_every_edit() {
    let cases = std::env::var("WARD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        policy_gen::policy(),
        1usize..5,
        prop::collection::vec(edit(), 1..12),
    );
    let result = runner.run(&strategy, |(generated, parts, edits)| {
        let mut files = split(&generated.text(), parts);
        let mut policy = Policy::default();
        let mut handles: BTreeMap<String, SourceFile> = BTreeMap::new();
        for (name, text) in &files {
            handles.insert(name.clone(), policy.add_file(name.clone(), text.clone()));
        }
        let _ = policy.check();
        for (serial, edit) in edits.iter().enumerate() {
            if let Edit::RenameFile(f) = edit {
                if files.is_empty() {
                    continue;
                }
                let names: Vec<String> = files.keys().cloned().collect();
                let old = names[f % names.len()].clone();
                let text = files.remove(&old).unwrap_or_default();
                let new = format!("renamed{serial}.ward");
                if let Some(file) = handles.remove(&old) {
                    policy.remove_file(file);
                }
                handles.insert(new.clone(), policy.add_file(new.clone(), text.clone()));
                files.insert(new, text);
            } else if let Some((name, text)) = apply(&mut files, edit, serial) {
                match (text, handles.get(&name).copied()) {
                    (Some(text), Some(file)) => policy.set_text(file, text),
                    (Some(text), None) => {
                        handles.insert(name.clone(), policy.add_file(name, text));
                    }
                    (None, Some(file)) => {
                        policy.remove_file(file);
                        handles.remove(&name);
                    }
                    (None, None) => {}
                }
            }
            let incremental = diagnostics(&policy);
            let mut cold = Policy::default();
            for (name, text) in &files {
                cold.add_file(name.clone(), text.clone());
            }
            let cold = diagnostics(&cold);
            prop_assert_eq!(
                &incremental,
                &cold,
                "after edit {} ({:?}); files: {:#?}",
                serial,
                edit,
                files
            );
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
