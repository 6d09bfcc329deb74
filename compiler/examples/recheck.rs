//! Times a re-check after editing one file of the generated workspace, and lists the queries
//! salsa re-executed: `cargo run --release -p ward-compiler --example recheck`.
use ward_compiler::{Policy, RootDatabase};

fn main() {
    let generated = xtask::workspace(200, 5_000);
    let (db, log) = RootDatabase::with_event_log();
    let mut policy = Policy::new(db);
    for (path, text) in &generated {
        policy.add_file(path.clone(), text.clone());
    }
    let start = std::time::Instant::now();
    policy.check();
    eprintln!("cold: {:?}", start.elapsed());
    log.take_executed();
    let file = policy.user_files()[100];
    let edited = generated[100]
        .1
        .replacen("udp/514", "udp/6514 // syslog over TLS", 1);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for round in 0..rounds {
        let text = if round % 2 == 0 {
            edited.clone()
        } else {
            generated[100].1.clone()
        };
        policy.set_text(file, text);
        let start = std::time::Instant::now();
        policy.check();
        let elapsed = start.elapsed();
        let events = log.take_executed();
        let mut counts = std::collections::BTreeMap::new();
        for e in &events {
            *counts
                .entry(e.split('(').next().unwrap_or("").to_string())
                .or_insert(0) += 1;
        }
        if round < 3 {
            eprintln!("recheck: {elapsed:?}, executed {counts:?}");
        }
    }
}
