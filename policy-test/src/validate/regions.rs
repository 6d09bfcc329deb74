//! The address space cut into regions that every set of the ruleset and every endpoint of
//! the policy treat alike.
//!
//! Prefixes are nested or apart, never overlapping otherwise, so the prefixes named anywhere
//! (the policy's subnets and addresses, the ruleset's sets and rules) form a tree, and each
//! prefix minus the prefixes inside it is one region; what no prefix holds is one more. A
//! region's representative is one of its addresses: every set holds all of a region or none
//! of it, so the representative decides for the region. An endpoint known only by host name
//! (its sets filled at run time) is a region of its own, with no address.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ward_compiler::emit::nft::Inventory;
use ward_compiler::ir::PolicyIr;
use ward_compiler::prefix::Prefix;

/// One region of one family.
#[derive(Clone, Debug)]
pub struct Region {
    pub v6: bool,
    /// The address that stands for the region; `None` for an endpoint known by host name.
    pub address: Option<IpAddr>,
    /// The endpoint a run-time set is named for (a service known by host name).
    pub named: Option<String>,
    /// The endpoints whose addresses hold the region: the classes of the segments that hold
    /// it, services and gateways at it; `internet` where no other does. Traffic from the
    /// region is theirs (the firewall judges a source by its address).
    pub owners: Vec<String>,
    /// The gateways at the region's address: traffic to it is for them alone (the gateway
    /// consumes it, whatever segment's subnet the address is in).
    pub gateways: Vec<String>,
    /// Whether the region is a gateway's own address.
    pub gateway: bool,
    /// Whether no endpoint holds it but those that hold every address (`internet`): the rest
    /// of the world, where the gateway's DNS and MUD servers are.
    pub outside: bool,
    /// The levels of the segments that hold it.
    pub levels: Vec<i64>,
}

impl Region {
    /// The endpoints traffic to the region is for: its gateways, else its owners.
    pub fn destinations(&self) -> &[String] {
        if self.gateways.is_empty() {
            &self.owners
        } else {
            &self.gateways
        }
    }

    /// `10.9.1.1 (sensor, internet)`.
    pub fn describe(&self) -> String {
        let place = match (&self.address, &self.named) {
            (Some(address), _) => address.to_string(),
            (None, Some(name)) => format!("the addresses of `{name}`'s host"),
            (None, None) => "?".to_string(),
        };
        if self.owners.is_empty() {
            format!("{place} (no endpoint)")
        } else {
            format!("{place} ({})", self.owners.join(", "))
        }
    }
}

fn number(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn address(v6: bool, value: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(value.into())
    } else {
        // Values of a v4 prefix fit 32 bits.
        IpAddr::V4(u32::try_from(value).unwrap_or(u32::MAX).into())
    }
}

/// First and last address of a prefix, as numbers.
fn bounds(prefix: Prefix) -> (u128, u128) {
    let bits: u32 = if prefix.address.is_ipv6() { 128 } else { 32 };
    let start = number(prefix.network());
    let size_bits = bits - u32::from(prefix.len);
    let last = if size_bits >= 128 {
        u128::MAX
    } else {
        start + ((1u128 << size_bits) - 1)
    };
    (start, last)
}

/// One address of `prefix` that none of `inner` (prefixes strictly inside it) holds, trying
/// `preferred` first; `None` when the inner prefixes cover it all.
fn free_address(prefix: Prefix, inner: &[Prefix], preferred: IpAddr) -> Option<IpAddr> {
    let v6 = prefix.address.is_ipv6();
    let held = |value: u128| {
        inner.iter().any(|p| {
            let (a, b) = bounds(*p);
            (a..=b).contains(&value)
        })
    };
    let (start, last) = bounds(prefix);
    let wanted = number(preferred);
    if (start..=last).contains(&wanted) && !held(wanted) {
        return Some(preferred);
    }
    // Walk the inner prefixes in order: the first gap is free.
    let mut spans: Vec<(u128, u128)> = inner.iter().map(|p| bounds(*p)).collect();
    spans.sort_unstable();
    let mut cursor = start;
    for (a, b) in spans {
        if cursor < a {
            return Some(address(v6, cursor));
        }
        if b >= cursor {
            if b == u128::MAX || b >= last {
                return None;
            }
            cursor = b + 1;
        }
    }
    (cursor <= last).then(|| address(v6, cursor))
}

