//! Syslog messages: RFC 5424, tolerating RFC 3164 (BSD) lines, parsed without allocating.
//!
//! Hand-written rather than taken from a crate: PAVA's budget is 500,000 messages a second
//! per core for parsing and matching together, which leaves about a microsecond a message;
//! the crates we measured build owned strings and maps per message (several allocations
//! each). This parser borrows every field from the input, checks structured data in one pass
//! and unescapes parameter values only when asked. `cargo bench -p ward-gateway --bench
//! pava` measures it.

use std::borrow::Cow;

/// Why a message was dropped; counted per source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformed {
    /// No `<PRI>` at the start, or a priority above 191.
    BadPri,
    /// Ends before its header does.
    Truncated,
    /// Not UTF-8 (ward reads text only: header fields are ASCII, MSG must be UTF-8).
    InvalidUtf8,
    /// A header field or the structured data does not follow RFC 5424.
    BadHeader,
    BadStructuredData,
    /// Larger than the listener accepts.
    TooLarge,
}

impl Malformed {
    pub fn as_str(self) -> &'static str {
        match self {
            Malformed::BadPri => "bad-pri",
            Malformed::Truncated => "truncated",
            Malformed::InvalidUtf8 => "invalid-utf8",
            Malformed::BadHeader => "bad-header",
            Malformed::BadStructuredData => "bad-structured-data",
            Malformed::TooLarge => "too-large",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Rfc5424,
    Rfc3164,
}

/// A parsed message; every field borrows from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub format: Format,
    pub facility: u8,
    pub severity: u8,
    /// Milliseconds since the Unix epoch (UTC), when the message has a usable time.
    pub timestamp: Option<i64>,
    pub hostname: Option<&'a str>,
    pub app: Option<&'a str>,
    pub procid: Option<&'a str>,
    pub msgid: Option<&'a str>,
    /// The structured data as written (`[id k="v"]...`), checked; empty for none.
    pub structured_data: &'a str,
    /// The free-form message, without a leading BOM.
    pub msg: &'a str,
}

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

impl<'a> Message<'a> {
    pub fn facility_name(&self) -> &'static str {
        FACILITIES
            .get(usize::from(self.facility))
            .copied()
            .unwrap_or("unknown")
    }

    pub fn severity_name(&self) -> &'static str {
        SEVERITIES
            .get(usize::from(self.severity))
            .copied()
            .unwrap_or("unknown")
    }

    /// A field by the name detection rules use.
    pub fn field(&self, name: &str) -> Option<&'a str> {
        match name {
            "msg" => Some(self.msg),
            "app" => self.app,
            "host" => self.hostname,
            "procid" => self.procid,
            "msgid" => self.msgid,
            _ => None,
        }
    }

    /// The structured-data elements: `(sd-id, [(name, value)])`, values unescaped.
    pub fn elements(&self) -> Vec<Element<'a>> {
        let mut out = Vec::new();
        let bytes = self.structured_data.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let Some((element, next)) = sd_element(self.structured_data, at) else {
                break;
            };
            out.push(element);
            at = next;
        }
        out
    }
}

/// Parses a line of a log file as a syslog daemon writes it: without `<PRI>`, in the BSD
/// format (`Nov 25 10:02:13 host sshd[9]: ...`) or with an RFC 3339 time first (rsyslog's
/// high-precision file format). Lines that carry a `<PRI>` are parsed as messages.
pub fn parse_file_line(bytes: &[u8], reference_year: i32) -> Result<Message<'_>, Malformed> {
    if bytes.first() == Some(&b'<') {
        return parse(bytes, reference_year);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Malformed::InvalidUtf8)?;
    // Facility and severity are not in the file: user.notice, syslog's default.
    Ok(rfc3164(text, 1, 5, reference_year))
}

/// Parses one message (no trailing newline).
pub fn parse(bytes: &[u8], reference_year: i32) -> Result<Message<'_>, Malformed> {
    let text = std::str::from_utf8(bytes).map_err(|_| Malformed::InvalidUtf8)?;
    let (pri, rest) = pri(text)?;
    let facility = (pri / 8) as u8;
    let severity = (pri % 8) as u8;
    // RFC 5424 puts VERSION (a non-zero digit, here 1) and a space after PRI.
    if let Some(after) = rest.strip_prefix("1 ") {
        rfc5424(after, facility, severity)
    } else {
        Ok(rfc3164(rest, facility, severity, reference_year))
    }
}

