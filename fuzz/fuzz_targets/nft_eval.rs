//! The nftables evaluator of `ward test` on rulesets of the emitted subset, written from the
//! fuzzer's choices, and on arbitrary text: no panic, whatever it reads; every packet gets a
//! verdict from a ruleset it accepted.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ward_policy_test::nft_eval::{Packet, Ruleset};

#[derive(Arbitrary, Debug)]
enum Piece {
    Set(u8, bool, Vec<(u8, u8, Option<u8>)>),
    Saddr(u8, bool),
    Daddr(u8, bool),
    Literal(bool, u8, u8),
    Dport(bool, u16, u16),
    Sport(u16),
    Proto(u8),
    CtState(u8),
    Iif,
    Fib,
    Icmpv6,
    Meter(u8),
    Counter,
    Accept,
    Drop,
    Comment(String),
    Raw(String),
}

fn text_of(pieces: &[Piece]) -> String {
    let mut sets = String::new();
    let mut rule = String::new();
    for piece in pieces {
        match piece {
            Piece::Set(n, v6, elements) => {
                let kind = if *v6 { "ipv6_addr" } else { "ipv4_addr" };
                let items: Vec<String> = elements
                    .iter()
                    .map(|(a, b, len)| {
                        let address = if *v6 {
                            format!("fd00:{a:x}::{b:x}")
                        } else {
                            format!("10.{a}.{b}.0")
                        };
                        match len {
                            Some(len) => format!("{address}/{}", len % if *v6 { 129 } else { 33 }),
                            None => address,
                        }
                    })
                    .collect();
                sets.push_str(&format!(
                    "  set e{}_s{n} {{\n    type {kind}\n    flags interval\n    elements = {{ {} }}\n  }}\n",
                    if *v6 { 6 } else { 4 },
                    items.join(", ")
                ));
            }
            // The high bit negates (`ip daddr != @set`, `internet`'s guard), keeping the
            // corpus's encoding.
            Piece::Saddr(n, v6) => rule.push_str(&format!(
                "{} saddr {}@e{}_s{} ",
                if *v6 { "ip6" } else { "ip" },
                if n & 0x80 != 0 { "!= " } else { "" },
                if *v6 { 6 } else { 4 },
                n & 0x7f
            )),
            Piece::Daddr(n, v6) => rule.push_str(&format!(
                "{} daddr {}@e{}_s{} ",
                if *v6 { "ip6" } else { "ip" },
                if n & 0x80 != 0 { "!= " } else { "" },
                if *v6 { 6 } else { 4 },
                n & 0x7f
            )),
            Piece::Literal(source, a, b) => rule.push_str(&format!(
                "ip {} 10.{a}.{b}.1 ",
                if *source { "saddr" } else { "daddr" }
            )),
            Piece::Dport(tcp, lo, hi) => rule.push_str(&format!(
                "{} dport {lo}-{hi} ",
                if *tcp { "tcp" } else { "udp" }
            )),
            Piece::Sport(port) => rule.push_str(&format!("udp sport {port} ")),
            Piece::Proto(n) => rule.push_str(&format!(
                "meta l4proto {} ",
                ["tcp", "udp", "icmp", "ipv6-icmp"][usize::from(*n) % 4]
            )),
            Piece::CtState(n) => rule.push_str(&format!(
                "ct state {} ",
                ["new", "established,related", "invalid"][usize::from(*n) % 3]
            )),
            Piece::Iif => rule.push_str("iifname \"lo\" "),
            Piece::Fib => rule.push_str("fib saddr . iif oif missing "),
            Piece::Icmpv6 => rule.push_str(
                "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 ",
            ),
            Piece::Meter(n) => rule.push_str(&format!(
                "udp dport 514 add @m{n} {{ ip saddr limit rate over 2000/second burst 4000 packets }} "
            )),
            Piece::Counter => rule.push_str("counter "),
            Piece::Accept => rule.push_str("accept\n    "),
            Piece::Drop => rule.push_str("drop\n    "),
            Piece::Comment(text) => rule.push_str(&format!("comment \"{}\" ", text.replace('"', "'"))),
            Piece::Raw(text) => rule.push_str(text),
        }
    }
    format!(
        "table inet ward {{\n{sets}  chain forward {{\n    type filter hook forward priority filter; policy drop;\n    {rule}\n  }}\n}}\n"
    )
}

#[derive(Arbitrary, Debug)]
struct Input {
    pieces: Vec<Piece>,
    raw: String,
    packets: Vec<(bool, [u8; 4], [u8; 4], u8, u16)>,
}

fuzz_target!(|input: Input| {
    let _ = Ruleset::parse(&input.raw);
    let Ok(ruleset) = Ruleset::parse(&text_of(&input.pieces)) else {
        return;
    };
    for (v6, from, to, protocol, port) in input.packets.iter().take(8) {
        let address = |b: &[u8; 4]| -> std::net::IpAddr {
            if *v6 {
                format!("fd00:{:x}::{:x}", b[0], b[1]).parse().expect("v6")
            } else {
                std::net::IpAddr::from(*b)
            }
        };
        let packet = Packet {
            source: Some(address(from)),
            destination: Some(address(to)),
            source_endpoint: Some(format!("s{}", from[3])),
            destination_endpoint: Some(format!("s{}", to[3])),
            v6: *v6,
            protocol: ["tcp", "udp", "icmp", "ipv6-icmp"][usize::from(*protocol) % 4].to_string(),
            port: Some(*port),
            time: 0,
        };
        let verdict = ruleset.decide("forward", &packet);
        assert!(verdict.is_ok(), "no verdict: {verdict:?}");
    }
});
