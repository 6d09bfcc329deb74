//! `ward test` end to end: every assertion kind passing (`what holds`) and failing (`what does
//! not hold`) on tests/fixtures/policy-tests, with what was expected, what happened and what
//! decided it; tables (each row its own case) and assertions naming an operation; the example
//! policies' own tests; `--filter`.

#[path = "support/cli.rs"]
mod cli;

use cli::{root, ward};

#[test]
fn every_assertion_kind_passes_where_it_holds() {
    let output = ward(
        &root(),
        &[
            "test",
            "tests/fixtures/policy-tests",
            "--filter",
            "what holds",
            "-v",
        ],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.ends_with("8 passed, 0 failed\n"), "{text}");
    // The deciding rule is named with its source line.
    assert!(text.contains("decided by firewall: tests/fixtures/policy-tests/lab.ward:41 (beta -> alpha : tcp/8080)"), "{text}");
    assert!(
        text.contains(
            "decided by firewall: lower to higher: profile level 2 -> 3 is never allowed"
        ),
        "{text}"
    );
}

#[test]
fn failing_cases_say_what_was_expected_and_what_happened() {
    let output = ward(&root(), &["test", "tests/fixtures/policy-tests"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.ends_with("15 passed, 9 failed\n"), "{text}");
    for expected in [
        "FAIL \"what does not hold\" (tests/fixtures/policy-tests/lab.ward:70)\n  allow flow alpha -> beta : tcp/8080\n  expected: allowed by the firewall and Cedar\n  actual:   alpha -> beta: firewall drops all of 1 probes",
        "  deny flow beta -> alpha : tcp/8080\n  expected: denied by the firewall and Cedar\n  actual:   beta -> alpha: firewall accepts all of 1 probes, Cedar permits configure",
        "  expect beta.profile == SecProf_2\n  expected: == SecProf_2\n  actual:   SecProf_3 (declared)",
        "  expect risk(alpha, T4) == low\n  expected: == low\n  actual:   moderate",
        // A privacy threat does not apply to a class without personal data: no level is true.
        "  expect risk(alpha, T12) == low\n  expected: == low\n  actual:   does not apply: `alpha` handles no personal data",
        "  expect detect lab_failures fires 2 on 1 lines\n  expected: fires 2\n  actual:   fires 0",
        "  expect alpha.level >= 3\n  expected: >= 3\n  actual:   2",
        // The Cedar policy that decided, by its id and its flow's source line.
        "  decided by cedar: permit \"beta -> configure\" (tests/fixtures/policy-tests/lab.ward:41 (beta -> alpha : tcp/8080))",
    ] {
        assert!(text.contains(expected), "missing:\n{expected}\nin:\n{text}");
    }
    // Passing cases stay quiet without -v.
    assert!(!text.contains("ok  "), "{text}");
}

/// `ward test -v` on the fixture's test "tables and operations": its exit code and output.
fn tables_and_operations() -> (Option<i32>, String) {
    let output = ward(
        &root(),
        &[
            "test",
            "tests/fixtures/policy-tests",
            "--filter",
            "tables",
            "-v",
        ],
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), text)
}

#[test]
fn each_row_of_a_table_is_its_own_case() {
    let (code, text) = tables_and_operations();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.ends_with("7 passed, 2 failed\n"), "{text}");
    for expected in [
        // Rows that hold, each with its values put in, at the row's line.
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:82)\n  allow flow beta -> alpha : tcp/8080 [row 1]",
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:83)\n  deny flow alpha -> beta : tcp/8080 [row 2]",
        // The row that does not, on its own.
        "FAIL \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:86)\n  deny flow gamma -> alpha : udp/9000 [row 4]\n  expected: denied by the firewall and Cedar\n  actual:   gamma -> alpha: firewall accepts all of 1 probes, Cedar permits report",
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:95)\n  expect detect lab_failures fires 1 on 3 lines [row 1]",
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:100)\n  expect detect lab_failures fires 0 on 1 lines [row 2]",
    ] {
        assert!(text.contains(expected), "missing:\n{expected}\nin:\n{text}");
    }
}

