//! The parser: every declaration and value kind, error recovery, and error messages in the
//! user's words.

use std::net::IpAddr;

use ward_lang::ast::*;
use ward_lang::{ParseErrorKind, parse};

/// Parses text that must be free of errors and returns its declarations.
fn decls(text: &str) -> Vec<Decl> {
    let parse = parse(text);
    assert!(
        parse.errors.is_empty(),
        "unexpected errors: {:#?}",
        parse.errors
    );
    parse.file.decls().cloned().collect()
}

fn one(text: &str) -> Decl {
    let mut all = decls(text);
    assert_eq!(all.len(), 1, "expected one declaration");
    all.remove(0)
}

fn property_value(decl: &Decl, key: &str) -> ValueKind {
    decl.property(key)
        .unwrap_or_else(|| panic!("no property {key}"))
        .value
        .kind
        .clone()
}

fn name(text: &str) -> ValueKind {
    ValueKind::Name(text.to_string())
}

#[test]
fn threat_with_title_lists_and_doc_comment() {
    let text = "/// Cloning of things.\n/// Second line.\nthreat T1 \"Cloning\" {\n  targets = [arch, device]\n  lifecycle = [make]\n}\n";
    let decl = one(text);
    assert_eq!(decl.kind, DeclKind::Threat);
    assert_eq!(decl.name.as_ref().map(|n| n.text.as_str()), Some("T1"));
    assert_eq!(
        decl.title.as_ref().map(|t| t.value.as_str()),
        Some("Cloning")
    );
    assert_eq!(decl.docs, vec!["Cloning of things.", "Second line."]);
    let ValueKind::List(targets) = property_value(&decl, "targets") else {
        panic!("targets is not a list")
    };
    let words: Vec<_> = targets.iter().map(|v| v.kind.clone()).collect();
    assert_eq!(words, vec![name("arch"), name("device")]);
    // The range of the declaration starts at its keyword, after the doc comments.
    assert_eq!(&text[decl.range.as_usize()][..9], "threat T1");
    assert!(text[decl.range.as_usize()].ends_with('}'));
}

#[test]
fn doc_comments_attach_only_when_adjacent() {
    let text = "/// Detached.\n\nclass a { function = sensing }\n// plain\nclass b { function = sensing }\n";
    let all = decls(text);
    assert!(
        all[0].docs.is_empty(),
        "a blank line detaches a doc comment"
    );
    assert!(all[1].docs.is_empty(), "`//` is not a doc comment");
    assert_eq!(parse(text).file.comments.len(), 2);
}

#[test]
fn mitigation_with_param() {
    let decl = one(
        "mitigation M11 \"Refresh\" { needs = [credential_rotation]\n param refresh: duration = 90d }",
    );
    let param = decl
        .body
        .iter()
        .find_map(|s| match &s.kind {
            StmtKind::Param { name, ty, default } => Some((name, ty, default)),
            _ => None,
        })
        .expect("a param statement");
    assert_eq!(param.0.text, "refresh");
    assert_eq!(param.1.text, "duration");
    assert_eq!(param.2.kind, ValueKind::Duration(90 * 86_400_000));
}

#[test]
fn capability_without_block() {
    let all = decls("capability x509 \"X.509 identity\"\ncapability tls\n");
    assert_eq!(all.len(), 2);
    assert!(!all[0].has_block);
    assert_eq!(all[1].name.as_ref().map(|n| n.text.as_str()), Some("tls"));
    assert!(all[1].title.is_none());
}

#[test]
fn profile_with_mitigate_and_bound() {
    let decl = one(
        "profile P \"Strict\" {\n level = 4\n mitigate T5, T6 with M2, M3\n bound M11.refresh <= 30d\n}",
    );
    assert_eq!(property_value(&decl, "level"), ValueKind::Int(4));
    let kinds: Vec<_> = decl.body.iter().map(|s| &s.kind).collect();
    let StmtKind::Mitigate {
        threats,
        mitigations,
    } = kinds[1]
    else {
        panic!("not a mitigate statement")
    };
    assert_eq!(
        threats.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
        ["T5", "T6"]
    );
    assert_eq!(
        mitigations
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>(),
        ["M2", "M3"]
    );
    let StmtKind::Bound { path, op, value } = kinds[2] else {
        panic!("not a bound")
    };
    assert_eq!(path.len(), 2);
    assert_eq!(*op, CmpOp::Le);
    assert_eq!(value.kind, ValueKind::Duration(30 * 86_400_000));
}

