//! A MUD file (RFC 8520) with its access lists (RFC 8519), as typed data.
//!
//! Names follow the YANG modules: a MUD file points, per direction, to access lists (ACLs);
//! each ACL holds access-control entries (ACEs) of matches and an action.

use std::net::IpAddr;

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MudFile {
    /// `mud-url`: where the manufacturer publishes this file; PASC matches classes on it.
    pub url: String,
    pub version: u8,
    pub last_update: String,
    /// Hours the file may be cached (1-168; RFC 8520 default 48).
    pub cache_validity: u8,
    pub is_supported: bool,
    pub systeminfo: Option<String>,
    pub mfg_name: Option<String>,
    pub model_name: Option<String>,
    pub firmware_rev: Option<String>,
    pub software_rev: Option<String>,
    pub documentation: Option<String>,
    /// `mud-signature`: where the manufacturer's detached CMS signature of this file is
    /// (RFC 8520 section 13).
    pub signature: Option<String>,
    pub extensions: Vec<String>,
    /// ACL names applied to traffic from the thing, then to it.
    pub from_device: Vec<String>,
    pub to_device: Vec<String>,
    pub acls: Vec<Acl>,
    /// What was read but is not enforced, each with its JSON path: vendor extensions outside
    /// the access lists, draft-era names read as their RFC names.
    pub warnings: Vec<MudWarning>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MudWarning {
    pub path: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AclType {
    Ipv4,
    Ipv6,
    Eth,
    Mixed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acl {
    pub name: String,
    pub kind: AclType,
    pub aces: Vec<Ace>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Forwarding {
    Accept,
    Drop,
    Reject,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ace {
    pub name: String,
    pub matches: Matches,
    pub forwarding: Forwarding,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Matches {
    pub mud: Option<MudMatch>,
    pub ip: Option<IpMatch>,
    pub tcp: Option<TcpMatch>,
    pub udp: Option<PortMatch>,
    pub icmp: Option<IcmpMatch>,
    pub eth: Option<EthMatch>,
}

/// The MUD match extensions (RFC 8520 section 2.2): whom a thing may talk to, by class of
/// peer rather than by address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MudMatch {
    /// Things whose MUD URL has this authority.
    pub manufacturer: Option<String>,
    /// Things of the same manufacturer (same MUD URL authority).
    pub same_manufacturer: bool,
    /// Things with exactly this MUD URL.
    pub model: Option<String>,
    /// Any address of the local networks.
    pub local_networks: bool,
    /// A controller class, by URI (e.g. `urn:ietf:params:mud:gateway`).
    pub controller: Option<String>,
    /// The controller the local network configures for this MUD URL.
    pub my_controller: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpVersion {
    V4,
    V6,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpMatch {
    pub version: IpVersion,
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    pub protocol: Option<u8>,
    pub source_network: Option<Network>,
    pub destination_network: Option<Network>,
    /// `ietf-acldns:src-dnsname` / `dst-dnsname`.
    pub source_dnsname: Option<String>,
    pub destination_dnsname: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Network {
    pub address: IpAddr,
    pub prefix: u8,
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// A port match of RFC 8519: a range, or an operator and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortRange {
    Range(u16, u16),
    /// `neq`: every port but this one.
    Not(u16),
}

impl PortRange {
    pub fn single(port: u16) -> Self {
        PortRange::Range(port, port)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PortMatch {
    pub source_port: Option<PortRange>,
    pub destination_port: Option<PortRange>,
}

/// Which side opens a TCP connection (`ietf-mud:direction-initiated`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Initiated {
    FromDevice,
    ToDevice,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TcpMatch {
    pub ports: PortMatch,
    pub direction_initiated: Option<Initiated>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IcmpMatch {
    pub kind: Option<u8>,
    pub code: Option<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EthMatch {
    pub source_mac: Option<String>,
    pub destination_mac: Option<String>,
    pub ethertype: Option<u16>,
}

impl MudFile {
    /// The ACL of this name.
    pub fn acl(&self, name: &str) -> Option<&Acl> {
        self.acls.iter().find(|a| a.name == name)
    }

    /// The authority of the MUD URL (`manufacturer` matches compare it).
    pub fn authority(&self) -> &str {
        authority(&self.url)
    }
}

/// The authority (host) of an `https://` URL, without user info or port.
pub fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| &h[1..]);
    }
    host.split(':').next().unwrap_or(host)
}
