//! The onboarded things in memory, by class: what the firewall renders and the peer lists
//! (m7) read on every onboarding, without a query over the whole inventory. SQLite stays the
//! truth: this index is rebuilt from it at start and updated after each commit.

use std::collections::{BTreeMap, HashMap};

use ward_compiler::emit::nft::{Inventory, Raised};
use ward_compiler::ir::PolicyIr;

use crate::store::Device;

#[derive(Debug, Default)]
pub struct Things {
    /// class -> id -> address
    by_class: BTreeMap<String, BTreeMap<String, String>>,
    /// address -> (id, class): whose syslog messages these are.
    by_address: HashMap<String, (String, String)>,
    /// id -> the profile PAVA raised it to.
    raised: BTreeMap<String, String>,
    count: usize,
}

impl Things {
    pub fn from_devices(devices: &[Device]) -> Things {
        let mut things = Things::default();
        for device in devices {
            things.add(&device.class, &device.id, &device.address);
            if let Some(profile) = &device.raised_profile {
                things.raise(&device.id, profile);
            }
        }
        things
    }

    pub fn add(&mut self, class: &str, id: &str, address: &str) {
        let ids = self.by_class.entry(class.to_string()).or_default();
        if ids.insert(id.to_string(), address.to_string()).is_none() {
            self.count += 1;
        }
        self.by_address
            .insert(address.to_string(), (id.to_string(), class.to_string()));
    }

    /// The thing at an address: (id, class).
    pub fn at_address(&self, address: &str) -> Option<&(String, String)> {
        self.by_address.get(address)
    }

    /// A thing's class and address, by id.
    pub fn find(&self, id: &str) -> Option<(&str, &str)> {
        self.by_class.iter().find_map(|(class, ids)| {
            ids.get(id)
                .map(|address| (class.as_str(), address.as_str()))
        })
    }

    /// Records that PAVA raised a thing's profile.
    pub fn raise(&mut self, id: &str, profile: &str) {
        self.raised.insert(id.to_string(), profile.to_string());
    }

    /// The firewall's view of raised things: by the level of their profile, those raised
    /// above their class's level (a profile at or below it changes nothing). An address a
    /// segment of that level already covers (a quarantined thing raised back to its old
    /// segment's level) is left out: nftables refuses overlapping elements in a set.
    pub fn raised(&self, ir: &PolicyIr) -> Raised {
        let mut out = Raised::new();
        for (id, profile) in &self.raised {
            let (Some(level), Some((class, address))) = (ir.profile_level(profile), self.find(id))
            else {
                continue;
            };
            let above_class = ir
                .class(class)
                .is_some_and(|c| c.level.is_none_or(|l| level > l));
            let covered = address.parse().is_ok_and(|ip| {
                ir.segments
                    .iter()
                    .filter(|s| s.level == Some(level))
                    .any(|s| s.subnets.iter().any(|p| p.contains_address(ip)))
            });
            if above_class && !covered {
                out.entry(level).or_default().push(address.to_string());
            }
        }
        for addresses in out.values_mut() {
            addresses.sort_unstable();
            addresses.dedup();
        }
        out
    }

    /// Forgets a thing; its address is free again.
    pub fn remove(&mut self, id: &str) {
        self.raised.remove(id);
        let Some((class, address)) = self.find(id).map(|(c, a)| (c.to_string(), a.to_string()))
        else {
            return;
        };
        if let Some(ids) = self.by_class.get_mut(&class) {
            ids.remove(id);
        }
        if self
            .by_address
            .get(&address)
            .is_some_and(|(owner, _)| owner == id)
        {
            self.by_address.remove(&address);
        }
        self.count -= 1;
    }

    /// Moves a thing to another class (quarantine).
    pub fn move_to(&mut self, id: &str, class: &str) {
        let Some((old, address)) = self.find(id).map(|(c, a)| (c.to_string(), a.to_string()))
        else {
            return;
        };
        if let Some(ids) = self.by_class.get_mut(&old) {
            ids.remove(id);
        }
        self.count -= 1;
        self.add(class, id, &address);
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn counts(&self) -> Vec<(String, usize)> {
        self.by_class
            .iter()
            .map(|(class, ids)| (class.clone(), ids.len()))
            .collect()
    }

    /// How many things the classes hold, and the first `limit` of their ids in id order.
    pub fn of_classes(&self, classes: &[String], limit: usize) -> (usize, Vec<String>) {
        let mut total = 0;
        let mut ids: Vec<&String> = Vec::new();
        for class in classes {
            if let Some(members) = self.by_class.get(class) {
                total += members.len();
                ids.extend(members.keys().take(limit));
            }
        }
        ids.sort_unstable();
        ids.truncate(limit);
        (total, ids.into_iter().cloned().collect())
    }

    /// The firewall's view: class -> addresses.
    pub fn inventory(&self) -> Inventory {
        self.by_class
            .iter()
            .map(|(class, ids)| (class.clone(), ids.values().cloned().collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_counted_and_listed_in_id_order() {
        let mut things = Things::default();
        things.add("hubs", "h2", "10.0.0.2");
        things.add("hubs", "h1", "10.0.0.1");
        things.add("plugs", "a9", "10.0.1.9");
        things.add("plugs", "a9", "10.0.1.9");
        assert_eq!(things.count(), 3);
        let (n, ids) = things.of_classes(&["hubs".into(), "plugs".into()], 2);
        assert_eq!((n, ids), (3, vec!["a9".to_string(), "h1".to_string()]));
        assert_eq!(things.inventory()["hubs"], ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            things.at_address("10.0.1.9"),
            Some(&("a9".to_string(), "plugs".to_string()))
        );
        things.move_to("a9", "quarantine");
        assert_eq!(things.count(), 3);
        assert_eq!(things.find("a9"), Some(("quarantine", "10.0.1.9")));
        assert_eq!(
            things.at_address("10.0.1.9").map(|t| t.1.as_str()),
            Some("quarantine")
        );
        assert!(things.inventory()["plugs"].is_empty());
        things.remove("a9");
        things.remove("a9");
        assert_eq!(things.count(), 2);
        assert_eq!(things.find("a9"), None);
        assert_eq!(things.at_address("10.0.1.9"), None);
        assert!(things.inventory()["quarantine"].is_empty());
    }
}
