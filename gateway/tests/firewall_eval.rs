//! The ruleset evaluator of policy tests on the rulesets ward really emits: it reads every
//! one (the example policies', the namespace fixture's, a gateway's for an inventory) and
//! decides the namespace fixture's flows as the real packets of tests/netns.rs are decided;
//! a thing whose profile PAVA raised is placed at its new level.

use std::path::Path;

use ward_compiler::Policy;
use ward_compiler::emit::nft::Raised;
use ward_compiler::emit::{self, BuildOptions};
use ward_gateway::store::Device;
use ward_gateway::things::Things;
use ward_policy_test::nft_eval::{Packet, Ruleset};

fn ruleset_of(folder: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(folder);
    let mut policy = Policy::default();
    let mut paths: Vec<_> = walk(&dir);
    paths.sort();
    for path in paths {
        policy.add_file(
            path.display().to_string(),
            std::fs::read_to_string(&path).expect("read"),
        );
    }
    let bundle = emit::build(policy.db(), policy.workspace(), BuildOptions::default())
        .unwrap_or_else(|e| panic!("{folder} builds: {e:?}"));
    String::from_utf8(bundle.files["firewall/ruleset.nft"].clone()).expect("UTF-8")
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "ward") {
            out.push(path);
        }
    }
    out
}

fn packet(from: &str, to: &str, protocol: &str, port: u16) -> Packet {
    Packet {
        source: from.parse().ok(),
        destination: to.parse().ok(),
        source_endpoint: None,
        destination_endpoint: None,
        v6: false,
        protocol: protocol.into(),
        port: Some(port),
        time: 0,
    }
}

#[test]
fn every_emitted_ruleset_is_read() {
    for folder in [
        "policies",
        "tests/fixtures/netns",
        "tests/fixtures/onboarding",
    ] {
        Ruleset::parse(&ruleset_of(folder)).unwrap_or_else(|e| panic!("{folder}: {e}"));
    }
}

#[test]
fn the_namespace_fixture_is_decided_as_real_packets_are() {
    let ruleset = Ruleset::parse(&ruleset_of("tests/fixtures/netns")).expect("parses");
    let forward = |p: Packet| ruleset.decide("forward", &p).expect("decides");
    // The same cases as tests/netns.rs, with the same hosts.
    let declared = forward(packet("10.91.2.2", "10.91.1.2", "tcp", 8080));
    assert!(declared.accepted);
    assert!(
        declared.by.contains("(beta -> alpha : tcp/8080)"),
        "{}",
        declared.by
    );
    assert!(forward(packet("10.91.3.2", "10.91.1.2", "udp", 9000)).accepted);
    let upward = forward(packet("10.91.1.2", "10.91.2.2", "tcp", 8080));
    assert!(!upward.accepted);
    assert!(upward.by.contains("lower to higher"), "{}", upward.by);
    assert!(!forward(packet("10.91.1.2", "10.91.3.2", "tcp", 8080)).accepted);
    assert!(!forward(packet("10.91.2.2", "10.91.1.2", "tcp", 8081)).accepted);
    assert!(!forward(packet("10.91.3.2", "10.91.1.2", "tcp", 9000)).accepted);
}

/// The IR of the namespace test's policy.
fn netns_ir() -> ward_compiler::ir::PolicyIr {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/netns");
    let mut policy = Policy::default();
    for path in walk(&dir) {
        policy.add_file(
            path.display().to_string(),
            std::fs::read_to_string(&path).expect("read"),
        );
    }
    ward_compiler::ir::build_ir(policy.db(), policy.workspace())
}

#[test]
fn a_gateway_ruleset_for_an_inventory_is_decided_by_its_things() {
    let ir = netns_ir();
    let mut inventory = ward_compiler::emit::nft::Inventory::new();
    inventory.insert("alpha".into(), vec!["10.91.1.2".into()]);
    inventory.insert("beta".into(), vec!["10.91.2.2".into()]);
    let text = ward_compiler::emit::nft::ruleset_for_inventory(&ir, &inventory, &Raised::new());
    let ruleset = Ruleset::parse(&text).expect("parses");
    let forward = |p: Packet| ruleset.decide("forward", &p).expect("decides");
    assert!(forward(packet("10.91.2.2", "10.91.1.2", "tcp", 8080)).accepted);
    // Another host of beta's segment is not an onboarded thing.
    assert!(!forward(packet("10.91.2.3", "10.91.1.2", "tcp", 8080)).accepted);
    // gamma has no thing onboarded: its declared flow carries nothing.
    assert!(!forward(packet("10.91.3.2", "10.91.1.2", "udp", 9000)).accepted);
}

