//! Incrementality: after editing one file, salsa re-parses and re-checks that file only.
//! Asserted on salsa's event log (`WillExecute` events).

use ward_compiler::{Policy, RootDatabase};

fn executed(events: &[String], query: &str) -> usize {
    events
        .iter()
        .filter(|e| e.starts_with(&format!("{query}(")))
        .count()
}

fn files() -> Vec<(String, String)> {
    xtask::workspace(8, 80)
}

#[test]
fn editing_one_file_rechecks_only_that_file() {
    let (db, log) = RootDatabase::with_event_log();
    let mut policy = Policy::new(db);
    let mut handles = Vec::new();
    for (path, text) in files() {
        handles.push((policy.add_file(path, text.clone()), text));
    }
    let first = policy.check();
    assert!(
        first.diagnostics.is_empty(),
        "{:?}",
        first.diagnostics.first()
    );
    let events = log.take_executed();
    let all_files = handles.len() + ward_stdlib::FILES.len();
    assert_eq!(executed(&events, "parsed"), all_files);
    assert_eq!(executed(&events, "file_name_diagnostics"), all_files);
    assert_eq!(executed(&events, "file_semantic_diagnostics"), all_files);

    // Edit the body of a declaration in the third file: a port and a comment.
    let (file, text) = &handles[2];
    let edited = text.replacen("udp/514", "udp/6514 // syslog over TLS", 1);
    assert_ne!(&edited, text);
    policy.set_text(*file, edited);
    let second = policy.check();
    assert!(second.diagnostics.is_empty());
    let events = log.take_executed();
    assert_eq!(executed(&events, "parsed"), 1, "{events:#?}");
    // The checks of the edited file, and of no other.
    assert_eq!(executed(&events, "file_name_diagnostics"), 1, "{events:#?}");
    assert_eq!(
        executed(&events, "file_semantic_diagnostics"),
        1,
        "{events:#?}"
    );
    assert_eq!(
        executed(&events, "item_index"),
        0,
        "no name changed: {events:#?}"
    );

    // Adding a declaration changes the index, but the other files' checks depend only on
    // the names they use, whose answers stay the same.
    let (file, text) = &handles[5];
    policy.set_text(
        *file,
        format!("{text}\nclass extra \"Extra\" {{ function = sensing }}\n"),
    );
    let third = policy.check();
    let events = log.take_executed();
    assert_eq!(executed(&events, "parsed"), 1, "{events:#?}");
    assert_eq!(executed(&events, "item_index"), 1);
    // The checks of the edited file, and of no other.
    assert_eq!(executed(&events, "file_name_diagnostics"), 1, "{events:#?}");
    assert_eq!(
        executed(&events, "file_semantic_diagnostics"),
        1,
        "{events:#?}"
    );
    assert!(
        third.diagnostics.iter().all(|d| d.file == *file),
        "only the edited file has new findings"
    );
}

#[test]
fn an_edit_that_breaks_a_name_is_seen_where_the_name_is_used() {
    let mut policy = Policy::default();
    let defs = policy.add_file(
        "defs.ward",
        "environment home \"Home\" { likelihood default = low }\n",
    );
    policy.add_file(
        "uses.ward",
        "class lamp \"Lamp\" { function = actuation, environment = home }\nsegment lamps { classes = [lamp] }\n",
    );
    let errors = |policy: &Policy| {
        policy
            .check()
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == ward_compiler::Severity::Error)
            .map(|d| d.message)
            .collect::<Vec<_>>()
    };
    let before = errors(&policy);
    assert!(before.iter().all(|m| !m.contains("unknown")), "{before:?}");
    policy.set_text(
        defs,
        "environment house \"Home\" { likelihood default = low }\n",
    );
    assert_eq!(errors(&policy), ["unknown environment `home`"]);
    policy.remove_file(defs);
    assert_eq!(errors(&policy), ["unknown environment `home`"]);
}
