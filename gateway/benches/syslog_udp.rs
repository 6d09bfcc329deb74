//! PAVA end to end over UDP on loopback, in process: the gateway's UDP listener and engine
//! with the home policy's bundle (the standard library's detection rules), and senders at
//! rising rates. For each rate: messages sent, received by the listener (the rest were lost
//! in the kernel's socket buffer), parsed; then a flood at full speed for FLOOD_SECONDS
//! (default 60) with the process's peak memory (VmHWM) and its memory at the end (VmRSS).
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

/// Sends `rate` messages a second for `seconds`; returns how many were sent.
fn send(target: std::net::SocketAddr, rate: u64, seconds: f64) -> u64 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let total = (rate as f64 * seconds) as u64;
    let started = Instant::now();
    let mut sent = 0;
    while sent < total {
        // Pace in slices of a millisecond.
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        while sent < due.min(total) {
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
    common::signed_bundle(dir.path());
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
}
