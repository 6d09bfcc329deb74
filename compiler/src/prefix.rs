//! IP prefixes, in one place: the IR's type for subnets and addresses (written as text,
//! `10.0.0.0/8`, or `10.0.0.5` for one host), the network of a prefix, and containment. The checker, `ward diff`, the gateway's
//! address checks, PASC's comparison with MUD files and the nftables evaluator all ask here
//! rather than mask bits each their own way.

use std::fmt;
use std::net::IpAddr;

/// An address and a prefix length (32 or 128 for one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    pub address: IpAddr,
    pub len: u8,
}

impl Prefix {
    /// `address/len`, the length capped at the family's.
    pub fn new(address: IpAddr, len: u8) -> Prefix {
        Prefix {
            address,
            len: len.min(Prefix::full(address)),
        }
    }

    /// One address.
    pub fn host(address: IpAddr) -> Prefix {
        Prefix {
            address,
            len: Prefix::full(address),
        }
    }

    /// `10.0.0.0/8` or `10.0.0.5`; `None` for anything else, or a length beyond the family's.
    pub fn parse(text: &str) -> Option<Prefix> {
        match text.split_once('/') {
            Some((address, len)) => {
                let address: IpAddr = address.parse().ok()?;
                let len: u8 = len.parse().ok()?;
                (len <= Prefix::full(address)).then_some(Prefix { address, len })
            }
            None => text.parse().ok().map(Prefix::host),
        }
    }

    fn full(address: IpAddr) -> u8 {
        if address.is_ipv4() { 32 } else { 128 }
    }

    /// The network address (`10.20.2.7/24` is `10.20.2.0/24`): nft refuses host bits.
    pub fn network(self) -> IpAddr {
        network(self.address, self.len)
    }

    /// Whether every address of `inner` is in this prefix (same family, no shorter).
    pub fn contains(self, inner: Prefix) -> bool {
        self.address.is_ipv4() == inner.address.is_ipv4()
            && inner.len >= self.len
            && network(inner.address, self.len) == self.network()
    }

    /// The first address after the network's own (`10.0.0.1` of `10.0.0.0/24`); the address
    /// itself for one host.
    pub fn first_host(self) -> IpAddr {
        let network = self.network();
        if self.len >= Prefix::full(network) {
            return network;
        }
        next_address(network).unwrap_or(network)
    }

    pub fn contains_address(self, address: IpAddr) -> bool {
        self.contains(Prefix::host(address))
    }
}

/// The address after `address` in its family; none after the last.
pub fn next_address(address: IpAddr) -> Option<IpAddr> {
    match address {
        IpAddr::V4(a) => u32::from(a).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(a) => u128::from(a).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}

impl std::str::FromStr for Prefix {
    type Err = String;
    fn from_str(text: &str) -> Result<Prefix, String> {
        Prefix::parse(text).ok_or_else(|| format!("`{text}` is not an IP address or prefix"))
    }
}

// In the IR, the bundle and every JSON output a prefix is the text people write
// (`10.20.2.0/24`, `10.0.0.5`): bundles and device configurations read as before.
impl serde::Serialize for Prefix {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Prefix {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Prefix, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.len == Prefix::full(self.address) {
            write!(f, "{}", self.address)
        } else {
            write!(f, "{}/{}", self.address, self.len)
        }
    }
}

/// The network address of `ip/len`.
pub fn network(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(len.min(32)))
                .unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(len.min(128)))
                .unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Prefix {
        Prefix::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn containment_by_family_length_and_network() {
        assert!(p("10.0.0.0/8").contains(p("10.20.0.0/16")));
        assert!(p("10.0.0.0/8").contains(p("10.20.0.5")));
        assert!(!p("10.20.0.0/16").contains(p("10.0.0.0/8")));
        assert!(!p("10.0.0.0/8").contains(p("11.0.0.1")));
        assert!(p("0.0.0.0/0").contains(p("192.0.2.1")));
        assert!(!p("0.0.0.0/0").contains(p("::1")));
        assert!(p("fd00::/8").contains(p("fd12:3456::1")));
        assert!(p("10.0.0.5").contains_address("10.0.0.5".parse().expect("ip")));
        assert!(!p("10.0.0.5").contains_address("10.0.0.6".parse().expect("ip")));
    }

    #[test]
    fn parsing_and_writing_round_trip() {
        for text in [
            "10.0.0.0/8",
            "10.0.0.5",
            "fd00::/64",
            "2001:db8::7",
            "0.0.0.0/0",
        ] {
            assert_eq!(p(text).to_string(), text);
        }
        assert_eq!(Prefix::parse("10.0.0.0/33"), None);
        assert_eq!(Prefix::parse("fd00::/129"), None);
        assert_eq!(Prefix::parse("10.0.0.0/x"), None);
        assert_eq!(Prefix::parse("host.example"), None);
        assert_eq!(p("10.20.2.7/24").network().to_string(), "10.20.2.0");
    }
}
