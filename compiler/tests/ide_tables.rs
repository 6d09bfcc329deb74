//! The editor's view of a test's table: a row's value is a reference to its declaration
//! (go to definition, references, rename reach it); a table's own names are not.

use ward_compiler::{Policy, ide};

const TEXT: &str = r#"environment home "Home" {
  likelihood default = moderate
  impact default = moderate
  accept T2, T9, T11, T20, T21, T23, T24 because "the fixture is about tables"
}

class isolation "Quarantine" { quarantine = true }

service app "App" { host = "app.example", profile = SecProf_2 }

gateway gw "Gateway" { address = 10.0.0.1 }

class lock "Lock" {
  function = actuation
  environment = home
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
  profile = SecProf_2
}

segment door { classes = [lock], subnet = 10.0.0.0/28, gateway = gw }

flow app -> lock : tcp/8883 { action = lock, via = gw }

test "tables" {
  for (verdict, source) in [(allow, app), (deny, gw)] {
    verdict flow source -> lock : tcp/8883
    deny flow source -> lock : tcp/22
  }
}
"#;

#[test]
fn a_rows_value_is_a_reference_and_a_parameter_is_not() {
    let mut policy = Policy::default();
    let file = policy.add_file("tables.ward".to_string(), TEXT.to_string());
    assert!(policy.check().diagnostics.is_empty());
    let (db, ws) = (policy.db(), policy.workspace());
    let names = ide::identifiers(db, file);
    let texts: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
    assert!(
        !texts.contains(&"source") && !texts.contains(&"verdict"),
        "{texts:?}"
    );

    // `gw` in the second row goes to the gateway's declaration.
    let row_gw = TEXT.find("(deny, gw)").expect("row") as u32 + 7;
    let definition = ide::goto_definition(db, ws, file, row_gw).expect("a definition");
    let declared = TEXT.find("gateway gw").expect("decl") as u32 + 8;
    assert_eq!(definition.range.start, declared);

    // Renaming the service renames its use in the row, once.
    let decl_app = TEXT.find("service app").expect("decl") as u32 + 8;
    let edits = ide::rename(db, ws, file, decl_app, "phone_app").expect("rename");
    let row_app = TEXT.find("(allow, app)").expect("row") as u32 + 8;
    let at_row: Vec<_> = edits.iter().filter(|e| e.range.start == row_app).collect();
    assert_eq!(at_row.len(), 1, "{edits:?}");
    // `lock` in the body is named once in the table, not once per row.
    let body_lock = TEXT.find("source -> lock").expect("body") as u32 + 10;
    let lock_uses = ide::references(db, ws, file, body_lock);
    assert_eq!(
        lock_uses
            .iter()
            .filter(|l| l.range.start == body_lock)
            .count(),
        1
    );

    // Highlighting reaches into the table's body: `for` and the assertion's first word.
    let tokens = ide::semantic_tokens(db, ws, file);
    let keyword_at = |needle: &str| {
        let at = TEXT.find(needle).expect("text") as u32;
        tokens
            .iter()
            .any(|(range, kind, _)| range.start == at && *kind == ide::TokenKind::Keyword)
    };
    assert!(keyword_at("for (verdict"));
    assert!(keyword_at("deny flow source"));
    assert!(!keyword_at("verdict flow source"));

    // Hover on a table's name, in its body, lists what its rows give it.
    let body_source = TEXT.find("source -> lock : tcp/8883").expect("body") as u32 + 2;
    let (markdown, range) = ide::hover(db, ws, file, body_source).expect("a hover");
    assert_eq!(&TEXT[range.as_usize()], "source");
    assert!(markdown.contains("`app`, `gw`"), "{markdown}");
    // And a row's value is still its declaration.
    let (markdown, _) = ide::hover(db, ws, file, row_gw).expect("a hover");
    assert!(markdown.contains("gateway"), "{markdown}");
}
