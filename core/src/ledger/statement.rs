//! The Stripe balance as a bank account: opening balance, one statement line
//! per gross and per fee of every balance transaction, closing balance, for
//! available and pending funds, tied to what Stripe reported.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::BalanceTransaction;
use crate::money::{Currency, at_scale};

/// What Stripe reported for the account (`GET /v1/balance`) at a moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedBalance {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// Currency.
    pub currency: Currency,
    /// Available funds.
    pub available: Decimal,
    /// Pending funds.
    pub pending: Decimal,
    /// The import run it was read for, when an import read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

/// One statement line: the gross or the fee of a balance transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Stripe balance transaction id (`txn_...`).
    pub transaction_id: String,
    /// `gross` or `fee`.
    pub part: String,
    /// When the transaction was created.
    pub date: DateTime<Utc>,
    /// When its funds become available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_on: Option<DateTime<Utc>>,
    /// Stripe `reporting_category` (or `type`).
    pub category: String,
    /// Description (the originating object).
    pub description: String,
    /// Signed amount (credits to the balance positive; fees negative).
    pub amount: Decimal,
    /// Running total balance (available + pending) after this line.
    pub balance: Decimal,
}

/// A statement of the Stripe balance in one currency over `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeBalance {
    /// Currency.
    pub currency: Currency,
    /// Period start (inclusive).
    pub from: DateTime<Utc>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// Available funds at `from`.
    pub opening_available: Decimal,
    /// Pending funds at `from`.
    pub opening_pending: Decimal,
    /// Lines in the period, in time order.
    pub lines: Vec<StatementLine>,
    /// Available funds at `to`.
    pub closing_available: Decimal,
    /// Pending funds at `to`.
    pub closing_pending: Decimal,
    /// What Stripe reported, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<ReportedBalance>,
    /// Reported minus computed available funds at the report's time (zero: ties).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unexplained_available: Option<Decimal>,
    /// Reported minus computed pending funds at the report's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unexplained_pending: Option<Decimal>,
}

impl StripeBalance {
    /// Opening total (available + pending).
    pub fn opening(&self) -> Decimal {
        self.opening_available + self.opening_pending
    }

    /// Closing total (available + pending).
    pub fn closing(&self) -> Decimal {
        self.closing_available + self.closing_pending
    }

    /// True unless a reported balance differs from the computed one.
    pub fn ties(&self) -> bool {
        self.unexplained_available.is_none_or(|d| d.is_zero())
            && self.unexplained_pending.is_none_or(|d| d.is_zero())
    }
}

fn created(b: &BalanceTransaction) -> Option<DateTime<Utc>> {
    b.source.created_at.or(b.available_on)
}

/// Available and pending funds at `at` (transactions created before `at`;
/// available once `available_on <= at`, or by `status` when unknown).
pub fn funds_at(
    txns: &[BalanceTransaction],
    currency: Currency,
    at: DateTime<Utc>,
) -> (Decimal, Decimal) {
    let (mut avail, mut pend) = (Decimal::ZERO, Decimal::ZERO);
    for b in txns.iter().filter(|b| b.currency == currency) {
        let Some(t) = created(b) else { continue };
        if t >= at {
            continue;
        }
        let available = match b.available_on {
            Some(a) => a <= at,
            None => b.status.as_deref() != Some("pending"),
        };
        if available {
            avail += b.net;
        } else {
            pend += b.net;
        }
    }
    (avail, pend)
}

/// The statement of `currency` over `[from, to)`, tied to `reported` when given.
pub fn stripe_balance(
    txns: &[BalanceTransaction],
    currency: Currency,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reported: Option<&ReportedBalance>,
) -> StripeBalance {
    let (oa, op) = funds_at(txns, currency, from);
    let (ca, cp) = funds_at(txns, currency, to);
    let mut in_period: Vec<(&BalanceTransaction, DateTime<Utc>)> = txns
        .iter()
        .filter(|b| b.currency == currency)
        .filter_map(|b| created(b).map(|t| (b, t)))
        .filter(|(_, t)| *t >= from && *t < to)
        .collect();
    in_period.sort_by(|a, b| {
        a.1.cmp(&b.1)
            .then_with(|| a.0.source.external_id.cmp(&b.0.source.external_id))
    });
    let mut running = oa + op;
    let mut lines = Vec::with_capacity(in_period.len() * 2);
    for (b, t) in in_period {
        let cat = super::cash::category(b).to_string();
        let desc = b
            .source_object
            .clone()
            .unwrap_or_else(|| b.source.external_id.clone());
        let mut push = |part: &str, amount: Decimal| {
            running += amount;
            lines.push(StatementLine {
                transaction_id: b.source.external_id.clone(),
                part: part.into(),
                date: t,
                available_on: b.available_on,
                category: cat.clone(),
                description: desc.clone(),
                amount,
                balance: running,
            });
        };
        push("gross", b.amount);
        if !b.fee.is_zero() {
            push("fee", -b.fee);
        }
    }
    let (ua, up) = match reported.filter(|r| r.currency == currency) {
        Some(r) => {
            let (a, p) = funds_at(txns, currency, r.at);
            (Some(r.available - a), Some(r.pending - p))
        }
        None => (None, None),
    };
    // Every figure at the currency's scale (an empty period sums to `0`).
    let sc = |v: Decimal| at_scale(v, currency);
    for l in &mut lines {
        l.amount = sc(l.amount);
        l.balance = sc(l.balance);
    }
    StripeBalance {
        currency,
        from,
        to,
        opening_available: sc(oa),
        opening_pending: sc(op),
        lines,
        closing_available: sc(ca),
        closing_pending: sc(cp),
        reported: reported.filter(|r| r.currency == currency).cloned(),
        unexplained_available: ua.map(sc),
        unexplained_pending: up.map(sc),
    }
}
