//! `ward test` end to end: every assertion kind passing (`what holds`) and failing (`what does
//! not hold`) on tests/fixtures/policy-tests, with what was expected, what happened and what
//! decided it; the example policies' own tests; `--filter`.

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
    assert!(text.ends_with("9 passed, 0 failed\n"), "{text}");
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
    assert!(text.ends_with("9 passed, 5 failed\n"), "{text}");
    for expected in [
        "FAIL \"what does not hold\" (tests/fixtures/policy-tests/lab.ward:71)\n  allow flow alpha -> beta : tcp/8080\n  expected: allowed by the firewall and Cedar\n  actual:   alpha -> beta: firewall drops all of 1 probes",
        "  deny flow beta -> alpha : tcp/8080\n  expected: denied by the firewall and Cedar\n  actual:   beta -> alpha: firewall accepts all of 1 probes, Cedar permits configure",
        "  expect beta.profile == SecProf_2\n  expected: == SecProf_2\n  actual:   SecProf_3 (declared)",
        "  expect risk(alpha, T4) == low\n  expected: == low\n  actual:   moderate",
        "  expect detect lab_failures fires 2 on 1 lines\n  expected: fires 2\n  actual:   fires 0",
    ] {
        assert!(text.contains(expected), "missing:\n{expected}\nin:\n{text}");
    }
    // Passing cases stay quiet without -v.
    assert!(!text.contains("ok  "), "{text}");
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
    assert_eq!(suites.attribute("tests"), Some("14"));
    assert_eq!(suites.attribute("failures"), Some("5"));
    let cases: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 14);
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .collect();
    assert_eq!(failed.len(), 5);
    let first = failed[0];
    assert_eq!(first.attribute("classname"), Some("what does not hold"));
    assert_eq!(
        first.attribute("name"),
        Some("allow flow alpha -> beta : tcp/8080 (line 71)")
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
