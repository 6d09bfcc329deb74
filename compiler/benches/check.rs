//! Parse + resolve + check of a generated policy of 50,000 lines, with the standard library.
//! Target (issue: the ward language): under 100 ms on a 2-core machine.
//! Run with `cargo bench -p ward-compiler`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ward_compiler::Policy;

fn bench(c: &mut Criterion) {
    let text = xtask::policy(50_000);
    let mut group = c.benchmark_group("policy_50k_lines");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    {
        let mut policy = Policy::default();
        policy.add_file("gen.ward", text.clone());
        let result = policy.check();
        assert!(
            result.diagnostics.is_empty(),
            "{:?}",
            result.diagnostics.first()
        );
    }
    group.bench_function("parse_resolve_check", |b| {
        b.iter(|| {
            let mut policy = Policy::default();
            policy.add_file("gen.ward", text.clone());
            policy.check()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
