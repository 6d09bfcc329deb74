//! Incident storms: a rule that fires again and again for one group of one sender updates
//! the incident it opened (its count, last time and last messages) instead of storing,
//! reporting and acting again, until the group has been quiet for `QUIET_MS`. One forged
//! message a millisecond then costs one row, one set of reports and one application of the
//! actions, not a hundred thousand.
//!
//! The open incidents are kept in memory by the engine thread (bounded: the least recently
//! fired are forgotten beyond `MAX_OPEN`); after a restart the next firing opens a new one.

use std::collections::HashMap;

/// How long a group must be quiet before its rule opens a new incident.
pub const QUIET_MS: i64 = 5 * 60 * 1000;
/// Open incidents remembered at once.
const MAX_OPEN: usize = 10_000;

/// (rule, group, the thing or the source address).
pub type Key = (String, String, String);

/// The open incidents: key -> (incident id, last firing in ms).
#[derive(Debug, Default)]
pub struct Open {
    incidents: HashMap<Key, (String, i64)>,
    /// Incidents opened since the engine started.
    opened: u64,
}

impl Open {
    /// The incident a firing at `now_ms` updates, if its group has not been quiet since.
    pub fn update_of(&mut self, key: &Key, now_ms: i64) -> Option<String> {
        match self.incidents.get_mut(key) {
            Some((id, last)) if now_ms - *last < QUIET_MS => {
                *last = now_ms;
                Some(id.clone())
            }
            _ => None,
        }
    }

    /// How many incidents were opened since the engine started.
    pub fn opened_count(&self) -> u64 {
        self.opened
    }

    /// Remembers a newly stored incident as open.
    pub fn opened(&mut self, key: Key, id: String, now_ms: i64) {
        self.opened += 1;
        if self.incidents.len() >= MAX_OPEN && !self.incidents.contains_key(&key) {
            // Forget the quiet ones first, then the least recently fired.
            self.incidents
                .retain(|_, (_, last)| now_ms - *last < QUIET_MS);
            if self.incidents.len() >= MAX_OPEN
                && let Some(oldest) = self
                    .incidents
                    .iter()
                    .min_by_key(|(_, (_, last))| *last)
                    .map(|(k, _)| k.clone())
            {
                self.incidents.remove(&oldest);
            }
        }
        self.incidents.insert(key, (id, now_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_updates_its_incident_until_quiet() {
        let mut open = Open::default();
        let key: Key = ("fw".into(), String::new(), "cam-1".into());
        assert_eq!(open.update_of(&key, 0), None);
        open.opened(key.clone(), "inc-1".into(), 0);
        assert_eq!(open.update_of(&key, 1_000).as_deref(), Some("inc-1"));
        assert_eq!(
            open.update_of(&key, 1_000 + QUIET_MS - 1).as_deref(),
            Some("inc-1")
        );
        // Quiet long enough: a new incident.
        assert_eq!(open.update_of(&key, 1_000 + 2 * QUIET_MS), None);
        // Bounded whatever the keys.
        for n in 0..(MAX_OPEN + 10) {
            open.opened(
                ("fw".into(), n.to_string(), "x".into()),
                format!("inc-{n}"),
                5,
            );
        }
        assert!(open.incidents.len() <= MAX_OPEN);
    }
}
