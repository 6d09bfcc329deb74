//! `ward analyze`: redundant flows, flows that never carry traffic, reach and climbing paths,
//! on a small plant written for it (tests/fixtures/analyze/plant.ward).

use ward_compiler::Policy;
use ward_compiler::analyze::analyze;
use ward_compiler::ir::build_ir;

/// 2026-12-02, 00:00 UTC.
const NOW: i64 = 1_796_169_600;

fn plant() -> ward_compiler::ir::PolicyIr {
    let mut policy = Policy::default();
    policy.add_file(
        "plant.ward",
        include_str!("../../tests/fixtures/analyze/plant.ward"),
    );
    policy.set_now(NOW);
    assert!(!policy.check().has_errors(), "the plant checks clean");
    build_ir(policy.db(), policy.workspace())
}

#[test]
fn a_flow_inside_a_wider_one_is_redundant_and_the_wider_is_not() {
    let analysis = analyze(&plant(), NOW, &[]);
    let redundant: Vec<&str> = analysis
        .flows
        .iter()
        .filter(|f| f.kind == "redundant")
        .map(|f| f.flow.as_str())
        .collect();
    assert_eq!(redundant, ["`low -> historian : tcp/443` (plant.ward:22)"]);
    let why = &analysis.flows[0].why;
    assert!(
        why.contains("`low -> historian : tcp/400-500` (plant.ward:23)"),
        "{why}"
    );
}

#[test]
fn flows_without_a_place_or_past_their_end_carry_nothing() {
    let analysis = analyze(&plant(), NOW, &[]);
    let dead: Vec<(&str, &str)> = analysis
        .flows
        .iter()
        .filter(|f| f.kind == "dead")
        .map(|f| (f.flow.as_str(), f.why.as_str()))
        .collect();
    assert_eq!(
        dead,
        [
            (
                "`high -> historian : tcp/22` (plant.ward:28)",
                "it ended on 2026-06-30"
            ),
            (
                "`low -> ghost : tcp/8443` (plant.ward:27)",
                "`ghost` has neither an address nor a host name"
            ),
        ]
    );
    // A class whose segment has no subnet (a MUD import's) carries traffic once its things
    // are onboarded: the gateway's ruleset lists their addresses.
    assert!(!analysis.flows.iter().any(|f| f.flow.contains("floating")));
    // Before its end the flow carries traffic.
    let earlier = analyze(&plant(), NOW - 200 * 86_400, &[]);
    assert!(!earlier.flows.iter().any(|f| f.flow.contains("tcp/22")));
}

#[test]
fn a_thing_reaches_through_its_gateway_and_the_climb_is_found() {
    let analysis = analyze(&plant(), NOW, &["low".to_string()]);
    let reach = &analysis.reach[0];
    let reached: Vec<(&str, usize)> = reach
        .reached
        .iter()
        .map(|p| (p.endpoints.last().map_or("", String::as_str), p.flows.len()))
        .collect();
    assert_eq!(
        reached,
        [("ghost", 1), ("historian", 1), ("hub", 1), ("high", 2)]
    );
    assert_eq!(analysis.climbs.len(), 1, "{:#?}", analysis.climbs);
    let climb = &analysis.climbs[0];
    assert_eq!((climb.from_level, climb.to_level), (2, 3));
    assert_eq!(climb.path.endpoints, ["low", "hub", "high"]);
    // Without the gateway's flow to the actuator, nothing climbs.
    let mut ir = plant();
    ir.flows.retain(|f| f.to != "high");
    // A clone: the IR's lookup index is built from its fields on first use.
    let ir = ir.clone();
    assert!(analyze(&ir, NOW, &[]).climbs.is_empty());
}

/// The firewall decides by address: `meter` shares `low`'s segment, so `low`'s flows let the
/// meter's packets through too, where no flow of the meter's own allows them (its own
/// `meter -> historian : tcp/443` covers that port, which is not reported).
#[test]
fn flows_of_a_class_widen_to_the_other_classes_of_its_segment() {
    let analysis = analyze(&plant(), NOW, &[]);
    let widened: Vec<(&str, &str)> = analysis
        .flows
        .iter()
        .filter(|f| f.kind == "widened")
        .map(|f| (f.flow.as_str(), f.why.as_str()))
        .collect();
    assert_eq!(widened.len(), 2, "{widened:#?}");
    assert_eq!(
        widened[0].0,
        "`low -> historian : tcp/400-500` (plant.ward:23)"
    );
    assert!(
        widened[0]
            .1
            .contains("`meter -> historian` passes the firewall too (tcp/400, e.g.)")
            && widened[0]
                .1
                .contains("`meter` shares segment `lows` with `low`"),
        "{}",
        widened[0].1
    );
    assert_eq!(widened[1].0, "`low -> hub : udp/514` (plant.ward:20)");
    // A flow that carries nothing (`low -> ghost`) widens nothing.
    assert!(widened.iter().all(|(flow, _)| !flow.contains("ghost")));
}

/// The example is found on the cells cut by both classes' flows: a meter allowed port 400
/// alone is still widened to 401-500 by the sensor's range.
#[test]
fn a_widening_is_found_beside_a_narrower_own_flow() {
    let text = include_str!("../../tests/fixtures/analyze/plant.ward").replace(
        "flow meter -> historian : tcp/443 { via = hub }",
        "flow meter -> historian : tcp/400 { via = hub }\nflow meter -> historian : tcp/443 { via = hub }",
    );
    let mut policy = Policy::default();
    policy.add_file("plant.ward", text);
    policy.set_now(NOW);
    assert!(!policy.check().has_errors());
    let analysis = analyze(&build_ir(policy.db(), policy.workspace()), NOW, &[]);
    let range = analysis
        .flows
        .iter()
        .find(|f| f.kind == "widened" && f.flow.contains("tcp/400-500"))
        .expect("the range is still widened");
    assert!(range.why.contains("(tcp/401, e.g.)"), "{}", range.why);
}
