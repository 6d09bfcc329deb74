//! PAVA under a flood: one unauthenticated source sends more than the engine takes, and a
//! thing on another address loses none of its messages (each source's share, quota.rs). A
//! test binary of its own: cargo runs test binaries one at a time, so no other test competes
//! with the flood for the CPU (the kernel drops datagrams of every source alike when the
//! listener falls behind, which no quota can help).

#[path = "support/cli.rs"]
mod cli;
#[path = "support/gateway.rs"]
#[allow(dead_code, reason = "the MUD mirror is for tests/gateway.rs")]
mod gateway_client;

use std::time::{Duration, Instant};

use cli::{gateway_args, signed_home_bundle_with};
use gateway_client::start;

#[test]
fn a_flood_from_one_source_does_not_push_out_another_things_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    signed_home_bundle_with(
        dir.path(),
        "detect beacon \"Fifty beacons\" {\n  threat = T8\n  severity = low\n  match syslog { msg = /beacon/ }\n  when count >= 50 within 1m\n  then { report user }\n}\n",
    );
    let gw = start(dir.path(), &gateway_args(&["--syslog-udp", "127.0.0.1:0"]))
        .expect("the gateway starts");
    let target = gw.syslog_udp.expect("UDP listener");
    // One unauthenticated source floods for four seconds with messages of a kilobyte, more
    // than the engine takes, so its queue would fill (without the source's quota, the
    // thing's messages are lost and this test fails).
    let noise = format!("<13>1 - flood noise - - - {}", "x".repeat(1000));
    let floods: Vec<_> = (0..1)
        .map(|_| {
            let noise = noise.clone();
            std::thread::spawn(move || {
                let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
                // 100,000 a second: more than the engine takes, less than the listener
                // drains (past that the kernel drops datagrams of every source alike).
                let started = Instant::now();
                let mut sent = 0u64;
                while started.elapsed() < Duration::from_secs(4) {
                    for _ in 0..1000 {
                        if socket.send_to(noise.as_bytes(), target).is_ok() {
                            sent += 1;
                        }
                    }
                    let due = Duration::from_secs_f64(sent as f64 / 100_000.0);
                    if let Some(ahead) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(ahead);
                    }
                }
                sent
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // A thing on another address sends its fifty messages during the flood.
    let thing = std::net::UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    for n in 0..50 {
        let message = format!("<13>1 2026-12-01T10:00:00Z sensor-2 app - - - beacon {n}");
        thing.send_to(message.as_bytes(), target).expect("sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    let last = Instant::now();
    // All fifty counted: the rule fires, within a second of the last.
    let fired = || {
        gw.http("GET", "/v1/incidents", None).1["incidents"]
            .as_array()
            .is_some_and(|all| all.iter().any(|i| i["rule"] == "beacon"))
    };
    while !fired() {
        assert!(
            last.elapsed() < Duration::from_secs(10),
            "no beacon incident: {}",
            gw.http("GET", "/v1/pava", None).1
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let delay = last.elapsed();
    let sent: u64 = floods.into_iter().map(|f| f.join().expect("flood")).sum();
    assert!(
        delay < Duration::from_secs(1),
        "incident {delay:?} after the last message"
    );
    let (_, pava) = gw.http("GET", "/v1/pava", None);
    let thing_drops = &pava["dropped_by_source"]["127.0.0.2"];
    assert!(
        thing_drops.is_null(),
        "the thing lost messages: {thing_drops}"
    );
    assert!(
        pava["dropped_by_source"]["127.0.0.1"]["over-quota"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{sent} sent by the flood: {pava}"
    );
}
