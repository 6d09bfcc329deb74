//! `ward diff` decides on the packet space: pairs of policies whose difference is only in how
//! the flows are written (overlapping ranges, split and merged flows, a renamed class) change
//! no traffic, and each real change comes with the connection that shows it.

use ward_compiler::db::Policy;
use ward_compiler::diff::{Change, diff};
use ward_compiler::ir::{PolicyIr, build_ir};

/// 2026-12-02, 00:00 UTC: what the diffs below are judged from.
const NOW: i64 = 1_796_169_600;

const BASE: &str = r#"
environment home "Home" {
  area = home
  likelihood default = low
  impact default = low
}
service cloud "Vendor cloud" { address = 198.51.100.7 }
class sensor "Sensor" {
  function = monitoring
  environment = home
  capabilities = [x509, tls, second_factor]
  profile = SecProf_1
  match mud "https://mud.example/sensor/*"
}
segment sensors "Sensors" { classes = [sensor], subnet = 10.9.1.0/24 }
"#;

fn ir(flows: &str) -> PolicyIr {
    let mut policy = Policy::default();
    policy.add_file("site.ward", format!("{BASE}{flows}"));
    build_ir(policy.db(), policy.workspace())
}

fn changes(old: &str, new: &str) -> Vec<Change> {
    diff(&ir(old), &ir(new), NOW)
}

fn traffic(changes: &[Change]) -> Vec<(&'static str, String)> {
    changes
        .iter()
        .filter(|c| c.subject == "traffic")
        .map(|c| {
            let e = c.counterexample.as_ref().expect("a counterexample");
            (
                c.change,
                format!(
                    "{} {} -> {} {} {}/{} {} at {}",
                    e.from,
                    e.source.as_deref().unwrap_or("-"),
                    e.to,
                    e.destination.as_deref().unwrap_or("-"),
                    e.protocol,
                    e.port.map_or("-".to_string(), |p| p.to_string()),
                    e.operation,
                    e.at
                ),
            )
        })
        .collect()
}

const FLOWS: &str = "flow sensor -> cloud : tcp/443-450\nflow sensor -> cloud : udp/5683\n";

#[test]
fn the_same_policy_changes_nothing() {
    assert_eq!(changes(FLOWS, FLOWS), []);
}

#[test]
fn overlapping_ranges_that_cover_the_same_ports_are_a_rewrite() {
    let new = "flow sensor -> cloud : tcp/443-446\nflow sensor -> cloud : tcp/445-450\nflow sensor -> cloud : udp/5683\n";
    let found = changes(FLOWS, new);
    assert!(traffic(&found).is_empty(), "{found:#?}");
    let rewrite = found
        .iter()
        .find(|c| c.change == "rewritten")
        .unwrap_or_else(|| panic!("no rewrite in {found:#?}"));
    assert!(!rewrite.widens);
    assert_eq!(
        rewrite.old,
        ["`sensor -> cloud : tcp/443-450` (site.ward:16)"]
    );
    assert_eq!(
        rewrite.new,
        [
            "`sensor -> cloud : tcp/443-446` (site.ward:16)",
            "`sensor -> cloud : tcp/445-450` (site.ward:17)"
        ]
    );
}

#[test]
fn flows_merged_into_one_are_a_rewrite() {
    let found = changes(FLOWS, "flow sensor -> cloud : tcp/443-450, udp/5683\n");
    assert!(traffic(&found).is_empty(), "{found:#?}");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].change, "rewritten");
    // And split back.
    let back = changes("flow sensor -> cloud : tcp/443-450, udp/5683\n", FLOWS);
    assert_eq!(
        back.iter().map(|c| c.change).collect::<Vec<_>>(),
        ["rewritten"]
    );
}

#[test]
fn a_range_widened_by_one_port_is_caught_with_that_port() {
    let new = "flow sensor -> cloud : tcp/443-451\nflow sensor -> cloud : udp/5683\n";
    let found = changes(FLOWS, new);
    assert_eq!(
        traffic(&found),
        [(
            "widened",
            "sensor 10.9.1.1 -> cloud 198.51.100.7 tcp/451 send at 2026-12-02".to_string()
        )]
    );
    let widened = &found[0];
    assert!(widened.widens);
    assert_eq!(
        widened.new,
        ["`sensor -> cloud : tcp/443-451` (site.ward:16)"]
    );
    assert!(widened.old.is_empty());
    // The other way round it narrows, and nothing widens.
    let back = changes(new, FLOWS);
    assert_eq!(
        traffic(&back),
        [(
            "narrowed",
            "sensor 10.9.1.1 -> cloud 198.51.100.7 tcp/451 send at 2026-12-02".to_string()
        )]
    );
    assert!(back.iter().all(|c| !c.widens), "{back:#?}");
}