#[test]
fn environment_properties_with_subjects() {
    let decl = one(
        "environment home { likelihood T22 = low\n impact device = high\n likelihood default = moderate }",
    );
    let subjects: Vec<_> = decl
        .properties()
        .map(|p| {
            (
                p.key.text.as_str(),
                p.subject.as_ref().map(|s| s.text.as_str()),
                p.value.kind.clone(),
            )
        })
        .collect();
    assert_eq!(
        subjects,
        vec![
            ("likelihood", Some("T22"), name("low")),
            ("impact", Some("device"), name("high")),
            ("likelihood", Some("default"), name("moderate")),
        ]
    );
}

#[test]
fn class_with_match_and_every_value_kind() {
    let decl = one(r#"class lock "Lock" {
  function = actuation
  capabilities = [x509, tls,]
  match mud "https://locks.example.com/*"
  refresh = 1h30m
  count = 42
  negative = -5m
  millis = 250ms
  address = 10.20.2.1
  subnet = 10.20.2.0/24
  v6 = fd00::1
  v6net = 2001:db8::/32
  mapped = ::ffff:192.0.2.1
  pattern = /fail(ed)? \/ (?<src>\S+)/i
  escaped = "tab\there \"quoted\" \u{1F512}"
  empty = []
}"#);
    assert_eq!(
        property_value(&decl, "refresh"),
        ValueKind::Duration(5_400_000)
    );
    assert_eq!(property_value(&decl, "count"), ValueKind::Int(42));
    assert_eq!(
        property_value(&decl, "negative"),
        ValueKind::Duration(-300_000)
    );
    assert_eq!(property_value(&decl, "millis"), ValueKind::Duration(250));
    let ip = |s: &str| s.parse::<IpAddr>().expect("test address");
    assert_eq!(
        property_value(&decl, "address"),
        ValueKind::Ip(ip("10.20.2.1"))
    );
    assert_eq!(
        property_value(&decl, "subnet"),
        ValueKind::Cidr(ip("10.20.2.0"), 24)
    );
    assert_eq!(property_value(&decl, "v6"), ValueKind::Ip(ip("fd00::1")));
    assert_eq!(
        property_value(&decl, "v6net"),
        ValueKind::Cidr(ip("2001:db8::"), 32)
    );
    assert_eq!(
        property_value(&decl, "mapped"),
        ValueKind::Ip(ip("::ffff:192.0.2.1"))
    );
    let ValueKind::Regex { pattern, flags, .. } = property_value(&decl, "pattern") else {
        panic!("not a regex")
    };
    assert_eq!(pattern, r"fail(ed)? / (?<src>\S+)");
    assert_eq!(flags, "i");
    assert_eq!(
        property_value(&decl, "escaped"),
        ValueKind::Str("tab\there \"quoted\" \u{1F512}".to_string())
    );
    assert_eq!(property_value(&decl, "empty"), ValueKind::List(vec![]));
    let ValueKind::List(caps) = property_value(&decl, "capabilities") else {
        panic!("not a list")
    };
    assert_eq!(caps.len(), 2, "a trailing comma is allowed");
    let matched = decl.body.iter().find_map(|s| match &s.kind {
        StmtKind::Match { source, pattern } => Some((source.text.clone(), pattern.clone())),
        _ => None,
    });
    let Some((source, MatchPattern::Text(url))) = matched else {
        panic!("no match statement")
    };
    assert_eq!(source, "mud");
    assert_eq!(url.value, "https://locks.example.com/*");
}

#[test]
fn service_gateway_and_segment() {
    let all = decls(
        "service shop { host = \"shop.example\" }\ngateway hub { address = 192.168.1.1 }\nsegment s { classes = [a, b], subnet = 10.0.0.0/8 }",
    );
    let kinds: Vec<_> = all.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [DeclKind::Service, DeclKind::Gateway, DeclKind::Segment]
    );
    assert_eq!(
        all[2].body.len(),
        2,
        "commas separate properties on one line"
    );
}

