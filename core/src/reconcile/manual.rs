//! Manual operations: a person allocates a payment to an invoice, or removes
//! an allocation. Both recompute the derived totals and leave an audit entry.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::ReconcilePolicy;
use super::ledger::{self, rules_outside_import};
use crate::entity::{Entity, EntityKind};
use crate::error::{CoreError, Result};
use crate::import::Workspace;
use crate::model::*;

/// A manual allocation.
#[derive(Clone, Debug, PartialEq)]
pub struct AllocateRequest {
    /// Books id of the payment.
    pub payment_id: Id,
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Amount, in the payment's (and invoice's) currency.
    pub amount: Decimal,
    /// When the person allocated it.
    pub at: DateTime<Utc>,
    /// Optional note kept in the allocation's reason.
    pub note: Option<String>,
}

/// What a manual operation did.
#[derive(Clone, Debug, PartialEq)]
pub struct ManualOutcome {
    /// The allocation created or grown (allocate).
    pub allocation: Option<Allocation>,
    /// The allocation removed (unallocate).
    pub removed: Option<Allocation>,
    /// A sentence for the audit trail.
    pub note: String,
    /// An audit entry for the history (an [`ImportRun`] with source `books:manual`).
    pub audit: ImportRun,
}

fn payment(ws: &mut Workspace<'_>, id: &str) -> Result<Payment> {
    match ws.get(EntityKind::Payment, id)? {
        Some(Entity::Payment(p)) => Ok(p),
        _ => Err(CoreError::NotFound(format!("payment {id}"))),
    }
}

fn invoice(ws: &mut Workspace<'_>, id: &str) -> Result<Invoice> {
    match ws.get(EntityKind::Invoice, id)? {
        Some(Entity::Invoice(i)) => Ok(i),
        _ => Err(CoreError::NotFound(format!("invoice {id}"))),
    }
}

/// Payment-money allocated per payment and (paid, written off) per invoice.
fn sums(ws: &mut Workspace<'_>, pid: &str, iid: &str) -> Result<(Decimal, (Decimal, Decimal))> {
    let mut allocated = Decimal::ZERO;
    let (mut paid, mut written) = (Decimal::ZERO, Decimal::ZERO);
    for e in ws.allocations_for(&[pid.to_string()], &[iid.to_string()])? {
        let Entity::Allocation(a) = e else { continue };
        if a.payment_id == pid && a.kind == AllocationKind::Payment {
            allocated += a.amount;
        }
        if a.invoice_id == iid {
            if a.kind == AllocationKind::WriteOff {
                written += a.amount;
            } else {
                paid += a.amount;
            }
        }
    }
    Ok((allocated, (paid, written)))
}

/// Recomputes a payment's and an invoice's derived fields from their allocations.
fn refresh(
    ws: &mut Workspace<'_>,
    policy: &ReconcilePolicy,
    mut p: Payment,
    mut inv: Invoice,
) -> Result<()> {
    let (allocated, (paid, written)) = sums(ws, &p.id, &inv.id)?;
    let before = p.clone();
    ledger::set_payment_totals(&mut p, allocated);
    if p.unapplied.is_zero() {
        p.unapplied_reasons.clear();
    }
    if p != before {
        ws.put(Entity::Payment(p));
    }
    let before = inv.clone();
    ledger::derive_invoice_totals(&mut inv, paid, written, &rules_outside_import(policy));
    if inv != before {
        ws.put(Entity::Invoice(inv));
    }
    Ok(())
}

fn audit(at: DateTime<Utc>, note: &str, key: &str) -> ImportRun {
    let key = format!("manual/{key}/{}", at.timestamp_nanos_opt().unwrap_or(0));
    ImportRun::manual(
        ManualEntry {
            key: &key,
            source: "books:manual",
            mode: "manual",
            object: "allocation",
            note: note.to_string(),
        },
        at,
    )
}

