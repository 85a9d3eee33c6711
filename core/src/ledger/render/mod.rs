//! Renderers: the same journal entries as Beancount, hledger, QuickBooks
//! Online, NetSuite, Xero and generic CSV, and the Stripe balance statement
//! as bank-statement CSV and camt.053.

mod beancount;
mod camt;
mod csv_rows;
mod hledger;
mod json;
mod netsuite;
mod qbo;
mod xero;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use beancount::beancount;
pub use camt::{statement_camt053, statement_csv};
pub use csv_rows::csv;
pub use hledger::hledger;
pub use netsuite::netsuite;
pub use qbo::{QboDocument, doc_number, qbo, qbo_documents};
pub use xero::{XeroDocument, xero, xero_documents};

use super::{JournalEntry, Target};
use crate::error::Result;
use crate::money::Currency;

/// Options shared by the renderers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenderOptions {
    /// Accounts to write balance assertions for (Beancount, hledger), after
    /// the last entry, per currency.
    pub assert_accounts: Vec<String>,
    /// Balances of those accounts before the first rendered entry (for an
    /// export that continues an earlier one).
    pub opening: BTreeMap<String, BTreeMap<Currency, Decimal>>,
    /// The last date of those earlier entries: assertions go after it too.
    pub opening_date: Option<NaiveDate>,
    /// The organisation's base currency (Xero; QuickBooks home currency).
    pub base_currency: Option<Currency>,
    /// Rates to the base currency, per currency (Xero): base = amount * rate.
    pub rates: BTreeMap<Currency, Decimal>,
    /// Balance assertions at the edges of the exported period (Beancount,
    /// hledger): when set, they replace the assertions after the last entry
    /// that `opening` and `opening_date` give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<PeriodEdges>,
}

/// Balances, per account and currency, at the edges of an exported period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodEdges {
    /// The period's first day. Beancount: `balance` directives dated this day
    /// (Beancount checks them at the beginning of the day, before its
    /// entries); hledger: an assertion-only transaction dated the day before
    /// (hledger checks it after that day's postings, so after everything
    /// booked before the period, in this file or an earlier one).
    pub start: NaiveDate,
    /// The balances at the beginning of `start`: everything dated before it.
    pub opening: BTreeMap<String, BTreeMap<Currency, Decimal>>,
    /// The day after the period (its exclusive end). Beancount: `balance`
    /// directives dated this day; hledger: an assertion-only transaction on
    /// the day before, after the period's entries.
    pub end: NaiveDate,
    /// The balances at the beginning of `end`: everything dated before it.
    pub closing: BTreeMap<String, BTreeMap<Currency, Decimal>>,
}

impl PeriodEdges {
    /// Every (account, currency) asserted, with its opening and closing
    /// balance (zero where one side has none).
    pub fn rows(&self) -> Vec<(&str, Currency, Decimal, Decimal)> {
        let mut keys: BTreeMap<(&str, Currency), (Decimal, Decimal)> = BTreeMap::new();
        for (a, per) in &self.opening {
            for (c, v) in per {
                keys.entry((a.as_str(), *c)).or_default().0 = *v;
            }
        }
        for (a, per) in &self.closing {
            for (c, v) in per {
                keys.entry((a.as_str(), *c)).or_default().1 = *v;
            }
        }
        keys.into_iter()
            .map(|((a, c), (o, cl))| (a, c, o, cl))
            .collect()
    }
}

/// Renders `entries` for `target`.
pub fn render(target: Target, entries: &[JournalEntry], opts: &RenderOptions) -> Result<String> {
    match target {
        Target::Beancount => Ok(beancount(entries, opts)),
        Target::Hledger => Ok(hledger(entries, opts)),
        Target::Qbo => qbo(entries, opts),
        Target::Netsuite => netsuite(entries),
        Target::Xero => xero(entries, opts),
        Target::Csv => csv(entries),
    }
}

/// `amount` with exactly the currency's minor-unit digits (`5` USD -> `5.00`).
pub fn fmt_amount(amount: Decimal, currency: Currency) -> String {
    crate::money::at_scale(amount, currency).to_string()
}

