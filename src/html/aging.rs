//! Receivables aging from the report's open invoices and their due dates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tieout_core::Currency;
use tieout_core::reconcile::report::OpenInvoice;

/// Bucket names, in order: not yet due, days past due, and no due date.
pub const BUCKETS: [&str; 6] = ["current", "1-30", "31-60", "61-90", "90+", "no due date"];

/// Open amounts (and invoice counts) per bucket, for one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aging {
    /// Open amount per bucket, in [`BUCKETS`] order.
    pub amounts: [Decimal; 6],
    /// Invoices per bucket.
    pub counts: [u64; 6],
}

/// The bucket of an invoice due on `due` (none: no due date) as of `as_of`.
pub fn bucket(due: Option<NaiveDate>, as_of: NaiveDate) -> usize {
    let Some(due) = due else { return 5 };
    let late = (as_of - due).num_days();
    match late {
        i64::MIN..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Aging per currency of the open amounts.
pub fn aging(open: &[OpenInvoice], as_of: NaiveDate) -> BTreeMap<Currency, Aging> {
    let mut out: BTreeMap<Currency, Aging> = BTreeMap::new();
    for inv in open.iter().filter(|i| !i.open.is_zero()) {
        let b = bucket(inv.due_date.map(|d| d.date_naive()), as_of);
        let a = out.entry(inv.currency).or_default();
        a.amounts[b] += inv.open;
        a.counts[b] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_days_past_due() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let as_of = d("2026-03-31");
        assert_eq!(bucket(Some(d("2026-04-10")), as_of), 0);
        assert_eq!(bucket(Some(as_of), as_of), 0);
        assert_eq!(bucket(Some(d("2026-03-30")), as_of), 1);
        assert_eq!(bucket(Some(d("2026-03-01")), as_of), 1);
        assert_eq!(bucket(Some(d("2026-02-28")), as_of), 2);
        assert_eq!(bucket(Some(d("2026-01-30")), as_of), 2);
        assert_eq!(bucket(Some(d("2026-01-29")), as_of), 3);
        assert_eq!(bucket(Some(d("2025-12-31")), as_of), 3);
        assert_eq!(bucket(Some(d("2025-12-30")), as_of), 4);
        assert_eq!(bucket(None, as_of), 5);
    }
}