#[test]
fn a_thing_raised_to_a_higher_profile_is_out_of_reach_of_lower_ones() {
    let ir = netns_ir();
    let device = |id: &str, class: &str, address: &str, raised: Option<&str>| Device {
        id: id.into(),
        class: class.into(),
        address: address.into(),
        mud_url: "https://x.example/m".into(),
        profile: Some("SecProf_2".into()),
        level: Some(2),
        quarantined: false,
        onboarded_at: "t".into(),
        bundle_revision: "r".into(),
        raised_profile: raised.map(str::to_string),
    };
    let decide = |things: &Things, from: &str, to: &str, protocol: &str, port: u16| {
        let text = ward_compiler::emit::nft::ruleset_for_inventory(
            &ir,
            &things.inventory(),
            &things.raised(&ir),
        );
        let ruleset = Ruleset::parse(&text).expect("parses");
        ruleset
            .decide("forward", &packet(from, to, protocol, port))
            .expect("decides")
    };
    // alpha and gamma hold SecProf_2 (level 2), beta SecProf_3: gamma reaches alpha on UDP.
    let plain = Things::from_devices(&[
        device("a", "alpha", "10.91.1.2", None),
        device("b", "beta", "10.91.2.2", None),
        device("g", "gamma", "10.91.3.2", None),
    ]);
    assert!(decide(&plain, "10.91.3.2", "10.91.1.2", "udp", 9000).accepted);
    // PAVA raised alpha's thing to SecProf_3: gamma (level 2) may no longer reach it, beta
    // (level 3) still may, and alpha's other hosts are untouched.
    let raised = Things::from_devices(&[
        device("a", "alpha", "10.91.1.2", Some("SecProf_3")),
        device("a2", "alpha", "10.91.1.3", None),
        device("b", "beta", "10.91.2.2", None),
        device("g", "gamma", "10.91.3.2", None),
    ]);
    let upward = decide(&raised, "10.91.3.2", "10.91.1.2", "udp", 9000);
    assert!(!upward.accepted);
    assert!(
        upward.by.contains("lower to higher: profile level 2 -> 3"),
        "{}",
        upward.by
    );
    assert!(decide(&raised, "10.91.2.2", "10.91.1.2", "tcp", 8080).accepted);
    assert!(decide(&raised, "10.91.3.2", "10.91.1.3", "udp", 9000).accepted);
    // A "raise" to a profile at or below the class's changes nothing.
    let lowered = Things::from_devices(&[
        device("a", "alpha", "10.91.1.2", Some("SecProf_1")),
        device("g", "gamma", "10.91.3.2", None),
    ]);
    assert!(lowered.raised(&ir).is_empty());
    assert!(decide(&lowered, "10.91.3.2", "10.91.1.2", "udp", 9000).accepted);
    // A thing whose address a level-3 segment already covers (moved out of beta's segment
    // by quarantine, say) is not added to that set again: nftables refuses overlaps.
    let covered = Things::from_devices(&[device("m", "gamma", "10.91.2.9", Some("SecProf_3"))]);
    assert!(covered.raised(&ir).is_empty());
}

/// The gateway's own chains: PAVA's syslog from the things it manages arrives (`input`, on the
/// port their configuration names), and the gateway reaches a thing only by a declared flow
/// (`output`).
#[test]
fn the_gateway_takes_its_things_reports_and_reaches_them_only_by_declared_flows() {
    let ruleset = Ruleset::parse(&ruleset_of("tests/fixtures/netns")).expect("reads");
    // alpha can do TLS: its syslog goes to tcp/6514 of lab_gw (10.91.0.1).
    let report = ruleset
        .decide("input", &packet("10.91.1.2", "10.91.0.1", "tcp", 6514))
        .expect("decided");
    assert!(report.accepted, "{}", report.by);
    assert!(
        report.by.contains("PAVA: syslog of `alpha`"),
        "{}",
        report.by
    );
    // Anything else to the gateway is dropped.
    let other = ruleset
        .decide("input", &packet("10.91.1.2", "10.91.0.1", "tcp", 22))
        .expect("decided");
    assert!(!other.accepted, "{}", other.by);
    // The gateway itself reaches no thing without a declared flow.
    let from_gateway = ruleset
        .decide("output", &packet("10.91.0.1", "10.91.2.2", "tcp", 8080))
        .expect("decided");
    assert!(!from_gateway.accepted, "{}", from_gateway.by);
    assert!(
        from_gateway
            .by
            .contains("reaches `beta` only by a declared flow"),
        "{}",
        from_gateway.by
    );
}

#[test]
fn the_gateway_posts_reports_to_their_receivers_and_nothing_else_to_them() {
    let mut policy = Policy::default();
    policy.add_file(
        "p.ward",
        r#"
class sensor "Sensor" {
  function = sensing
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation]
}
gateway gw "GW" { address = 10.5.0.1 }
segment s { classes = [sensor], subnet = 10.5.1.0/24, gateway = gw }
service vendor "Vendor" {
  address = 203.0.113.5
  receives = [manufacturer]
  report_url = "https://203.0.113.5:8443/reports"
}
"#,
    );
    let bundle =
        emit::build(policy.db(), policy.workspace(), BuildOptions::default()).expect("builds");
    let text = String::from_utf8(bundle.files["firewall/ruleset.nft"].clone()).expect("UTF-8");
    let ruleset = Ruleset::parse(&text).expect("reads");
    // From the gateway's outside address: the rule names only the destination.
    let report = ruleset
        .decide(
            "output",
            &packet("198.51.100.2", "203.0.113.5", "tcp", 8443),
        )
        .expect("decided");
    assert!(report.accepted, "{}", report.by);
    let other = ruleset
        .decide("output", &packet("198.51.100.2", "203.0.113.5", "tcp", 22))
        .expect("decided");
    assert!(!other.accepted, "{}", other.by);
}
