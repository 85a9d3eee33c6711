//! Journal entries and their postings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::money::Currency;

/// Which layer an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Invoices issued, voided, written off; disputes lost.
    Accrual,
    /// One entry per Stripe balance transaction; deposits matched.
    Cash,
}

impl Layer {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Layer::Accrual => "accrual",
            Layer::Cash => "cash",
        }
    }
}

/// One line of an entry: a signed amount (debit positive, credit negative).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Account name from the [`LedgerMapping`](super::LedgerMapping).
    pub account: String,
    /// Signed amount in major units, exact to the currency's minor unit.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Books id of the customer, on receivable lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// What the line is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

impl Posting {
    /// A posting without customer or memo.
    /// The amount is kept at the currency's scale (`5` USD -> `5.00`).
    pub fn new(account: &str, amount: Decimal, currency: Currency) -> Posting {
        Posting {
            account: account.to_string(),
            amount: crate::money::at_scale(amount, currency),
            currency,
            customer_id: None,
            memo: None,
        }
    }

    /// This posting with a memo.
    pub fn memo(mut self, memo: impl Into<String>) -> Posting {
        self.memo = Some(memo.into());
        self
    }

    /// This posting naming a customer.
    pub fn customer(mut self, customer_id: Option<&str>) -> Posting {
        self.customer_id = customer_id.map(str::to_string);
        self
    }

    /// True for a debit (amount above zero).
    pub fn is_debit(&self) -> bool {
        self.amount > Decimal::ZERO
    }
}

/// A balanced journal entry with a stable id derived from its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Stable id: `cash:<balance transaction id>`, `inv:<invoice id>:issued`, ...
    pub id: String,
    /// Accrual or cash.
    pub layer: Layer,
    /// Booking date (UTC).
    pub date: NaiveDate,
    /// Description.
    pub narration: String,
    /// Source ids this entry belongs to (invoice, charge, payout, ...).
    pub links: Vec<String>,
    /// The Stripe object the entry comes from (`txn_...`, `in_...`, `dp_...`).
    pub source_id: String,
    /// Stripe `reporting_category` (cash) or the accrual event (`issued`, `void`, ...).
    pub category: String,
    /// Books id of the customer, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The id of the exported entry this one adjusts, for adjusting entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusts: Option<String>,
    /// Postings (at least two; sum to zero per currency).
    pub postings: Vec<Posting>,
}

impl JournalEntry {
    /// Sum of postings per currency.
    pub fn totals(&self) -> BTreeMap<Currency, Decimal> {
        let mut t = BTreeMap::new();
        for p in &self.postings {
            *t.entry(p.currency).or_insert(Decimal::ZERO) += p.amount;
        }
        t
    }

    /// Currencies the entry posts in.
    pub fn currencies(&self) -> Vec<Currency> {
        self.totals().into_keys().collect()
    }

    /// An error unless every currency sums to zero and every amount is a whole
    /// number of minor units.
    pub fn check(&self) -> Result<()> {
        // A few currencies per entry: a small vector, not a map.
        let mut totals: Vec<(Currency, Decimal)> = Vec::with_capacity(2);
        for p in &self.postings {
            crate::money::Money::new(p.amount, p.currency).to_minor()?;
            match totals.iter_mut().find(|(c, _)| *c == p.currency) {
                Some((_, t)) => *t += p.amount,
                None => totals.push((p.currency, p.amount)),
            }
        }
        totals.sort_by_key(|(c, _)| *c);
        for (c, t) in totals {
            if !t.is_zero() {
                return Err(CoreError::Invalid(format!(
                    "journal entry {} does not balance in {c}: off by {t}",
                    self.id
                )));
            }
        }
        Ok(())
    }

    /// Drops zero postings and merges postings to the same account, currency,
    /// customer and memo, keeping first-seen order.
    pub(crate) fn tidy(mut self) -> JournalEntry {
        // In place: a handful of postings, merged into the first of each kind.
        let ps = &mut self.postings;
        let mut i = 1;
        while i < ps.len() {
            let (head, tail) = ps.split_at_mut(i);
            let p = &tail[0];
            if let Some(q) = head.iter_mut().find(|q| {
                q.account == p.account
                    && q.currency == p.currency
                    && q.customer_id == p.customer_id
                    && q.memo == p.memo
            }) {
                q.amount += p.amount;
                ps.remove(i);
            } else {
                i += 1;
            }
        }
        ps.retain(|p| !p.amount.is_zero());
        self
    }

    /// The same entry with every amount negated, under a new id.
    pub fn reversed(&self, id: String, date: NaiveDate, category: &str) -> JournalEntry {
        let mut e = self.clone();
        e.id = id;
        e.date = date;
        e.category = category.to_string();
        e.narration = format!("Reverses {}: {}", self.id, self.narration);
        for p in &mut e.postings {
            p.amount = -p.amount;
        }
        e
    }
}
