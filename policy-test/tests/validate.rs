//! Translation validation: the example policies' compiled firewall and Cedar policies decide
//! exactly what the policies say, and each kind of emitter bug (a port range one too wide, a
//! set without its interval flag, chains' rules reordered, a rule or permit lost or
//! widened) is caught with a counterexample.

use std::path::Path;

use ward_compiler::db::Policy;
use ward_compiler::emit::{self, BuildOptions};
use ward_compiler::ir::{PolicyIr, build_ir};
use ward_policy_test::validate::{Compiled, Validation, validate_pairs};

/// 2026-12-02, 00:00 UTC.
const NOW: i64 = 1_796_169_600;

fn example_policy() -> Policy {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut policy = Policy::default();
    for folder in ["home", "managed_home", "industrial", "managed_industrial"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(folder))
            .expect("policy folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ward"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("read");
            let name = format!(
                "{folder}/{}",
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
            );
            policy.add_file(&name, text);
        }
    }
    policy.set_now(NOW);
    policy
}

struct Built {
    ir: PolicyIr,
    ruleset: String,
    cedar: String,
    schema: String,
}

fn build(policy: &Policy) -> Built {
    let bundle =
        emit::build(policy.db(), policy.workspace(), BuildOptions::default()).expect("builds");
    let text = |path: &str| String::from_utf8(bundle.files[path].clone()).expect("text");
    Built {
        ir: build_ir(policy.db(), policy.workspace()),
        ruleset: text("firewall/ruleset.nft"),
        cedar: text("cedar/policy.cedar"),
        schema: text("cedar/schema.cedarschema"),
    }
}

/// The policy of one file, as of `NOW`, built.
fn built_from(name: &str, text: &str) -> Built {
    let mut policy = Policy::default();
    policy.add_file(name, text.to_string());
    policy.set_now(NOW);
    build(&policy)
}

/// The built outputs decide as the policy says, or the mismatches are shown.
fn assert_holds(built: &Built) {
    let validation = check(built, &built.ruleset, &built.cedar).expect("validates");
    let shown: Vec<String> = validation.mismatches.iter().map(|m| m.describe()).collect();
    assert!(validation.holds(), "{shown:#?}");
}

/// Validates on the pairs validation chooses, and on every pair: both must agree on whether
/// the compiled outputs hold (the choice skips only pairs that cannot disagree).
fn check(built: &Built, ruleset: &str, cedar: &str) -> Result<Validation, String> {
    let compiled = Compiled {
        ruleset,
        cedar_policies: cedar,
        cedar_schema: &built.schema,
    };
    let chosen = validate_pairs(&built.ir, &compiled, NOW, false)?;
    let every = validate_pairs(&built.ir, &compiled, NOW, true)?;
    assert_eq!(
        chosen.holds(),
        every.holds(),
        "chosen pairs: {:#?}\nevery pair: {:#?}",
        chosen.mismatches,
        every.mismatches
    );
    assert!(every.firewall_pairs >= chosen.firewall_pairs);
    Ok(chosen)
}

#[test]
fn the_example_policies_compile_to_exactly_what_they_say() {
    let built = build(&example_policy());
    let validation = check(&built, &built.ruleset, &built.cedar).expect("validates");
    let shown: Vec<String> = validation.mismatches.iter().map(|m| m.describe()).collect();
    assert!(
        validation.holds(),
        "{shown:#?} and {} more",
        validation.more
    );
    assert!(validation.firewall_pairs > 20, "{validation:?}");
    assert!(validation.firewall_cells > validation.firewall_pairs);
    assert!(validation.cedar_requests > 10, "{validation:?}");
}

/// Each mutation of the ruleset must be caught: `(what, from, to)`.
fn caught(built: &Built, what: &str, from: &str, to: &str) -> Validation {
    assert_ne!(from, to);
    assert!(
        built.ruleset.contains(from),
        "{what}: the ruleset has no `{from}`"
    );
    let mutated = built.ruleset.replacen(from, to, 1);
    let validation = check(built, &mutated, &built.cedar).expect("validates");
    assert!(!validation.holds(), "{what} was not caught");
    validation
}

