//! `ward graph`: the DOT is read by Graphviz's `dot`, the SVG (laid out by ward) is
//! well-formed with a cluster per segment, a node per endpoint and an arrow per flow, and
//! the Mermaid flowchart names everything with ids Mermaid cannot mistake for keywords.

#[path = "support/cli.rs"]
mod cli;

use cli::ward;

const POLICY: &str = r#"
gateway med_gw "Medical devices gateway" {
  address = 10.60.0.1
  profile = SecProf_4
}
class end "Infusion pump, named after a Mermaid keyword" {
  function = actuation
  management = managed
  capabilities = [x509, tls, secure_update, credential_rotation]
  profile = SecProf_4
}
class sensor "Ward sensor" {
  function = sensing
  capabilities = [x509, tls, second_factor]
  profile = SecProf_1
}
segment pumps { classes = [end], subnet = 10.60.1.0/24, gateway = med_gw }
segment sensors { classes = [sensor], subnet = 10.60.2.0/24, gateway = med_gw }
service pump_vendor "Pump vendor <maintenance & support>" {
  address = 203.0.113.10
  profile = SecProf_4
}
flow pump_vendor -> end : tcp/22 { via = med_gw, until = 2027-01-31T18:00Z }
flow sensor -> med_gw : udp/514
"#;