fn pri(text: &str) -> Result<(u16, &str), Malformed> {
    let rest = text.strip_prefix('<').ok_or(Malformed::BadPri)?;
    let close = rest.as_bytes().iter().take(4).position(|&b| b == b'>');
    let close = close.ok_or(if rest.len() < 4 {
        Malformed::Truncated
    } else {
        Malformed::BadPri
    })?;
    let digits = &rest[..close];
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return Err(Malformed::BadPri);
    }
    let pri: u16 = digits.parse().map_err(|_| Malformed::BadPri)?;
    if pri > 191 {
        return Err(Malformed::BadPri);
    }
    Ok((pri, &rest[close + 1..]))
}

/// The next space-separated header field; `-` is NILVALUE.
fn field(rest: &str, max: usize) -> Result<(Option<&str>, &str), Malformed> {
    let end = rest.find(' ').ok_or(Malformed::Truncated)?;
    let value = &rest[..end];
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(Malformed::BadHeader);
    }
    let value = if value == "-" { None } else { Some(value) };
    Ok((value, &rest[end + 1..]))
}

fn rfc5424(rest: &str, facility: u8, severity: u8) -> Result<Message<'_>, Malformed> {
    let (timestamp, rest) = field(rest, 48)?;
    let timestamp = match timestamp {
        None => None,
        Some(text) => Some(rfc3339_ms(text).ok_or(Malformed::BadHeader)?),
    };
    let (hostname, rest) = field(rest, 255)?;
    let (app, rest) = field(rest, 48)?;
    let (procid, rest) = field(rest, 128)?;
    let (msgid, rest) = field(rest, 32)?;
    // STRUCTURED-DATA: NILVALUE or one or more elements; then optionally SP MSG.
    let (structured_data, rest) = if let Some(after) = rest.strip_prefix('-') {
        ("", after)
    } else if rest.starts_with('[') {
        let mut at = 0;
        while rest.as_bytes().get(at) == Some(&b'[') {
            let (_, next) = sd_element(rest, at).ok_or(Malformed::BadStructuredData)?;
            at = next;
        }
        (&rest[..at], &rest[at..])
    } else if rest.is_empty() {
        return Err(Malformed::Truncated);
    } else {
        return Err(Malformed::BadStructuredData);
    };
    let msg = match rest.strip_prefix(' ') {
        Some(msg) => msg,
        None if rest.is_empty() => "",
        None => return Err(Malformed::BadStructuredData),
    };
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    Ok(Message {
        format: Format::Rfc5424,
        facility,
        severity,
        timestamp,
        hostname,
        app,
        procid,
        msgid,
        structured_data,
        msg,
    })
}

/// An SD-NAME: 1 to 32 printable ASCII characters except `=`, space, `]` and `"`.
fn sd_name_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take(33)
        .take_while(|&&b| (33..=126).contains(&b) && !matches!(b, b'=' | b' ' | b']' | b'"'))
        .count()
}

/// A structured-data element: its SD-ID and its parameters (name, unescaped value).
pub type Element<'a> = (&'a str, Vec<(&'a str, Cow<'a, str>)>);

/// One SD-ELEMENT starting at `at` (a `[`): its id, its parameters, and where it ends.
fn sd_element(text: &str, at: usize) -> Option<(Element<'_>, usize)> {
    let bytes = text.as_bytes();
    let mut i = at + 1;
    let id_len = sd_name_len(bytes.get(i..)?);
    if id_len == 0 || id_len > 32 {
        return None;
    }
    let id = &text[i..i + id_len];
    i += id_len;
    let mut params = Vec::new();
    loop {
        match bytes.get(i)? {
            b']' => return Some(((id, params), i + 1)),
            b' ' => i += 1,
            _ => return None,
        }
        let name_len = sd_name_len(bytes.get(i..)?);
        if name_len == 0 || name_len > 32 {
            return None;
        }
        let name = &text[i..i + name_len];
        i += name_len;
        if bytes.get(i..i + 2)? != b"=\"" {
            return None;
        }
        i += 2;
        let start = i;
        let mut escaped = false;
        loop {
            // RFC 5424 asks for `]` to be escaped in a value, but the quotes already say
            // where the value ends, and real senders leave it bare: read it as written.
            match bytes.get(i)? {
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b'"' => break,
                _ => i += 1,
            }
        }
        let raw = text.get(start..i)?;
        let value = if escaped {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        };
        params.push((name, value));
        i += 1;
    }
}