#[test]
fn a_range_one_port_too_wide_is_caught_on_that_port() {
    let built = build(&example_policy());
    let validation = caught(
        &built,
        "a port range widened by one",
        "tcp dport 8883 accept comment \"managed_home/door_lock.ward",
        "tcp dport 8883-8884 accept comment \"managed_home/door_lock.ward",
    );
    let first = &validation.mismatches[0];
    assert_eq!(
        (
            first.layer,
            first.protocol.as_str(),
            first.port,
            first.actual,
            first.expected
        ),
        ("firewall", "tcp", Some(8884), true, false),
        "{}",
        first.describe()
    );
}

#[test]
fn a_lost_accept_rule_is_caught_with_the_flow_it_served() {
    let built = build(&example_policy());
    let line = built
        .ruleset
        .lines()
        .find(|l| l.contains("accept comment \"home/banana_button.ward:40"))
        .expect("the banana button's rule");
    let validation = caught(&built, "a rule lost", line, "");
    let first = &validation.mismatches[0];
    assert!(first.expected && !first.actual, "{}", first.describe());
    assert_eq!(first.port, Some(443));
    assert!(
        first
            .declared
            .iter()
            .any(|d| d.contains("banana_button.ward:40")),
        "{}",
        first.describe()
    );
}

#[test]
fn a_set_without_its_interval_flag_does_not_load() {
    let built = build(&example_policy());
    let set = built
        .ruleset
        .find("set e4_banana_button {")
        .expect("the button's set");
    let mut mutated = built.ruleset.clone();
    let flag = mutated[set..].find("    flags interval\n").expect("flag") + set;
    mutated.replace_range(flag..flag + "    flags interval\n".len(), "");
    let error = check(&built, &mutated, &built.cedar).expect_err("refused");
    assert!(
        error.contains("e4_banana_button") && error.contains("flags interval"),
        "{error}"
    );
}

#[test]
fn a_set_holding_one_address_too_many_is_caught_at_that_address() {
    let built = build(&example_policy());
    let validation = caught(
        &built,
        "a set widened",
        "elements = { 192.168.10.0/28 }",
        "elements = { 192.168.10.0/27 }",
    );
    let first = &validation.mismatches[0];
    assert!(first.actual && !first.expected, "{}", first.describe());
    // The counterexample comes from the addresses the set gained (the plugs' segment).
    assert!(
        first.from.starts_with("192.168.10.1"),
        "{}",
        first.describe()
    );
}

