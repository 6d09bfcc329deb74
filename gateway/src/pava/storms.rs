//! Incident storms: a rule that fires again and again for one group of one sender updates
//! the incident it opened (its count, last time and last messages) instead of storing,
//! reporting and acting again, until the group has been quiet for `QUIET_MS`. One forged
//! message a millisecond then costs one row, one set of reports and one application of the
//! actions, not a hundred thousand.
//!
//! A sender choosing its groups (a brute force whose `src` it writes itself, a flood of
//! invented names) could still open an incident per group: once one sender has opened
//! `MAX_GROUPS_PER_SENDER` incidents of one rule within `QUIET_MS`, its further groups fold
//! into one incident of that rule for that sender ("many groups"), updated as a storm is. So a
//! sender costs at most `MAX_GROUPS_PER_SENDER + 1` rows per rule every five minutes,
//! whatever it sends.
//!
//! The open incidents are kept in memory by the engine thread (bounded: the least recently
//! fired are forgotten beyond `MAX_OPEN`); after a restart the next firing opens a new one.

use std::collections::HashMap;

/// How long a group must be quiet before its rule opens a new incident.
pub const QUIET_MS: i64 = 5 * 60 * 1000;
/// Open incidents remembered at once.
const MAX_OPEN: usize = 10_000;
/// Incidents one sender may open for one rule, one per group, before its further groups
/// fold into one.
pub const MAX_GROUPS_PER_SENDER: u32 = 20;
/// The group of the incident a sender's further groups fold into.
pub const MANY_GROUPS: &str = "many groups";

/// (rule, group, the thing or the source address).
pub type Key = (String, String, String);

/// The open incidents: key -> (incident id, last firing in ms).
#[derive(Debug, Default)]
pub struct Open {
    incidents: HashMap<Key, (String, i64)>,
    /// Incidents opened since the engine started.
    opened: u64,
    /// Per (rule, sender): when its window of `QUIET_MS` started and the incidents of
    /// distinct groups it opened since.
    per_sender: HashMap<(String, String), (i64, u32)>,
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

    /// The key a firing goes under: its own while its incident is open or its sender has
    /// room for another group, else the sender's one incident of the rule for many groups.
    pub fn key_for(&mut self, key: Key, now_ms: i64) -> Key {
        let open = self
            .incidents
            .get(&key)
            .is_some_and(|(_, last)| now_ms - *last < QUIET_MS);
        if open {
            return key;
        }
        let (start, count) = self
            .per_sender
            .get(&(key.0.clone(), key.2.clone()))
            .copied()
            .unwrap_or((now_ms, 0));
        if now_ms - start < QUIET_MS && count >= MAX_GROUPS_PER_SENDER {
            (key.0, MANY_GROUPS.to_string(), key.2)
        } else {
            key
        }
    }

    /// How many incidents were opened since the engine started.
    pub fn opened_count(&self) -> u64 {
        self.opened
    }

    /// Remembers a newly stored incident as open.
    pub fn opened(&mut self, key: Key, id: String, now_ms: i64) {
        self.opened += 1;
        if key.1 != MANY_GROUPS {
            if self.per_sender.len() >= MAX_OPEN {
                self.per_sender
                    .retain(|_, (start, _)| now_ms - *start < QUIET_MS);
            }
            if self.per_sender.len() < MAX_OPEN {
                let window = self
                    .per_sender
                    .entry((key.0.clone(), key.2.clone()))
                    .or_insert((now_ms, 0));
                if now_ms - window.0 >= QUIET_MS {
                    *window = (now_ms, 0);
                }
                window.1 += 1;
            }
        }
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

    #[test]
    fn a_sender_inventing_groups_folds_into_one_incident() {
        let mut open = Open::default();
        let key = |group: u32| -> Key { ("ssh".into(), format!("src={group}"), "cam".into()) };
        let mut rows = 0;
        for group in 0..1_000 {
            let now = i64::from(group);
            let key = open.key_for(key(group), now);
            if open.update_of(&key, now).is_none() {
                rows += 1;
                open.opened(key, format!("inc-{group}"), now);
            }
        }
        assert_eq!(rows, MAX_GROUPS_PER_SENDER + 1);
        // Another sender, or the same one after a quiet window, has its own room.
        let other: Key = ("ssh".into(), "src=1".into(), "plug".into());
        assert_eq!(open.key_for(other.clone(), 2_000), other);
        let later = open.key_for(key(5_000), 1_000 + QUIET_MS);
        assert_eq!(later, key(5_000));
    }
}