#[test]
fn flows_with_ports_and_directions() {
    let all = decls(
        "flow a -> b : tcp/443 { action = lock }\nflow c <-> d : udp/5683-5684, icmp\nflow e -> f : tcp/any\nflow g -> h\n",
    );
    let flow = |i: usize| all[i].flow.clone().expect("a flow");
    assert_eq!(flow(0).from.text, "a");
    assert_eq!(flow(0).to.text, "b");
    assert!(!flow(0).bidirectional);
    assert_eq!(flow(0).ports[0].ports, Some((443, 443)));
    assert!(all[0].has_block);
    assert!(flow(1).bidirectional);
    assert_eq!(flow(1).ports[0].ports, Some((5683, 5684)));
    assert_eq!(flow(1).ports[1].protocol.text, "icmp");
    assert_eq!(flow(1).ports[1].ports, None);
    assert_eq!(flow(2).ports[0].ports, None, "`any` port");
    assert!(flow(3).ports.is_empty());
    assert!(!all[3].has_block);
    assert_eq!(flow(1).to_string(), "c <-> d : udp/5683-5684, icmp");
}

#[test]
fn detection_rule() {
    let decl = one(r#"detect ssh "Failed logins" {
  threat = T7
  severity = high
  match syslog { app = /sshd|dropbear/, msg = /from (?<src>\S+)/ }
  when count >= 5 within 10m by src, host
  then { report user, manufacturer; quarantine
         raise_profile SecProf_3 }
}"#);
    let mut saw = 0;
    for stmt in &decl.body {
        match &stmt.kind {
            StmtKind::Match {
                pattern: MatchPattern::Fields(fields),
                ..
            } => {
                assert_eq!(fields.len(), 2);
                assert_eq!(fields[0].key.text, "app");
                saw += 1;
            }
            StmtKind::When {
                metric,
                op,
                threshold,
                window,
                group_by,
            } => {
                assert_eq!(metric.text, "count");
                assert_eq!(*op, CmpOp::Ge);
                assert_eq!(threshold.kind, ValueKind::Int(5));
                assert_eq!(
                    window.as_ref().map(|w| w.kind.clone()),
                    Some(ValueKind::Duration(600_000))
                );
                assert_eq!(
                    group_by.iter().map(|g| g.text.as_str()).collect::<Vec<_>>(),
                    ["src", "host"]
                );
                saw += 1;
            }
            StmtKind::Then { actions } => {
                let names: Vec<_> = actions.iter().map(|a| a.name.text.as_str()).collect();
                assert_eq!(
                    names,
                    ["report", "quarantine", "raise_profile"],
                    "a new line starts a new action"
                );
                assert_eq!(actions[0].args.len(), 2);
                assert!(actions[1].args.is_empty());
                saw += 1;
            }
            _ => {}
        }
    }
    assert_eq!(saw, 3);
}

#[test]
fn test_declaration_with_assertions() {
    let decl = one(r#"test "the button cannot open the lock" {
  deny flow banana_button -> door_lock
  allow flow app -> door_lock : tcp/8883 { action = lock }
  expect door_lock.profile == SecProf_2
  expect risk(door_lock, T7) == high
  expect detect ssh fires 1 on """
<34>1 2026-01-01T00:00:00Z lock sshd - - - Failed password for root from 10.0.0.9
"""
}"#);
    assert_eq!(decl.kind, DeclKind::Test);
    assert!(decl.name.is_none());
    assert_eq!(
        decl.title.as_ref().map(|t| t.value.as_str()),
        Some("the button cannot open the lock")
    );
    let kinds: Vec<_> = decl.body.iter().map(|s| &s.kind).collect();
    assert!(matches!(
        kinds[0],
        StmtKind::FlowAssert { verdict, fields, .. } if verdict.text == "deny" && fields.is_empty()
    ));
    assert!(matches!(
        kinds[1],
        StmtKind::FlowAssert { verdict, flow, fields }
            if verdict.text == "allow" && flow.ports.len() == 1
                && fields.len() == 1 && fields[0].key.text == "action"
    ));
    assert!(
        matches!(kinds[2], StmtKind::Expect { subject: ExpectSubject::Path(p), .. } if p.len() == 2)
    );
    assert!(matches!(
        kinds[3],
        StmtKind::Expect { subject: ExpectSubject::Call { function, args }, .. }
            if function.text == "risk" && args.len() == 2
    ));
    let StmtKind::ExpectDetect { rule, input, .. } = kinds[4] else {
        panic!("not expect detect")
    };
    assert_eq!(rule.text, "ssh");
    assert!(matches!(&input.kind, ValueKind::Str(s) if s.contains("Failed password for root")));
}