/// PARAM-VALUE escapes: `\"`, `\\` and `\]`; any other backslash stays as written.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('"' | '\\' | ']')) => out.push(next),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(text: &str, from: usize, n: usize) -> Option<u32> {
    let part = text.get(from..from + n)?;
    if part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// An RFC 3339 timestamp (`2026-11-25T10:00:00.123+01:00`) as milliseconds since the epoch.
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (
        digits(text, 0, 4)?,
        digits(text, 5, 2)?,
        digits(text, 8, 2)?,
    );
    let (h, mi, s) = (
        digits(text, 11, 2)?,
        digits(text, 14, 2)?,
        digits(text, 17, 2)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 || n > 6 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_min = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = i64::from(digits(text, i + 1, 2)?);
            let om = i64::from(digits(text, i + 4, 2)?);
            let total = oh * 60 + om;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s.min(59));
    Some((secs - offset_min * 60) * 1000 + millis)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Mmm dd hh:mm:ss` (RFC 3164; no year, no zone: UTC in `year`).
/// A BSD time, `Mmm dd hh:mm:ss` (the day padded with a space or a zero, or, as some
/// daemons write it, not padded: `Feb 7 16:01:07`), and how many bytes it took.
fn bsd_time(text: &str, year: i32) -> Option<(i64, usize)> {
    let b = text.as_bytes();
    // Without padding, the day is one digit and everything after it one byte earlier.
    let shift = usize::from(b.get(5) == Some(&b' ') && b.get(4).is_some_and(u8::is_ascii_digit));
    let at = |i: usize| b.get(i - shift).copied();
    if b.len() < 15 - shift
        || b[3] != b' '
        || at(6) != Some(b' ')
        || at(9) != Some(b':')
        || at(12) != Some(b':')
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == &text[..3])? as u32 + 1;
    let day: u32 = text.get(4..6 - shift)?.trim_start().parse().ok()?;
    let (h, mi, s) = (
        digits(text, 7 - shift, 2)?,
        digits(text, 10 - shift, 2)?,
        digits(text, 13 - shift, 2)?,
    );
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let ms =
        (days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s.min(59))) * 1000;
    Some((ms, 15 - shift))
}

/// An RFC 3164 line, read as far as it goes: `Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, any part
/// of which may be missing (RFC 3164 section 4.3.3: a relay takes what it gets).
fn rfc3164(rest: &str, facility: u8, severity: u8, year: i32) -> Message<'_> {
    let mut message = Message {
        format: Format::Rfc3164,
        facility,
        severity,
        timestamp: None,
        hostname: None,
        app: None,
        procid: None,
        msgid: None,
        structured_data: "",
        msg: rest,
    };
    let mut rest = rest;
    // rsyslog writes RFC 3339 times in place of BSD ones in its high-precision format.
    let iso = rest
        .split_once(' ')
        .and_then(|(first, after)| rfc3339_ms(first).map(|t| (t, after)));
    let bsd = rest
        .get(..15.min(rest.len()))
        .and_then(|t| bsd_time(t, year))
        .and_then(|(t, len)| Some((t, rest.get(len..)?)));
    if let Some((time, after)) = iso.or(bsd) {
        message.timestamp = Some(time);
        rest = after.trim_start_matches(' ');
        // A host name, unless the next word is already the tag.
        if let Some(end) = rest.find(' ') {
            let word = &rest[..end];
            if !word.ends_with(':') && !word.contains('[') {
                message.hostname = Some(word);
                rest = &rest[end + 1..];
            }
        }
    }
    // TAG: up to 32 alphanumerics (and `-_./`), optionally a `(qualifier)` (PAM's
    // `sshd(pam_unix)`: the app is `sshd`), optionally `[pid]`, then `:`.
    let tag_len = rest
        .bytes()
        .take(48)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        .count();
    if tag_len > 0 {
        let mut after = &rest[tag_len..];
        if let Some(inner) = after.strip_prefix('(')
            && let Some(close) = inner.bytes().take(33).position(|b| b == b')')
            && inner[..close]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            after = &inner[close + 1..];
        }
        let (procid, after) = match after.strip_prefix('[') {
            Some(inner) => match inner.find(']') {
                Some(close) => (Some(&inner[..close]), &inner[close + 1..]),
                None => (None, after),
            },
            None => (None, after),
        };
        if let Some(msg) = after.strip_prefix(':') {
            message.app = Some(&rest[..tag_len]);
            message.procid = procid;
            rest = msg.strip_prefix(' ').unwrap_or(msg);
        }
    }
    message.msg = rest;
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_with_a_qualifier_names_its_program() {
        let line = b"Jun 21 16:47:48 host sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=192.0.2.7";
        let m = parse_file_line(line, 2026).expect("parses");
        assert_eq!(m.hostname, Some("host"));
        assert_eq!(m.app, Some("sshd"));
        assert_eq!(m.procid, Some("19939"));
        assert!(m.msg.starts_with("authentication failure;"), "{}", m.msg);
    }

    #[test]
    fn an_unpadded_day_is_a_bsd_time() {
        let padded = parse_file_line(b"Feb  7 16:01:07 h sshd[1]: x", 2026).expect("parses");
        let bare = parse_file_line(b"Feb 7 16:01:07 h sshd[1]: x", 2026).expect("parses");
        assert_eq!(padded.timestamp, bare.timestamp);
        assert!(bare.timestamp.is_some());
        assert_eq!(
            (bare.hostname, bare.app, bare.msg),
            (Some("h"), Some("sshd"), "x")
        );
    }

    #[test]
    fn a_bare_bracket_in_a_quoted_value_is_read() {
        let m = parse(
            br#"<38>1 2019-07-08T17:40:17Z h sshd 5 - [a@1 t="[brackets]"] Failed x"#,
            2026,
        )
        .expect("parses");
        assert_eq!(m.elements()[0].1[0].1, "[brackets]");
        assert_eq!(m.msg, "Failed x");
    }

    #[test]
    fn rfc5424_examples_of_the_rfc() {
        // RFC 5424 section 6.5, example 1 (BOM dropped) and example 3.
        let m = parse(
            b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
            2026,
        )
        .expect("parses");
        assert_eq!((m.facility, m.severity), (4, 2));
        assert_eq!(m.facility_name(), "auth");
        assert_eq!(m.severity_name(), "crit");
        assert_eq!(m.timestamp, Some(1_065_910_455_003));
        assert_eq!(m.hostname, Some("mymachine.example.com"));
        assert_eq!(m.app, Some("su"));
        assert_eq!(m.procid, None);
        assert_eq!(m.msgid, Some("ID47"));
        assert_eq!(m.msg, "'su root' failed for lonvick on /dev/pts/8");

        let m = parse(
            br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event"#,
            2026,
        )
        .expect("parses");
        let elements = m.elements();
        assert_eq!(elements.len(), 2);
        assert_eq!(elements[0].0, "exampleSDID@32473");
        assert_eq!(
            elements[0].1[1],
            ("eventSource", Cow::Borrowed("Application"))
        );
        assert_eq!(elements[1].1[0].1, "high");
        assert_eq!(m.msg, "An application event");
    }

    #[test]
    fn nilvalues_escapes_and_offsets() {
        let m = parse(br#"<13>1 - - - - - -"#, 2026).expect("all nil");
        assert_eq!(
            (m.timestamp, m.hostname, m.app, m.msg),
            (None, None, None, "")
        );
        let m = parse(
            br#"<13>1 2026-11-25T10:00:00+01:00 h a 1 - [x@1 q="a \"b\" \\ \] c"] m"#,
            2026,
        )
        .expect("escapes");
        assert_eq!(m.elements()[0].1[0].1, r#"a "b" \ ] c"#);
        assert_eq!(m.timestamp, rfc3339_ms("2026-11-25T09:00:00Z"));
        assert_eq!(
            rfc3339_ms("2026-11-25T10:00:00.5Z"),
            rfc3339_ms("2026-11-25T10:00:00.500Z")
        );
    }

    #[test]
    fn bsd_lines_are_tolerated() {
        let m = parse(
            b"<38>Nov 25 10:00:01 cam-7 sshd[811]: Failed password for root from 10.0.0.9 port 22 ssh2",
            2026,
        )
        .expect("parses");
        assert_eq!(m.format, Format::Rfc3164);
        assert_eq!(m.hostname, Some("cam-7"));
        assert_eq!(m.app, Some("sshd"));
        assert_eq!(m.procid, Some("811"));
        assert!(m.msg.starts_with("Failed password for root"));
        assert_eq!(m.timestamp, rfc3339_ms("2026-11-25T10:00:01Z"));
        // No time, no host: the tag and the message still come through.
        let m = parse(b"<38>dropbear[12]: Bad password attempt", 2026).expect("parses");
        assert_eq!((m.app, m.msg), (Some("dropbear"), "Bad password attempt"));
        let m = parse(b"<38>just text", 2026).expect("parses");
        assert_eq!((m.app, m.msg), (None, "just text"));
    }

    #[test]
    fn log_file_lines_without_pri() {
        let m = parse_file_line(
            b"Nov 25 10:02:13 cam-7 sshd[901]: Failed password for root from 203.0.113.7 port 40112 ssh2",
            2026,
        )
        .expect("BSD file line");
        assert_eq!(
            (m.hostname, m.app, m.procid),
            (Some("cam-7"), Some("sshd"), Some("901"))
        );
        assert_eq!(m.timestamp, rfc3339_ms("2026-11-25T10:02:13Z"));
        let m = parse_file_line(
            b"2026-11-25T10:02:13.250+01:00 cam-7 dropbear[12]: Bad password attempt for 'root' from 192.0.2.44:53312",
            2026,
        )
        .expect("rsyslog file line");
        assert_eq!(m.timestamp, rfc3339_ms("2026-11-25T09:02:13.250Z"));
        assert_eq!((m.hostname, m.app), (Some("cam-7"), Some("dropbear")));
        assert!(m.msg.starts_with("Bad password attempt"));
    }

    #[test]
    fn malformed_input_is_refused_not_panicked_on() {
        assert_eq!(parse(b"no pri", 2026), Err(Malformed::BadPri));
        assert_eq!(parse(b"<192>1 - - - - - -", 2026), Err(Malformed::BadPri));
        assert_eq!(parse(b"<013>1 - - - - - -", 2026), Err(Malformed::BadPri));
        assert_eq!(parse(b"<13", 2026), Err(Malformed::Truncated));
        assert_eq!(
            parse(b"<13>1 2026-11-25T10:00:00Z host", 2026),
            Err(Malformed::Truncated)
        );
        assert_eq!(
            parse(b"<13>1 yesterday h a - - -", 2026),
            Err(Malformed::BadHeader)
        );
        assert_eq!(
            parse(b"<13>1 - h a - - [broken", 2026),
            Err(Malformed::BadStructuredData)
        );
        assert_eq!(
            parse(b"<13>1 - h a - - [x a=\"b\"]junk", 2026),
            Err(Malformed::BadStructuredData)
        );
        assert_eq!(
            parse(b"<13>1 - h a - - - \xff\xfe", 2026),
            Err(Malformed::InvalidUtf8)
        );
        // Every prefix of a valid message, and noise: no panic.
        let good = br#"<165>1 2003-10-11T22:14:15.003Z h app 7 ID [a@1 b="c\"d"] msg"#;
        for end in 0..good.len() {
            let _ = parse(&good[..end], 2026);
        }
        const ALPHABET: &[u8] = b"<>1 -[]\"=\\ abc:Z0123456789T.+\xff";
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let len = (seed % 64) as usize;
            let noise: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    ALPHABET[(seed >> 33) as usize % ALPHABET.len()]
                })
                .collect();
            if let Ok(m) = parse(&noise, 2026) {
                let _ = m.elements();
            }
        }
    }
}
