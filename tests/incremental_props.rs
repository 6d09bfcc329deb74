//! Incremental equals cold: a generated policy split over files, then a random sequence of
//! edits (a line deleted, duplicated or changed, a file added, removed or renamed); after
//! each, the diagnostics of the long-lived salsa database equal those of a fresh database
//! over the same files (compared as sets: the order of files in a workspace is the order
//! they were added).
//!
//! CI runs a few dozen sequences; more with `WARD_PROPTEST_CASES=N`.

#[path = "support/policy_gen.rs"]
mod policy_gen;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ward_compiler::{Diagnostic, Policy, SourceFile};

#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(usize, usize),
    DuplicateLine(usize, usize),
    /// Changes a character of a line (a name now refers to nothing, a value is out of range).
    ChangeLine(usize, usize, char),
    /// A new file holding a copy of some lines of another.
    AddFile(usize, usize, usize),
    RemoveFile(usize),
    RenameFile(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any::<usize>()).prop_map(|(f, l)| Edit::DeleteLine(f, l)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(f, l)| Edit::DuplicateLine(f, l)),
        3 => (any::<usize>(), any::<usize>(), prop::sample::select(vec!['x', '0', '_', ' ', '}', '9']))
            .prop_map(|(f, l, c)| Edit::ChangeLine(f, l, c)),
        1 => (any::<usize>(), any::<usize>(), 1usize..6).prop_map(|(f, l, n)| Edit::AddFile(f, l, n)),
        1 => any::<usize>().prop_map(Edit::RemoveFile),
        1 => any::<usize>().prop_map(Edit::RenameFile),
    ]
}

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

/// Splits a policy's text into files at declarations that start a line, about `files` of them.
fn split(text: &str, files: usize) -> BTreeMap<String, String> {
    let starts: Vec<usize> = text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .filter(|&i| text[i..].starts_with(|c: char| c.is_ascii_lowercase()))
        .collect();
    let per = (starts.len() / files.max(1)).max(1);
    let mut out = BTreeMap::new();
    let mut from = 0;
    for (n, cut) in starts.iter().step_by(per).skip(1).enumerate() {
        out.insert(format!("part{n}.ward"), text[from..*cut].to_string());
        from = *cut;
    }
    out.insert(format!("part{}.ward", out.len()), text[from..].to_string());
    out
}

fn apply(
    files: &mut BTreeMap<String, String>,
    edit: &Edit,
    serial: usize,
) -> Option<(String, Option<String>)> {
    if files.is_empty() {
        return None;
    }
    let names: Vec<String> = files.keys().cloned().collect();
    let pick = |n: usize| names[n % names.len()].clone();
    let lines_of = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    match edit {
        Edit::DeleteLine(f, l) | Edit::DuplicateLine(f, l) | Edit::ChangeLine(f, l, _) => {
            let name = pick(*f);
            let mut lines = lines_of(&files[&name]);
            if lines.is_empty() {
                return None;
            }
            let at = l % lines.len();
            match edit {
                Edit::DeleteLine(..) => {
                    lines.remove(at);
                }
                Edit::DuplicateLine(..) => {
                    let line = lines[at].clone();
                    lines.insert(at, line);
                }
                Edit::ChangeLine(_, _, c) => {
                    let line = &mut lines[at];
                    let chars: Vec<char> = line.chars().collect();
                    if !chars.is_empty() {
                        let i = (l / 7) % chars.len();
                        *line = chars[..i]
                            .iter()
                            .chain(std::iter::once(c))
                            .chain(&chars[i + 1..])
                            .collect();
                    }
                }
                _ => {}
            }
            let text = lines.join("\n") + "\n";
            files.insert(name.clone(), text.clone());
            Some((name, Some(text)))
        }
        Edit::AddFile(f, l, n) => {
            let lines = lines_of(&files[&pick(*f)]);
            let from = l % lines.len().max(1);
            let text = lines
                .iter()
                .skip(from)
                .take(*n)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
                + "\n";
            let name = format!("added{serial}.ward");
            files.insert(name.clone(), text.clone());
            Some((name, Some(text)))
        }
        Edit::RemoveFile(f) => {
            let name = pick(*f);
            files.remove(&name);
            Some((name, None))
        }
        Edit::RenameFile(_) => None,
    }
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
