//! The standard library against the draft: fig31 (targets), fig32 (lifecycle), the threat
//! titles, the mitigations, and the security profiles.

use std::collections::BTreeMap;

use ward_compiler::Policy;
use ward_lang::ast::{Decl, DeclKind, StmtKind, ValueKind};

const FIGURES: &str = include_str!("fixtures/draft-fig31-fig32.txt");

/// Parses one of the draft's ASCII tables into threat number -> columns marked `y`.
fn table(figure: &str, columns: &[&str]) -> BTreeMap<u32, Vec<String>> {
    let end = FIGURES
        .find(&format!("{{: #{figure}"))
        .expect("figure in fixture");
    let start = FIGURES[..end].rfind("~~~~\n\n").expect("table start");
    let mut rows = BTreeMap::new();
    for line in FIGURES[start..end].lines() {
        let Some(rest) = line.strip_prefix('|') else {
            continue;
        };
        let mut cells = rest.split('|');
        let Some(Ok(number)) = cells.next().map(|c| c.trim().parse::<u32>()) else {
            continue;
        };
        let marked = cells
            .zip(columns)
            .filter(|(cell, _)| cell.trim() == "y")
            .map(|(_, column)| column.to_string())
            .collect();
        rows.insert(number, marked);
    }
    assert_eq!(rows.len(), 25, "{figure} has 25 rows");
    rows
}

