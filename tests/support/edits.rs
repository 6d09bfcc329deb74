//! Random edits to a policy split over files, for the differential tests (incremental
//! against cold, the language server against `ward check`).

#![allow(dead_code, reason = "each user needs a different part")]

use std::collections::BTreeMap;

use proptest::prelude::*;

#[derive(Clone, Debug)]
pub enum Edit {
    DeleteLine(usize, usize),
    DuplicateLine(usize, usize),
    /// Changes a character of a line (a name now refers to nothing, a value is out of range).
    ChangeLine(usize, usize, char),
    /// A new file holding a copy of some lines of another.
    AddFile(usize, usize, usize),
    RemoveFile(usize),
    RenameFile(usize),
}

pub fn edit() -> impl Strategy<Value = Edit> {
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

/// Splits a policy's text into files at declarations that start a line, about `files` of them.
pub fn split(text: &str, files: usize) -> BTreeMap<String, String> {
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

pub fn apply(
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
