//! Scalar conversions shared by every record: amounts as decimal strings, times
//! as ISO-8601 strings.
//!
//! - Amounts: major units as exact decimal strings, never JS numbers. An amount
//!   shows at least its currency's minor-unit digits (`"0.10"` USD, `"500"` JPY,
//!   `"1.234"` KWD) and more only when the source had more.
//! - Instants: ISO-8601 UTC with milliseconds, exactly `Date#toISOString()`'s
//!   format (`"2024-03-01T12:00:00.000Z"`). Calendar dates (payout arrival, bank
//!   booking date) are `"YYYY-MM-DD"`.
//! - Inputs accept an RFC 3339 instant or a plain `YYYY-MM-DD` (midnight UTC).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use tieout::Currency;

use crate::error::invalid;

/// An amount in `currency`, with at least the currency's minor-unit digits.
/// The engine's one rule (`tieout::core::money::at_scale`); records already
/// carry it, this keeps figures computed in the binding on the same rule.
pub(crate) fn amount(value: Decimal, currency: Currency) -> String {
    tieout::core::money::at_scale(value, currency).to_string()
}

/// An optional amount in `currency`.
pub(crate) fn amount_opt(value: Option<Decimal>, currency: Currency) -> Option<String> {
    value.map(|v| amount(v, currency))
}

/// A decimal without a currency context (rates, quantities, percentages).
pub(crate) fn decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

/// An instant as `Date#toISOString()` writes it.
pub(crate) fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An optional instant.
pub(crate) fn instant_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(instant)
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Parses an exact decimal string (`"12.30"`, `"-0.5"`); rejects anything else.
pub(crate) fn parse_decimal(field: &str, text: &str) -> tieout::Result<Decimal> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        && t.bytes().filter(|b| *b == b'.').count() <= 1;
    if !ok {
        return Err(invalid(format!(
            "{field}: {text:?} is not a decimal string such as \"12.30\""
        )));
    }
    Decimal::from_str_exact(t)
        .or_else(|_| Decimal::from_str(t))
        .map_err(|e| invalid(format!("{field}: {text:?} is not a decimal string: {e}")))
}

/// Parses an RFC 3339 instant or a `YYYY-MM-DD` date (midnight UTC).
pub(crate) fn parse_instant(field: &str, text: &str) -> tieout::Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt.and_utc());
        }
    }
    Err(invalid(format!(
        "{field}: {text:?} is not an ISO-8601 instant (2024-03-01T12:00:00Z) or date (2024-03-01)"
    )))
}

/// Parses a `YYYY-MM-DD` date.
pub(crate) fn parse_date(field: &str, text: &str) -> tieout::Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        invalid(format!(
            "{field}: {text:?} is not a date such as 2024-03-01"
        ))
    })
}

/// A count as a JS number (counts are far below 2^53).
pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
