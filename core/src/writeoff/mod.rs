//! Writing an invoice off by hand: pure planning of the invoice's new state
//! and the history entry. The caller commits both (the `tieout` facade's
//! `Books::write_off`).
//!
//! The open amount goes to zero as written off and the invoice becomes
//! uncollectible, the reason and the time kept on it
//! ([`crate::model::InvoiceWriteOff`]). Settling keeps the write-off: a later
//! payment matched to the invoice fills it and what it fills is recovered
//! (see [`crate::reconcile::derive_invoice_totals`]).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::{CoreError, Result};
use crate::model::{ImportRun, Invoice, InvoiceStatus, InvoiceWriteOff, ManualEntry};
use crate::reconcile::ReconcilePolicy;
use crate::reconcile::ledger::{derive_invoice_totals, rules_outside_import, written_off_by_hand};

/// A write-off planned: the invoice as it will be and its history entry.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteOffPlan {
    /// The invoice written off (open amount zero, status uncollectible).
    pub invoice: Invoice,
    /// The history entry (source `books:manual`, the note naming the
    /// invoice, the amount and the reason).
    pub audit: ImportRun,
}

/// Plans writing off `inv`'s open amount for `reason` at `now`.
///
/// `Ok(None)` when the invoice is already written off (nothing changes; if
/// money taken back since reopened part of it, the write-off grows by that).
/// Refused with [`CoreError::InvoiceSettled`] when nothing is open on it (paid
/// in full, void, credited, or a write-off already fully recovered), with
/// [`CoreError::Invalid`] for a draft or an empty reason.
pub fn plan_write_off(
    inv: &Invoice,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<WriteOffPlan>> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CoreError::Invalid("a write-off needs a reason".to_string()));
    }
    let name = &inv.source.external_id;
    if written_off_by_hand(inv) > Decimal::ZERO {
        return Ok(extend(inv, now));
    }
    let cancelled = matches!(inv.source.status.as_deref(), Some("void"));
    if inv.status == InvoiceStatus::Void || cancelled {
        return Err(CoreError::InvoiceSettled(format!("invoice {name} is void")));
    }
    if inv.status == InvoiceStatus::Draft || inv.source.status.as_deref() == Some("draft") {
        return Err(CoreError::Invalid(format!(
            "invoice {name} is a draft: issue it before writing it off"
        )));
    }
    let open = inv.amount_remaining;
    if open <= Decimal::ZERO || inv.status == InvoiceStatus::Paid {
        return Err(CoreError::InvoiceSettled(format!(
            "invoice {name} is {} with nothing open: there is nothing to write off",
            inv.status.as_str()
        )));
    }
    let mut next = inv.clone();
    next.write_off = Some(InvoiceWriteOff {
        amount: open,
        reason: reason.to_string(),
        at: now,
        recovered: Decimal::ZERO,
    });
    // What allocations write off (tolerance) stays; nothing was written off by hand.
    let tolerance = inv.amount_written_off;
    let rules = rules_outside_import(&ReconcilePolicy::default());
    derive_invoice_totals(&mut next, inv.amount_paid, tolerance, &rules);
    let note = format!(
        "invoice {name} written off: {open} {} ({reason})",
        inv.currency
    );
    Ok(Some(WriteOffPlan {
        audit: audit(now, &note, &inv.id),
        invoice: next,
    }))
}

/// An invoice already written off: nothing changes, unless money taken back
/// since (a refund, an unallocation) reopened part of it; then the write-off
/// grows by what is open again (its reason and time stay, the history says so).
fn extend(inv: &Invoice, now: DateTime<Utc>) -> Option<WriteOffPlan> {
    let open = inv.amount_remaining;
    if open <= Decimal::ZERO {
        return None;
    }
    let mut next = inv.clone();
    let w = next.write_off.as_mut()?;
    w.amount += open;
    let rules = rules_outside_import(&ReconcilePolicy::default());
    let tolerance = inv.amount_written_off - written_off_by_hand(inv);
    derive_invoice_totals(&mut next, inv.amount_paid, tolerance, &rules);
    let note = format!(
        "invoice {} write-off extended by {open} {} reopened since it was written off",
        inv.source.external_id, inv.currency
    );
    Some(WriteOffPlan {
        audit: audit(now, &note, &inv.id),
        invoice: next,
    })
}

/// The history entry of a write-off.
fn audit(at: DateTime<Utc>, note: &str, invoice_id: &str) -> ImportRun {
    let key = format!(
        "write_off/{invoice_id}/{}",
        at.timestamp_nanos_opt().unwrap_or(0)
    );
    ImportRun::manual(
        ManualEntry {
            key: &key,
            source: "books:manual",
            mode: "write_off",
            object: "invoice",
            note: note.to_string(),
        },
        at,
    )
}

#[cfg(test)]
mod tests;
