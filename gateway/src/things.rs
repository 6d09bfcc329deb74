//! The onboarded things in memory, by class: what the firewall renders and the peer lists
//! (m7) read on every onboarding, without a query over the whole inventory. SQLite stays the
//! truth: this index is rebuilt from it at start and updated after each commit.

use std::collections::BTreeMap;

use ward_compiler::emit::nft::Inventory;

use crate::store::Device;

#[derive(Debug, Default)]
pub struct Things {
    /// class -> id -> address
    by_class: BTreeMap<String, BTreeMap<String, String>>,
    count: usize,
}

impl Things {
    pub fn from_devices(devices: &[Device]) -> Things {
        let mut things = Things::default();
        for device in devices {
            things.add(&device.class, &device.id, &device.address);
        }
        things
    }

    pub fn add(&mut self, class: &str, id: &str, address: &str) {
        let ids = self.by_class.entry(class.to_string()).or_default();
        if ids.insert(id.to_string(), address.to_string()).is_none() {
            self.count += 1;
        }
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
    }
}
