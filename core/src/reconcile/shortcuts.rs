//! Settling shortcuts for invoices new to the books, which bulk imports are
//! made of: the general path ([`super::settle`]) would compute exactly what
//! these compute, at a fraction of the work. Each shortcut checks that nothing
//! else can take part (no stored record, no payment naming the invoice, no
//! refund, fee or write-off to apply) and otherwise leaves the invoice to the
//! general path. Tests import the same records with and without them
//! ([`super::SettleRules::general_only`]) and compare the books.

use rust_decimal::Decimal;

use super::ledger::{self, derive_invoice_totals};
use super::settle::{SettleRules, claimant_keys, paid_in_source, synthetic_payment};
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::import::{Workspace, keys};
use crate::model::*;

/// Whether the invoice is new here: planned in this workspace and known not
/// to be in the store (so no allocation or synthetic payment can name it).
fn new_invoice<'w>(ws: &'w Workspace<'_>, id: &str) -> Option<&'w Invoice> {
    if !ws.known_absent(EntityKind::Invoice, id) {
        return None;
    }
    match ws.planned(EntityKind::Invoice, id) {
        Some(Entity::Invoice(inv)) => Some(inv),
        _ => None,
    }
}

/// Whether any payment is listed under the invoice's claimant keys.
fn claimed(ws: &mut Workspace<'_>, keys: Vec<ExternalKey>) -> Result<bool> {
    for k in keys {
        if !ws.resolve_kind(&k, EntityKind::Payment)?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A touched invoice settling would leave as planning left it: new to the
/// books, not paid in the source, and claimed by no payment. Its totals are
/// the ones planning derived (nothing paid, nothing written off), so it is
/// not loaded at all. (A payment of this page claiming it by another route
/// still loads it.) Returns its customer, for policy matching, when it is
/// such an invoice.
pub(super) fn quiet_new_invoice(
    ws: &mut Workspace<'_>,
    rules: &SettleRules,
    id: &str,
) -> Result<Option<Option<Id>>> {
    let Some(inv) = new_invoice(ws, id) else {
        return Ok(None);
    };
    // A second snapshot planned in the same commit starts from the first's
    // derived view: only a view derived from nothing paid stands as it is.
    if paid_in_source(inv, rules) || !ledger::unsettled_view(inv, rules) {
        return Ok(None);
    }
    let customer = inv.customer_id.clone();
    let keys = claimant_keys(inv);
    Ok((!claimed(ws, keys)?).then_some(customer))
}

/// Whether a touched invoice may take [`settle_new_paid`]: new, paid in the
/// source, and naming no charge, payment intent, invoice payment or balance
/// transaction (a synthetic payment carrying those would pick up refunds,
/// disputes and fees).
pub(super) fn new_paid_candidate(ws: &Workspace<'_>, rules: &SettleRules, id: &str) -> bool {
    new_invoice(ws, id).is_some_and(|inv| {
        let r = &inv.payment_refs;
        paid_in_source(inv, rules)
            && r.charge.is_none()
            && r.payment_intent.is_none()
            && r.invoice_payments.is_empty()
            && r.balance_transaction.is_none()
            && r.checkout_session.is_none()
    })
}

/// Settles a new paid invoice that no payment claims, as the general path
/// would: its synthetic payment, that payment's explicit-link allocation of
/// the whole amount, and both records' totals. Only when the payment covers
/// exactly what it allocates and no write-off applies (otherwise unapplied
/// reasons or tolerances need the general path: `None`). Returns the
/// allocation and the customer.
pub(super) fn settle_new_paid(
    ws: &mut Workspace<'_>,
    rules: &SettleRules,
    id: &str,
) -> Result<Option<(Allocation, Option<Id>)>> {
    let Some(inv) = new_invoice(ws, id) else {
        return Ok(None);
    };
    let mut inv = inv.clone();
    if claimed(ws, claimant_keys(&inv))? {
        return Ok(None);
    }
    let synth_key = inv.source.sibling("invoice_paid", &inv.source.external_id);
    if !ws.resolve_kind(&synth_key, EntityKind::Payment)?.is_empty() {
        return Ok(None);
    }
    let mut p = synthetic_payment(&inv, None);
    if ledger::claim_rejection(&inv, &p).is_some() {
        return Ok(None);
    }
    let avail = ledger::payment_open(&p, Decimal::ZERO);
    let room = inv.collectible();
    let amount = ledger::claim_amount(avail, None, room);
    let left = room - amount;
    if amount <= Decimal::ZERO
        || amount != avail
        || (left > Decimal::ZERO && ledger::has_tolerance(&rules.policy))
    {
        return Ok(None);
    }
    ws.assume_absent(EntityKind::Payment, &p.id);
    for (obj, ext) in p.refs.pairs() {
        ws.alias_new(inv.source.sibling(obj, ext), &p.id);
    }
    ws.alias_new(
        keys::payment_for_invoice(&inv.source, &inv.source.external_id),
        &p.id,
    );
    let allocation = Allocation {
        id: ledger::allocation_id(&p.id, &inv.id, MatchStrategy::ExplicitLink),
        payment_id: p.id.clone(),
        invoice_id: inv.id.clone(),
        amount,
        currency: inv.currency,
        reason: AllocationReason {
            strategy: MatchStrategy::ExplicitLink,
            // What the cascade writes for a payment naming its invoice.
            detail: format!(
                "{} {} names invoice {}",
                p.source.object, p.source.external_id, inv.source.external_id
            ),
        },
        kind: AllocationKind::Payment,
        allocated_at: p.received_at,
    };
    ledger::set_payment_totals(&mut p, amount);
    derive_invoice_totals(&mut inv, amount, Decimal::ZERO, rules);
    let customer = inv.customer_id.clone();
    ws.put(Entity::Payment(p));
    ws.put(Entity::Allocation(allocation.clone()));
    ws.put(Entity::Invoice(inv));
    Ok(Some((allocation, customer)))
}
