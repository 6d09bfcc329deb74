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

/// The connections of one listener, with fair eviction: at most `capacity` at once and
/// `per_source` per source address. When the listener is full, a newcomer whose source holds
/// fewer connections than another takes the place of the connection that matters least: one
/// from an address no thing holds before one from an onboarded thing's address, before one
/// that proved a thing's certificate; then one of the source holding the most; then the
/// longest silent. Addresses are cheap for an attacker on a segment (254 of an IPv4 /24, any
/// number of an IPv6 /64), so the per-source share alone cannot keep one host from filling
/// the listener; with eviction, a source with no connection gets one while connections of
/// lesser standing exist, and a thing's connection is taken only for a thing's.
///
/// The table is scanned when full only (1,024 entries, under a microsecond per entry), so
/// an admission costs a hash lookup while the listener has room.
#[derive(Clone)]
pub struct Connections {
    table: Arc<Mutex<Table>>,
    capacity: usize,
    per_source: usize,
}

#[derive(Default)]
struct Table {
    next: u64,
    entries: HashMap<u64, Entry>,
    per_source: HashMap<IpAddr, usize>,
}

struct Entry {
    source: IpAddr,
    state: Arc<ConnectionState>,
    evict: Option<tokio::sync::oneshot::Sender<()>>,
}

/// What a connection's peer has shown of who it is, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// An address no onboarded thing holds.
    Unknown = 0,
    /// An onboarded thing's address.
    ThingAddress = 1,
    /// A thing's certificate (TLS).
    Certificate = 2,
}

/// What the connection's task tells the table: when it last received, what its peer proved.
pub struct ConnectionState {
    started: std::time::Instant,
    /// Microseconds after `started` of the last bytes received.
    last_active_us: std::sync::atomic::AtomicU64,
    standing: std::sync::atomic::AtomicU8,
}

impl ConnectionState {
    fn new(standing: Standing) -> ConnectionState {
        ConnectionState {
            started: std::time::Instant::now(),
            last_active_us: std::sync::atomic::AtomicU64::new(0),
            standing: std::sync::atomic::AtomicU8::new(standing as u8),
        }
    }

    /// Bytes came in.
    pub fn touch(&self) {
        let us = self.started.elapsed().as_micros() as u64;
        self.last_active_us
            .store(us, std::sync::atomic::Ordering::Relaxed);
    }