#[test]
fn json_output_carries_every_case_with_its_row() {
    let output = ward(
        &root(),
        &[
            "test",
            "tests/fixtures/policy-tests",
            "--format",
            "json",
            "--coverage",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(15), Some(9))
    );
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 24);
    let row_4 = cases
        .iter()
        .find(|c| c["row"] == 4)
        .expect("the table's fourth row");
    assert_eq!(row_4["passed"], false);
    assert_eq!(row_4["line"], 86);
    assert_eq!(
        row_4["assertion"],
        "deny flow gamma -> alpha : udp/9000 [row 4]"
    );
    // A plain assertion has no row.
    assert!(cases[0].get("row").is_none());
    // Coverage goes to stderr, leaving stdout one JSON document.
    assert!(String::from_utf8_lossy(&output.stderr).contains("coverage: "));
}

#[test]
fn a_named_operation_is_asked_of_cedar() {
    let (_, text) = tables_and_operations();
    for expected in [
        // The declared operation passes through both.
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:90)\n  allow flow beta -> alpha : tcp/8080 { action = configure }",
        // Another operation on the same port: the firewall lets the port through, Cedar denies.
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:91)\n  deny flow beta -> alpha : tcp/8080 { action = reboot }",
        "FAIL \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:93)\n  allow flow beta -> alpha : tcp/8080 { action = reboot }\n  expected: `reboot` allowed by the firewall and Cedar\n  actual:   beta -> alpha: firewall accepts all of 1 probes, Cedar denies reboot",
        "decided by cedar: no flow declares `reboot`",
        // The deny holds by Cedar alone: the firewall rule that passed the port is not cited.
        "ok   \"tables and operations\" (tests/fixtures/policy-tests/lab.ward:91)\n  deny flow beta -> alpha : tcp/8080 { action = reboot }\n  decided by cedar: no flow declares `reboot`, and no policy permits an undeclared operation\nFAIL",
    ] {
        assert!(text.contains(expected), "missing:\n{expected}\nin:\n{text}");
    }
}

#[test]
fn the_example_policies_tests_pass() {
    let output = ward(&root(), &["test", "policies"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.ends_with(" passed, 0 failed\n"), "{text}");
    // A policy with errors is not tested.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("broken.ward"), "class x {").expect("write");
    let broken = ward(dir.path(), &["test", "."]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("ward check"));
}

#[test]
fn junit_output_reads_back() {
    let output = ward(
        &root(),
        &["test", "tests/fixtures/policy-tests", "--format", "junit"],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let document = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suites = document.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    assert_eq!(suites.attribute("tests"), Some("24"));
    assert_eq!(suites.attribute("failures"), Some("9"));
    let cases: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 24);
    // Each row of a table is a case of its own, with its own name.
    let names: std::collections::HashSet<_> =
        cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(names.len(), 24, "{names:?}");
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .collect();
    assert_eq!(failed.len(), 9);
    let first = failed[0];
    assert_eq!(first.attribute("classname"), Some("what does not hold"));
    assert_eq!(
        first.attribute("name"),
        Some("allow flow alpha -> beta : tcp/8080 (line 70)")
    );
    let failure = first
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("failure");
    assert!(
        failure
            .text()
            .is_some_and(|t| t.contains("decided by firewall: lower to higher"))
    );
}

#[test]
fn coverage_per_file_and_its_threshold() {
    let args = |threshold: &'static str| {
        vec![
            "test",
            "tests/fixtures/policy-tests",
            "--filter",
            "what holds",
            "--threshold",
            threshold,
        ]
    };
    let below = ward(&root(), &args("80"));
    let text = String::from_utf8_lossy(&below.stdout);
    assert_eq!(below.status.code(), Some(1), "{text}");
    assert!(
        text.contains("coverage tests/fixtures/policy-tests/lab.ward: 2 of 3 exercised"),
        "{text}"
    );
    assert!(
        text.contains("not exercised: flow gamma -> alpha : udp/9000 (line 43)"),
        "{text}"
    );
    assert!(text.contains("coverage: 66.7%"), "{text}");
    assert!(String::from_utf8_lossy(&below.stderr).contains("below the threshold of 80%"));
    let above = ward(&root(), &args("60"));
    assert_eq!(above.status.code(), Some(0));
    // The example policies' tests exercise every flow and detection rule they declare.
    let examples = ward(&root(), &["test", "policies", "--threshold", "100"]);
    assert_eq!(examples.status.code(), Some(0), "{:?}", examples);
}
