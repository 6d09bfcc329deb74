//! `ward pava scan`: the detection engine over log files, offline, with the times the lines
//! carry: for testing rules against captured logs. Lines may be syslog messages (with
//! `<PRI>`) or lines of a daemon's log file (`/var/log/auth.log`), which carry none.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::engine::{Engine, Incident, RuleStats};
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

/// Scans files (or standard input for `-`) in order with one engine.
pub fn scan(engine: &mut Engine, paths: &[&Path], year: i32) -> Result<ScanReport, String> {
    let mut report = ScanReport::default();
    let mut line = Vec::with_capacity(1024);
    for path in paths {
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
            match parse_file_line(&line, year) {
                Ok(message) => {
                    report.parsed += 1;
                    let raw = std::str::from_utf8(&line).unwrap_or_default();
                    engine.feed(&message, raw, 0, &mut report.incidents);
                }
                Err(reason) => *report.dropped.entry(reason.as_str()).or_default() += 1,
            }
        }
    }
    report.rules = engine.stats();
    Ok(report)
}
