//! Building and verifying the bundle of the generated workspace (200 files, 5,000 classes,
//! 500 segments, 20,000 flows), in process: no file system. Targets (issue: policy bundles):
//! `ward build` under 2 s, `ward verify` under 50 ms (`verify`; `load_signed` also keeps the
//! files, as a gateway does). Run with `cargo bench -p ward-compiler
//! --bench bundle`; it also prints the bundle's sizes (JSON vs CBOR).

use criterion::{Criterion, criterion_group, criterion_main};
use ward_compiler::Policy;
use ward_compiler::bundle::sign;
use ward_compiler::emit::{self, BuildOptions};

fn bench(c: &mut Criterion) {
    let generated = xtask::workspace(200, 5_000);
    let load = || {
        let mut policy = Policy::default();
        for (path, text) in &generated {
            policy.add_file(path.clone(), text.clone());
        }
        policy
    };
    let policy = load();
    let bundle = emit::build(policy.db(), policy.workspace(), BuildOptions::default())
        .unwrap_or_else(|e| panic!("the generated workspace builds: {e:?}"));
    let size = |suffix: &str| -> usize {
        bundle
            .files
            .iter()
            .filter(|(p, _)| p.starts_with("devices/") && p.ends_with(suffix))
            .map(|(_, b)| b.len())
            .sum()
    };
    let (private, public) = sign::generate_key().expect("key");
    let key = sign::signing_key(&private).expect("key");
    let public = sign::verifying_key(&public).expect("key");
    let signed = sign::sign(&bundle, &key, 1).expect("signed");
    let total: usize = bundle.files.values().map(Vec::len).sum();
    eprintln!(
        "bundle: {} files, {} bytes; devices JSON {} bytes, CBOR {} bytes ({:.0}%); pava rules JSON {} / CBOR {}; signed bundle.cbor {} bytes",
        bundle.files.len(),
        total,
        size(".json"),
        size(".cbor"),
        100.0 * size(".cbor") as f64 / size(".json") as f64,
        bundle.files["pava/rules.json"].len(),
        bundle.files["pava/rules.cbor"].len(),
        signed.len()
    );

    let mut group = c.benchmark_group("bundle_200_files");
    group.sample_size(10);
    group.bench_function("check_and_build", |b| {
        b.iter_batched(
            load,
            |policy| emit::build(policy.db(), policy.workspace(), BuildOptions::default()),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("sign", |b| b.iter(|| sign::sign(&bundle, &key, 1)));
    group.bench_function("verify", |b| {
        b.iter(|| sign::verify_signed(&signed, &public))
    });
    group.bench_function("load_signed", |b| {
        b.iter(|| sign::load_signed(&signed, &public))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
