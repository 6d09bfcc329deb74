//! Parse and format a generated policy of 50,000 lines (about 1.6 MB); criterion reports the
//! throughput in MB/s. Run with `cargo bench -p ward-lang`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let text = xtask::policy(50_000);
    assert!(
        !ward_lang::parse(&text).has_errors(),
        "the generated policy parses"
    );
    let mut group = c.benchmark_group("policy_50k_lines");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("parse", |b| b.iter(|| ward_lang::parse(&text)));
    group.bench_function("format", |b| b.iter(|| ward_lang::format(&text)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
