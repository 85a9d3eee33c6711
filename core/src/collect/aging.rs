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

/// An exact sum kept as integer minor units at the currency's exponent; an
/// amount with more decimals than that (never in the books) is kept exactly
/// beside it.
#[derive(Clone, Copy, Default)]
struct Sum {
    minor: i128,
    rest: Decimal,
}

impl Sum {
    fn add(&mut self, amount: Decimal, exp: u32) {
        let scale = amount.scale();
        if scale <= exp {
            self.minor += amount.mantissa() * POW10[(exp - scale) as usize];
        } else {
            self.rest += amount;
        }
    }

    fn value(&self, exp: u32, currency: Currency) -> Decimal {
        let minor = Decimal::from_i128_with_scale(self.minor, exp);
        if self.rest.is_zero() {
            minor
        } else {
            at_scale(minor + self.rest, currency)
        }
    }
}

const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// One row being summed: the buckets in minor units.
struct Buckets<'a> {
    customer: Option<&'a str>,
    currency: Currency,
    exp: u32,
    sums: [Sum; 5],
}

impl Buckets<'_> {
    fn row(&self, names: &HashMap<&str, &str>) -> AgingRow {
        let v = |i: usize| self.sums[i].value(self.exp, self.currency);
        let mut row = AgingRow::new(
            self.customer.map(str::to_string),
            self.customer
                .and_then(|c| names.get(c))
                .map(|n| n.to_string()),
            self.currency,
        );
        row.current = v(0);
        row.days_1_30 = v(1);
        row.days_31_60 = v(2);
        row.days_61_90 = v(3);
        row.days_over_90 = v(4);
        let mut total = Sum::default();
        for s in &self.sums {
            total.minor += s.minor;
            total.rest += s.rest;
        }
        row.total = total.value(self.exp, self.currency);
        row
    }
}

fn bucket(days_past_due: i64) -> usize {
    match days_past_due {
        i64::MIN..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Ages every collectible invoice at `as_of` (days past the due date, or past
/// finalization when there is none; neither: current). `names` gives customer
/// names. One pass, a map per customer and currency, sums in integer minor
/// units (exact; the currency's exponent is looked up once per row).
pub fn aging<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    names: &HashMap<&str, &str>,
    as_of: DateTime<Utc>,
) -> AgingReport {
    // Fx hashing: the keys are ours (customer ids), a million lookups.
    let mut index: rustc_hash::FxHashMap<(Option<&'a str>, Currency), usize> =
        rustc_hash::FxHashMap::default();
    let mut rows: Vec<Buckets<'a>> = Vec::new();
    let mut open: Vec<(Currency, u32, Sum)> = Vec::new();
    // Whole days between two times, as chrono counts them (truncated).
    let (as_of_s, as_of_ns) = (as_of.timestamp(), as_of.timestamp_subsec_nanos());
    let days_to = |from: DateTime<Utc>| {
        let (s, ns) = (from.timestamp(), from.timestamp_subsec_nanos());
        let mut secs = as_of_s - s;
        // Truncate toward zero like `(as_of - from).num_days()`.
        if secs > 0 && as_of_ns < ns {
            secs -= 1;
        } else if secs < 0 && as_of_ns > ns {
            secs += 1;
        }
        secs / 86_400
    };
    for inv in invoices {
        if !is_collectible(inv) {
            continue;
        }
        let days = age_from(inv).map_or(0, |(from, _)| days_to(from));
        let cust = inv.customer_id.as_deref();
        let i = *index.entry((cust, inv.currency)).or_insert_with(|| {
            rows.push(Buckets {
                customer: cust,
                currency: inv.currency,
                exp: inv.currency.exponent(),
                sums: [Sum::default(); 5],
            });
            rows.len() - 1
        });
        let row = &mut rows[i];
        row.sums[bucket(days)].add(inv.amount_remaining, row.exp);
        // The open total per currency, summed on its own (not from the rows).
        let at = match open.iter().position(|(c, _, _)| *c == inv.currency) {
            Some(at) => at,
            None => {
                open.push((inv.currency, row.exp, Sum::default()));
                open.len() - 1
            }
        };
        let (_, exp, sum) = &mut open[at];
        sum.add(inv.amount_remaining, *exp);
    }
    let mut rows: Vec<AgingRow> = rows.iter().map(|b| b.row(names)).collect();
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
    let mut open_total: Vec<(Currency, Decimal)> = open
        .iter()
        .map(|(c, exp, sum)| (*c, sum.value(*exp, *c)))
        .collect();
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
