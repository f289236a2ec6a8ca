//! UTC timestamps for log lines and syslog headers, from the system clock without a date
//! library: days since 1970 to a civil date (proleptic Gregorian calendar, 400-year eras).

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC date and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    /// Year.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Microseconds.
    pub micros: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Utc {
    /// The UTC time of `t` (times before 1970 count as 1970).
    #[must_use]
    pub fn of(t: SystemTime) -> Utc {
        let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = since.as_secs();
        let (days, rest) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil(i64::try_from(days).unwrap_or(i64::MAX / 2));
        // `rest` < 86400, so the parts fit.
        let part = |v: u64| u32::try_from(v).unwrap_or(0);
        Utc {
            year,
            month,
            day,
            hour: part(rest / 3600),
            minute: part(rest % 3600 / 60),
            second: part(rest % 60),
            micros: since.subsec_micros(),
        }
    }

    /// RFC 3339 with microseconds, as RFC 5424 wants: `2024-09-05T14:34:40.044316Z`.
    #[must_use]
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.micros
        )
    }

    /// The RFC 3164 timestamp: `Sep  5 14:34:40` (day padded with a space).
    #[must_use]
    pub fn rfc3164(&self) -> String {
        let month = MONTHS[(self.month.clamp(1, 12) - 1) as usize];
        format!(
            "{month} {:>2} {:02}:{:02}:{:02}",
            self.day, self.hour, self.minute, self.second
        )
    }
}

/// (year, month, day) of the day `days` after 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    // Count from 0000-03-01 so that the leap day ends each year; an era is 400 years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64, micros: u64) -> Utc {
        Utc::of(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros))
    }

    #[test]
    fn known_instants_format_as_rfc3339_and_rfc3164() {
        assert_eq!(at(0, 0).rfc3339(), "1970-01-01T00:00:00.000000Z");
        // 2024-09-05 14:34:40 UTC, the seed's example time.
        let t = at(1_725_546_880, 44_316);
        assert_eq!(t.rfc3339(), "2024-09-05T14:34:40.044316Z");
        assert_eq!(t.rfc3164(), "Sep  5 14:34:40");
        // A leap day, and the last second of a century year that is not a leap year.
        assert_eq!(at(951_782_400, 0).rfc3339(), "2000-02-29T00:00:00.000000Z");
        assert_eq!(at(4_107_542_399, 0).rfc3164(), "Feb 28 23:59:59");
        assert_eq!(
            at(4_107_542_400, 0).rfc3339(),
            "2100-03-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        let mut prev = civil(0);
        for d in 1..200_000 {
            let next = civil(d);
            let (y, m, day) = prev;
            let ok = next == (y, m, day + 1)
                || (next.2 == 1 && (next == (y, m + 1, 1) || next == (y + 1, 1, 1)));
            assert!(ok, "{prev:?} -> {next:?}");
            prev = next;
        }
    }
}