/// Allocates part of a payment to an invoice by hand ([`MatchStrategy::Manual`]).
///
/// Rejected with [`CoreError::Allocation`] when the amount is not positive, the
/// currencies differ, the invoice does not accept payments, or the amount
/// exceeds the payment's unapplied amount or the invoice's open amount.
pub fn allocate(
    ws: &mut Workspace<'_>,
    policy: &ReconcilePolicy,
    req: &AllocateRequest,
) -> Result<ManualOutcome> {
    let p = payment(ws, &req.payment_id)?;
    let inv = invoice(ws, &req.invoice_id)?;
    let reject = |m: String| Err(CoreError::Allocation(m));
    if req.amount <= Decimal::ZERO {
        return reject(format!("amount {} must be positive", req.amount));
    }
    if p.currency != inv.currency {
        return reject(format!(
            "payment {} is in {}, invoice {} in {}",
            p.source.external_id, p.currency, inv.source.external_id, inv.currency
        ));
    }
    if !inv.status.accepts_payments()
        || matches!(inv.source.status.as_deref(), Some("void" | "draft"))
    {
        return reject(format!(
            "invoice {} is {} and accepts no payments",
            inv.source.external_id,
            inv.status.as_str()
        ));
    }
    let (allocated, (paid, written)) = sums(ws, &p.id, &inv.id)?;
    let unapplied = ledger::payment_open(&p, allocated);
    if req.amount > unapplied {
        return reject(format!(
            "amount {} {} exceeds payment {}'s unapplied {}",
            req.amount, p.currency, p.source.external_id, unapplied
        ));
    }
    let open = (inv.amount_due - paid - written).max(Decimal::ZERO);
    if req.amount > open {
        return reject(format!(
            "amount {} {} exceeds invoice {}'s open {}",
            req.amount, inv.currency, inv.source.external_id, open
        ));
    }
    let id = ledger::allocation_id(&p.id, &inv.id, MatchStrategy::Manual);
    let mut a = match ws.get(EntityKind::Allocation, &id)? {
        Some(Entity::Allocation(a)) => a,
        _ => Allocation {
            id: id.clone(),
            payment_id: p.id.clone(),
            invoice_id: inv.id.clone(),
            amount: Decimal::ZERO,
            currency: inv.currency,
            reason: AllocationReason {
                strategy: MatchStrategy::Manual,
                detail: String::new(),
            },
            kind: AllocationKind::Payment,
            allocated_at: Some(req.at),
        },
    };
    a.amount += req.amount;
    a.allocated_at = Some(req.at);
    a.reason.detail = match &req.note {
        Some(n) if !n.trim().is_empty() => format!("allocated by hand: {}", n.trim()),
        _ => "allocated by hand".into(),
    };
    ws.put(Entity::Allocation(a.clone()));
    let note = format!(
        "manual allocation {}: {} {} of payment {} to invoice {}",
        a.id, req.amount, a.currency, p.source.external_id, inv.source.external_id
    );
    refresh(ws, policy, p, inv)?;
    Ok(ManualOutcome {
        audit: audit(req.at, &note, &a.id),
        allocation: Some(a),
        removed: None,
        note,
    })
}

/// Removes one allocation (any strategy) and recomputes the payment's and the
/// invoice's derived fields. A source-driven allocation (strategies 1-5) comes
/// back when a later import touches its payment: the source still links them.
pub fn unallocate(
    ws: &mut Workspace<'_>,
    policy: &ReconcilePolicy,
    allocation_id: &str,
    at: DateTime<Utc>,
) -> Result<ManualOutcome> {
    let a = match ws.get(EntityKind::Allocation, allocation_id)? {
        Some(Entity::Allocation(a)) => a,
        _ => return Err(CoreError::NotFound(format!("allocation {allocation_id}"))),
    };
    let p = payment(ws, &a.payment_id)?;
    let inv = invoice(ws, &a.invoice_id)?;
    ws.delete(EntityKind::Allocation, &a.id);
    let mut note = format!(
        "unallocated {} ({}, {} {}) of payment {} from invoice {}",
        a.id,
        a.reason.strategy.as_str(),
        a.amount,
        a.currency,
        p.source.external_id,
        inv.source.external_id
    );
    if a.reason.strategy.is_explicit() {
        note.push_str(
            "; the source links them, so the next import touching the payment restores it",
        );
    }
    refresh(ws, policy, p, inv)?;
    Ok(ManualOutcome {
        audit: audit(at, &note, &a.id),
        allocation: None,
        removed: Some(a),
        note,
    })
}
