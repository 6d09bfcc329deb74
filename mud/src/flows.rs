//! What a MUD file's access-control entries ask for, as ward flows: per ACE, a peer (a host
//! by DNS name, a network, or the local gateway) and a protocol and port, or why an ACE is
//! not a flow (shared by `ward mud import` and PASC's check of what a class grants).
//!
//! Replies are not flows: an ACE that matches only the source port of traffic to the thing
//! from a peer it calls (or the TCP side opened by the other end) is the return half of a
//! flow, which the firewall already accepts as an established connection.

use super::model::*;

/// The controller classes RFC 8520 (section 8) names for services of the local network: the
/// gateway (DHCP), DNS and NTP, all provided by the local gateway.
pub const LOCAL_CONTROLLERS: &[&str] = &[
    "urn:ietf:params:mud:gateway",
    "urn:ietf:params:mud:dns",
    "urn:ietf:params:mud:ntp",
];

/// Whom an ACE lets the thing talk to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    Host(String),
    Network(String),
    Gateway,
}

/// What to write for a port match: `tcp/443`, `udp/5683-5684`, `tcp`; None when ward's flows
/// cannot say it (every port but one).
pub fn port_text(protocol: &str, port: Option<PortRange>) -> Option<String> {
    match port {
        None => Some(protocol.to_string()),
        Some(PortRange::Range(lo, hi)) if lo == hi => Some(format!("{protocol}/{lo}")),
        Some(PortRange::Range(0, u16::MAX)) => Some(protocol.to_string()),
        Some(PortRange::Range(lo, hi)) => Some(format!("{protocol}/{lo}-{hi}")),
        Some(PortRange::Not(_)) => None,
    }
}

/// What one ACE of a policy (`outbound`: from the thing) becomes: a peer and the protocol
/// and port to it (None: any), or why it is not imported.
pub fn flow_of(ace: &Ace, outbound: bool) -> Result<(Peer, Option<String>), String> {
    if ace.forwarding != Forwarding::Accept {
        return Err("a drop or reject entry: ward denies whatever no flow allows".into());
    }
    let m = &ace.matches;
    if let Some(mud) = &m.mud {
        if mud.local_networks {
            return Err("local-networks: any thing of the local networks; declare flows to the classes it needs".into());
        }
        if mud.same_manufacturer || mud.manufacturer.is_some() || mud.model.is_some() {
            return Err(
                "a manufacturer or model match: declare flows to the classes of those things"
                    .into(),
            );
        }
        if mud.my_controller {
            return Err(
                "my-controller: declare the controller as a service and a flow to it".into(),
            );
        }
        if mud
            .controller
            .as_deref()
            .is_some_and(|c| !LOCAL_CONTROLLERS.contains(&c))
        {
            return Err(
                "a controller class other than the local gateway: declare it as a service".into(),
            );
        }
    }
    if m.eth.is_some() && m.ip.is_none() {
        return Err("an Ethernet match: ward's flows are IP flows".into());
    }
    let ip = m.ip.as_ref();
    let (dnsname, network) = match (outbound, ip) {
        (true, Some(ip)) => (ip.destination_dnsname.as_ref(), ip.destination_network),
        (false, Some(ip)) => (ip.source_dnsname.as_ref(), ip.source_network),
        (_, None) => (None, None),
    };
    let peer = if m.mud.as_ref().is_some_and(|mud| mud.controller.is_some()) {
        Peer::Gateway
    } else if let Some(host) = dnsname.filter(|host| host.starts_with("*.")) {
        return Err(format!(
            "a wildcard DNS name (`{host}`): no address can be resolved for it; declare the services it stands for by name"
        ));
    } else if let Some(host) = dnsname {
        Peer::Host(host.trim_end_matches('.').to_ascii_lowercase())
    } else if let Some(network) = network {
        Peer::Network(network.to_string())
    } else {
        return Err("no peer: a match on any address would open the thing to everyone".into());
    };
    let protocol = ip.and_then(|ip| ip.protocol);
    let (ports, reply) = match (protocol, &m.tcp, &m.udp) {
        (Some(6), tcp, _) | (None, tcp @ Some(_), _) => {
            let tcp = tcp.clone().unwrap_or_default();
            // The side that opens the connection decides the flow's direction; the other
            // side's ACE is its reply.
            let opened_here = match tcp.direction_initiated {
                Some(Initiated::FromDevice) => outbound,
                Some(Initiated::ToDevice) => !outbound,
                None => tcp.ports.destination_port.is_some() || tcp.ports.source_port.is_none(),
            };
            (port_text("tcp", tcp.ports.destination_port), !opened_here)
        }
        (Some(17), _, udp) | (None, None, udp @ Some(_)) => {
            let udp = udp.clone().unwrap_or_default();
            let reply = udp.destination_port.is_none() && udp.source_port.is_some();
            (port_text("udp", udp.destination_port), reply)
        }
        (Some(1), _, _) => (Some("icmp".to_string()), false),
        (Some(58), _, _) => (Some("icmpv6".to_string()), false),
        (Some(other), _, _) => {
            return Err(format!(
                "IP protocol {other}: ward's flows carry TCP, UDP and ICMP"
            ));
        }
        (None, None, None) => return Ok((peer, None)),
    };
    if reply {
        return Err(format!("{REPLY}: accepted as an established connection"));
    }
    match ports {
        Some(ports) => Ok((peer, Some(ports))),
        None => Err("a port match ward's flows cannot say (every port but one)".into()),
    }
}

/// One ACE of a MUD file's policies, read as a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MudFlow {
    pub ace: String,
    /// From the thing (its `from-device-policy`).
    pub outbound: bool,
    /// The peer and the protocol and port (None: any), or why the ACE is not a flow.
    pub asks: Result<(Peer, Option<String>), String>,
}

/// Every ACE of the file's policies, in order: from the thing, then to it.
pub fn mud_flows(mud: &MudFile) -> Vec<MudFlow> {
    let mut flows = Vec::new();
    for (outbound, names) in [(true, &mud.from_device), (false, &mud.to_device)] {
        for name in names {
            let Some(acl) = mud.acl(name) else { continue };
            for ace in &acl.aces {
                flows.push(MudFlow {
                    ace: ace.name.clone(),
                    outbound,
                    asks: flow_of(ace, outbound),
                });
            }
        }
    }
    flows
}

/// Whether `why` (an ACE that is not a flow) is only the reply half of one.
pub fn is_reply(why: &str) -> bool {
    why.starts_with(REPLY)
}

const REPLY: &str = "the reply half of a flow";
