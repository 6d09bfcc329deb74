//! The IDE layer, one test per feature, in the style of rust-analyzer's ide crate: a fixture
//! policy with `$0` at the cursor, the feature asked there, and the expected answer inline,
//! rendered as text (`line:column text`) so that a change reads as a diff.

use ward_compiler::db::SourceFile;
use ward_compiler::{Policy, ide};

/// The fixture's text without its cursor mark, the policy holding it, and the cursor offset.
fn fixture(text: &str) -> (Policy, SourceFile, u32, String) {
    let offset = text.find("$0").map_or(0, |at| at as u32);
    let clean = text.replacen("$0", "", 1);
    let mut policy = Policy::default();
    let file = policy.add_file("f.ward", clean.clone());
    (policy, file, offset, clean)
}

/// `line:column text` of a range (one-based), as a reader finds it.
fn at(text: &str, range: ward_lang::TextRange) -> String {
    let start = range.start as usize;
    let line = text[..start].matches('\n').count() + 1;
    let column = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{column} {}", &text[range.as_usize()])
}

const POLICY: &str = r#"/// The door's lock.
class lock "Lock" {
  function = actuation
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
}
segment doors { classes = [lock] }
service app "App" { host = "app.example" }
flow app -> lock : tcp/8883 { action = unlock }
test "app" {
  allow flow app -> lock : tcp/8883
}
"#;

fn with_cursor(before: &str) -> String {
    POLICY.replacen(before, &format!("{before}$0"), 1)
}

#[test]
fn goto_definition_lands_on_the_declarations_name() {
    let (policy, file, offset, text) = fixture(&with_cursor("flow app -> lo"));
    let found =
        ide::goto_definition(policy.db(), policy.workspace(), file, offset).expect("a definition");
    assert_eq!(at(&text, found.range), "2:7 lock");
}

#[test]
fn references_are_every_use_with_the_declaration() {
    let (policy, file, offset, text) = fixture(&with_cursor("class lo"));
    let found: Vec<String> = ide::references(policy.db(), policy.workspace(), file, offset)
        .iter()
        .map(|l| at(&text, l.range))
        .collect();
    assert_eq!(found, ["2:7 lock", "7:28 lock", "9:13 lock", "11:21 lock"]);
}

#[test]
fn hover_shows_the_docs_title_and_profile() {
    let (policy, file, offset, _) = fixture(&with_cursor("flow app -> lo"));
    let (markdown, _) = ide::hover(policy.db(), policy.workspace(), file, offset).expect("a hover");
    assert!(markdown.starts_with("**class** `lock`"), "{markdown}");
    assert!(markdown.contains("The door's lock."), "{markdown}");
    assert!(markdown.contains("SecProf_2"), "{markdown}");
}

#[test]
fn completion_offers_what_the_context_takes() {
    let (policy, file, offset, _) = fixture(&POLICY.replacen(
        "  function = actuation\n",
        "  function = actuation\n  management = $0\n",
        1,
    ));
    let labels: Vec<String> = ide::completions(policy.db(), policy.workspace(), file, offset)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(labels, ["unmanaged", "partial", "managed"]);

    let (policy, file, offset, _) = fixture(&POLICY.replacen(
        "segment doors",
        "environment site \"Site\" {\n  accept $0\n}\nsegment doors",
        1,
    ));
    let labels: Vec<String> = ide::completions(policy.db(), policy.workspace(), file, offset)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.contains(&"T23".to_string()), "{labels:?}");
    assert!(!labels.contains(&"SecProf_2".to_string()), "{labels:?}");
}

#[test]
fn rename_edits_every_occurrence_and_refuses_a_taken_name() {
    let (policy, file, offset, text) = fixture(&with_cursor("service ap"));
    let edits: Vec<String> = ide::rename(policy.db(), policy.workspace(), file, offset, "phone")
        .expect("renames")
        .iter()
        .map(|l| at(&text, l.range))
        .collect();
    assert_eq!(edits, ["8:9 app", "9:6 app", "11:14 app"]);
    let taken = ide::rename(policy.db(), policy.workspace(), file, offset, "lock");
    assert!(taken.is_err(), "{taken:?}");
}

#[test]
fn symbols_and_folding_follow_the_declarations() {
    let (policy, file, _, text) = fixture(POLICY);
    let symbols: Vec<String> = ide::document_symbols(policy.db(), file)
        .iter()
        .map(|s| at(&text, s.selection))
        .collect();
    assert_eq!(
        symbols,
        [
            "2:7 lock",
            "7:9 doors",
            "8:9 app",
            "9:6 app -> lock : tcp/8883",
            "10:1 test \"app\" {\n  allow flow app -> lock : tcp/8883\n}",
        ]
    );
    let folds = ide::folding_ranges(policy.db(), file);
    assert!(folds.len() >= 2, "{folds:?}");
}

#[test]
fn an_inlay_hint_names_the_assigned_profile() {
    let text = "environment home \"Home\" {\n  likelihood default = low\n  impact default = low\n}\nclass plug \"Plug\" {\n  function = monitoring\n  environment = home\n  capabilities = [x509, tls, second_factor]\n}\nsegment plugs { classes = [plug] }\n";
    let (policy, file, _, _) = fixture(text);
    let hints = ide::inlay_hints(policy.db(), policy.workspace(), file);
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert!(hints[0].1.contains("SecProf_1"), "{hints:?}");
}

#[test]
fn semantic_tokens_say_what_each_name_is() {
    let (policy, file, _, text) = fixture(POLICY);
    let tokens = ide::semantic_tokens(policy.db(), policy.workspace(), file);
    let kind_of = |needle: &str| {
        tokens
            .iter()
            .find(|(range, _, _)| &text[range.as_usize()] == needle)
            .map(|(_, kind, declaration)| (*kind, *declaration))
    };
    use ward_lang::ast::DeclKind;
    assert_eq!(
        kind_of("lock"),
        Some((ide::TokenKind::Declared(DeclKind::Class), true))
    );
    assert_eq!(
        kind_of("SecProf_2"),
        Some((ide::TokenKind::Declared(DeclKind::Profile), false))
    );
}
