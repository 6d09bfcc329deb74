//! What a MUD file asks for beyond what its class grants. The class's flows win: the thing
//! gets the class's configuration, and each ACE asking for more is reported (RFC 8520 leaves
//! the final word to the network's policy: section 1.6, "the MUD controller may choose").

use serde::Serialize;
use ward_compiler::ir::{FlowIr, PolicyIr, PortIr};
use ward_compiler::prefix::Prefix;

use crate::mud::MudFile;
use crate::mud::flows::{Peer, is_reply, mud_flows};

/// One ACE the class does not grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Excess {
    pub ace: String,
    /// What it asks, in ward's words: `to devs.tplinkcloud.com : tcp/50443`.
    pub asks: String,
    pub reason: String,
}

/// A port text of `flows::port_text` (`tcp/443`, `udp/5683-5684`, `tcp`, `icmp`), as a
/// protocol and an inclusive range (None: any port).
fn parse_ports(text: &str) -> (String, Option<(u16, u16)>) {
    let Some((protocol, ports)) = text.split_once('/') else {
        return (text.to_string(), None);
    };
    let range = match ports.split_once('-') {
        Some((lo, hi)) => lo.parse().ok().zip(hi.parse().ok()),
        None => ports.parse().ok().map(|p| (p, p)),
    };
    (protocol.to_string(), range)
}

/// Whether the flow's ports cover what the ACE asks (None: any protocol).
fn covers(granted: &[PortIr], asked: Option<&str>) -> bool {
    if granted.is_empty() {
        return true;
    }
    let Some(asked) = asked else { return false };
    let (protocol, range) = parse_ports(asked);
    granted.iter().any(|port| {
        (port.protocol == protocol || port.protocol == "any")
            && match (port.ports, range) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some((lo, hi)), Some((alo, ahi))) => lo <= alo && ahi <= hi,
            }
    })
}

/// Whether an address or prefix of the policy contains the MUD's network.
fn contains(prefix: Prefix, network: &str) -> bool {
    Prefix::parse(network).is_some_and(|inner| prefix.contains(inner))
}

/// Whether endpoint `name` of the policy is the MUD's peer.
fn is_peer(ir: &PolicyIr, name: &str, peer: &Peer) -> bool {
    let Some(endpoint) = ir.endpoint(name) else {
        return false;
    };
    match peer {
        Peer::Gateway => endpoint.kind == "gateway",
        Peer::Host(host) => endpoint
            .host
            .as_deref()
            .is_some_and(|h| h.trim_end_matches('.').eq_ignore_ascii_case(host)),
        Peer::Network(network) => endpoint.addresses.iter().any(|a| contains(*a, network)),
    }
}

/// Whether a flow of the class carries the ACE's traffic in its direction.
fn grants(ir: &PolicyIr, class: &str, flow: &FlowIr, outbound: bool, peer: &Peer) -> bool {
    let (here, there) = if outbound {
        (&flow.from, &flow.to)
    } else {
        (&flow.to, &flow.from)
    };
    let forward = here == class && is_peer(ir, there, peer);
    let backward = flow.bidirectional && there == class && is_peer(ir, here, peer);
    forward || backward
}

fn describe(outbound: bool, peer: &Peer, ports: Option<&str>) -> String {
    let direction = if outbound { "to" } else { "from" };
    let peer = match peer {
        Peer::Host(host) => host.clone(),
        Peer::Network(network) => network.clone(),
        Peer::Gateway => "the local gateway".to_string(),
    };
    match ports {
        Some(ports) => format!("{direction} {peer} : {ports}"),
        None => format!("{direction} {peer}"),
    }
}

/// The ACEs of the MUD file that the class's flows do not grant.
pub fn excess(ir: &PolicyIr, class: &str, mud: &MudFile) -> Vec<Excess> {
    let mut found = Vec::new();
    for flow in mud_flows(mud) {
        match &flow.asks {
            Ok((peer, ports)) => {
                let granted = ir.flows_of(class).any(|f| {
                    grants(ir, class, f, flow.outbound, peer) && covers(&f.ports, ports.as_deref())
                });
                if !granted {
                    found.push(Excess {
                        ace: flow.ace.clone(),
                        asks: describe(flow.outbound, peer, ports.as_deref()),
                        reason: format!("class `{class}` declares no flow that carries it"),
                    });
                }
            }
            Err(why) if is_reply(why) => {}
            Err(why) => found.push(Excess {
                ace: flow.ace.clone(),
                asks: if flow.outbound {
                    "traffic from the thing".to_string()
                } else {
                    "traffic to the thing".to_string()
                },
                reason: why.clone(),
            }),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Prefix {
        Prefix::parse(text).expect("prefix")
    }

    #[test]
    fn prefixes_contain_networks() {
        assert!(contains(p("10.0.0.0/8"), "10.1.2.3/32"));
        assert!(contains(p("10.1.2.3"), "10.1.2.3/32"));
        assert!(!contains(p("10.0.0.0/8"), "11.0.0.0/32"));
        assert!(!contains(p("10.0.0.0/16"), "10.0.0.0/8"));
        assert!(contains(p("0.0.0.0/0"), "192.168.1.1/32"));
        assert!(contains(p("2001:db8::/32"), "2001:db8::1/128"));
        assert!(!contains(p("2001:db8::/32"), "10.0.0.1/32"));
    }

    #[test]
    fn ports_cover_what_is_asked() {
        let tcp443 = PortIr {
            protocol: "tcp".into(),
            ports: Some((443, 443)),
        };
        let udp_range = PortIr {
            protocol: "udp".into(),
            ports: Some((5000, 6000)),
        };
        let tcp = [tcp443];
        assert!(covers(&tcp, Some("tcp/443")));
        assert!(!covers(&tcp, Some("tcp/80")));
        assert!(!covers(&tcp, Some("tcp")));
        assert!(!covers(&tcp, None));
        let udp = [udp_range];
        assert!(covers(&udp, Some("udp/5683-5684")));
        assert!(!covers(&udp, Some("udp/4000-5001")));
        assert!(covers(&[], None));
    }
}
