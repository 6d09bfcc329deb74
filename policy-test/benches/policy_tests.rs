//! `ward test` on the generated workspace (200 files, 5,000 classes, 20,000 flows) with
//! 1,000 flow assertions (500 declared flows allowed, 500 undeclared pairs denied), each
//! decided on the compiled firewall ruleset and the Cedar policies. Target: under 1 s for
//! the assertions. Compiling the bundle (`ward build`'s work) is measured apart.
//! Run with `cargo bench -p ward-policy-test --bench policy_tests`.

use criterion::{Criterion, criterion_group, criterion_main};
use ward_compiler::Policy;
use ward_policy_test::run::{prepare, run_prepared};

fn bench(c: &mut Criterion) {
    let mut policy = Policy::default();
    for (path, text) in xtask::workspace(200, 5_000) {
        policy.add_file(path, text);
    }
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let mut tests = String::from("test \"a thousand flows\" {\n");
    for flow in ir.flows.iter().step_by(ir.flows.len() / 500).take(500) {
        let port = flow
            .ports
            .first()
            .map(|p| p.describe())
            .unwrap_or_else(|| "tcp/443".into());
        tests.push_str(&format!(
            "  allow flow {} -> {} : {port}\n",
            flow.from, flow.to
        ));
    }
    for n in 0..500 {
        let (a, b) = (
            &ir.classes[n * 7 % ir.classes.len()],
            &ir.classes[(n * 13 + 5) % ir.classes.len()],
        );
        tests.push_str(&format!("  deny flow {} -> {} : tcp/23\n", a.name, b.name));
    }
    tests.push_str("}\n");
    policy.add_file("gen/tests.ward", tests);
    let prepared = prepare(&policy).expect("the workspace builds");
    let report = run_prepared(&policy, &prepared, None).expect("runs");
    assert_eq!(report.cases.len(), 1000);
    eprintln!("{} passed, {} failed", report.passed(), report.failed());
    for case in report.cases.iter().filter(|c| !c.passed).take(3) {
        eprintln!(
            "{}: {} / {} / {:?}",
            case.assertion, case.expected, case.actual, case.decided_by
        );
    }
    let mut group = c.benchmark_group("policy_tests_200_files");
    group.sample_size(10);
    group.bench_function("compile", |b| b.iter(|| prepare(&policy)));
    group.bench_function("1000_flow_assertions", |b| {
        b.iter(|| run_prepared(&policy, &prepared, None))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
