//! The cash layer: one entry per Stripe balance transaction, classified by its
//! `reporting_category`, and one per payout matched to a bank deposit.
//!
//! Every entry posts the transaction's net to the Stripe balance, its fee to
//! fees (the fee's tax part to input tax) and the gross to the account its
//! category names, so the Stripe balance account moves by exactly what Stripe
//! reports. A charge in another presentment currency settles AR at the
//! payment's presentment amount and carries the conversion on the FX account,
//! one posting per currency, so every currency balances.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::origin::Origin;
use super::{JournalEntry, Layer, LedgerMapping, Posting};
use crate::model::{BalanceTransaction, Payout};

/// Where the gross of a balance transaction goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// Accounts receivable (charges, partial-capture reversals).
    Receivable,
    /// Refunds (refunds, refund failures).
    Refunds,
    /// Disputes receivable (disputes withdrawn, reinstated).
    Disputes,
    /// Stripe's own fees and taxes.
    Fees,
    /// Reserves held and released.
    Reserve,
    /// Payouts and payout reversals: in transit until the deposit is matched.
    InTransit,
    /// Unknown or `other_adjustment`: suspense, and listed.
    Suspense,
}

/// Classifies a `reporting_category` (or, when missing, the `type`).
pub fn classify(category: &str) -> Counter {
    match category {
        "charge" | "payment" | "partial_capture_reversal" | "charge_failure" => Counter::Receivable,
        "refund" | "refund_failure" | "payment_refund" | "payment_failure_refund" => {
            Counter::Refunds
        }
        "dispute" | "dispute_reversal" | "adjustment_dispute" => Counter::Disputes,
        "fee" | "stripe_fee" | "network_cost" | "tax" | "application_fee" => Counter::Fees,
        "risk_reserved_funds" | "risk_reserve" | "reserve_transaction" | "reserved_funds" => {
            Counter::Reserve
        }
        "payout" | "payout_reversal" | "payout_cancel" | "payout_failure" => Counter::InTransit,
        _ => Counter::Suspense,
    }
}

/// The category of a balance transaction: `reporting_category`, else `type`.
pub fn category(b: &BalanceTransaction) -> &str {
    b.reporting_category.as_deref().unwrap_or(&b.kind)
}

/// Booking date of a balance transaction: created, else available-on.
pub fn date(b: &BalanceTransaction) -> Option<NaiveDate> {
    b.source
        .created_at
        .or(b.available_on)
        .map(|t| t.date_naive())
}

/// The cash entry of one balance transaction (`origin`: the payment,
/// refund or dispute it belongs to, for the customer and the presentment
/// amount). `None` without a date.
pub fn entry(
    b: &BalanceTransaction,
    origin: &Origin<'_>,
    m: &LedgerMapping,
) -> Option<JournalEntry> {
    let date = date(b)?;
    let cat = category(b);
    let counter = classify(cat);
    let c = b.currency;
    let payment = origin.payment;
    let cust = payment.and_then(|p| p.customer_id.as_deref());
    let fee_tax: Decimal = b
        .fee_details
        .iter()
        .filter(|f| f.kind == "tax" && f.currency == c)
        .map(|f| f.amount)
        .sum();
    let fee_account = if counter == Counter::Disputes {
        &m.dispute_fees
    } else {
        &m.stripe_fees
    };
    let mut p = vec![
        Posting::new(m.balance_account(c), b.net, c).memo("net"),
        Posting::new(fee_account, b.fee - fee_tax, c).memo("fee"),
        Posting::new(&m.fee_input_tax, fee_tax, c).memo("tax on fee"),
    ];
    // Where the gross goes, and whether it names the customer.
    let (account, with_customer) = match counter {
        Counter::Receivable => (&m.accounts_receivable, true),
        Counter::Refunds if origin.credited_refund => (&m.accounts_receivable, true),
        Counter::Refunds => (&m.refunds, false),
        Counter::Disputes => (&m.disputes_receivable, false),
        Counter::Fees => (&m.stripe_fees, false),
        Counter::Reserve => (&m.stripe_reserve, false),
        Counter::InTransit => (&m.payouts_in_transit, false),
        Counter::Suspense => (&m.suspense, false),
    };
    let counter_posting = |amount: Decimal, currency| {
        let q = Posting::new(account, amount, currency);
        if with_customer {
            q.customer(cust)
        } else {
            q.memo(cat.to_string())
        }
    };
    // A charge settles AR at what the customer paid; a refund or dispute of
    // it reverses at the original rate. The conversion sits on FX.
    let presented = match (counter, payment) {
        (Counter::Receivable, Some(pay)) if pay.currency != c && !pay.amount.is_zero() => {
            let sign = if b.amount.is_sign_negative() {
                -Decimal::ONE
            } else {
                Decimal::ONE
            };
            Some((pay.amount * sign, pay.currency))
        }
        (Counter::Refunds | Counter::Disputes, Some(_)) => origin.presented(b),
        _ => None,
    };
    match presented {
        Some((amount, currency)) => {
            p.push(Posting::new(&m.fx_gain_loss, -b.amount, c).memo("conversion"));
            p.push(Posting::new(&m.fx_gain_loss, amount, currency).memo("conversion"));
            p.push(counter_posting(-amount, currency));
        }
        None => p.push(counter_posting(-b.amount, c)),
    }
    let ext = &b.source.external_id;
    let mut links = vec![ext.clone()];
    if let Some(s) = &b.source_object {
        links.push(s.clone());
    }
    if let Some(pay) = payment {
        links.push(pay.source.external_id.clone());
        links.extend(pay.links.invoices.iter().cloned());
    }
    // A handful of links: a linear check beats hashing clones of them.
    let mut i = 1;
    while i < links.len() {
        if links[..i].contains(&links[i]) {
            links.remove(i);
        } else {
            i += 1;
        }
    }
    Some(
        JournalEntry {
            id: format!("txn:{ext}"),
            layer: Layer::Cash,
            date,
            narration: format!("Stripe {cat} {}", b.source_object.as_deref().unwrap_or(ext)),
            links,
            source_id: ext.clone(),
            category: cat.to_string(),
            customer_id: cust.map(str::to_string),
            adjusts: None,
            postings: p,
        }
        .tidy(),
    )
}

/// A payout matched to a bank deposit: Dr bank / Cr payouts in transit.
pub fn deposit(p: &Payout, m: &LedgerMapping) -> Option<JournalEntry> {
    let deposit = p.deposit_id.as_ref()?;
    if p.status != "paid" {
        return None;
    }
    let date = p
        .arrival_date
        .or(p.source.created_at.map(|t| t.date_naive()))?;
    let ext = &p.source.external_id;
    Some(JournalEntry {
        id: format!("po:{ext}:deposit"),
        layer: Layer::Cash,
        date,
        narration: format!("Payout {ext} deposited"),
        links: vec![ext.clone(), deposit.clone()],
        source_id: ext.clone(),
        category: "deposit".into(),
        customer_id: None,
        adjusts: None,
        postings: vec![
            Posting::new(&m.bank, p.amount, p.currency),
            Posting::new(&m.payouts_in_transit, -p.amount, p.currency),
        ],
    })
}
