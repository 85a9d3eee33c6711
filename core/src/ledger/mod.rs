//! Into the general ledger: journal entries from the books (accrual and cash
//! layers over a [`LedgerMapping`]), the Stripe balance as a bank statement,
//! and renderers for plain-text ledgers and accounting systems. Pure: the
//! caller passes the records and the time.

pub mod accrual;
pub mod cash;
pub mod credit;
pub mod deferral;
mod entry;
pub mod export;
mod mapping;
pub mod origin;
pub mod push;
pub mod render;
pub mod statement;

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use entry::{JournalEntry, Layer, Posting};
pub use export::{ExportLog, ExportMark, ExportedEntry, Target};
pub use mapping::LedgerMapping;
pub use statement::{ReportedBalance, StatementLine, StripeBalance};

use crate::error::Result;
use crate::model::{BalanceTransaction, CreditNote, Dispute, Invoice, Payment, Payout, Refund};
use crate::money::Currency;
use origin::Origins;

/// The records journal entries are built from.
#[derive(Clone, Copy, Debug, Default)]
pub struct LedgerInput<'a> {
    /// Invoices (accrual layer).
    pub invoices: &'a [Invoice],
    /// Payments (customer and presentment amount of charges).
    pub payments: &'a [Payment],
    /// Disputes (lost disputes).
    pub disputes: &'a [Dispute],
    /// Balance transactions (cash layer).
    pub balance_transactions: &'a [BalanceTransaction],
    /// Payouts (deposits matched).
    pub payouts: &'a [Payout],
    /// Refunds (their presentment amount; whether a credit note made them).
    pub refunds: &'a [Refund],
    /// Credit notes (accrual layer).
    pub credit_notes: &'a [CreditNote],
}

/// Which layers to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layers {
    /// Invoices issued, voided, written off; disputes lost.
    pub accrual: bool,
    /// Balance transactions and deposits.
    pub cash: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            accrual: true,
            cash: true,
        }
    }
}

/// Journal entries, sorted by date then id, and what needs a person's eye.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// The entries.
    pub entries: Vec<JournalEntry>,
    /// Ids of entries posted to suspense (unknown or `other_adjustment` categories).
    pub suspense: Vec<String>,
    /// Source ids that gave no entry, with why (e.g. no date).
    pub skipped: Vec<(String, String)>,
}

/// Builds the journal entries of the books. Deterministic: the same records
/// give the same entries with the same ids, whatever order they come in.
/// With a deferred-revenue account this holds every recognition slice,
/// future ones included (the whole schedule); [`journal_entries_as_of`]
/// stops at a day, as the books' own journal and exports do.
pub fn journal_entries(
    input: &LedgerInput<'_>,
    mapping: &LedgerMapping,
    layers: Layers,
) -> Result<Journal> {
    journal_entries_as_of(input, mapping, layers, None)
}

/// [`journal_entries`] with the revenue recognition entries (see
/// [`deferral`]) dated on or before `as_of` only (all when `None`): never
/// future revenue. Without a deferred-revenue account the day changes
/// nothing.
pub fn journal_entries_as_of(
    input: &LedgerInput<'_>,
    mapping: &LedgerMapping,
    layers: Layers,
    as_of: Option<NaiveDate>,
) -> Result<Journal> {
    let mut j = Journal::default();
    let origins = Origins::new(
        input.payments,
        input.refunds,
        input.disputes,
        input.credit_notes,
    );
    if layers.accrual {
        let mut invoices: HashMap<&str, &Invoice> = HashMap::new();
        // Credit notes per invoice, and what each took out of deferred revenue.
        let mut notes: HashMap<&str, Vec<&CreditNote>> = HashMap::new();
        if mapping.deferred_revenue.is_some() {
            for cn in input.credit_notes {
                notes.entry(cn.invoice_ref.as_str()).or_default().push(cn);
            }
        }
        let mut taken: HashMap<String, HashMap<usize, Decimal>> = HashMap::new();
        for inv in input.invoices {
            invoices.insert(inv.source.external_id.as_str(), inv);
            let cns = notes
                .get(inv.source.external_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let schedules = deferral::schedule(inv, cns, mapping);
            taken.extend(deferral::credited_by_note(&schedules));
            j.entries.extend(accrual::invoice_entries_as_of(
                inv, mapping, &schedules, as_of,
            ));
        }
        let none = HashMap::new();
        for cn in input.credit_notes {
            let inv = invoices.get(cn.invoice_ref.as_str()).copied();
            let t = taken.get(cn.source.external_id.as_str()).unwrap_or(&none);
            j.entries
                .extend(credit::credit_note_entries_deferred(cn, inv, mapping, t));
        }
        // What each dispute withdrew, in the currency its receivable was
        // booked in (the presentment currency at the original rate).
        let mut withdrawals: HashMap<&str, Vec<(Currency, Decimal)>> = HashMap::new();
        for b in input.balance_transactions {
            if let (Some(src), "dispute") = (b.source_object.as_deref(), cash::category(b)) {
                let moved = origins.of(b).presented(b).unwrap_or((b.amount, b.currency));
                withdrawals.entry(src).or_default().push((moved.1, moved.0));
            }
        }
        for d in input.disputes {
            let w = withdrawals
                .get(d.source.external_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            j.entries.extend(accrual::dispute_lost(d, w, mapping));
        }
    }
    if layers.cash {
        for b in input.balance_transactions {
            match cash::entry(b, &origins.of(b), mapping) {
                Some(e) => {
                    if cash::classify(&e.category) == cash::Counter::Suspense {
                        j.suspense.push(e.id.clone());
                    }
                    j.entries.push(e);
                }
                None => j.skipped.push((
                    b.source.external_id.clone(),
                    "balance transaction without a date".into(),
                )),
            }
        }
        for p in input.payouts {
            j.entries.extend(cash::deposit(p, mapping));
        }
    }
    for e in &j.entries {
        e.check()?;
    }
    j.entries
        .sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.id.cmp(&b.id)));
    j.suspense.sort();
    Ok(j)
}