/// A rewrite can hide a widening: the ranges merged into one that also takes in the gap.
#[test]
fn a_widening_hidden_in_a_rewrite_is_found() {
    let old = "flow sensor -> cloud : tcp/443\nflow sensor -> cloud : tcp/445-450\n";
    let new = "flow sensor -> cloud : tcp/443-450\n";
    let found = changes(old, new);
    assert_eq!(
        traffic(&found),
        [(
            "widened",
            "sensor 10.9.1.1 -> cloud 198.51.100.7 tcp/444 send at 2026-12-02".to_string()
        )]
    );
    assert!(found[0].what.contains("tcp/444: allowed by"), "{found:#?}");
}

/// The class renamed, its segment and flows with it; its `match mud` says it holds the same
/// things.
fn renamed(text: &str) -> String {
    text.replace("class sensor", "class probe")
        .replace("[sensor]", "[probe]")
        .replace("flow sensor", "flow probe")
}

#[test]
fn flows_moved_to_a_renamed_class_with_the_same_members_change_no_traffic() {
    let mut policy = Policy::default();
    policy.add_file("site.ward", renamed(&format!("{BASE}{FLOWS}")));
    let new_ir = build_ir(policy.db(), policy.workspace());
    let found = diff(&ir(FLOWS), &new_ir, NOW);
    assert_eq!(
        found
            .iter()
            .map(|c| (c.subject, c.change))
            .collect::<Vec<_>>(),
        [("class", "renamed")],
        "{found:#?}"
    );
    assert_eq!(
        found[0].what,
        "`sensor` -> `probe` (the same members: match mud https://mud.example/sensor/*)"
    );
}

#[test]
fn a_class_whose_members_change_is_not_a_rename() {
    let mut policy = Policy::default();
    policy.add_file(
        "site.ward",
        renamed(&format!("{BASE}{FLOWS}")).replace("/sensor/*", "/other/*"),
    );
    let new_ir = build_ir(policy.db(), policy.workspace());
    let found = diff(&ir(FLOWS), &new_ir, NOW);
    let kinds: Vec<&str> = traffic(&found).iter().map(|(k, _)| *k).collect();
    assert!(
        kinds.contains(&"widened") && kinds.contains(&"narrowed"),
        "{found:#?}"
    );
}

#[test]
fn a_later_end_widens_between_the_two_ends() {
    let old = "flow sensor -> cloud : tcp/22 { until = 2027-03-01 }\n";
    let new = "flow sensor -> cloud : tcp/22 { until = 2027-06-30 }\n";
    let found = changes(old, new);
    assert_eq!(
        traffic(&found),
        [(
            "widened",
            "sensor 10.9.1.1 -> cloud 198.51.100.7 tcp/22 send at 2027-03-01".to_string()
        )]
    );
    assert!(
        found[0].what.contains("from 2027-03-01 until 2027-06-30"),
        "{found:#?}"
    );
    // A flow that ended before now is no traffic: removing it changes nothing but the text.
    let ended = "flow sensor -> cloud : tcp/22 { until = 2026-01-01 }\n";
    let gone = changes(ended, "");
    assert!(traffic(&gone).is_empty(), "{gone:#?}");
}

#[test]
fn another_operation_on_the_same_port_is_a_change() {
    let old = "flow sensor -> cloud : tcp/443 { action = report }\n";
    let new = "flow sensor -> cloud : tcp/443 { action = configure }\n";
    let found = traffic(&changes(old, new));
    assert_eq!(
        found,
        [
            (
                "widened",
                "sensor 10.9.1.1 -> cloud 198.51.100.7 tcp/443 configure at 2026-12-02".to_string()
            ),
            (
                "narrowed",
                "sensor 10.9.1.1 -> cloud 198.51.100.7 tcp/443 report at 2026-12-02".to_string()
            )
        ]
    );
}

#[test]
fn a_flow_without_ports_widens_every_protocol() {
    let found = changes(FLOWS, "flow sensor -> cloud\n");
    let widened: Vec<String> = traffic(&found)
        .into_iter()
        .filter(|(k, _)| *k == "widened")
        .map(|(_, e)| e)
        .collect();
    let protocols: Vec<&str> = widened
        .iter()
        .map(|e| e.split(' ').nth(5).unwrap_or_default())
        .collect();
    assert_eq!(
        protocols,
        [
            "tcp/0", "tcp/451", "udp/0", "udp/5684", "icmp/-", "icmpv6/-", "gre/-"
        ],
        "{found:#?}"
    );
}
