//! `ward diff` of two versions of the generated workspace (200 files, 5,000 classes, 20,000
//! flows) that differ in 100 flows: 50 port ranges widened by a few ports, 25 flows removed
//! and 25 split in two without changing their traffic (rewrites). In process, from the two
//! IRs (reading the bundles is measured by the bundle bench). Run with
//! `cargo bench -p ward-compiler --bench diff`.

use criterion::{Criterion, criterion_group, criterion_main};
use ward_compiler::Policy;
use ward_compiler::ir::{PolicyIr, build_ir};

/// 2026-12-02, 00:00 UTC.
const NOW: i64 = 1_796_169_600;

fn ir(files: &[(String, String)]) -> PolicyIr {
    let mut policy = Policy::default();
    for (path, text) in files {
        policy.add_file(path.clone(), text.clone());
    }
    build_ir(policy.db(), policy.workspace())
}

/// The workspace with 100 flows changed: every 50th class's `gw -> c : udp/5683-5684`
/// widened, removed or split.
fn changed(files: &[(String, String)]) -> Vec<(String, String)> {
    let mut n = 0;
    files
        .iter()
        .map(|(path, text)| {
            let mut out = String::with_capacity(text.len());
            for line in text.lines() {
                if line.starts_with("flow ") && line.ends_with(": udp/5683-5684") {
                    n += 1;
                    if n % 50 == 0 {
                        match (n / 50) % 4 {
                            0 | 1 => out.push_str(&line.replace("5683-5684", "5683-5690")),
                            2 => {}
                            _ => {
                                out.push_str(&line.replace("5683-5684", "5683"));
                                out.push('\n');
                                out.push_str(&line.replace("5683-5684", "5684"));
                            }
                        }
                        out.push('\n');
                        continue;
                    }
                }
                out.push_str(line);
                out.push('\n');
            }
            (path.clone(), out)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let generated = xtask::workspace(200, 5_000);
    let old = ir(&generated);
    let new = ir(&changed(&generated));
    let changes = ward_compiler::diff::diff(&old, &new, NOW);
    let count = |kind: &str| changes.iter().filter(|c| c.change == kind).count();
    eprintln!(
        "{} flows -> {} flows: {} widened, {} narrowed, {} rewritten",
        old.flows.len(),
        new.flows.len(),
        count("widened"),
        count("narrowed"),
        count("rewritten")
    );
    assert_eq!(count("widened"), 50, "{changes:#?}");
    assert_eq!(count("narrowed"), 25);
    assert_eq!(count("rewritten"), 25);
    let mut group = c.benchmark_group("diff_5000_classes");
    group.sample_size(10);
    group.bench_function("100_flows_changed", |b| {
        b.iter(|| ward_compiler::diff::diff(&old, &new, NOW))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