#[test]
fn tables_in_tests() {
    let decl = one(r#"test "who reaches the lock" {
  for (verdict, source, port) in [
    (allow, app, tcp/8883),
    // the button has no business there
    (deny, button, tcp/8883),
    (deny, tv, icmp),
  ] {
    verdict flow source -> lock : port
  }
  for class in [lamp, plug] { expect class.level == 1 }
}"#);
    let [first, second] = decl.body.as_slice() else {
        panic!("two tables: {:?}", decl.body);
    };
    let StmtKind::Table(table) = &first.kind else {
        panic!("not a table")
    };
    let params: Vec<&str> = table.params.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(params, ["verdict", "source", "port"]);
    assert_eq!(table.rows.len(), 3);
    assert!(matches!(&table.rows[0].cells[2], Cell::Port(p) if p.ports == Some((8883, 8883))));
    assert!(
        matches!(&table.rows[2].cells[2], Cell::Value(v) if v.kind == ValueKind::Name("icmp".into()))
    );
    assert_eq!(table.body.len(), 1);
    let StmtKind::Table(table) = &second.kind else {
        panic!("not a table")
    };
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[1].cells.len(), 1);
}

#[test]
fn a_table_with_several_names_without_parentheses_gets_a_hint() {
    let parsed = parse(
        "test \"t\" {\n  for verdict, source in [(allow, a)] { verdict flow source -> b }\n}",
    );
    let [error] = parsed.errors.as_slice() else {
        panic!("one error: {:?}", parsed.errors);
    };
    assert_eq!(error.message, "expected `in` after `verdict`, found `,`");
    assert!(
        error
            .help
            .as_deref()
            .is_some_and(|h| h.contains("`for (verdict, source) in")),
        "{error:?}"
    );
}

#[test]
fn broken_tables_get_messages_in_words() {
    for (text, expected) in [
        (
            "test \"t\" { for x [a] { deny flow x -> b } }",
            "`in` after `x`",
        ),
        ("test \"t\" { for x in a { deny flow x -> b } }", "`[`"),
        (
            "test \"t\" { for x in [(a, b] { deny flow x -> b } }",
            "`)`",
        ),
    ] {
        let parsed = parse(text);
        let messages: Vec<&str> = parsed.errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{text}: {messages:?}"
        );
        assert!(
            messages
                .iter()
                .all(|m| !m.contains("Rule") && !m.contains("table_")),
            "{messages:?}"
        );
    }
}

#[test]
fn keywords_need_a_word_boundary() {
    // `classes` and `flows` are names, not the keywords `class` and `flow`.
    let decl = one("segment s { classes = [flows, tests] }");
    assert_eq!(decl.body.len(), 1);
}

#[test]
fn recovery_reports_later_declarations() {
    let text = "class broken = {\n  function = sensing\n}\n\nclass ok { function = sensing }\n\nflow a -> b : tcp/443\n";
    let parse = parse(text);
    assert_eq!(parse.errors.len(), 1);
    assert!(matches!(parse.file.items[0], Item::Error(_)));
    let kinds: Vec<_> = parse.file.decls().map(|d| d.kind).collect();
    assert_eq!(kinds, [DeclKind::Class, DeclKind::Flow]);
}

#[test]
fn recovery_survives_a_missing_closing_brace() {
    let text = "class a {\n  function = sensing\n\nclass b { function = sensing }\nsegment s { classes = [b] }\n";
    let parse = parse(text);
    assert_eq!(parse.errors.len(), 1, "{:#?}", parse.errors);
    let names: Vec<_> = parse
        .file
        .decls()
        .filter_map(|d| d.name.as_ref().map(|n| n.text.clone()))
        .collect();
    assert_eq!(names, ["b", "s"]);
}

#[test]
fn recovery_skips_braces_in_strings_and_comments() {
    let text = "class a { title = \"}\" oops }\n// }\nclass b { function = sensing }\n";
    let parse = parse(text);
    assert_eq!(parse.errors.len(), 1);
    assert_eq!(parse.file.decls().count(), 1);
}

