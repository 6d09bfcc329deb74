//! The things validation onboards: one of each class, so that the ruleset a gateway renders
//! for its inventory (PASC m8: a class's sets hold its things' addresses) is checked too.
//!
//! A class with a subnet gets a host of it that no gateway, service or other thing holds; a
//! class without one (a MUD import's: its things' addresses are known only at onboarding)
//! gets an address of each family from ranges no policy names in practice (RFC 6598's shared
//! space, a unique-local prefix), skipping any the policy holds.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ward_compiler::emit::nft::Inventory;
use ward_compiler::ir::PolicyIr;
use ward_compiler::prefix::{Prefix, next_address};
use ward_compiler::space;

/// How many addresses past the first are tried for a thing; a subnet whose first hosts are
/// all taken by gateways and services is not worth more.
const TRIES: u32 = 512;

/// One thing of each class, by class: its address per family it can have.
pub fn one_of_each(ir: &PolicyIr) -> Inventory {
    let held: Vec<Prefix> = ir
        .segments
        .iter()
        .flat_map(|s| s.subnets.iter().copied())
        .chain(
            ir.endpoints
                .iter()
                .flat_map(|e| e.addresses.iter().copied())
                .filter(|p| p.len > 0),
        )
        .collect();
    let mut used: BTreeSet<IpAddr> = BTreeSet::new();
    let mut inventory = Inventory::new();
    for class in &ir.classes {
        let mut things = Vec::new();
        for v6 in [false, true] {
            let subnets = ir.addresses_of(&class.name);
            let address = match space::example_address(ir, &class.name, v6) {
                // Inside its subnet: not another class's thing, nor an endpoint's address.
                Some(first) => free_from(first, &mut used, |a| {
                    let subnet_of_class = subnets.iter().any(|p| p.contains_address(a));
                    let endpoint = ir
                        .endpoints
                        .iter()
                        .flat_map(|e| e.addresses.iter())
                        .any(|p| p.len > 0 && p.contains_address(a));
                    subnet_of_class && !endpoint
                }),
                None if subnets.is_empty() => {
                    let first = if v6 {
                        IpAddr::from([0xfd00, 0x7761, 0x7264, 0, 0, 0, 0, 1])
                    } else {
                        IpAddr::from([100, 64, 0, 1])
                    };
                    free_from(first, &mut used, |a| {
                        !held.iter().any(|p| p.contains_address(a))
                    })
                }
                None => None,
            };
            things.extend(address.map(|a| a.to_string()));
        }
        inventory.insert(class.name.clone(), things);
    }
    inventory
}

/// The first address from `first` on that `fits` and no thing has yet, marked as used.
fn free_from(
    first: IpAddr,
    used: &mut BTreeSet<IpAddr>,
    fits: impl Fn(IpAddr) -> bool,
) -> Option<IpAddr> {
    let mut address = first;
    for _ in 0..TRIES {
        if fits(address) && used.insert(address) {
            return Some(address);
        }
        address = next_address(address)?;
    }
    None
}
