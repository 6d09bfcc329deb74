//! Diagnostics from annotated fixtures: each `.ward` file under `tests/diagnostics/` is
//! checked on its own (with the standard library), and every diagnostic must match an
//! annotation on the line where it starts:
//!
//! ```text
//! profile = SecProf2 //~ E0100 "did you mean `SecProf_2`?"
//! ```
//!
//! An annotation lists codes, each optionally followed by a quoted text the message or help
//! must contain; a waived finding reads "waived by `NAME`". A line without annotation must have
//! no diagnostic: files also show silence. A fixture that starts with `// today: DATE` is
//! checked as of that day (waivers expire and flows end against it).

use std::path::Path;

use ward_compiler::Policy;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Expected {
    line: usize,
    code: String,
    text: Option<String>,
}

fn annotations(text: &str) -> Vec<Expected> {
    let mut expected = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some((_, spec)) = line.split_once("//~") else {
            continue;
        };
        let mut rest = spec.trim();
        while !rest.is_empty() {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let code = rest[..end].to_string();
            rest = rest[end..].trim_start();
            let mut quoted = None;
            if let Some(after) = rest.strip_prefix('"') {
                let close = after.find('"').expect("closing quote in annotation");
                quoted = Some(after[..close].to_string());
                rest = after[close + 1..].trim_start();
            }
            expected.push(Expected {
                line: index + 1,
                code,
                text: quoted,
            });
        }
    }
    expected.sort();
    expected
}

fn line_of(text: &str, offset: u32) -> usize {
    text[..offset as usize].matches('\n').count() + 1
}

#[test]
fn annotated_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ward"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 4);
    let mut failures = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).expect("fixture");
        let mut policy = Policy::default();
        if let Some(today) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// today: "))
        {
            let today = ward_lang::Timestamp::parse(today.trim()).expect("a date after `today:`");
            policy.set_now(today.unix);
        }
        let file = policy.add_file(path.display().to_string(), text.clone());
        let result = policy.check();
        let mut expected = annotations(&text);
        for diagnostic in &result.diagnostics {
            assert_eq!(
                diagnostic.file, file,
                "a diagnostic in the stdlib: {diagnostic:#?}"
            );
            let line = line_of(&text, diagnostic.range.start);
            let full = format!(
                "{} {}{}",
                diagnostic.message,
                diagnostic.help.clone().unwrap_or_default(),
                diagnostic
                    .waived
                    .as_ref()
                    .map(|w| format!(" waived by `{}`", w.waiver))
                    .unwrap_or_default()
            );
            let position = expected.iter().position(|e| {
                e.line == line
                    && e.code == diagnostic.code.code
                    && e.text.as_ref().is_none_or(|t| full.contains(t))
            });
            match position {
                Some(i) => {
                    expected.remove(i);
                }
                None => failures.push(format!(
                    "{}:{line}: unexpected {} {:?} (help: {:?})",
                    path.display(),
                    diagnostic.code.code,
                    diagnostic.message,
                    diagnostic.help
                )),
            }
        }
        for missing in expected {
            failures.push(format!(
                "{}:{}: expected {} {:?}, not reported",
                path.display(),
                missing.line,
                missing.code,
                missing.text
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn diagnostics_come_in_a_stable_order() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics/structure.ward"),
    )
    .expect("fixture");
    let run = || {
        let mut policy = Policy::default();
        policy.add_file("structure.ward", text.clone());
        policy
            .check()
            .diagnostics
            .into_iter()
            .map(|d| (d.range.start, d.code.code, d.message))
            .collect::<Vec<_>>()
    };
    let first = run();
    assert!(
        first.windows(2).all(|w| w[0].0 <= w[1].0),
        "sorted by position"
    );
    for _ in 0..5 {
        assert_eq!(run(), first);
    }
}

#[test]
fn suggestions_replace_the_misspelled_name() {
    let text = "class c \"C\" { function = sensing, profile = SecProf2, capabilities = [x509, tls, secure_update, credential_rotation] }\nsegment s { classes = [c] }\nclass q \"Quarantine\" { quarantine = true }";
    let mut policy = Policy::default();
    policy.add_file("c.ward", text);
    let result = policy.check();
    let suggestion = result.diagnostics[0]
        .suggestion
        .clone()
        .expect("a suggestion");
    let mut fixed = text.to_string();
    fixed.replace_range(suggestion.range.as_usize(), &suggestion.replacement);
    let mut policy = Policy::default();
    policy.add_file("c.ward", fixed);
    assert!(policy.check().diagnostics.is_empty());
}

#[test]
fn hundreds_of_errors_are_all_reported() {
    let mut text = String::from("class q \"Quarantine\" { quarantine = true }\n");
    for i in 0..500 {
        text.push_str(&format!(
            "class c{i} {{ function = sensing, profile = nope{i} }}\nsegment s{i} {{ classes = [c{i}] }}\n"
        ));
        if i % 50 == 0 {
            text.push_str("class broken{i} = {}\n");
        }
    }
    let mut policy = Policy::default();
    policy.add_file("many.ward", text);
    let result = policy.check();
    assert_eq!(result.diagnostics.len(), 510);
}

#[test]
fn the_missing_mitigation_fix_adds_what_other_profiles_use() {
    let text = "profile strict \"Strict\" {\n  level = 4\n  communication = mixed\n  gateway = required\n  mitigate T7\n}\nclass c \"C\" { function = sensing, profile = strict, capabilities = [x509, tls] }\nsegment s { classes = [c] }\n";
    let mut policy = Policy::default();
    policy.add_file("p.ward", text);
    let result = policy.check();
    let fix = result
        .diagnostics
        .iter()
        .find(|d| d.code.code == "E0400")
        .and_then(|d| d.suggestion.clone())
        .expect("a fix");
    let mut fixed = text.to_string();
    fixed.replace_range(fix.range.as_usize(), &fix.replacement);
    assert!(fixed.contains("mitigate T7 with M3, M2"), "{fixed}");
    let mut policy = Policy::default();
    policy.add_file("p.ward", fixed);
    let codes: Vec<&str> = policy
        .check()
        .diagnostics
        .iter()
        .map(|d| d.code.code)
        .collect();
    assert!(!codes.contains(&"E0400"), "{codes:?}");
}

/// Every code of the registry fires somewhere in the annotated fixtures: a code no fixture
/// shows is a check no test holds to its word.
#[test]
fn every_code_has_a_fixture_line_that_fires_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut annotated = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("fixture folder").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("fixture");
        for expected in annotations(&text) {
            annotated.insert(expected.code);
        }
    }
    let missing: Vec<&str> = ward_compiler::codes::ALL
        .iter()
        .map(|c| c.code)
        .filter(|code| !annotated.contains(*code))
        .collect();
    assert!(missing.is_empty(), "no fixture fires {missing:?}");
}
