//! Regenerating the firewall ruleset (PASC's m8) for 10,000 onboarded things: reading the
//! inventory from SQLite and rendering the ruleset, whose class sets hold the things'
//! addresses (nftables sets, not one rule per thing). Target: under 200 ms.
//! Run with `cargo bench -p ward-gateway --bench ruleset`.

#[allow(dead_code, reason = "shared with the onboard benchmark")]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use ward_compiler::emit::nft::{Raised, ruleset_for_inventory};
use ward_gateway::store::{Device, Store, now};

fn bench(c: &mut Criterion) {
    let policy = common::policy();
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("state.sqlite")).expect("store");
    let onboarding = serde_json::json!({ "class": "x" });
    for n in 0..10_000 {
        let (class, octet, url) = common::CLASSES[n % common::CLASSES.len()];
        let device = Device {
            id: format!("thing-{n}"),
            class: class.to_string(),
            address: common::address(octet, n / common::CLASSES.len()),
            mud_url: format!("{url}{n}"),
            profile: Some("SecProf_2".into()),
            level: Some(2),
            quarantined: false,
            onboarded_at: now(),
            bundle_revision: "bench".into(),
            raised_profile: None,
        };
        store.add_device(&device, &onboarding).expect("added");
    }
    let inventory = store.inventory().expect("inventory");
    let text = ruleset_for_inventory(&ir, &inventory, &Raised::new());
    eprintln!(
        "ruleset for {} things: {} bytes, {} lines",
        inventory.values().map(Vec::len).sum::<usize>(),
        text.len(),
        text.lines().count()
    );
    let path = dir.path().join("state.nft");
    let mut group = c.benchmark_group("firewall_10k_things");
    group.sample_size(20);
    group.bench_function("read_inventory", |b| b.iter(|| store.inventory()));
    group.bench_function("render", |b| {
        b.iter(|| ruleset_for_inventory(&ir, &inventory, &Raised::new()))
    });
    group.bench_function("regenerate", |b| {
        b.iter(|| {
            let inventory = store.inventory().expect("inventory");
            let text = ruleset_for_inventory(&ir, &inventory, &Raised::new());
            ward_gateway::firewall::write_atomic(&path, &text).expect("written");
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