#[test]
fn several_errors_each_reported() {
    let text = "class a { function: sensing }\nclass b { function = }\nthreat T { targets = [arch }\nclass ok { function = sensing }\n";
    let parse = parse(text);
    assert_eq!(parse.errors.len(), 3, "{:#?}", parse.errors);
    assert_eq!(parse.file.decls().count(), 1);
    assert_eq!(parse.file.items.len(), 4);
}

#[test]
fn error_messages_speak_the_users_words() {
    let message = |text: &str| {
        let parse = parse(text);
        assert!(!parse.errors.is_empty(), "no error for {text:?}");
        parse.errors[0].message.clone()
    };
    assert_eq!(
        message("class door_lock = { function = actuation }"),
        "expected `{` or a title string after the class name, found `=`"
    );
    assert_eq!(
        message("class a { function: sensing }"),
        "expected `=` or a name after `function`, found `:`"
    );
    assert_eq!(
        message("class a { function = }"),
        "expected a value after `=`, found `}`"
    );
    assert_eq!(
        message("threat T { targets = [arch }"),
        "expected `,` or `]` after `arch`, found `}`"
    );
    assert_eq!(
        message("flow a b"),
        "expected `->` or `<->` after `a`, found `b`"
    );
    assert_eq!(
        message("clas a { }"),
        "expected a declaration (`class`, `segment`, `flow`, ...), found `clas`"
    );
    // Characters a terminal shows as blanks or nothing are named by their code point.
    assert_eq!(
        message("class a { function = sensing }\n\0"),
        "expected a declaration (`class`, `segment`, `flow`, ...), found the character U+0000"
    );
    assert_eq!(
        message("class a {\u{00A0}function = sensing }"),
        "expected `}` or a property or statement after `{`, found the character U+00A0"
    );
    let unterminated = message("class a { function = sensing");
    assert!(
        unterminated.ends_with("found the end of the file"),
        "{unterminated}"
    );
    for text in [
        "class door_lock = {}",
        "flow a b",
        "class a { function: sensing }",
    ] {
        for error in parse(text).errors {
            for rule_word in ["kw_", "_decl", "name_list", "lbrace", "EOI", "property"] {
                assert!(
                    !error.message.contains(rule_word),
                    "rule name in {:?}",
                    error.message
                );
            }
        }
    }
}

#[test]
fn invalid_literals_are_reported_at_their_place() {
    let text = "segment s { subnet = 10.0.0.300/24, other = 10.0.0.0/33, big = 99999999999999999999 }\nflow a -> b : tcp/70000\nclass c { s = \"bad \\q escape\" }";
    let parse = parse(text);
    let found: Vec<_> = parse
        .errors
        .iter()
        .map(|e| (e.kind, &text[e.range.as_usize()]))
        .collect();
    assert_eq!(
        found,
        vec![
            (ParseErrorKind::InvalidLiteral, "10.0.0.300/24"),
            (ParseErrorKind::InvalidLiteral, "10.0.0.0/33"),
            (ParseErrorKind::InvalidLiteral, "99999999999999999999"),
            (ParseErrorKind::InvalidLiteral, "70000"),
            (ParseErrorKind::InvalidLiteral, "\\q"),
        ]
    );
    // The declarations themselves still parse.
    assert_eq!(parse.file.decls().count(), 3);
}

#[test]
fn durations_overflow_is_an_error_not_a_panic() {
    let parse = parse("class c { r = 99999999999999999w }");
    assert_eq!(parse.errors.len(), 1);
    assert_eq!(parse.errors[0].kind, ParseErrorKind::InvalidLiteral);
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "{",
        "}}}}",
        "class",
        "class a",
        "class a {",
        "\"unterminated",
        "\"\"\"unterminated raw",
        "/// doc at end",
        "flow -> : /",
        "detect d { then { report user, } }",
        "test { }",
        "\u{FEFF}class a { function = sensing }",
        "class a { x = [[[[[[[[[[]]]]]]]]]] }",
        "class ü { }",
        "class a { x = 1.2.3 }",
        "class a { x = :: }",
        "\0\0\0",
    ];
    for text in samples {
        let parse = parse(text);
        for error in &parse.errors {
            assert!(error.range.end as usize <= text.len());
            assert!(text.is_char_boundary(error.range.start as usize));
            assert!(text.is_char_boundary(error.range.end as usize));
        }
    }
    // Every prefix of a real policy: half-typed code is the language server's daily bread.
    let policy = include_str!("../../policies/managed_industrial/datacenter.ward");
    for (end, _) in policy.char_indices().step_by(7) {
        let _ = parse(&policy[..end]);
    }
}