fn graph(format: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("p.ward"), POLICY).expect("write");
    let out = ward(dir.path(), &["graph", ".", "--format", format]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Graphviz's SVG of a DOT text; `None` (said loudly) when Graphviz is missing outside CI.
fn graphviz(dot: &str) -> Option<String> {
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some() {
            panic!("CI must check the DOT with Graphviz: install graphviz");
        }
        eprintln!("SKIPPED: Graphviz's dot is not installed (CI runs it)");
        return None;
    }
    let mut child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dot starts");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(dot.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("dot ends");
    assert!(
        out.status.success(),
        "dot refused the DOT: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `ward analyze`: the blast radius of a thing as DOT Graphviz reads (the climbing step in
/// red), the findings as text, and `--deny-climbs` failing on the climb.
#[test]
fn ward_analyze_draws_what_a_thing_reaches() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("plant.ward"),
        include_str!("fixtures/analyze/plant.ward"),
    )
    .expect("write");
    let run = |args: &[&str]| {
        let mut all = vec!["analyze", ".", "--today", "2026-12-02"];
        all.extend_from_slice(args);
        ward(dir.path(), &all)
    };
    let out = run(&["--from", "low", "--format", "dot"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dot = String::from_utf8(out.stdout).expect("utf-8");
    assert!(dot.contains("\"hub\" -> \"high\" [color=red];"), "{dot}");
    if let Some(svg) = graphviz(&dot) {
        assert!(svg.contains("historian") && svg.contains("high"), "{svg}");
    }
    let text = String::from_utf8(run(&[]).stdout).expect("utf-8");
    assert!(text.contains("Redundant flows (1)"), "{text}");
    assert!(text.contains("level 2 -> 3: low -> hub -> high"), "{text}");
    let denied = run(&["--deny-climbs"]);
    assert_eq!(denied.status.code(), Some(1));
    let unknown = run(&["--from", "nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn graphviz_reads_the_dot() {
    let dot = graph("dot");
    assert!(dot.contains("subgraph \"cluster_pumps\""), "{dot}");
    assert!(dot.contains("\"pump_vendor\" -> \"end\""), "{dot}");
    let Some(svg) = graphviz(&dot) else {
        return;
    };
    // Graphviz drew the cluster and both nodes of the flow.
    assert!(
        svg.contains("cluster_pumps") && svg.contains("pump_vendor"),
        "{svg}"
    );
}

#[test]
fn the_svg_is_drawn_by_ward() {
    let svg = graph("svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let groups = |class: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .count()
    };
    assert_eq!(groups("segment"), 2, "{svg}");
    assert_eq!(groups("node class"), 2);
    assert_eq!(groups("node gateway"), 1);
    assert_eq!(groups("node service"), 1);
    // The sensor reaches its own, higher, gateway: drawn as an upward connection.
    assert_eq!(groups("flow upward"), 1, "{svg}");
    assert_eq!(groups("flow"), 1);
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("title") && n.text().is_some_and(|t| t.starts_with("pump_vendor")))
        .and_then(|n| n.text())
        .expect("the flow's title");
    assert!(
        title.contains("tcp/22 · via med_gw · until 2027-01-31T18:00:00Z")
            && title.contains("p.ward:"),
        "{title}"
    );
    assert!(svg.contains("Pump vendor &lt;maintenance &amp; support&gt;"));
    assert!(svg.contains("role=\"img\""), "accessible: {svg}");
}

#[test]
fn mermaid_ids_cannot_be_keywords() {
    let mermaid = graph("mermaid");
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(
        mermaid.contains("subgraph s_pumps[\"segment pumps 10.60.1.0/24\"]"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("n_end[\"end<br/>SecProf_4 · level 4\"]"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(
            "n_pump_vendor -.->|\"tcp/22 · via med_gw · until 2027-01-31T18:00:00Z\"| n_end"
        ),
        "{mermaid}"
    );
    assert!(mermaid.contains("linkStyle 1 stroke:#b00020"), "{mermaid}");
}

/// report.html opens with where the policy stands and carries the diagram; its tables have
/// header cells; the Markdown says the same for code review.
#[test]
fn the_report_opens_with_a_summary_and_carries_the_diagram() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("p.ward"), POLICY).expect("write");
    let built = ward(
        dir.path(),
        &["build", ".", "-o", "bundle", "--today", "2027-01-01"],
    );
    assert_eq!(
        built.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("bundle/report.html")).expect("html");
    let markdown = std::fs::read_to_string(dir.path().join("bundle/report.md")).expect("md");
    let glance = markdown.find("## At a glance").expect("a summary");
    assert!(
        glance < markdown.find("## Classes").expect("classes"),
        "the summary comes first"
    );
    assert!(
        markdown
            .contains("- **2 classes of things** in 2 segments, 2 services and gateways, 2 flows"),
        "{markdown}"
    );
    assert!(
        markdown.contains("SecProf_4 (\"Managed industrial usage\", level 4): `end`"),
        "the draft's ids in words: {markdown}"
    );
    assert!(markdown.contains("`pump_vendor -> end : tcp/22` until 2027-01-31T18:00:00Z"));
    assert!(markdown.contains("## Risk heat map"));
    assert!(
        html.contains("<figure class=\"diagram\">\n<svg"),
        "the diagram"
    );
    assert!(
        html.contains("<th scope=\"col\">class</th>"),
        "header cells"
    );
    assert!(
        html.contains("<nav aria-label=\"Contents\">"),
        "a table of contents"
    );
    assert!(html.contains("<h2 id=\"at-a-glance\">At a glance</h2>"));
    nu_html_checker(&dir.path().join("bundle/report.html"));
    chromium_renders(
        &dir.path().join("bundle"),
        &[
            "2 classes of things in 2 segments",
            "SecProf_4 (\"Managed industrial usage\", level 4): end",
            "Risk heat map",
        ],
    );
    // Every row of a table has as many cells as its header.
    for table in html.split("<table>").skip(1) {
        let table = &table[..table.find("</table>").expect("closed")];
        let header = table.matches("<th ").count();
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("<td>").count(), header, "{table}");
        }
    }
}

/// The Nu HTML checker (vnu.jar, the W3C's validator) finds no error in the page.
fn nu_html_checker(page: &std::path::Path) {
    let Some(jar) = std::env::var_os("WARD_VNU_JAR") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI must validate report.html: set WARD_VNU_JAR to vnu.jar (.ci/run installs it)"
            );
        }
        eprintln!("SKIPPED: the Nu HTML checker (WARD_VNU_JAR=vnu.jar) is not set up (CI runs it)");
        return;
    };
    let out = std::process::Command::new("java")
        .arg("-jar")
        .arg(jar)
        .arg("--errors-only")
        .arg(page)
        .output()
        .expect("java runs the Nu HTML checker");
    assert!(
        out.status.success(),
        "report.html is not valid HTML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Headless Chromium renders report.html (tests/browser/report.mjs, playwright-core): the
/// summary's figures show, the diagram is drawn, every link of the contents lands on a
/// heading. The screenshot and the PDF (Chromium's print) are kept in
/// `target/test-artefacts/report/`.
fn chromium_renders(bundle: &std::path::Path, expected: &[&str]) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("tests/browser/report.mjs");
    let ready = root
        .join("tests/browser/node_modules/playwright-core")
        .exists()
        && std::path::Path::new("/usr/bin/chromium").exists();
    if !ready {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI must render the report in Chromium: install chromium and `npm ci` in tests/browser"
            );
        }
        eprintln!(
            "SKIPPED: Chromium or tests/browser/node_modules is missing (CI renders the report)"
        );
        return;
    }
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(bundle)
        .env("WARD_REPORT_EXPECT", expected.join("\n"))
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "Chromium: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let artefacts = root.join("target/test-artefacts/report");
    std::fs::create_dir_all(&artefacts).expect("artefacts folder");
    for file in ["report.png", "report.pdf"] {
        std::fs::copy(bundle.join(file), artefacts.join(file)).expect("an artefact");
    }
}

