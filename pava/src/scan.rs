//! `ward pava scan`: the detection engine over log files, offline, with the times the lines
//! carry: for testing rules against captured logs. Lines may be syslog messages (with
//! `<PRI>`) or lines of a daemon's log file (`/var/log/auth.log`), which carry none.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::engine::{Engine, Incident, RuleStats, Sender};
use super::syslog::{Malformed, parse_file_line};

/// The longest line read; longer ones are counted as too large and skipped.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

#[derive(Debug, Default, Serialize)]
pub struct ScanReport {
    pub lines: u64,
    pub parsed: u64,
    /// Lines dropped, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    pub incidents: Vec<Incident>,
    pub rules: Vec<RuleStats>,
}

/// Reads lines of at most `MAX_LINE_BYTES` (without the newline); a longer line is skipped to
/// its end and reported as `None`.
fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    line.clear();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        return Ok(Some(true));
    }
    if line.len() > MAX_LINE_BYTES {
        // Skip the rest of the long line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let n = reader
                .by_ref()
                .take(MAX_LINE_BYTES as u64)
                .read_until(b'\n', &mut rest)?;
            if n == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
        return Ok(Some(false));
    }
    Ok(Some(true))
}

/// How far back a BSD-dated line may go before it is taken for the next year: BSD times have
/// no year, and a log that runs from `Dec 31 23:58` to `Jan  1 00:00` has gone forward, not
/// back a year. Logs are written in order, give or take a relay's delay; half a year back can
/// only be a new year.
const YEAR_ROLLOVER_MS: i64 = 183 * 86_400_000;

/// Scans files (or standard input for `-`) in order with one engine. BSD-dated lines get
/// `year`, and the next year once their dates go back by more than half a year (a file that
/// crosses New Year).
pub fn scan(engine: &mut Engine, paths: &[&Path], year: i32) -> Result<ScanReport, String> {
    let mut report = ScanReport::default();
    let mut line = Vec::with_capacity(1024);
    for path in paths {
        let mut year = year;
        let mut latest: Option<i64> = None;
        let reader: Box<dyn Read> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?)
        };
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        while let Some(fits) =
            next_line(&mut reader, &mut line).map_err(|e| format!("{}: {e}", path.display()))?
        {
            report.lines += 1;
            if !fits {
                *report
                    .dropped
                    .entry(Malformed::TooLarge.as_str())
                    .or_default() += 1;
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let mut parsed = parse_file_line(&line, year);
            if let (Ok(message), Some(latest)) = (&parsed, latest)
                && message
                    .timestamp
                    .is_some_and(|t| t < latest - YEAR_ROLLOVER_MS)
            {
                // Only a year-less date changes with the year: an RFC 3339 one stays put.
                let next = parse_file_line(&line, year + 1);
                if next.as_ref().ok().and_then(|m| m.timestamp) != message.timestamp {
                    year += 1;
                    parsed = next;
                }
            }
            match parsed {
                Ok(message) => {
                    if let Some(t) = message.timestamp {
                        latest = Some(latest.map_or(t, |l| l.max(t)));
                    }
                    report.parsed += 1;
                    let raw = std::str::from_utf8(&line).unwrap_or_default();
                    engine.feed(
                        &message,
                        raw,
                        0,
                        Sender::Unattributed,
                        &mut report.incidents,
                    );
                }
                Err(reason) => *report.dropped.entry(reason.as_str()).or_default() += 1,
            }
        }
    }
    report.rules = engine.stats();
    Ok(report)
}
