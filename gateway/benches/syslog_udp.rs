//! PAVA end to end over UDP on loopback, in process: the gateway's UDP listener and engine
//! with the home policy's bundle (the standard library's detection rules), and 250 senders at
//! rising rates. For each rate: messages sent, received by the listener (the rest were lost
//! in the kernel's socket buffer), parsed; then a flood at full speed for FLOOD_SECONDS
//! (default 60) with the process's peak memory (VmHWM) and its memory at the end (VmRSS);
//! last, ROUNDS (default 5) rounds of one source flooding at FLOOD_RATE (default 100,000
//! messages of 1 KB a second, the rate that lost a well-behaved thing's messages before each
//! source had its share) while a thing on another address sends 50 reports, each a firing
//! of its own: how many of the thing's messages were lost (target 0) and how long after its
//! last report its last incident was stored (target under 1 s), medians over the rounds.
//! Run with `cargo bench -p ward-gateway --bench syslog_udp`.

#[allow(dead_code, reason = "shared with the other benchmarks")]
mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use ward_gateway::config::FileConfig;
use ward_gateway::runtime::Gateway;

fn memory(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_default()
}

/// Routine lines with one in a thousand that a rule counts, as RFC 5424 datagrams (an
/// incident is a durable write; a mix where every tenth message is an attack measures the
/// disk, not the engine).
fn datagram(n: u64) -> Vec<u8> {
    let body = match n % 1000 {
        0 => format!("sshd 9 - - Failed password for root from 203.0.113.{} port 22 ssh2", n % 200),
        1 => "kernel - - - [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.23 DST=127.0.0.1 LEN=60 PROTO=TCP SPT=40001 DPT=23".to_string(),
        _ => format!("mosquitto 412 - - New client connected from 127.0.0.1 as plug-{} (p2, c1, k60).", n % 50),
    };
    format!("<38>1 2026-11-25T10:00:00.000Z host-{} {body}", n % 7).into_bytes()
}