/// Large files are parsed in pieces on several threads; the result must be the same tree as
/// one sequential parse, including when a cut would fall inside a block or a raw string.
#[test]
fn large_files_parse_the_same_in_pieces() {
    let unit = "/// Doc ü.\nclass c_NUM \"Ünïcode title\" {\n  function = sensing // note\n}\n\nflow c_NUM -> svc : tcp/443\n";
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 600 * 1024 {
        text.push_str(&unit.replace("NUM", &i.to_string()));
        i += 1;
    }
    let parse_big = parse(&text);
    assert!(parse_big.errors.is_empty());
    assert_eq!(parse_big.file.items.len(), 2 * i);
    // The same declarations, parsed one by one through the recovery path, agree.
    let first = &parse_big
        .file
        .decls()
        .next()
        .expect("a declaration")
        .clone();
    assert_eq!(first.docs, vec!["Doc ü."]);
    let last = parse_big.file.decls().last().expect("a declaration");
    assert_eq!(
        &text[last.range.as_usize()],
        format!("flow c_{} -> svc : tcp/443", i - 1)
    );
    assert_eq!(parse_big.file.comments.len(), 2 * i);

    // A test whose raw string holds lines that look like declarations.
    let mut tricky = text.clone();
    let raw = "test \"t\" {\n  expect detect d fires 1 on \"\"\"\nclass fake { function = sensing }\n\"\"\"\n}\n";
    let middle = tricky.len() / 3
        + tricky[tricky.len() / 3..]
            .find("\n/// Doc")
            .expect("a unit")
        + 1;
    tricky.insert_str(middle, &raw.repeat(4000));
    let parse_tricky = parse(&tricky);
    assert!(
        parse_tricky.errors.is_empty(),
        "{:?}",
        parse_tricky.errors.first()
    );
    assert!(
        parse_tricky
            .file
            .decls()
            .all(|d| d.name.as_ref().is_none_or(|n| n.text != "fake"))
    );
}

#[test]
fn dates_and_date_times_are_values() {
    let text = "waiver w { expires = 2027-06-30, until = 2027-06-30T18:00Z }\n";
    let parse = parse(text);
    assert!(parse.errors.is_empty(), "{:?}", parse.errors);
    let decl = parse.file.decls().next().expect("the waiver");
    let value = |key: &str| match &decl.property(key).expect(key).value.kind {
        ward_lang::ast::ValueKind::Date(t) => t.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value("expires"), "2027-06-30");
    assert_eq!(value("until"), "2027-06-30T18:00:00Z");
}

#[test]
fn an_impossible_date_is_an_error_at_the_value_and_the_declaration_still_parses() {
    let text = "class c \"C\" {\n  function = sensing\n  expires = 2025-02-30\n  model = \"M\"\n}\nsegment s { classes = [c] }\n";
    let parse = parse(text);
    let [error] = parse.errors.as_slice() else {
        panic!("expected one error: {:#?}", parse.errors);
    };
    assert_eq!(error.kind, ParseErrorKind::InvalidLiteral);
    assert!(
        error
            .message
            .contains("`2025-02-30` is not a date: February has 28 days, not 30"),
        "{}",
        error.message
    );
    assert_eq!(
        &text[error.range.start as usize..error.range.end as usize],
        "2025-02-30"
    );
    assert!(
        error
            .help
            .as_deref()
            .is_some_and(|h| h.contains("2027-06-30T18:00Z"))
    );
    // The class and what follows it are still there.
    let decls: Vec<&Decl> = parse.file.decls().collect();
    assert_eq!(decls.len(), 2);
    assert!(decls[0].property("model").is_some());
}

/// Found by the `parse_format` fuzz target: the words of an error message were cut inside a
/// character that is neither a letter nor `_` but longer than a byte (a BOM, a dash).
#[test]
fn an_error_after_a_wide_character_is_described_without_a_panic() {
    for text in [
        "class \u{feff}x =",
        "class a\u{2014}b =",
        "flow a -> b : tcp/80 { via = \u{feff}gw x }",
        "segment s { classes = [\u{2014}a b] }",
    ] {
        let parse = ward_lang::parse(text);
        assert!(parse.has_errors(), "{text:?}");
    }
}