/// The regions of a policy and its ruleset's prefixes, both families, with the named
/// regions of endpoints known by host name. With an inventory (the ruleset a gateway renders
/// for the things onboarded), a class holds its things' addresses, not its segments' subnets.
pub fn regions(
    ir: &PolicyIr,
    ruleset_prefixes: &[Prefix],
    inventory: Option<&Inventory>,
) -> Vec<Region> {
    // The classes of each thing's address: looked up for every region.
    let things: Option<BTreeMap<IpAddr, Vec<String>>> = inventory.map(|inventory| {
        let mut by_address: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
        for (class, addresses) in inventory {
            for address in addresses.iter().filter_map(|a| a.parse::<IpAddr>().ok()) {
                by_address.entry(address).or_default().push(class.clone());
            }
        }
        by_address
    });
    let things = things.as_ref();
    let mut prefixes: BTreeSet<Prefix> = ruleset_prefixes
        .iter()
        .map(|p| Prefix::new(p.network(), p.len))
        .collect();
    for segment in &ir.segments {
        prefixes.extend(segment.subnets.iter().copied());
    }
    for endpoint in &ir.endpoints {
        prefixes.extend(endpoint.addresses.iter().copied());
    }
    let mut out = Vec::new();
    for v6 in [false, true] {
        let root = if v6 {
            Prefix::new(IpAddr::from([0u16; 8]), 0)
        } else {
            Prefix::new(IpAddr::from([0u8; 4]), 0)
        };
        let family: Vec<Prefix> = prefixes
            .iter()
            .copied()
            .filter(|p| p.address.is_ipv6() == v6)
            .chain(std::iter::once(root))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut seen = BTreeSet::new();
        for &prefix in &family {
            let inner: Vec<Prefix> = family
                .iter()
                .copied()
                .filter(|p| *p != prefix && prefix.contains(*p))
                .collect();
            // A host of the prefix stands for it; for everything, a documentation address
            // (RFC 5737, RFC 3849) rather than 0.0.0.0.
            let preferred = if prefix.len == 0 {
                if v6 {
                    IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
                } else {
                    IpAddr::from([192, 0, 2, 1])
                }
            } else {
                prefix.first_host()
            };
            if let Some(free) = free_address(prefix, &inner, preferred)
                && seen.insert(free)
            {
                out.push(place(ir, v6, Some(free), None, things));
            }
        }
        for endpoint in &ir.endpoints {
            if endpoint.addresses.is_empty() && endpoint.host.is_some() {
                out.push(place(ir, v6, None, Some(endpoint.name.clone()), things));
            }
        }
    }
    out
}

/// The region at `address` (or of the named endpoint), with its owners; `things`, with an
/// inventory, gives the classes of each thing's address.
fn place(
    ir: &PolicyIr,
    v6: bool,
    at: Option<IpAddr>,
    named: Option<String>,
    things: Option<&BTreeMap<IpAddr, Vec<String>>>,
) -> Region {
    let mut owners = Vec::new();
    let mut everywhere = Vec::new();
    let mut levels = Vec::new();
    // In a segment's subnet: the policy's own, even where no thing is onboarded yet.
    let mut in_segment = false;
    if let Some(name) = &named {
        owners.push(name.clone());
    }
    if let Some(at) = at {
        let holds = |prefixes: &[Prefix]| prefixes.iter().any(|p| p.contains_address(at));
        for segment in &ir.segments {
            if holds(&segment.subnets) {
                // The level sets hold the segments' subnets in either ruleset.
                levels.extend(segment.level);
                in_segment = true;
                if things.is_none() {
                    owners.extend(segment.classes.iter().cloned());
                }
            }
        }
        if let Some(classes) = things.and_then(|things| things.get(&at)) {
            owners.extend(classes.iter().cloned());
        }
        for endpoint in &ir.endpoints {
            if holds(&endpoint.addresses) {
                if endpoint.addresses.iter().any(|p| p.len == 0) {
                    everywhere.push(endpoint.name.clone());
                } else {
                    owners.push(endpoint.name.clone());
                }
            }
        }
    }
    let gateways: Vec<String> = owners
        .iter()
        .filter(|o| ir.endpoint(o).is_some_and(|e| e.kind == "gateway"))
        .cloned()
        .collect();
    // An endpoint that holds every address (`internet`) stands for what is none of the
    // policy's: its flows' rules exclude the policy's own addresses (`o4_policy`).
    let outside = owners.is_empty() && named.is_none() && !in_segment;
    if outside {
        owners.extend(everywhere);
    }
    owners.sort();
    owners.dedup();
    Region {
        v6,
        address: at,
        named,
        owners,
        gateway: !gateways.is_empty(),
        gateways,
        outside,
        levels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Prefix {
        text.parse().expect("prefix")
    }

    #[test]
    fn a_free_address_avoids_the_prefixes_inside() {
        let outer = p("10.0.0.0/30");
        let inner = [p("10.0.0.1"), p("10.0.0.0")];
        assert_eq!(
            free_address(outer, &inner, outer.first_host()),
            Some("10.0.0.2".parse().expect("address"))
        );
        let all = [p("10.0.0.0/31"), p("10.0.0.2/31")];
        assert_eq!(free_address(outer, &all, outer.first_host()), None);
        let root = p("::/0");
        assert_eq!(
            free_address(
                root,
                &[p("2001:db8::/32")],
                "2001:db8::1".parse().expect("a")
            ),
            Some("::".parse().expect("address"))
        );
    }
}