/// Sends `rate` messages a second for `seconds` from 250 things (loopback addresses
/// 127.0.1.1-250, each within its share of 2,000 a second up to 500,000 in all); returns how
/// many were sent.
fn send(target: std::net::SocketAddr, rate: u64, seconds: f64) -> u64 {
    let sockets: Vec<UdpSocket> = (1..=250)
        .map(|n| UdpSocket::bind(format!("127.0.1.{n}:0")).expect("bind a thing's address"))
        .collect();
    let total = (rate as f64 * seconds) as u64;
    let started = Instant::now();
    let mut sent = 0;
    while sent < total {
        // Pace in slices of a millisecond.
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        while sent < due.min(total) {
            let socket = &sockets[sent as usize % sockets.len()];
            if socket.send_to(&datagram(sent), target).is_ok() {
                sent += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    sent
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && a != "syslog_udp")
    {
        return;
    }
    let flood_seconds: f64 = std::env::var("FLOOD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0);
    let dir = tempfile::tempdir().expect("temp dir");
    // One incident per beacon: the thing's messages that arrive are the incidents counted.
    common::signed_bundle_with(
        dir.path(),
        "detect beacon \"Beacon\" {\n  threat = T8\n  severity = low\n  match syslog { msg = /beacon (?<n>r\\d+ \\d+)/ }\n  when count >= 1 within 1m by n\n  then { report user }\n}\n",
    );
    let config = common::config(
        dir.path(),
        FileConfig {
            syslog_udp: Some("127.0.0.1:0".into()),
            insecure_http: Some(true),
            ..FileConfig::default()
        },
    );
    let runtime = common::runtime();
    let gateway = runtime.block_on(Gateway::start(config)).expect("gateway");
    let target = gateway.syslog.0.expect("UDP listener");
    let received = || {
        gateway
            .pava_status()
            .map(|s| {
                (
                    s.counters.received,
                    s.counters.parsed,
                    serde_json::to_value(&s.counters.dropped).unwrap_or_default(),
                )
            })
            .unwrap_or_default()
    };
    println!(
        "UDP end to end on loopback ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for rate in [25_000u64, 50_000, 100_000, 200_000, 400_000] {
        let (before, parsed_before, _) = received();
        let sent = send(target, rate, 2.0);
        std::thread::sleep(Duration::from_millis(500));
        let (after, parsed_after, dropped) = received();
        let got = after - before;
        println!(
            "  {rate:>7} msg/s for 2 s: sent {sent}, received {got} ({:.2}% lost at the socket), parsed {}; dropped {dropped}",
            100.0 * (sent.saturating_sub(got)) as f64 / sent as f64,
            parsed_after - parsed_before,
        );
    }
    let (before, _, _) = received();
    let started = Instant::now();
    let mut sent = 0u64;
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    while started.elapsed().as_secs_f64() < flood_seconds {
        for _ in 0..1000 {
            if socket.send_to(&datagram(sent), target).is_ok() {
                sent += 1;
            }
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let (after, _, dropped) = received();
    println!(
        "  flood at full speed for {flood_seconds} s: sent {sent} ({:.0} msg/s), received {} ({:.0} msg/s); dropped {dropped}; memory peak {}, now {}",
        sent as f64 / flood_seconds,
        after - before,
        (after - before) as f64 / flood_seconds,
        memory("VmHWM:"),
        memory("VmRSS:"),
    );
    flood_with_a_thing(&gateway, target);
}

/// A flood from one source and a thing's 50 reports from another: (lost, delay) per round.
fn flood_with_a_thing(gateway: &Gateway, target: std::net::SocketAddr) {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rate: f64 = std::env::var("FLOOD_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000.0);
    // Each beacon fires once: as an incident, or as an update of the one its sender's
    // further groups fold into (storms.rs).
    let incidents = || {
        gateway
            .pava_status()
            .map(|s| s.counters.incidents + s.counters.incident_updates)
            .unwrap_or_default()
    };
    let noise = format!("<13>1 - flood noise - - - {}", "x".repeat(1000));
    let mut lost = Vec::new();
    let mut delays = Vec::new();
    for round in 0..rounds {
        let before = incidents();
        let flooding = {
            let noise = noise.clone();
            std::thread::spawn(move || {
                let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
                let started = Instant::now();
                let mut sent = 0u64;
                while started.elapsed() < Duration::from_secs(3) {
                    for _ in 0..100 {
                        if socket.send_to(noise.as_bytes(), target).is_ok() {
                            sent += 1;
                        }
                    }
                    let due = Duration::from_secs_f64(sent as f64 / rate);
                    if let Some(ahead) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(ahead);
                    }
                }
                sent
            })
        };
        std::thread::sleep(Duration::from_millis(500));
        let thing = UdpSocket::bind("127.0.0.2:0").expect("bind the thing's address");
        for n in 0..50 {
            let report = format!("<38>1 - thing app - - - beacon r{round} {n}");
            let _ = thing.send_to(report.as_bytes(), target);
            std::thread::sleep(Duration::from_millis(20));
        }
        let last_sent = Instant::now();
        let mut delay = None;
        while last_sent.elapsed() < Duration::from_secs(5) {
            if incidents() - before >= 50 {
                delay = Some(last_sent.elapsed());
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        let flood_sent = flooding.join().unwrap_or(0);
        std::thread::sleep(Duration::from_millis(300));
        let arrived = incidents() - before;
        println!(
            "  round {round}: flood of {flood_sent} datagrams ({:.0}/s); the thing's reports: {arrived} of 50 arrived, last incident {}",
            flood_sent as f64 / 3.0,
            delay.map_or("not within 5 s".to_string(), |d| format!(
                "{:.1} ms after its last report",
                d.as_secs_f64() * 1000.0
            ))
        );
        lost.push(50 - arrived.min(50));
        delays.push(delay.unwrap_or(Duration::from_secs(5)));
    }
    lost.sort_unstable();
    delays.sort_unstable();
    println!(
        "  flood with a thing, medians over {rounds} rounds: lost {} of 50 (worst {}), last incident {:.1} ms after the last report (worst {:.1} ms)",
        lost[rounds / 2],
        lost[rounds - 1],
        delays[rounds / 2].as_secs_f64() * 1000.0,
        delays[rounds - 1].as_secs_f64() * 1000.0,
    );
}
