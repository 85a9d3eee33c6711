//! Filtered, paged record queries: what [`Store::query`](super::Store::query)
//! answers, one page at a time, so a caller can walk a million invoices
//! without holding them all.
//!
//! Pure: the filter, the order and the cursor are defined here once; the SQL
//! stores translate them (with indexes) and the default implementation runs
//! them over [`Store::list`](super::Store::list).
//!
//! **Order.** A page is ordered by a stable key: the record id, or, when the
//! query has a time range, that time and then the id (created range first,
//! then due range, then `updated_since`), so a range walk follows the time
//! index instead of sorting the range for every page. Records without that
//! time never match such a range.
//!
//! **Cursor.** [`RecordPage::next`] is an opaque string (the last record's
//! key); passing it back as [`RecordQuery::after`] gives the next page. A
//! cursor stays valid while records are written: records committed behind it
//! are not revisited, records ahead of it are seen once.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::entity::{Entity, EntityKind};
use crate::error::{CoreError, Result};
use crate::model::Id;
use crate::money::Currency;
use crate::store::columns::{self, Column, TimeColumn};

/// Default records per page.
pub const DEFAULT_PAGE_SIZE: usize = 500;

/// Largest page a query may ask for (memory per page stays bounded).
pub const MAX_PAGE_SIZE: usize = 10_000;

/// A time range: `from` inclusive, `to` exclusive; an unset bound is open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// Earliest time included.
    pub from: Option<DateTime<Utc>>,
    /// First time excluded.
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// A range from `from` (inclusive) to `to` (exclusive).
    pub fn new(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        TimeRange { from, to }
    }

    /// Whether neither bound is set (the range filters nothing).
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether `t` falls in the range, compared as [`time_key`]s (millisecond
    /// precision, as the stores index them); a missing time never does
    /// unless the range is unbounded.
    pub fn contains(&self, t: Option<DateTime<Utc>>) -> bool {
        if self.is_unbounded() {
            return true;
        }
        let Some(t) = t.map(|t| time_key(&t)) else {
            return false;
        };
        self.from.is_none_or(|f| t >= time_key(&f)) && self.to.is_none_or(|e| t < time_key(&e))
    }
}

/// The key a page is ordered by (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryOrder {
    /// By record id.
    Id,
    /// By creation time, then id.
    Created,
    /// By due date, then id.
    Due,
    /// By last source update, then id.
    Updated,
}

impl QueryOrder {
    /// The time column ordered by, `None` for [`QueryOrder::Id`].
    pub fn column(self) -> Option<TimeColumn> {
        match self {
            QueryOrder::Id => None,
            QueryOrder::Created => Some(TimeColumn::CreatedAt),
            QueryOrder::Due => Some(TimeColumn::DueAt),
            QueryOrder::Updated => Some(TimeColumn::UpdatedAt),
        }
    }

    fn tag(self) -> &'static str {
        match self {
            QueryOrder::Id => "i",
            QueryOrder::Created => "c",
            QueryOrder::Due => "d",
            QueryOrder::Updated => "u",
        }
    }
}

/// Where a page resumes: the key of the last record of the previous page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The order the cursor belongs to.
    pub order: QueryOrder,
    /// The last record's [`time_key`] (empty for [`QueryOrder::Id`]).
    pub time: String,
    /// The last record's id.
    pub id: Id,
}

impl Cursor {
    /// The opaque text form handed to callers.
    pub fn encode(&self) -> String {
        format!("{}|{}|{}", self.order.tag(), self.time, self.id)
    }

    /// Parses [`Cursor::encode`]'s text; fails on anything else.
    pub fn decode(text: &str) -> Result<Cursor> {
        let bad = || CoreError::Invalid(format!("not a page cursor: {text:?}"));
        let (tag, rest) = text.split_once('|').ok_or_else(bad)?;
        let (time, id) = rest.split_once('|').ok_or_else(bad)?;
        let order = [
            QueryOrder::Id,
            QueryOrder::Created,
            QueryOrder::Due,
            QueryOrder::Updated,
        ]
        .into_iter()
        .find(|o| o.tag() == tag)
        .ok_or_else(bad)?;
        if id.is_empty() || (order == QueryOrder::Id) != time.is_empty() {
            return Err(bad());
        }
        Ok(Cursor {
            order,
            time: time.to_string(),
            id: id.to_string(),
        })
    }
}

/// A filtered, paged query over one record kind. Every filter is optional;
/// filters combine with AND.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordQuery {
    /// The kind queried.
    pub kind: EntityKind,
    /// Only records in this status (the snake_case name, as
    /// [`columns::value`] stores it).
    pub status: Option<String>,
    /// Only records of this books customer.
    pub customer_id: Option<Id>,
    /// Only records in this currency.
    pub currency: Option<Currency>,
    /// Only records created in this range.
    pub created: TimeRange,
    /// Only records due in this range (invoices).
    pub due: TimeRange,
    /// Only records whose source update time is at or after this.
    pub updated_since: Option<DateTime<Utc>>,
    /// Resume after this cursor ([`RecordPage::next`] of the previous page).
    pub after: Option<String>,
    /// Records per page, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
}

