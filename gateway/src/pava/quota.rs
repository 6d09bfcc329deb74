//! Fair shares of PAVA's engine: each source address may send so many messages and bytes a
//! second (a token bucket per source, with a burst), so that one source's flood cannot push
//! another thing's messages out of the queue. UDP drops what is over a source's share
//! (counted as `over-quota`); TCP and TLS wait for it, pushing back on the sender.
//!
//! At most `MAX_SOURCES` buckets are kept: past that, buckets that are full again (their
//! sources quiet) are forgotten; if none is, the newcomers share one bucket, so the table is
//! bounded whatever the number of addresses a flood uses.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// Messages a second one source may send, and the burst it may save up.
pub const MESSAGES_PER_SECOND: f64 = 2_000.0;
const MESSAGE_BURST: f64 = 4_000.0;
/// Bytes a second one source may send, and the burst.
pub const BYTES_PER_SECOND: f64 = 2.0 * 1024.0 * 1024.0;
const BYTE_BURST: f64 = 4.0 * 1024.0 * 1024.0;
/// Sources tracked one by one.
const MAX_SOURCES: usize = 4_096;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    messages: f64,
    bytes: f64,
    at: Instant,
}

impl Bucket {
    fn full(at: Instant) -> Bucket {
        Bucket {
            messages: MESSAGE_BURST,
            bytes: BYTE_BURST,
            at,
        }
    }

    fn refill(&mut self, now: Instant) {
        let seconds = now.saturating_duration_since(self.at).as_secs_f64();
        self.messages = (self.messages + seconds * MESSAGES_PER_SECOND).min(MESSAGE_BURST);
        self.bytes = (self.bytes + seconds * BYTES_PER_SECOND).min(BYTE_BURST);
        self.at = now;
    }
}

/// The buckets of the sources.
#[derive(Debug, Default)]
pub struct Quotas {
    buckets: HashMap<IpAddr, Bucket>,
    /// The bucket the sources share when the table is full.
    shared: Option<Bucket>,
}

impl Quotas {
    /// Whether `source` may send a message of `size` bytes now (taking its share if so);
    /// otherwise, how long until it may.
    pub fn take(&mut self, source: IpAddr, size: usize, now: Instant) -> Result<(), f64> {
        if !self.buckets.contains_key(&source) && self.buckets.len() >= MAX_SOURCES {
            self.buckets.retain(|_, bucket| {
                bucket.refill(now);
                bucket.messages < MESSAGE_BURST || bucket.bytes < BYTE_BURST
            });
        }
        let bucket = if self.buckets.len() < MAX_SOURCES || self.buckets.contains_key(&source) {
            self.buckets
                .entry(source)
                .or_insert_with(|| Bucket::full(now))
        } else {
            self.shared.get_or_insert_with(|| Bucket::full(now))
        };
        bucket.refill(now);
        let size = size as f64;
        if bucket.messages >= 1.0 && bucket.bytes >= size {
            bucket.messages -= 1.0;
            bucket.bytes -= size;
            return Ok(());
        }
        let wait_messages = (1.0 - bucket.messages).max(0.0) / MESSAGES_PER_SECOND;
        let wait_bytes = (size - bucket.bytes).max(0.0) / BYTES_PER_SECOND;
        Err(wait_messages.max(wait_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_flood_gets_its_share_and_others_theirs() {
        let mut quotas = Quotas::default();
        let start = Instant::now();
        let flood: IpAddr = "10.0.0.66".parse().expect("ip");
        let thing: IpAddr = "10.0.0.7".parse().expect("ip");
        let admitted = (0..100_000)
            .filter(|_| quotas.take(flood, 100, start).is_ok())
            .count();
        assert_eq!(admitted as f64, MESSAGE_BURST);
        // Another source is untouched by the flood.
        assert!(quotas.take(thing, 100, start).is_ok());
        // A second later the flood has a second's share again.
        let later = start + Duration::from_secs(1);
        let admitted = (0..100_000)
            .filter(|_| quotas.take(flood, 100, later).is_ok())
            .count();
        assert_eq!(admitted as f64, MESSAGES_PER_SECOND);
        assert!(quotas.take(flood, 100, later).is_err());
    }

    #[test]
    fn the_table_is_bounded_whatever_the_sources() {
        let mut quotas = Quotas::default();
        let now = Instant::now();
        for n in 0..(MAX_SOURCES as u32 + 1_000) {
            let source = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            // Busy sources: each spends some of its bucket.
            let _ = quotas.take(source, 1_000_000, now);
        }
        assert!(quotas.buckets.len() <= MAX_SOURCES);
    }
}
