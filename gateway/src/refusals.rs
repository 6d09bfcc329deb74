//! Refused onboardings in the audit log, bounded (and, with a second counter, changes the
//! API's policy refused: `access-denials-suppressed`).
//!
//! Every refused onboarding is worth a line in the audit log (who tried what, and why), but a
//! client sending bad requests in a loop would otherwise grow the log, and the disk, without
//! bound. So at most `PER_WINDOW` refusals a minute are written one by one; beyond that they
//! are counted, by source address, and the count goes into one summary entry
//! (`onboarding-refusals-suppressed`) when the next window starts. Nothing is lost silently:
//! the total is also in `/v1/status`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Refusals written one by one per window.
const PER_WINDOW: u32 = 100;
const WINDOW: Duration = Duration::from_secs(60);
/// Sources counted by name in a summary; the rest together.
const SOURCES_NAMED: usize = 100;

#[derive(Debug)]
pub struct Refusals {
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    written: u32,
    suppressed: u64,
    by_source: BTreeMap<String, u64>,
    total_suppressed: u64,
}

/// What to write for one refusal.
#[derive(Debug, PartialEq)]
pub struct Admitted {
    /// Whether this refusal gets its own audit entry.
    pub write: bool,
    /// The summary of the window that just ended, when refusals were left out of it.
    pub summary: Option<Value>,
}

impl Refusals {
    pub fn new(now: Instant) -> Refusals {
        Refusals {
            window: Mutex::new(Window {
                started: now,
                written: 0,
                suppressed: 0,
                by_source: BTreeMap::new(),
                total_suppressed: 0,
            }),
        }
    }

    /// Accounts for one refusal from `source` at `now`.
    pub fn admit(&self, source: Option<IpAddr>, now: Instant) -> Admitted {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut summary = None;
        if now.duration_since(window.started) >= WINDOW {
            if window.suppressed > 0 {
                summary = Some(json!({
                    "suppressed": window.suppressed,
                    "window_seconds": WINDOW.as_secs(),
                    "written": window.written,
                    "by_source": window.by_source,
                }));
            }
            window.started = now;
            window.written = 0;
            window.suppressed = 0;
            window.by_source.clear();
        }
        if window.written < PER_WINDOW {
            window.written += 1;
            return Admitted {
                write: true,
                summary,
            };
        }
        window.suppressed += 1;
        window.total_suppressed += 1;
        let named = source.map_or_else(|| "unknown".to_string(), |s| s.to_string());
        let key = if window.by_source.contains_key(&named) || window.by_source.len() < SOURCES_NAMED
        {
            named
        } else {
            "others".to_string()
        };
        *window.by_source.entry(key).or_default() += 1;
        Admitted {
            write: false,
            summary,
        }
    }

    /// Refusals left out of the audit log since the start, counted in summaries.
    pub fn suppressed(&self) -> u64 {
        self.window
            .lock()
            .map(|w| w.total_suppressed)
            .unwrap_or_else(|poisoned| poisoned.into_inner().total_suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_refusals_is_written_up_to_the_bound_then_summed_up() {
        let start = Instant::now();
        let refusals = Refusals::new(start);
        let a: IpAddr = "192.0.2.1".parse().expect("address");
        let b: IpAddr = "192.0.2.2".parse().expect("address");
        let mut written = 0;
        for n in 0..250 {
            let source = if n % 5 == 0 { b } else { a };
            let admitted = refusals.admit(Some(source), start + Duration::from_millis(n));
            assert_eq!(admitted.summary, None);
            written += u32::from(admitted.write);
        }
        assert_eq!(written, PER_WINDOW);
        assert_eq!(refusals.suppressed(), 150);
        // The next window starts with the summary of the last one, and writes again.
        let next = refusals.admit(Some(a), start + WINDOW + Duration::from_secs(1));
        assert!(next.write);
        let summary = next.summary.expect("a summary");
        assert_eq!(summary["suppressed"], 150);
        assert_eq!(summary["by_source"]["192.0.2.1"], 120);
        assert_eq!(summary["by_source"]["192.0.2.2"], 30);
        // A quiet window has no summary.
        let later = refusals.admit(None, start + 3 * WINDOW);
        assert_eq!(
            later,
            Admitted {
                write: true,
                summary: None
            }
        );
        assert_eq!(refusals.suppressed(), 150);
    }

    #[test]
    fn many_sources_are_named_up_to_a_bound() {
        let start = Instant::now();
        let refusals = Refusals::new(start);
        for n in 0..(PER_WINDOW as usize + 300) {
            let source = IpAddr::from([10, 0, (n / 256) as u8, (n % 256) as u8]);
            refusals.admit(Some(source), start);
        }
        let summary = refusals
            .admit(None, start + WINDOW)
            .summary
            .expect("a summary");
        let sources = summary["by_source"].as_object().expect("sources");
        assert_eq!(sources.len(), SOURCES_NAMED + 1);
        assert_eq!(sources["others"], 200);
    }
}