impl RecordQuery {
    /// Every record of `kind`, [`DEFAULT_PAGE_SIZE`] per page.
    pub fn new(kind: EntityKind) -> Self {
        RecordQuery {
            kind,
            status: None,
            customer_id: None,
            currency: None,
            created: TimeRange::default(),
            due: TimeRange::default(),
            updated_since: None,
            after: None,
            limit: DEFAULT_PAGE_SIZE,
        }
    }

    /// The key pages are ordered by.
    pub fn order(&self) -> QueryOrder {
        if !self.created.is_unbounded() {
            QueryOrder::Created
        } else if !self.due.is_unbounded() {
            QueryOrder::Due
        } else if self.updated_since.is_some() {
            QueryOrder::Updated
        } else {
            QueryOrder::Id
        }
    }

    /// The updated-since filter as a range.
    pub fn updated(&self) -> TimeRange {
        TimeRange::new(self.updated_since, None)
    }

    /// Checks the query: a page size in range, filters the kind has, a
    /// cursor of this query's order. Returns the decoded cursor.
    pub fn validate(&self) -> Result<Option<Cursor>> {
        if self.limit == 0 || self.limit > MAX_PAGE_SIZE {
            return Err(CoreError::Invalid(format!(
                "page size must be 1 to {MAX_PAGE_SIZE}, not {}",
                self.limit
            )));
        }
        let cols = columns::columns_of(self.kind);
        for (set, col, what) in [
            (self.status.is_some(), Column::Status, "status"),
            (self.customer_id.is_some(), Column::CustomerId, "customer"),
            (self.currency.is_some(), Column::Currency, "currency"),
        ] {
            if set && !cols.contains(&col) {
                return Err(CoreError::Invalid(format!(
                    "{} records have no {what} to filter by",
                    self.kind.as_str()
                )));
            }
        }
        let cursor = self.after.as_deref().map(Cursor::decode).transpose()?;
        if let Some(c) = &cursor
            && c.order != self.order()
        {
            return Err(CoreError::Invalid(
                "the cursor belongs to a query with other time filters".into(),
            ));
        }
        Ok(cursor)
    }

    /// Whether `e` passes every filter (not the cursor).
    pub fn matches(&self, e: &Entity) -> bool {
        e.kind() == self.kind
            && self
                .status
                .as_deref()
                .is_none_or(|s| columns::value(e, Column::Status) == Some(s))
            && self
                .customer_id
                .as_deref()
                .is_none_or(|c| columns::value(e, Column::CustomerId) == Some(c))
            && self
                .currency
                .as_ref()
                .is_none_or(|c| columns::value(e, Column::Currency) == Some(c.code()))
            && self.created.contains(columns::created_at(e))
            && self.due.contains(columns::due_at(e))
            && self.updated().contains(columns::updated_at(e))
    }

    /// The sort key of `e` under this query's order: its time key (empty
    /// for the id order) and id.
    pub fn key_of(&self, e: &Entity) -> (String, Id) {
        let time = self.order().column().and_then(|c| c.key_of(e));
        (time.unwrap_or_default(), e.id().to_string())
    }

    /// Runs the query over `records` (every record of the kind, in any
    /// order): the reference implementation the SQL stores must agree with.
    pub fn page_of(&self, records: Vec<Entity>) -> Result<RecordPage> {
        let cursor = self.validate()?;
        let after = cursor.map(|c| (c.time, c.id));
        let mut hits: Vec<((String, Id), Entity)> = records
            .into_iter()
            .filter(|e| self.matches(e))
            .map(|e| (self.key_of(&e), e))
            .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        hits.truncate(self.limit + 1);
        Ok(self.page_of_rows(hits.into_iter().map(|(_, e)| e).collect()))
    }

    /// The page from the rows read for it (this query's matches, in order,
    /// at most `limit + 1`): the first `limit`, and whether more follow.
    pub fn page_of_rows(&self, mut rows: Vec<Entity>) -> RecordPage {
        let more = rows.len() > self.limit;
        rows.truncate(self.limit);
        self.page(rows, more)
    }

    /// A page of `records` (this query's matches, in order, at most
    /// `limit`); `more` says whether records follow them.
    pub fn page(&self, records: Vec<Entity>, more: bool) -> RecordPage {
        let next = if more {
            records.last().map(|e| {
                let (time, id) = self.key_of(e);
                Cursor {
                    order: self.order(),
                    time,
                    id,
                }
                .encode()
            })
        } else {
            None
        };
        RecordPage { records, next }
    }
}

