//! Translation validation of the generated workspace (200 files, 5,000 classes, 5,000
//! segments, 20,000 flows): the compiled firewall on every pair of places that can disagree
//! and Cedar on every request a permit or flow names; and, apart, each of the firewall's two
//! passes (the bundle's ruleset; the ruleset rendered with one thing of each class onboarded).
//! Compiling the bundle is measured by the bundle bench. Run with
//! `cargo bench -p ward-policy-test --bench validate`.

use criterion::{Criterion, criterion_group, criterion_main};
use ward_compiler::Policy;
use ward_compiler::emit::{self, BuildOptions};
use ward_policy_test::validate::{
    Compiled, one_thing_of_each, texts_of, validate, validate_firewall,
};

fn bench(c: &mut Criterion) {
    let mut policy = Policy::default();
    for (path, text) in xtask::workspace(200, 5_000) {
        policy.add_file(path, text);
    }
    let bundle =
        emit::build(policy.db(), policy.workspace(), BuildOptions::default()).expect("builds");
    let [ruleset, cedar, schema] = texts_of(&bundle);
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let compiled = Compiled {
        ruleset: &ruleset,
        cedar_policies: &cedar,
        cedar_schema: &schema,
    };
    let started = std::time::Instant::now();
    let validation = validate(&ir, &compiled, policy.now()).expect("validates");
    eprintln!(
        "one run: {:?}; {} cells between {} pairs, {} Cedar requests, {} mismatches",
        started.elapsed(),
        validation.firewall_cells,
        validation.firewall_pairs,
        validation.cedar_requests,
        validation.mismatches.len() + validation.more
    );
    for mismatch in validation.mismatches.iter().take(5) {
        eprintln!("  {}", mismatch.describe());
    }
    assert!(validation.holds());
    let mut group = c.benchmark_group("validate_5000_classes");
    group.sample_size(10);
    group.bench_function("firewall_and_cedar", |b| {
        b.iter(|| validate(&ir, &compiled, policy.now()))
    });
    group.bench_function("firewall_bundle_ruleset", |b| {
        b.iter(|| validate_firewall(&ir, &ruleset, None, policy.now(), false))
    });
    let inventory = one_thing_of_each(&ir);
    let rendered = ward_compiler::emit::nft::ruleset_for_inventory(
        &ir,
        &inventory,
        &ward_compiler::emit::nft::Raised::new(),
    );
    group.bench_function("firewall_onboarded_ruleset", |b| {
        b.iter(|| validate_firewall(&ir, &rendered, Some(&inventory), policy.now(), false))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
