//! Accounts-receivable aging: open amounts per customer and currency in
//! buckets of days past due.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::cases::{age_from, is_collectible};
use crate::model::{Id, Invoice};
use crate::money::{Currency, at_scale};

/// One customer's (or, in `totals`, every customer's) open amounts in one
/// currency, by days past due.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgingRow {
    /// Books id of the customer (`None`: invoices without one, or a total row).
    pub customer_id: Option<Id>,
    /// The customer's name.
    pub customer_name: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Not yet due.
    pub current: Decimal,
    /// 1 to 30 days past due.
    pub days_1_30: Decimal,
    /// 31 to 60 days past due.
    pub days_31_60: Decimal,
    /// 61 to 90 days past due.
    pub days_61_90: Decimal,
    /// More than 90 days past due.
    pub days_over_90: Decimal,
    /// The sum of the buckets.
    pub total: Decimal,
}

impl AgingRow {
    fn new(customer_id: Option<Id>, customer_name: Option<String>, currency: Currency) -> Self {
        // Zero at the currency's scale, so empty buckets read `0.00` (USD).
        let zero = at_scale(Decimal::ZERO, currency);
        AgingRow {
            customer_id,
            customer_name,
            currency,
            current: zero,
            days_1_30: zero,
            days_31_60: zero,
            days_61_90: zero,
            days_over_90: zero,
            total: zero,
        }
    }

    fn add(&mut self, days_past_due: i64, amount: Decimal) {
        let bucket = match days_past_due {
            i64::MIN..=0 => &mut self.current,
            1..=30 => &mut self.days_1_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.days_over_90,
        };
        *bucket += amount;
        self.total += amount;
    }

    fn merge(&mut self, o: &AgingRow) {
        self.current += o.current;
        self.days_1_30 += o.days_1_30;
        self.days_31_60 += o.days_31_60;
        self.days_61_90 += o.days_61_90;
        self.days_over_90 += o.days_over_90;
        self.total += o.total;
    }
}

/// The aging report as of one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgingReport {
    /// The time days past due are counted to.
    pub as_of: DateTime<Utc>,
    /// One row per customer and currency, by customer id then currency.
    pub rows: Vec<AgingRow>,
    /// One row per currency: the sum of its rows.
    pub totals: Vec<AgingRow>,
    /// Every open invoice's open amount per currency, summed directly (the
    /// totals' `total` equals it).
    pub open_total: Vec<(Currency, Decimal)>,
}

/// Ages every collectible invoice at `as_of` (days past the due date, or past
/// finalization when there is none; neither: current). `names` gives customer
/// names. One pass, a map per customer and currency.
pub fn aging<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    names: &HashMap<&str, &str>,
    as_of: DateTime<Utc>,
) -> AgingReport {
    // Fx hashing: the keys are ours (customer ids), a million lookups.
    let mut rows: rustc_hash::FxHashMap<(Option<&'a str>, Currency), AgingRow> =
        rustc_hash::FxHashMap::default();
    let mut open: rustc_hash::FxHashMap<Currency, Decimal> = rustc_hash::FxHashMap::default();
    for inv in invoices {
        if !is_collectible(inv) {
            continue;
        }
        let days = age_from(inv).map_or(0, |(from, _)| (as_of - from).num_days());
        let cust = inv.customer_id.as_deref();
        rows.entry((cust, inv.currency))
            .or_insert_with(|| {
                AgingRow::new(
                    cust.map(str::to_string),
                    cust.and_then(|c| names.get(c)).map(|n| n.to_string()),
                    inv.currency,
                )
            })
            .add(days, inv.amount_remaining);
        *open
            .entry(inv.currency)
            .or_insert_with(|| at_scale(Decimal::ZERO, inv.currency)) += inv.amount_remaining;
    }
    let mut rows: Vec<AgingRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        (a.customer_id.as_deref(), a.currency.code())
            .cmp(&(b.customer_id.as_deref(), b.currency.code()))
    });
    let mut totals: HashMap<Currency, AgingRow> = HashMap::new();
    for r in &rows {
        totals
            .entry(r.currency)
            .or_insert_with(|| AgingRow::new(None, None, r.currency))
            .merge(r);
    }
    let mut totals: Vec<AgingRow> = totals.into_values().collect();
    totals.sort_by(|a, b| a.currency.code().cmp(b.currency.code()));
    let mut open_total: Vec<(Currency, Decimal)> = open.into_iter().collect();
    open_total.sort_by(|a, b| a.0.code().cmp(b.0.code()));
    AgingReport {
        as_of,
        rows,
        totals,
        open_total,
    }
}

impl AgingReport {
    /// The report as CSV: a header, one line per row, then one `TOTAL` line
    /// per currency.
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "customer_id",
            "customer_name",
            "currency",
            "current",
            "days_1_30",
            "days_31_60",
            "days_61_90",
            "days_over_90",
            "total",
        ]);
        for (r, total) in self
            .rows
            .iter()
            .map(|r| (r, false))
            .chain(self.totals.iter().map(|r| (r, true)))
        {
            let id = if total {
                "TOTAL"
            } else {
                r.customer_id.as_deref().unwrap_or("")
            };
            let _ = w.write_record([
                id,
                r.customer_name.as_deref().unwrap_or(""),
                r.currency.code(),
                &r.current.to_string(),
                &r.days_1_30.to_string(),
                &r.days_31_60.to_string(),
                &r.days_61_90.to_string(),
                &r.days_over_90.to_string(),
                &r.total.to_string(),
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The report as JSON (amounts as decimal strings).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