/// One page of a [`RecordQuery`].
#[derive(Clone, Debug, PartialEq)]
pub struct RecordPage {
    /// The records, in the query's order.
    pub records: Vec<Entity>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<String>,
}

/// A time as the stores index it: UTC, millisecond precision, fixed width
/// (`2024-03-01T09:30:00.000Z`), so text order is time order.
pub fn time_key(t: &DateTime<Utc>) -> String {
    let mut out = String::with_capacity(TIME_KEY_LEN);
    push_time_key(t, &mut out);
    out
}

/// Length of a [`time_key`] of a year from 0 to 9999.
const TIME_KEY_LEN: usize = 24;

/// Appends `t`'s [`time_key`] to `out`: the same text, written digit by
/// digit for years 0 to 9999 (a store writes three per record), through
/// chrono's RFC 3339 formatting otherwise and for leap seconds.
pub fn push_time_key(t: &DateTime<Utc>, out: &mut String) {
    use chrono::{Datelike, Timelike};
    // The UTC fields once (each accessor of a `DateTime` applies its offset).
    let n = t.naive_utc();
    let year = n.year();
    if !(0..=9999).contains(&year) || n.nanosecond() >= 1_000_000_000 {
        out.push_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true));
        return;
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, n.month());
    put(8, 2, n.day());
    put(11, 2, n.hour());
    put(14, 2, n.minute());
    put(17, 2, n.second());
    put(20, 3, n.nanosecond() / 1_000_000);
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        for c in [
            Cursor {
                order: QueryOrder::Id,
                time: String::new(),
                id: "inv_a|b".into(),
            },
            Cursor {
                order: QueryOrder::Due,
                time: "2024-03-01T09:30:00.000Z".into(),
                id: "inv_a".into(),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
        for bad in ["", "inv_a", "x||inv_a", "i|2024|inv_a", "c||inv_a", "i||"] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn time_keys_are_chronos_rfc3339_in_milliseconds(
            secs in -70_000_000_000i64..260_000_000_000i64,
            nanos in 0u32..1_000_000_000,
        ) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            proptest::prop_assert_eq!(
                time_key(&t),
                t.to_rfc3339_opts(SecondsFormat::Millis, true)
            );
        }
    }

    #[test]
    fn time_keys_match_chrono_at_the_edges() {
        let mut out = String::from("x");
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .unwrap()
            .and_utc();
        for t in [
            DateTime::from_timestamp(0, 0).unwrap(),
            DateTime::from_timestamp(-62_167_219_200, 0).unwrap(), // 0000-01-01
            DateTime::from_timestamp(253_402_300_799, 999_999_999).unwrap(), // 9999-12-31
            DateTime::from_timestamp(253_402_300_800, 0).unwrap(), // 10000-01-01
            leap,
        ] {
            out.truncate(1);
            push_time_key(&t, &mut out);
            assert_eq!(out[1..], t.to_rfc3339_opts(SecondsFormat::Millis, true));
        }
    }

    #[test]
    fn time_keys_sort_as_times() {
        let a = DateTime::from_timestamp(1_709_285_400, 0).unwrap();
        let b = DateTime::from_timestamp(1_709_285_400, 250_000_000).unwrap();
        let c = DateTime::from_timestamp(1_709_285_401, 0).unwrap();
        assert_eq!(time_key(&a), "2024-03-01T09:30:00.000Z");
        assert!(time_key(&a) < time_key(&b) && time_key(&b) < time_key(&c));
    }

    #[test]
    fn the_order_follows_the_first_time_filter() {
        let mut q = RecordQuery::new(EntityKind::Invoice);
        assert_eq!(q.order(), QueryOrder::Id);
        q.updated_since = Some(Utc::now());
        assert_eq!(q.order(), QueryOrder::Updated);
        q.due.to = Some(Utc::now());
        assert_eq!(q.order(), QueryOrder::Due);
        q.created.from = Some(Utc::now());
        assert_eq!(q.order(), QueryOrder::Created);
    }

    #[test]
    fn filters_the_kind_lacks_and_bad_sizes_are_refused() {
        let mut q = RecordQuery::new(EntityKind::Customer);
        q.status = Some("open".into());
        assert!(q.validate().unwrap_err().to_string().contains("no status"));
        let mut q = RecordQuery::new(EntityKind::Invoice);
        q.limit = 0;
        assert!(q.validate().is_err());
        q.limit = MAX_PAGE_SIZE + 1;
        assert!(q.validate().is_err());
        q.limit = 10;
        q.after = Some(
            Cursor {
                order: QueryOrder::Created,
                time: "2024-03-01T09:30:00.000Z".into(),
                id: "inv_a".into(),
            }
            .encode(),
        );
        assert!(q.validate().unwrap_err().to_string().contains("cursor"));
    }
}