fn stdlib_decls(kind: DeclKind) -> Vec<Decl> {
    ward_stdlib::FILES
        .iter()
        .flat_map(|f| {
            ward_lang::parse(f.text)
                .file
                .decls()
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|d| d.kind == kind)
        .collect()
}

fn words(decl: &Decl, key: &str) -> Vec<String> {
    let Some(property) = decl.property(key) else {
        panic!("{} has no {key}", decl.label())
    };
    let ValueKind::List(items) = &property.value.kind else {
        panic!("{key} is not a list")
    };
    items
        .iter()
        .map(|v| match &v.kind {
            ValueKind::Name(n) => n.clone(),
            other => panic!("not a word: {other:?}"),
        })
        .collect()
}

fn threat_rows(key: &str) -> BTreeMap<u32, Vec<String>> {
    stdlib_decls(DeclKind::Threat)
        .iter()
        .map(|t| {
            let name = &t.name.as_ref().expect("threat name").text;
            let number = name[1..].parse().expect("T<number>");
            (number, words(t, key))
        })
        .collect()
}

#[test]
fn the_standard_library_checks_clean() {
    let result = Policy::default().check();
    assert!(result.diagnostics.is_empty(), "{:#?}", result.diagnostics);
}

#[test]
fn targets_are_fig31() {
    let expected = table("fig31", &["arch", "device", "network", "application"]);
    assert_eq!(threat_rows("targets"), expected);
}

#[test]
fn lifecycle_is_fig32() {
    let columns = [
        "make",
        "commission",
        "operation",
        "update",
        "decommission",
        "after_decommission",
    ];
    let expected = table("fig32", &columns);
    assert_eq!(threat_rows("lifecycle"), expected);
}

#[test]
fn spot_checks_from_the_issue() {
    let lifecycle = threat_rows("lifecycle");
    let targets = threat_rows("targets");
    assert_eq!(
        lifecycle[&16],
        [
            "commission",
            "operation",
            "update",
            "decommission",
            "after_decommission"
        ],
        "T16 has every lifecycle moment but manufacturing"
    );
    assert_eq!(lifecycle[&24], ["operation", "after_decommission"]);
    assert_eq!(targets[&22], ["device"], "T22 targets only devices");
}

#[test]
fn threat_titles_and_descriptions() {
    let threats = stdlib_decls(DeclKind::Threat);
    assert_eq!(threats.len(), 25);
    let title = |n: usize| threats[n - 1].title.as_ref().map(|t| t.value.clone());
    assert_eq!(title(1).as_deref(), Some("Cloning of things"));
    assert_eq!(title(2).as_deref(), Some("Counterfeiting"));
    assert_eq!(
        title(22).as_deref(),
        Some("Denial-of-Service attack on device")
    );
    assert_eq!(
        title(24).as_deref(),
        Some("Store and decrypt attack (Quantum-resistance)")
    );
    // Described threats carry the draft's text as doc comments; title-only ones none.
    assert!(
        threats[0]
            .docs
            .join(" ")
            .contains("an untrusted factory can easily clone")
    );
    assert!(
        threats[7]
            .docs
            .join(" ")
            .contains("replacing the thing's software")
    );
    assert!(
        threats[1].docs.is_empty(),
        "the draft gives T2 a title only"
    );
}

#[test]
fn mitigations_m1_to_m11_with_m4_and_m5_both_encryption() {
    let mitigations = stdlib_decls(DeclKind::Mitigation);
    let names: Vec<_> = mitigations
        .iter()
        .map(|m| m.name.as_ref().map(|n| n.text.clone()).unwrap_or_default())
        .collect();
    let expected: Vec<_> = (1..=11).map(|n| format!("M{n}")).collect();
    assert_eq!(names, expected);
    let title = |m: &Decl| m.title.as_ref().map(|t| t.value.clone());
    assert_eq!(
        title(&mitigations[3]),
        title(&mitigations[4]),
        "M4 and M5 are the draft's duplicate"
    );
    assert_eq!(
        words(&mitigations[2], "needs"),
        ["tls", "x509"],
        "M3 needs an X.509 identity"
    );
    assert_eq!(words(&mitigations[10], "needs"), ["credential_rotation"]);
}

/// Each profile's table as threat -> mitigations.
fn profile_table(profile: &Decl) -> BTreeMap<String, Vec<String>> {
    let mut table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for stmt in &profile.body {
        if let StmtKind::Mitigate {
            threats,
            mitigations,
        } = &stmt.kind
        {
            for threat in threats {
                table
                    .entry(threat.text.clone())
                    .or_default()
                    .extend(mitigations.iter().map(|m| m.text.clone()));
            }
        }
    }
    table
}

#[test]
fn profiles_levels_and_fig61() {
    let profiles = stdlib_decls(DeclKind::Profile);
    let levels: Vec<_> = profiles
        .iter()
        .map(|p| (p.label(), p.property("level").map(|l| l.value.kind.clone())))
        .collect();
    assert_eq!(
        levels,
        (1..=4)
            .map(|n| (format!("SecProf_{n}"), Some(ValueKind::Int(n))))
            .collect::<Vec<_>>()
    );
    let fig61 = profile_table(&profiles[0]);
    let row = |t: &str| fig61.get(t).cloned().unwrap_or_default();
    assert_eq!(fig61.len(), 3);
    assert_eq!(row("T4"), ["M4"]);
    assert_eq!(row("T5"), ["M2", "M3", "M8"]);
    assert_eq!(row("T6"), ["M2", "M3", "M8"]);
    let communication = |p: &Decl| match p.property("communication").map(|c| &c.value.kind) {
        Some(ValueKind::Name(n)) => n.clone(),
        _ => String::new(),
    };
    assert_eq!(communication(&profiles[0]), "unidirectional");
    assert_eq!(communication(&profiles[1]), "bidirectional");
}

#[test]
fn profiles_2_to_4_quote_their_must_sentences_and_bound_credentials() {
    let text = ward_stdlib::FILES
        .iter()
        .find(|f| f.path.ends_with("profiles.ward"))
        .map(|f| f.text)
        .expect("profiles file");
    for profile in stdlib_decls(DeclKind::Profile).iter().skip(1) {
        let source = &text[profile.range.as_usize()];
        for line in source
            .lines()
            .filter(|l| l.trim_start().starts_with("mitigate"))
        {
            let at = source.find(line).expect("line in source");
            let before = source[..at].trim_end();
            assert!(
                before.ends_with("basis.\"")
                    || before
                        .lines()
                        .last()
                        .is_some_and(|l| l.trim_start().starts_with("//")),
                "{}: `{}` has no quoted sentence above it",
                profile.label(),
                line.trim()
            );
        }
        assert!(
            profile
                .body
                .iter()
                .any(|s| matches!(s.kind, StmtKind::Bound { .. })),
            "{} bounds the credential refresh",
            profile.label()
        );
        assert!(
            profile_table(profile).contains_key("T19"),
            "credentials are refreshed"
        );
    }
}
