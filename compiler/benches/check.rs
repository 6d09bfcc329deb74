//! Benchmarks of `ward check`'s engine, with the standard library:
//! - a generated policy of 50,000 lines in one file: parse + resolve (target: under 100 ms on
//!   a 2-core machine), and parse + resolve + every semantic check;
//! - the generated workspace of 200 files, 5,000 classes, 500 segments and 20,000 flows, cold
//!   (target: under 1 s), and doubled (target: at most 2.3 times the cold time);
//! - re-checking that workspace after editing one file (target: under 20 ms, salsa).
//!
//! Run with `cargo bench -p ward-compiler`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ward_compiler::Policy;

fn load(files: &[(String, String)]) -> Policy {
    let mut policy = Policy::default();
    for (path, text) in files {
        policy.add_file(path.clone(), text.clone());
    }
    policy
}

fn single_file(c: &mut Criterion) {
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
    group.bench_function("parse_resolve", |b| {
        b.iter(|| {
            let mut policy = Policy::default();
            policy.add_file("gen.ward", text.clone());
            policy.check_names()
        })
    });
    group.bench_function("parse_resolve_check", |b| {
        b.iter(|| {
            let mut policy = Policy::default();
            policy.add_file("gen.ward", text.clone());
            policy.check()
        })
    });
    group.finish();
}

fn workspace(c: &mut Criterion) {
    let mut group = c.benchmark_group("workspace");
    group.sample_size(10);
    for (name, files, classes) in [
        ("cold_200_files", 200, 5_000),
        ("cold_400_files", 400, 10_000),
    ] {
        let generated = xtask::workspace(files, classes);
        let result = load(&generated).check();
        assert!(
            result.diagnostics.is_empty(),
            "{:?}",
            result.diagnostics.first()
        );
        group.bench_function(name, |b| {
            b.iter_batched(
                || generated.clone(),
                |g| load(&g).check(),
                BatchSize::LargeInput,
            )
        });
    }

    // Edit one file back and forth: each check sees a real change.
    let generated = xtask::workspace(200, 5_000);
    let mut policy = load(&generated);
    policy.check();
    let file = policy.user_files()[100];
    let original = generated[100].1.clone();
    let edited = original.replacen("udp/514", "udp/6514 // syslog over TLS", 1);
    let mut flip = false;
    group.sample_size(50);
    group.bench_function("recheck_after_editing_one_file", |b| {
        b.iter(|| {
            flip = !flip;
            policy.set_text(
                file,
                if flip {
                    edited.clone()
                } else {
                    original.clone()
                },
            );
            policy.check()
        })
    });
    group.finish();
}

criterion_group!(benches, single_file, workspace);
criterion_main!(benches);
