//! Dates on the command line: a day (`YYYY-MM-DD`) is its start, in UTC.

use chrono::{DateTime, NaiveDate, Utc};

/// The start of `day` in UTC, or now when no day is given.
pub fn start_or_now(day: Option<NaiveDate>) -> DateTime<Utc> {
    day.map(start).unwrap_or_else(Utc::now)
}

/// 00:00 UTC of `day`.
pub fn start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(Utc::now)
}
