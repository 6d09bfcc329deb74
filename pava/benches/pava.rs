//! PAVA's engine in process: parsing and matching a realistic mix of RFC 5424 lines against
//! 20 detection rules (the standard library's 5 and 15 of a policy), on one core. Target: at
//! least 500,000 messages per second. Run with `cargo bench -p ward-pava --bench pava`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ward_compiler::Policy;
use ward_pava::engine::{DEFAULT_MAX_GROUPS, Engine, Sender};
use ward_pava::syslog::parse;

/// Fifteen rules of a policy: per-app failures, counts by host, severity filters.
fn policy_rules() -> String {
    let mut text = String::new();
    let apps = ["mosquitto", "nginx", "hostapd", "dnsmasq", "ntpd"];
    for (n, app) in apps.iter().enumerate() {
        text.push_str(&format!(
            "detect {app}_denied \"{app} denials\" {{\n  threat = T5\n  severity = medium\n  \
             match syslog {{ app = /^{app}$/, msg = /(denied|refused|not authorized).* (?<peer>\\d+\\.\\d+\\.\\d+\\.\\d+)/ }}\n  \
             when count >= {} within 1m by peer\n  then {{ report user }}\n}}\n\n",
            3 + n
        ));
        text.push_str(&format!(
            "detect {app}_crash \"{app} crashes\" {{\n  threat = T22\n  severity = high\n  \
             match syslog {{ app = /^{app}$/, msg = /(segfault|core dumped|watchdog timeout)/ }}\n  \
             when count >= 2 within 10m by host\n  then {{ report user, manufacturer }}\n}}\n\n"
        ));
        text.push_str(&format!(
            "detect {app}_tls \"{app} TLS failures\" {{\n  threat = T7\n  severity = medium\n  \
             match syslog {{ app = /^{app}$/, msg = /(certificate verify failed|handshake failure|unknown ca)/i }}\n  \
             when count >= 10 within 5m by host\n  then {{ report user }}\n}}\n\n"
        ));
    }
    text
}

/// A day of a small site: mostly routine lines, some that match a rule, a few that fire.
fn lines() -> Vec<String> {
    let routine = [
        "mosquitto 412 - - New client connected from 192.168.3.10 as plug-3 (p2, c1, k60).",
        "nginx 77 ACCESS [req@32473 method=\"GET\" status=\"200\"] 192.168.6.20 GET /api/v1/state 200 512",
        "hostapd 90 - - wlan0: STA aa:bb:cc:dd:ee:ff IEEE 802.11: associated (aid 3)",
        "dnsmasq 55 - - query[A] update.cameras.example from 192.168.2.11",
        "ntpd 80 - - adjusting local clock by 0.000213s",
        "systemd 1 - - Started Daily apt download activities.",
        "sshd 811 - - Accepted publickey for admin from 192.168.6.20 port 51004 ssh2",
        "kernel - - - wlan0: link becomes ready",
    ];
    let matching = [
        "sshd 905 - - Failed password for root from 203.0.113.7 port 40140 ssh2",
        "mosquitto 412 - - Connection from 198.51.100.3 denied: not authorized.",
        "nginx 77 - - SSL_do_handshake() failed (SSL: error:0A000412:SSL routines::sslv3 alert bad certificate: handshake failure) from 192.0.2.8",
        "kernel - - - [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.23 DST=192.168.3.10 LEN=60 PROTO=TCP SPT=40001 DPT=23",
    ];
    let mut out = Vec::new();
    for n in 0..10_000 {
        let body = if n % 10 < 8 {
            routine[n % routine.len()]
        } else {
            matching[n % matching.len()]
        };
        let secs = n / 4;
        out.push(format!(
            "<38>1 2026-11-25T{:02}:{:02}:{:02}.{:03}Z host-{} {body}",
            10 + secs / 3600,
            secs / 60 % 60,
            secs % 60,
            n % 1000,
            n % 7
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut policy = Policy::default();
    policy.add_file("rules.ward", policy_rules());
    let errors = policy.check();
    assert!(!errors.has_errors(), "{:?}", errors.diagnostics);
    let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
    assert_eq!(ir.detections.len(), 20);
    let lines = lines();
    let mut group = c.benchmark_group("pava_engine");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|l| parse(l.as_bytes(), 2026).is_ok())
                .count()
        })
    });
    group.bench_function("parse_and_match_20_rules", |b| {
        let mut engine = Engine::new(&ir.detections, DEFAULT_MAX_GROUPS).expect("engine");
        let mut fired = Vec::new();
        b.iter(|| {
            for line in &lines {
                if let Ok(message) = parse(line.as_bytes(), 2026) {
                    engine.feed(&message, line, 0, Sender::Unattributed, &mut fired);
                }
            }
            fired.clear();
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