/// The lower-to-higher drops come before every accept. At build time no accept rule of
/// ward's admits such traffic (a flow to `internet` excludes the policy's own addresses), so
/// the drops are a second wall; an emitter that lost the first (a flow to `internet` without
/// its guard) and put the drops after the accepts lets a plug reach the locks, and
/// validation says so. With the guard lost but the drops first, the locks stay unreachable.
#[test]
fn lower_to_higher_drops_moved_after_the_accepts_are_caught() {
    let built = built_from(
        "home.ward",
        r#"
class plug "Plug" {
  function = actuation
  profile = SecProf_1
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
class lock "Lock" {
  function = actuation
  profile = SecProf_3
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
gateway home_gw "Home gateway" { address = 10.80.0.1 }
segment plugs "Plugs" { classes = [plug] subnet = 10.80.1.0/24 gateway = home_gw }
segment locks "Locks" { classes = [lock] subnet = 10.80.2.0/24 gateway = home_gw }
flow plug -> internet : tcp/443
"#,
    );
    assert!(
        check(&built, &built.ruleset, &built.cedar)
            .expect("validates")
            .holds()
    );
    let unguarded =
        built
            .ruleset
            .replacen("ip daddr != @o4_policy tcp dport 443", "tcp dport 443", 1);
    assert_ne!(unguarded, built.ruleset, "{}", built.ruleset);
    // Without the guard, the plug reaches its own segment's addresses (caught), never the
    // locks: the drops come first.
    let to_locks = |validation: &Validation| {
        validation
            .mismatches
            .iter()
            .find(|m| m.from.contains("plug") && m.to.contains("lock"))
            .cloned()
    };
    let alone = check(&built, &unguarded, &built.cedar).expect("validates");
    assert!(!alone.holds() && alone.more == 0);
    assert_eq!(to_locks(&alone), None);
    let forward = unguarded.find("chain forward {").expect("forward");
    let drops: Vec<&str> = unguarded[forward..]
        .lines()
        .filter(|l| l.contains("lower to higher"))
        .collect();
    assert!(!drops.is_empty());
    let mut mutated = unguarded.clone();
    for line in &drops {
        mutated = mutated.replacen(&format!("{line}\n"), "", 1);
    }
    let end = forward + mutated[forward..].find("\n  }").expect("end of forward");
    mutated.insert_str(end, &format!("\n{}", drops.join("\n")));
    let validation = check(&built, &mutated, &built.cedar).expect("validates");
    assert_eq!(validation.more, 0);
    let reached = to_locks(&validation).expect("reordering was not caught");
    assert!(
        reached.actual && !reached.expected,
        "{}",
        reached.describe()
    );
}

#[test]
fn a_permit_for_another_operation_is_caught() {
    let built = build(&example_policy());
    let mutated = built.cedar.replacen(
        "action == Action::\"order\"",
        "action in [Action::\"order\", Action::\"report\"]",
        1,
    );
    assert_ne!(mutated, built.cedar);
    let validation = check(&built, &built.ruleset, &mutated).expect("validates");
    let first = validation.mismatches.first().expect("caught");
    assert_eq!(first.layer, "cedar");
    assert_eq!(first.operation.as_deref(), Some("report"));
    assert!(first.actual && !first.expected, "{}", first.describe());
}

#[test]
fn a_permit_that_outlives_its_flow_is_caught_after_the_end() {
    let mut policy = example_policy();
    policy.add_file(
        "extra.ward",
        "flow plug_cloud -> smart_plug : tcp/8443 { action = configure, until = 2027-01-31 }\n",
    );
    let built = build(&policy);
    assert!(
        check(&built, &built.ruleset, &built.cedar)
            .expect("validates")
            .holds()
    );
    let end = "context.now < 1801353600";
    assert!(built.cedar.contains(end), "{}", built.cedar);
    let mutated = built.cedar.replacen(end, "context.now < 1803945600", 1);
    let validation = check(&built, &built.ruleset, &mutated).expect("validates");
    let first = validation.mismatches.first().expect("caught");
    assert_eq!(
        (first.layer, first.at, first.actual),
        ("cedar", 1_801_353_600, true)
    );
}

/// A flow between two gateways: the receiver's `input` admits it from the sender's addresses
/// only (a rule naming the destination alone, as `output` rules do, let anyone reach the
/// port: found by validating generated policies), and the sender's `output` lets it leave.
#[test]
fn a_flow_between_gateways_admits_the_sender_only() {
    let built = built_from(
        "site.ward",
        r#"
gateway north "North gateway" { address = 10.61.0.1 }
gateway south "South gateway" { address = 10.62.0.1 }
service siem "SIEM" { address = 10.63.0.9 }
flow north -> south : tcp/6443
flow north -> internet : tcp/443
"#,
    );
    assert!(
        built
            .ruleset
            .contains("ip saddr @e4_north ip daddr @e4_south tcp dport 6443 accept"),
        "{}",
        built.ruleset
    );
    // With `north -> internet`, `output` drops by default: the flow to `south` has its own
    // rule there.
    assert!(
        built
            .ruleset
            .contains("ip daddr @e4_south tcp dport 6443 accept"),
        "{}",
        built.ruleset
    );
    assert!(
        check(&built, &built.ruleset, &built.cedar)
            .expect("validates")
            .holds()
    );
    let validation = caught(
        &built,
        "the sender's set dropped from `input`",
        "ip saddr @e4_north ip daddr @e4_south",
        "ip daddr @e4_south",
    );
    let first = &validation.mismatches[0];
    assert!(first.actual && !first.expected, "{}", first.describe());
    assert_eq!(first.port, Some(6443));
}

/// A class, and two gateways whose addresses the segments of the tests below hold.
const TWO_GATEWAYS: &str = r#"
class sensor "Sensor" {
  function = sensing
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
gateway gw0 "Gateway 0" { address = 10.250.0.1 }
gateway gw1 "Gateway 1" { address = 10.250.1.1 }
"#;

/// Gateways at addresses inside a segment's subnet (as most are): the firewall judges by
/// address, so traffic between them is the segment's to the sets, and the gateway's `output`
/// must still reach another gateway only by a declared flow, as it reaches the things (found
/// by validating generated policies: one gateway's syslog rule let another's address through
/// `input` while `output` dropped it as the segment's).
#[test]
fn gateways_inside_a_segment_reach_each_other_only_by_flows() {
    let built = built_from(
        "site.ward",
        &format!(
            "{TWO_GATEWAYS}segment sensors \"Sensors\" {{ classes = [sensor], subnet = 10.0.0.0/8, gateway = gw0 }}\n"
        ),
    );
    assert!(
        built.ruleset.contains("ip daddr @e4_gw0 counter drop"),
        "{}",
        built.ruleset
    );
    assert_holds(&built);
    // Without the drop, `output` lets `gw1` reach `gw0`'s syslog port undeclared (its
    // address is the segment's, so `gw0`'s `input` admits it).
    let validation = caught(
        &built,
        "the drop to another gateway lost",
        "ip daddr @e4_gw0 counter drop",
        "ip daddr @e4_gw0 counter accept",
    );
    let first = &validation.mismatches[0];
    assert!(first.actual && !first.expected, "{}", first.describe());

    // A flow from one gateway to the segment: every gateway's `output` reaches the
    // segment's addresses (the rule names the destination only), another gateway's address
    // among them, and that gateway's `input` admits the segment's addresses. What the
    // firewall decides by address, the policy allows by address too.
    let built = built_from(
        "site.ward",
        &format!(
            "{TWO_GATEWAYS}segment sensors \"Sensors\" {{ classes = [sensor], subnet = 10.0.0.0/8 }}\nflow gw1 <-> sensor\n"
        ),
    );
    assert_holds(&built);
}

/// The gateways' shared `output` speaks, in each family, for the gateways that have an
/// address in it: a flow from an IPv4-only gateway lets nothing out over IPv6, so an
/// IPv6-only gateway of the same bundle reaches the service only as far as its own flows
/// say (found by validating generated policies).
#[test]
fn a_gateways_flow_lets_out_only_its_own_families() {
    let built = built_from(
        "site.ward",
        r#"
gateway gw4 "IPv4 gateway" { address = 10.250.0.1 }
gateway gw6 "IPv6 gateway" { address = fd00::1 }
service feed "Feed" { host = "feed.example.com" }
flow gw4 -> feed : tcp/443
"#,
    );
    assert!(
        built
            .ruleset
            .contains("ip daddr @e4_feed tcp dport 443 accept")
            && !built
                .ruleset
                .contains("ip6 daddr @e6_feed tcp dport 443 accept"),
        "{}",
        built.ruleset
    );
    assert_holds(&built);
}

/// `internet` is what is none of the policy's: a flow to it lets a camera reach the outside
/// world on 443, not the hub of its own level at home (the lower-to-higher drops protect
/// only higher levels), and a flow from it admits no thing of the policy. Without the
/// guard (`ip daddr != @o4_policy`), validation finds the hub reachable.
#[test]
fn a_flow_to_the_internet_reaches_none_of_the_policys_own() {
    let built = built_from(
        "home.ward",
        r#"
class camera "Camera" {
  function = sensing
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
class hub "Hub" {
  function = control
  capabilities = [x509, tls, secure_update, credential_rotation, second_factor, tamper_resistance]
}
gateway home_gw "Home gateway" { address = 10.70.0.1 }
segment cameras "Cameras" { classes = [camera] subnet = 10.70.1.0/24 gateway = home_gw }
segment hubs "Hubs" { classes = [hub] subnet = 10.70.2.0/24 gateway = home_gw }
flow camera -> internet : tcp/443
flow internet -> hub : tcp/8443
"#,
    );
    let guarded =
        "ip saddr @e4_camera ip daddr @e4_internet ip daddr != @o4_policy tcp dport 443 accept";
    assert!(built.ruleset.contains(guarded), "{}", built.ruleset);
    assert!(
        built.ruleset.contains(
            "ip saddr @e4_internet ip saddr != @o4_policy ip daddr @e4_hub tcp dport 8443 accept"
        ),
        "{}",
        built.ruleset
    );
    assert_holds(&built);
    let validation = caught(
        &built,
        "the guard of a flow to the internet lost",
        "ip daddr != @o4_policy tcp dport 443",
        "tcp dport 443",
    );
    let hub = validation
        .mismatches
        .iter()
        .find(|m| m.to.contains("hub"))
        .expect("the hub reached");
    assert!(hub.actual && !hub.expected, "{}", hub.describe());
    assert_eq!(hub.port, Some(443));
}

/// A class without a subnet (what a MUD import writes: its things' addresses are known at
/// onboarding) has no rule in the bundle's ruleset; the ruleset a gateway renders once its
/// things are onboarded is validated too, and an emitter bug there is caught.
#[test]
fn the_ruleset_for_onboarded_things_is_validated_too() {
    let built = built_from(
        "imported.ward",
        r#"
class cam "Camera" {
  function = surveillance
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
  match mud "https://cams.example/*"
}
gateway home_gw { address = 192.168.9.1 }
segment cams { classes = [cam], gateway = home_gw }
class plug "Plug" {
  function = monitoring
  profile = SecProf_2
  capabilities = [x509, tls, secure_update, credential_rotation]
}
segment plugs { classes = [plug], subnet = 192.168.10.0/24, gateway = home_gw }
service cam_cloud { address = 203.0.113.80, profile = SecProf_2 }
flow cam -> cam_cloud : tcp/443 { via = home_gw }
flow plug -> cam_cloud : tcp/8883 { via = home_gw }
"#,
    );
    assert_holds(&built);
    let inventory = ward_policy_test::validate::one_thing_of_each(&built.ir);
    assert!(
        inventory["cam"].iter().any(|a| a.starts_with("100.64.")),
        "{inventory:?}"
    );
    let rendered = ward_compiler::emit::nft::ruleset_for_inventory(
        &built.ir,
        &inventory,
        &ward_compiler::emit::nft::Raised::new(),
    );
    let validate = |ruleset: &str| {
        ward_policy_test::validate::validate_firewall(
            &built.ir,
            ruleset,
            Some(&inventory),
            NOW,
            true,
        )
        .expect("validates")
    };
    let whole = validate(&rendered);
    assert!(whole.holds(), "{:#?}", whole.mismatches);
    // The camera's flow is checked on a thing's address: the bundle's ruleset has none.
    let bundle_only =
        ward_policy_test::validate::validate_firewall(&built.ir, &built.ruleset, None, NOW, true)
            .expect("validates");
    assert!(whole.firewall_cells > bundle_only.firewall_cells);
    // Without the drops of a segment's addresses no thing holds yet, the gateway reaches a
    // thing not onboarded: caught, with the address.
    let without: String = rendered
        .lines()
        .filter(|l| !l.contains("the gateway reaches segment `plugs`"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without, rendered);
    let caught = validate(&without);
    let shown: Vec<String> = caught.mismatches.iter().map(|m| m.describe()).collect();
    assert!(
        shown.iter().any(|m| m.starts_with(
            "firewall (one thing of each class onboarded): 192.168.9.1 (home_gw) -> 192.168.10.0 (no endpoint)"
        )),
        "{shown:#?}"
    );
}