/// With `--source-url`, every source line the report names links to it.
#[test]
fn the_report_links_source_lines_to_where_sources_are_browsed() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("p.ward"), POLICY).expect("write");
    let built = ward(
        dir.path(),
        &[
            "build",
            ".",
            "-o",
            "bundle",
            "--source-url",
            "https://git.example/policy/blob/main/",
        ],
    );
    assert_eq!(built.status.code(), Some(0));
    let html = std::fs::read_to_string(dir.path().join("bundle/report.html")).expect("html");
    assert!(
        html.contains(
            "<a href=\"https://git.example/policy/blob/main/p.ward#L6\"><code>p.ward:6</code></a>"
        ),
        "{html}"
    );
    // Without it, no link leaves the page.
    let plain = ward(dir.path(), &["build", ".", "-o", "plain"]);
    assert_eq!(plain.status.code(), Some(0));
    let html = std::fs::read_to_string(dir.path().join("plain/report.html")).expect("html");
    assert!(
        !html.contains("href=\"http"),
        "no outside link without --source-url"
    );
}

/// `ward build --test`: the report says how the policy's tests went on this very bundle; a
/// failing test writes no bundle.
#[test]
fn build_with_tests_reports_them_and_a_failure_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tested = format!(
        "{POLICY}\ntest \"the vendor reaches the pump by ssh only\" {{\n  allow flow pump_vendor -> end : tcp/22\n  deny flow pump_vendor -> end : tcp/23\n}}\n"
    );
    std::fs::write(dir.path().join("p.ward"), &tested).expect("write");
    let built = ward(
        dir.path(),
        &[
            "build",
            ".",
            "-o",
            "bundle",
            "--test",
            "--today",
            "2027-01-01",
        ],
    );
    assert_eq!(
        built.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let markdown = std::fs::read_to_string(dir.path().join("bundle/report.md")).expect("md");
    assert!(
        markdown.contains("- **Policy tests**: 2 cases passed, 0 failed, in 1 tests (below)."),
        "{markdown}"
    );
    assert!(markdown.contains("| the vendor reaches the pump by ssh only | `p.ward:"));

    // After the flow's end the same test fails: nothing is written.
    let failing = ward(
        dir.path(),
        &[
            "build",
            ".",
            "-o",
            "later",
            "--test",
            "--today",
            "2027-02-01",
        ],
    );
    assert_eq!(failing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failing.stderr).contains("no bundle was written"));
    assert!(!dir.path().join("later").exists());
}
