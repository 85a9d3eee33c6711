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
    for e in entries {
        last = last.max(Some(e.date));
        for p in &e.postings {
            if opts.assert_accounts.contains(&p.account) {
                *bal.entry((p.account.clone(), p.currency))
                    .or_insert(Decimal::ZERO) += p.amount;
            }
        }
    }
    (bal, last)
}

/// Text safe inside a double-quoted string of a plain-text ledger.
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
}
