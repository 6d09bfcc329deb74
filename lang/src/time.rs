//! Dates and date-times of the language: `2027-06-30` (midnight UTC at the start of the day)
//! and `2027-06-30T18:00Z` (UTC, to the second). Waivers expire and flows end at them.
//!
//! Hand-written rather than a dependency: the language needs only the proleptic Gregorian
//! calendar in UTC (no zones, no leap seconds), which is the two conversions below
//! (Howard Hinnant's `days_from_civil` and `civil_from_days`), and `ward-lang` stays free of
//! a date library's clock and locale features. Tested against known days and round trips.

use std::fmt;

/// A point in time in UTC, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// Whether it was written with a time of day (`T18:00Z`), for display.
    pub has_time: bool,
}

/// Why a date's text is no date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError(pub String);

impl Timestamp {
    /// The start (00:00 UTC) of the day that holds `unix`.
    pub fn day_of(unix: i64) -> Timestamp {
        Timestamp {
            unix: unix.div_euclid(86_400) * 86_400,
            has_time: false,
        }
    }

    /// A moment as the language writes it: a date when it is midnight, else to the second.
    pub fn natural(unix: i64) -> Timestamp {
        Timestamp {
            unix,
            has_time: unix.rem_euclid(86_400) != 0,
        }
    }

    /// A moment to the second.
    pub fn at(unix: i64) -> Timestamp {
        Timestamp {
            unix,
            has_time: true,
        }
    }

    /// Reads `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS`, each optionally ending
    /// in `Z`. Years 1970 to 9999.
    pub fn parse(text: &str) -> Result<Timestamp, DateError> {
        let (date, time) = match text.split_once('T') {
            Some((date, time)) => (date, Some(time.strip_suffix('Z').unwrap_or(time))),
            None => (text, None),
        };
        let mut parts = date.split('-');
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DateError("a date is written YYYY-MM-DD".into()));
        };
        let number = |part: &str, what: &str| {
            part.parse::<i64>()
                .map_err(|_| DateError(format!("`{part}` is not a {what}")))
        };
        let (year, month, day) = (
            number(year, "year")?,
            number(month, "month")?,
            number(day, "day")?,
        );
        if !(1970..=9999).contains(&year) {
            return Err(DateError(format!(
                "the year {year} is out of range (1970 to 9999)"
            )));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError(format!("there is no month {month}")));
        }
        let last = days_in_month(year, month);
        if !(1..=last).contains(&day) {
            return Err(DateError(format!(
                "{} has {last} days, not {day}",
                MONTHS[(month - 1) as usize]
            )));
        }
        let days = days_from_civil(year, month, day);
        let Some(time) = time else {
            return Ok(Timestamp {
                unix: days * 86_400,
                has_time: false,
            });
        };
        let fields: Vec<&str> = time.split(':').collect();
        let (hour, minute, second) = match fields.as_slice() {
            [h, m] => (number(h, "hour")?, number(m, "minute")?, 0),
            [h, m, s] => (
                number(h, "hour")?,
                number(m, "minute")?,
                number(s, "second")?,
            ),
            _ => {
                return Err(DateError(
                    "a time of day is written THH:MM or THH:MM:SS, in UTC (`Z`)".into(),
                ));
            }
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(DateError(format!(
                "{hour:02}:{minute:02}:{second:02} is no time of day"
            )));
        }
        Ok(Timestamp {
            unix: days * 86_400 + hour * 3_600 + minute * 60 + second,
            has_time: true,
        })
    }

    /// (year, month, day) in UTC.
    pub fn date(self) -> (i64, i64, i64) {
        civil_from_days(self.unix.div_euclid(86_400))
    }

    /// Whole days from `self` to `later` (negative when `later` is before).
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.unix - self.unix).div_euclid(86_400)
    }
}

impl fmt::Display for Timestamp {
    /// `2027-06-30`, or `2027-06-30T18:00:00Z` when written with a time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.date();
        write!(f, "{year:04}-{month:02}-{day:02}")?;
        if self.has_time {
            let seconds = self.unix.rem_euclid(86_400);
            write!(
                f,
                "T{:02}:{:02}:{:02}Z",
                seconds / 3_600,
                seconds / 60 % 60,
                seconds % 60
            )?;
        }
        Ok(())
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(Timestamp::parse("1970-01-01").map(|t| t.unix), Ok(0));
        // `date -u -d 2027-06-30 +%s`
        assert_eq!(
            Timestamp::parse("2027-06-30").map(|t| t.unix),
            Ok(1_814_313_600)
        );
        assert_eq!(
            Timestamp::parse("2024-02-29T23:59:59Z").map(|t| t.unix),
            Ok(1_709_251_199)
        );
        assert_eq!(
            Timestamp::parse("2026-12-02T01:30").map(|t| t.unix),
            Ok(1_796_175_000)
        );
    }

    #[test]
    fn impossible_dates_say_why() {
        for (text, why) in [
            ("2027-02-29", "February has 28 days, not 29"),
            ("2027-13-01", "there is no month 13"),
            ("1969-12-31", "the year 1969 is out of range (1970 to 9999)"),
            ("2027-06-30T24:00Z", "24:00:00 is no time of day"),
            (
                "2027-06-30T12",
                "a time of day is written THH:MM or THH:MM:SS, in UTC (`Z`)",
            ),
        ] {
            assert_eq!(Timestamp::parse(text), Err(DateError(why.into())), "{text}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let start = days_from_civil(1970, 1, 1);
        let mut previous = None;
        for days in start..start + 146_097 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            assert!((1..=days_in_month(year, month)).contains(&day));
            if let Some((py, pm, pd)) = previous {
                assert!((year, month, day) > (py, pm, pd));
            }
            previous = Some((year, month, day));
            let text = format!("{year:04}-{month:02}-{day:02}");
            let parsed = Timestamp::parse(&text).expect("a real day");
            assert_eq!(parsed.to_string(), text);
        }
    }
}
