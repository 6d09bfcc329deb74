//! Connections per source address, for every listener the IoT network reaches (the API,
//! syslog over TCP and TLS): beyond its share a source's connection is closed at accept, so
//! that one host, however many connections it opens, cannot take the slots of the others.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Connections per source address; an entry lives while its source has a connection, so
/// the table is no larger than the connections served.
#[derive(Clone)]
pub struct Sources {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    per_source: usize,
}

/// One connection's place in `Sources`, given back on drop.
pub struct SourceSlot {
    sources: Sources,
    source: IpAddr,
}

impl Sources {
    pub fn new(per_source: usize) -> Sources {
        Sources {
            counts: Arc::default(),
            per_source,
        }
    }

    /// A place for a connection of `source`, or `None` when it has its share.
    pub fn take(&self, source: IpAddr) -> Option<SourceSlot> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(source).or_default();
        if *count >= self.per_source {
            return None;
        }
        *count += 1;
        Some(SourceSlot {
            sources: self.clone(),
            source,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut counts = self
            .sources
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.source) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_its_share_and_its_places_back() {
        let sources = Sources::new(2);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let first = sources.take(a).expect("first");
        let _second = sources.take(a).expect("second");
        assert!(sources.take(a).is_none());
        assert!(sources.take(b).is_some());
        drop(first);
        assert!(sources.take(a).is_some());
    }
}