/// Appends `amount` with exactly the currency's minor-unit digits, as
/// [`fmt_amount`] writes it, without an intermediate `String`.
pub(crate) fn push_amount(out: &mut String, amount: Decimal, currency: Currency) {
    let d = crate::money::at_scale(amount, currency);
    let scale = d.scale() as usize;
    let m = d.mantissa();
    if m < 0 {
        out.push('-');
    }
    // Digits of |mantissa|, least significant first, into a stack buffer.
    let mut digits = [0u8; 40];
    let mut n = m.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // At least one integer digit before the point.
    while len <= scale {
        digits[len] = b'0';
        len += 1;
    }
    for i in (0..len).rev() {
        if i + 1 == scale {
            out.push('.');
        }
        out.push(digits[i] as char);
    }
}

/// Appends a date as `YYYY-MM-DD` (years 0 to 9999, as chrono writes them).
pub(crate) fn push_date(out: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        out.push_str(&d.to_string());
        return;
    }
    let y = y as u32;
    let b = [
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (day / 10) as u8,
        b'0' + (day % 10) as u8,
    ];
    // Only ASCII digits and dashes.
    out.push_str(std::str::from_utf8(&b).unwrap_or_default());
}

/// Appends `s` as [`quoted`] writes it, without an intermediate `String`.
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    if !s.contains(['"', '\\', '\n', '\r', '\t']) {
        out.push_str(s);
        return;
    }
    out.extend(s.chars().map(|c| match c {
        '"' => '\'',
        '\\' | '\n' | '\r' | '\t' => ' ',
        c => c,
    }));
}

/// Running balances of `accounts` per currency after all `entries`, from
/// `opening`; and the last entry date.
pub(crate) fn closing_balances(
    entries: &[JournalEntry],
    opts: &RenderOptions,
) -> (BTreeMap<(String, Currency), Decimal>, Option<NaiveDate>) {
    let mut bal: BTreeMap<(String, Currency), Decimal> = BTreeMap::new();
    for (a, per) in &opts.opening {
        for (c, v) in per {
            bal.insert((a.clone(), *c), *v);
        }
    }
    let mut last = if entries.is_empty() {
        None
    } else {
        opts.opening_date
    };
    // Summed under borrowed keys: one map probe per posting, no allocation.
    let mut moved: BTreeMap<(&str, Currency), Decimal> = BTreeMap::new();
    for e in entries {
        last = last.max(Some(e.date));
        for p in &e.postings {
            if opts.assert_accounts.contains(&p.account) {
                *moved
                    .entry((p.account.as_str(), p.currency))
                    .or_insert(Decimal::ZERO) += p.amount;
            }
        }
    }
    for ((a, c), v) in moved {
        *bal.entry((a.to_string(), c)).or_insert(Decimal::ZERO) += v;
    }
    (bal, last)
}

/// Text safe inside a double-quoted string of a plain-text ledger (what
/// [`push_quoted`] appends).
#[cfg(test)]
pub(crate) fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' | '\n' | '\r' | '\t' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_carry_exactly_the_currency_digits() {
        assert_eq!(fmt_amount(dec!(5), Currency::USD), "5.00");
        assert_eq!(fmt_amount(dec!(-1.5), Currency::USD), "-1.50");
        assert_eq!(fmt_amount(dec!(500), Currency::JPY), "500");
        assert_eq!(fmt_amount(dec!(1.2340), Currency::KWD), "1.234");
        assert_eq!(fmt_amount(dec!(2.500), Currency::USD), "2.50");
    }

    #[test]
    fn the_appending_writers_write_what_the_formatters_do() {
        let cases = [
            (dec!(5), Currency::USD),
            (dec!(-1.5), Currency::USD),
            (dec!(0), Currency::USD),
            (dec!(-0.07), Currency::USD),
            (dec!(0.5), Currency::USD),
            (dec!(500), Currency::JPY),
            (dec!(-3), Currency::JPY),
            (dec!(1.2340), Currency::KWD),
            (dec!(-0.001), Currency::KWD),
            (dec!(123456789012345.67), Currency::USD),
        ];
        for (a, c) in cases {
            let mut out = String::new();
            push_amount(&mut out, a, c);
            assert_eq!(out, fmt_amount(a, c), "{a} {c}");
        }
        for s in ["plain", "a \"q\" b", "tab\there\nline\\x", ""] {
            let mut out = String::new();
            push_quoted(&mut out, s);
            assert_eq!(out, quoted(s));
        }
        for d in [
            NaiveDate::from_ymd_opt(2026, 1, 9).unwrap(),
            NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(-5, 3, 1).unwrap(),
        ] {
            let mut out = String::new();
            push_date(&mut out, d);
            assert_eq!(out, d.to_string());
        }
    }
}