    /// The peer proved a certificate (TLS with a client certificate).
    pub fn authenticate(&self) {
        self.standing.fetch_max(
            Standing::Certificate as u8,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn silent_for(&self, now: std::time::Instant) -> std::time::Duration {
        let last = self.started
            + std::time::Duration::from_micros(
                self.last_active_us
                    .load(std::sync::atomic::Ordering::Relaxed),
            );
        now.saturating_duration_since(last)
    }

    fn standing(&self) -> u8 {
        self.standing.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Its source holds its share.
    SourceShare,
    /// The listener is full of sources that hold no more than this one.
    Full,
}

/// An admitted connection: its place is given back on drop; `evicted` resolves when another
/// source's connection took it.
pub struct Admitted {
    id: u64,
    table: Arc<Mutex<Table>>,
    pub state: Arc<ConnectionState>,
    pub evicted: tokio::sync::oneshot::Receiver<()>,
}

impl Connections {
    pub fn new(capacity: usize, per_source: usize) -> Connections {
        Connections {
            table: Arc::default(),
            capacity: capacity.max(1),
            per_source: per_source.max(1),
        }
    }

    /// Connections held now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a connection of `source` (of `standing` so far), and the source of the
    /// connection evicted for it, if one was.
    pub fn admit(
        &self,
        source: IpAddr,
        standing: Standing,
    ) -> Result<(Admitted, Option<IpAddr>), Refused> {
        let mut table = self.lock();
        let held = table.per_source.get(&source).copied().unwrap_or(0);
        if held >= self.per_source {
            return Err(Refused::SourceShare);
        }
        let mut evicted = None;
        if table.entries.len() >= self.capacity {
            let now = std::time::Instant::now();
            let victim = table
                .entries
                .iter()
                .filter(|(_, e)| {
                    e.state.standing() <= standing as u8
                        && table.per_source.get(&e.source).copied().unwrap_or(0) > held
                })
                .max_by_key(|(_, e)| {
                    (
                        std::cmp::Reverse(e.state.standing()),
                        table.per_source.get(&e.source).copied().unwrap_or(0),
                        e.state.silent_for(now),
                    )
                })
                .map(|(id, _)| *id);
            let Some(victim) = victim else {
                return Err(Refused::Full);
            };
            if let Some(mut entry) = table.remove(victim) {
                if let Some(evict) = entry.evict.take() {
                    let _ = evict.send(());
                }
                evicted = Some(entry.source);
            }
        }
        let id = table.next;
        table.next += 1;
        let state = Arc::new(ConnectionState::new(standing));
        let (evict, on_evicted) = tokio::sync::oneshot::channel();
        table.entries.insert(
            id,
            Entry {
                source,
                state: state.clone(),
                evict: Some(evict),
            },
        );
        *table.per_source.entry(source).or_default() += 1;
        Ok((
            Admitted {
                id,
                table: self.table.clone(),
                state,
                evicted: on_evicted,
            },
            evicted,
        ))
    }
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if let Some(count) = self.per_source.get_mut(&entry.source) {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&entry.source);
            }
        }
        Some(entry)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        // An evicted connection's entry is already gone: removing by id is a no-op then.
        self.table
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn a_full_listener_evicts_for_a_source_with_fewer_connections() {
        let connections = Connections::new(4, 3);
        let unknown = Standing::Unknown;
        // One host fills the listener from two addresses, two connections each.
        let mut held: Vec<Admitted> = ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2"]
            .iter()
            .map(|a| connections.admit(ip(a), unknown).expect("room").0)
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(2));
        held[1].state.touch();
        // A newcomer with no connection gets one: the longest silent of a source holding two.
        let (_newcomer, evicted) = connections.admit(ip("10.0.0.9"), unknown).expect("share");
        assert!(evicted.is_some());
        assert_eq!(connections.len(), 4);
        let signalled: Vec<bool> = held
            .iter_mut()
            .map(|h| h.evicted.try_recv().is_ok())
            .collect();
        assert_eq!(signalled.iter().filter(|s| **s).count(), 1, "{signalled:?}");
        assert!(!signalled[1], "the active connection stays");
        // A source holding as many as every other cannot take another's place.
        assert_eq!(
            connections.admit(ip("10.0.0.2"), unknown).err(),
            Some(Refused::Full)
        );
        drop(held);
        assert_eq!(connections.len(), 1);
    }

    #[test]
    fn things_outlive_unknown_sources_however_many_addresses_they_use() {
        let connections = Connections::new(4, 4);
        let (by_address, _) = connections
            .admit(ip("10.0.0.1"), Standing::ThingAddress)
            .expect("room");
        let (by_certificate, _) = connections
            .admit(ip("10.0.0.2"), Standing::Unknown)
            .expect("room");
        by_certificate.state.authenticate();
        // An attacker with an address per connection: each newcomer takes the place of an
        // unknown one, never a thing's.
        let mut attackers = Vec::new();
        for n in 10..200 {
            if let Ok((admitted, _)) =
                connections.admit(ip(&format!("10.0.1.{n}")), Standing::Unknown)
            {
                attackers.push(admitted);
            }
        }
        let (mut by_address, mut by_certificate) = (by_address, by_certificate);
        assert!(by_address.evicted.try_recv().is_err());
        assert!(by_certificate.evicted.try_recv().is_err());
        assert_eq!(connections.len(), 4);
        // A thing's new connection takes an unknown one's place.
        let (_thing, evicted) = connections
            .admit(ip("10.0.0.3"), Standing::ThingAddress)
            .expect("a thing gets in");
        assert!(evicted.is_some_and(|e| e.to_string().starts_with("10.0.1.")));
    }

    #[test]
    fn a_source_beyond_its_share_is_refused() {
        let connections = Connections::new(8, 2);
        let _a = connections
            .admit(ip("10.0.0.1"), Standing::Unknown)
            .expect("one");
        let _b = connections
            .admit(ip("10.0.0.1"), Standing::Unknown)
            .expect("two");
        assert_eq!(
            connections.admit(ip("10.0.0.1"), Standing::Unknown).err(),
            Some(Refused::SourceShare)
        );
    }
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
