//! Settling: recomputes source-driven allocations and the derived totals of the
//! payments and invoices an import touched.
//!
//! Source-driven allocations (strategies 1-5) are a function of the records, not
//! of arrival order: for the touched payments they are removed and recomputed,
//! payments in `(received_at, id)` order, each filling its claimed invoices in
//! claim order. Policy and manual allocations are kept unless an explicit link
//! needs the room (explicit beats a guess) or a refund/dispute took the money
//! back (newest reversed first).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::ReconcilePolicy;
use super::claims::{Claim, claims, claims_quiet};
use super::ledger::{self, derive_invoice_totals};
use super::shortcuts;
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::import::{Workspace, keys};
use crate::model::*;
use crate::plan::{PaidInvoices, UnpaidInvoices};

/// How settling treats source-paid and unpaid invoices (from the plan).
#[derive(Clone, Debug, Default)]
pub struct SettleRules {
    /// Matching policy.
    pub policy: ReconcilePolicy,
    /// Paid invoice behaviour.
    pub paid: PaidInvoices,
    /// Unpaid invoice behaviour.
    pub unpaid: UnpaidInvoices,
    /// Settle every touched invoice through the general path, without the
    /// shortcuts for new invoices (tests hold the shortcuts to it).
    pub general_only: bool,
}

/// Allocation changes settling made.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettleOutcome {
    /// Allocations created or changed.
    pub upserted: Vec<Allocation>,
    /// Allocations removed (books ids).
    pub removed: Vec<Id>,
    /// Books customers of the payments and invoices settled (for policy matching).
    pub customers: BTreeSet<Id>,
}

fn as_payment(e: Option<Entity>) -> Option<Payment> {
    match e {
        Some(Entity::Payment(p)) => Some(p),
        _ => None,
    }
}

fn as_invoice(e: Option<Entity>) -> Option<Invoice> {
    match e {
        Some(Entity::Invoice(i)) => Some(i),
        _ => None,
    }
}

/// Reads in one batch what settling these invoices looks up for each: the
/// payments that may claim it (its claimant keys, and those payments) and
/// its synthetic payment with that payment's committed allocations (a page
/// of payments arriving after their invoices replaces one synthetic payment
/// per invoice; each removal reads its allocations).
fn prefetch_invoices<'i>(
    ws: &mut Workspace<'_>,
    invoices: impl Iterator<Item = &'i Invoice>,
) -> Result<()> {
    let mut keys: Vec<ExternalKey> = Vec::new();
    let mut synth_keys: Vec<ExternalKey> = Vec::new();
    for inv in invoices {
        keys.extend(claimant_keys(inv));
        synth_keys.push(inv.source.sibling("invoice_paid", &inv.source.external_id));
    }
    if synth_keys.len() < 2 {
        return Ok(());
    }
    keys.extend(synth_keys.iter().cloned());
    ws.prefetch_owned(keys)?;
    let mut synth: Vec<Id> = Vec::new();
    for k in &synth_keys {
        synth.extend(ws.resolve_kind(k, EntityKind::Payment)?);
    }
    if synth.is_empty() {
        return Ok(());
    }
    ws.add_prefetched_allocations(&synth, &[])
}

/// The alias keys settling looks up for a payment: invoices naming its
/// charge or payment intent (claims), its refunds and disputes (reversals)
/// and its balance transaction (fees).
fn payment_keys(p: &Payment) -> Vec<ExternalKey> {
    let s = &p.source;
    let mut out = Vec::new();
    if let Some(c) = &p.refs.charge {
        out.push(keys::invoice_by_charge(s, c));
        out.push(keys::refund_for(s, c));
        out.push(keys::dispute_for(s, c));
        out.push(keys::bt_by_source(s, c));
    }
    if let Some(pi) = &p.refs.payment_intent {
        out.push(keys::invoice_by_payment_intent(s, pi));
        out.push(keys::refund_for(s, pi));
        out.push(keys::dispute_for(s, pi));
    }
    if let Some(t) = &p.refs.balance_transaction {
        out.push(s.sibling("balance_transaction", t));
    }
    out
}

/// Looks up in one batch the keys `keys_of` gives for each of `items` (and
/// loads the records they name), so settling answers them from the
/// workspace: [`payment_keys`] of payments (claims, reversals, fees),
/// [`claimant_keys`] of invoices ([`claimant_ids`]).
fn prefetch_keys<'t, T: 't>(
    ws: &mut Workspace<'_>,
    items: impl Iterator<Item = &'t T>,
    keys_of: fn(&T) -> Vec<ExternalKey>,
) -> Result<()> {
    let keys: Vec<ExternalKey> = items.flat_map(keys_of).collect();
    if keys.len() < 2 {
        return Ok(());
    }
    ws.prefetch_owned(keys)
}

/// The synthetic payment recorded for a paid invoice whose real payment is unknown.
pub fn is_synthetic(p: &Payment) -> bool {
    p.source.object == "invoice_paid"
}

/// Recomputes allocations and totals around the touched payments and invoices.
pub fn settle(
    ws: &mut Workspace<'_>,
    rules: &SettleRules,
    touched_payments: &BTreeSet<Id>,
    touched_invoices: &BTreeSet<Id>,
) -> Result<SettleOutcome> {
    let mut payments: BTreeMap<Id, Payment> = BTreeMap::new();
    let mut invoices: BTreeMap<Id, Invoice> = BTreeMap::new();
    for id in touched_payments {
        if let Some(p) = as_payment(ws.get(EntityKind::Payment, id)?) {
            payments.insert(id.clone(), p);
        }
    }
    prefetch_keys(ws, payments.values(), payment_keys)?;
    let mut quiet_customers: Vec<Id> = Vec::new();
    let mut new_paid: Vec<&Id> = Vec::new();
    for id in touched_invoices {
        if !rules.general_only {
            if let Some(customer) = shortcuts::quiet_new_invoice(ws, rules, id)? {
                quiet_customers.extend(customer);
                continue;
            }
            if shortcuts::new_paid_candidate(ws, rules, id) {
                // Decided after the page's payments named what they claim.
                new_paid.push(id);
                continue;
            }
        }
        if let Some(i) = as_invoice(ws.get(EntityKind::Invoice, id)?) {
            invoices.insert(id.clone(), i);
        }
    }

    // Payments -> claimed invoices.
    let mut claim_map: BTreeMap<Id, (Vec<Claim>, Vec<String>)> = BTreeMap::new();
    for p in payments.values() {
        // Index names from metadata and checkout references too, so an invoice
        // arriving after its payment finds it as a claimant.
        let mut names = super::claims::metadata_invoice_names(p, &rules.policy);
        names.extend(p.links.client_reference_id.iter().cloned());
        for n in names {
            ws.alias(keys::payment_for_invoice(&p.source, &n), &p.id)?;
        }
        let c = claims_quiet(ws, p, &rules.policy)?;
        for cl in &c.0 {
            if !invoices.contains_key(&cl.invoice_id) {
                if let Some(i) = as_invoice(ws.get(EntityKind::Invoice, &cl.invoice_id)?) {
                    invoices.insert(i.id.clone(), i);
                }
            }
        }
        claim_map.insert(p.id.clone(), c);
    }
    // New paid invoices no payment claims: their payment and allocation directly.
    let mut direct: Vec<Allocation> = Vec::new();
    for id in new_paid {
        if !invoices.contains_key(id) {
            if let Some((a, customer)) = shortcuts::settle_new_paid(ws, rules, id)? {
                direct.push(a);
                quiet_customers.extend(customer);
            } else if let Some(i) = as_invoice(ws.get(EntityKind::Invoice, id)?) {
                invoices.insert(id.clone(), i);
            }
        }
    }

    // Invoices -> every payment claiming them; synthetic payments for paid invoices.
    let mut synth_removed: Vec<Id> = Vec::new();
    let invoice_ids: Vec<Id> = invoices.keys().cloned().collect();
    prefetch_invoices(ws, invoices.values())?;
    for iid in &invoice_ids {
        let inv = &invoices[iid];
        let claimants = claimant_ids(ws, inv)?;
        let mut real = false;
        for pid in &claimants {
            if !payments.contains_key(pid) {
                if let Some(p) = as_payment(ws.get(EntityKind::Payment, pid)?) {
                    let c = claims_quiet(ws, &p, &rules.policy)?;
                    claim_map.insert(p.id.clone(), c);
                    payments.insert(p.id.clone(), p);
                }
            }
            if let Some(p) = payments.get(pid) {
                if !is_synthetic(p)
                    && claim_map
                        .get(pid)
                        .is_some_and(|c| c.0.iter().any(|cl| &cl.invoice_id == iid))
                {
                    real = true;
                }
            }
        }
        let synth_key = inv.source.sibling("invoice_paid", &inv.source.external_id);
        let wants_synth = paid_in_source(inv, rules) && !real;
        let existing_synth: Vec<Id> = ws.resolve_kind(&synth_key, EntityKind::Payment)?;
        if wants_synth {
            let p = synthetic_payment(inv, existing_synth.first().cloned());
            if existing_synth.is_empty() {
                ws.assume_absent(EntityKind::Payment, &p.id);
            }
            let mut alias_keys: Vec<_> = p
                .refs
                .pairs()
                .into_iter()
                .map(|(obj, ext)| inv.source.sibling(obj, ext))
                .collect();
            alias_keys.push(keys::payment_for_invoice(
                &inv.source,
                &inv.source.external_id,
            ));
            for k in alias_keys {
                if existing_synth.is_empty() {
                    ws.alias_new(k, &p.id);
                } else {
                    ws.alias(k, &p.id)?;
                }
            }
            // Planned with the final totals at the end, like every settled payment.
            let merged = match as_payment(ws.get(EntityKind::Payment, &p.id)?) {
                Some(mut old) if is_synthetic(&old) => {
                    old.amount = p.amount;
                    old.currency = p.currency;
                    old.received_at = p.received_at;
                    old.customer_id.clone_from(&p.customer_id);
                    old.customer_ref.clone_from(&p.customer_ref);
                    old
                }
                Some(old) => old,
                None => p,
            };
            let c = claims_quiet(ws, &merged, &rules.policy)?;
            claim_map.insert(merged.id.clone(), c);
            payments.insert(merged.id.clone(), merged);
        } else {
            for sid in existing_synth {
                if let Some(p) = as_payment(ws.get(EntityKind::Payment, &sid)?) {
                    if is_synthetic(&p) {
                        synth_removed.extend(remove_payment(ws, &p)?);
                        payments.remove(&sid);
                        claim_map.remove(&sid);
                    }
                }
            }
        }
    }

    // Close the component: every invoice a member payment claims, and every
    // payment claiming a member invoice, until nothing new joins (bounded), so
    // source-driven allocations are recomputed together, whatever the order
    // the records arrived in.
    let mut frontier: Vec<Id> = Vec::new();
    let named: BTreeSet<Id> = claim_map
        .values()
        .flat_map(|c| c.0.iter().map(|cl| cl.invoice_id.clone()))
        .collect();
    let unread: Vec<Id> = named
        .into_iter()
        .filter(|iid| !invoices.contains_key(iid))
        .collect();
    ws.load(EntityKind::Invoice, &unread)?;
    for iid in unread {
        if let Some(i) = as_invoice(ws.get(EntityKind::Invoice, &iid)?) {
            invoices.insert(i.id.clone(), i);
            frontier.push(iid);
        }
    }
    let mut rounds = 0;
    while !frontier.is_empty() && rounds < 32 && payments.len() + invoices.len() < 50_000 {
        rounds += 1;
        let mut next = Vec::new();
        prefetch_keys(
            ws,
            frontier.iter().filter_map(|iid| invoices.get(iid)),
            claimant_keys,
        )?;
        for iid in std::mem::take(&mut frontier) {
            let Some(inv) = invoices.get(&iid).cloned() else {
                continue;
            };
            for pid in claimant_ids(ws, &inv)? {
                if payments.contains_key(&pid) {
                    continue;
                }
                let Some(p) = as_payment(ws.get(EntityKind::Payment, &pid)?) else {
                    continue;
                };
                let c = claims_quiet(ws, &p, &rules.policy)?;
                for cl in &c.0 {
                    if !invoices.contains_key(&cl.invoice_id) {
                        if let Some(i) = as_invoice(ws.get(EntityKind::Invoice, &cl.invoice_id)?) {
                            invoices.insert(i.id.clone(), i);
                            next.push(cl.invoice_id.clone());
                        }
                    }
                }
                claim_map.insert(pid.clone(), c);
                payments.insert(pid, p);
            }
        }
        frontier = next;
    }

    // Current allocations around the component.
    let pids: Vec<Id> = payments.keys().cloned().collect();
    let iids: Vec<Id> = invoices.keys().cloned().collect();
    let mut recompute: BTreeMap<Id, Allocation> = BTreeMap::new();
    let mut fixed: Vec<Allocation> = Vec::new();
    for e in ws.allocations_for(&pids, &iids)? {
        let Entity::Allocation(a) = e else { continue };
        let derived = (a.reason.strategy.is_explicit() && payments.contains_key(&a.payment_id))
            || (a.kind == AllocationKind::WriteOff && invoices.contains_key(&a.invoice_id));
        if derived {
            recompute.insert(a.id.clone(), a);
        } else {
            fixed.push(a);
        }
    }
    let more_payments: Vec<Id> = fixed
        .iter()
        .filter(|a| !payments.contains_key(&a.payment_id))
        .map(|a| a.payment_id.clone())
        .collect();
    let more_invoices: Vec<Id> = fixed
        .iter()
        .filter(|a| !invoices.contains_key(&a.invoice_id))
        .map(|a| a.invoice_id.clone())
        .collect();
    ws.load(EntityKind::Payment, &more_payments)?;
    ws.load(EntityKind::Invoice, &more_invoices)?;
    for a in &fixed {
        if !payments.contains_key(&a.payment_id) {
            if let Some(p) = as_payment(ws.get(EntityKind::Payment, &a.payment_id)?) {
                payments.insert(p.id.clone(), p);
            }
        }
        if !invoices.contains_key(&a.invoice_id) {
            if let Some(i) = as_invoice(ws.get(EntityKind::Invoice, &a.invoice_id)?) {
                invoices.insert(i.id.clone(), i);
            }
        }
    }

    // Refunds, disputes and fees onto payments (the keys of payments that
    // joined the component since the first prefetch, in one more batch).
    prefetch_keys(ws, payments.values(), payment_keys)?;
    for p in payments.values_mut() {
        apply_reversals(ws, p)?;
        apply_balance_transaction(ws, p)?;
    }

    // Room left after fixed allocations; reverse fixed ones newest-first where
    // a refund, dispute or invoice change took the room away.
    fixed.sort_by(|a, b| a.allocated_at.cmp(&b.allocated_at).then(a.id.cmp(&b.id)));
    let mut pay_left: BTreeMap<Id, Decimal> = payments
        .values()
        .map(|p| (p.id.clone(), ledger::payment_open(p, Decimal::ZERO)))
        .collect();
    let mut inv_left: BTreeMap<Id, Decimal> = invoices
        .values()
        .map(|i| (i.id.clone(), i.collectible()))
        .collect();
    let mut kept: Vec<Allocation> = Vec::new();
    let mut removed: Vec<Id> = Vec::new();
    // Walk oldest first to find which fixed allocations still fit; what does not fit is reversed.
    let mut changed_fixed: Vec<Allocation> = Vec::new();
    for a in &fixed {
        let pl = pay_left
            .get(&a.payment_id)
            .copied()
            .unwrap_or(Decimal::ZERO);
        let il = inv_left.get(&a.invoice_id).copied().unwrap_or(a.amount);
        let fits = if a.kind == AllocationKind::WriteOff {
            il
        } else {
            pl.min(il)
        };
        let amt = a.amount.min(fits).max(Decimal::ZERO);
        if amt <= Decimal::ZERO {
            removed.push(a.id.clone());
            continue;
        }
        if a.kind != AllocationKind::WriteOff {
            *pay_left.entry(a.payment_id.clone()).or_default() -= amt;
        }
        if let Some(x) = inv_left.get_mut(&a.invoice_id) {
            *x -= amt;
        }
        let mut b = a.clone();
        if amt != a.amount {
            b.amount = amt;
            changed_fixed.push(b.clone());
        }
        kept.push(b);
    }

    // Explicit allocations, payments in canonical order.
    let mut order: Vec<&Payment> = payments.values().collect();
    order.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.id.cmp(&b.id)));
    let mut fresh: BTreeMap<Id, Allocation> = BTreeMap::new();
    let mut reasons: BTreeMap<Id, Vec<String>> = BTreeMap::new();
    for p in order {
        let Some((cls, misses)) = claim_map.get(&p.id) else {
            continue;
        };
        let mut why = misses.clone();
        if !p.is_settled() {
            why.push(format!("payment status is {}", p.status.as_str()));
            reasons.insert(p.id.clone(), why);
            continue;
        }
        for cl in cls {
            let Some(inv) = invoices.get(&cl.invoice_id) else {
                continue;
            };
            if let Some(reason) = ledger::claim_rejection(inv, p) {
                why.push(reason);
                continue;
            }
            let mut room = inv_left.get(&inv.id).copied().unwrap_or(Decimal::ZERO);
            let avail = pay_left.get(&p.id).copied().unwrap_or(Decimal::ZERO);
            let want = cl.cap.map_or(avail, |c| c.min(avail));
            if want > room {
                // Explicit beats a guess: displace policy allocations on this invoice, newest first.
                let need = want - room;
                let freed = displace_policy(
                    &mut kept,
                    &mut removed,
                    &mut changed_fixed,
                    &inv.id,
                    need,
                    &mut pay_left,
                );
                room += freed;
                if let Some(x) = inv_left.get_mut(&inv.id) {
                    *x += freed;
                }
            }
            let amt = ledger::claim_amount(avail, cl.cap, room);
            if amt <= Decimal::ZERO {
                if avail > Decimal::ZERO {
                    why.push(format!(
                        "invoice {} has nothing left open",
                        inv.source.external_id
                    ));
                }
                continue;
            }
            let id = ledger::allocation_id(&p.id, &inv.id, cl.strategy);
            let entry = fresh.entry(id.clone()).or_insert_with(|| Allocation {
                id,
                payment_id: p.id.clone(),
                invoice_id: inv.id.clone(),
                amount: Decimal::ZERO,
                currency: inv.currency,
                reason: AllocationReason {
                    strategy: cl.strategy,
                    detail: cl.detail.clone(),
                },
                kind: AllocationKind::Payment,
                allocated_at: p.received_at,
            });
            entry.amount += amt;
            *pay_left.get_mut(&p.id).expect("payment in map") -= amt;
            *inv_left.get_mut(&inv.id).expect("invoice in map") -= amt;
        }
        reasons.insert(p.id.clone(), why);
    }

    // Write-offs within tolerance, for invoices that received a payment.
    let tol = &rules.policy;
    if ledger::has_tolerance(tol) {
        for inv in invoices.values() {
            let left = inv_left.get(&inv.id).copied().unwrap_or(Decimal::ZERO);
            if left <= Decimal::ZERO || !inv.status.accepts_payments() {
                continue;
            }
            let limit = ledger::write_off_limit(tol, inv.total);
            let last = fresh
                .values()
                .chain(kept.iter())
                .filter(|a| a.invoice_id == inv.id && a.kind == AllocationKind::Payment)
                .max_by(|a, b| a.allocated_at.cmp(&b.allocated_at).then(a.id.cmp(&b.id)))
                .cloned();
            if let (true, Some(last)) = (left <= limit, last) {
                let id = ledger::write_off_id(&inv.id);
                fresh.insert(
                    id.clone(),
                    Allocation {
                        id,
                        payment_id: last.payment_id.clone(),
                        invoice_id: inv.id.clone(),
                        amount: left,
                        currency: inv.currency,
                        reason: AllocationReason {
                            strategy: last.reason.strategy,
                            detail: format!(
                                "write-off of {left} {} within tolerance {limit}",
                                inv.currency
                            ),
                        },
                        kind: AllocationKind::WriteOff,
                        allocated_at: last.allocated_at,
                    },
                );
                inv_left.insert(inv.id.clone(), Decimal::ZERO);
            }
        }
    }

    // Allocation changes.
    let mut out = SettleOutcome {
        upserted: direct,
        removed: synth_removed,
        customers: quiet_customers.into_iter().collect(),
    };
    for a in fresh.values() {
        if recompute.get(&a.id) != Some(a) {
            ws.put(Entity::Allocation(a.clone()));
            out.upserted.push(a.clone());
        }
    }
    for id in recompute.keys() {
        if !fresh.contains_key(id) {
            ws.delete(EntityKind::Allocation, id);
            out.removed.push(id.clone());
        }
    }
    for a in &changed_fixed {
        if !removed.contains(&a.id) {
            ws.put(Entity::Allocation(a.clone()));
            out.upserted.push(a.clone());
        }
    }
    for id in &removed {
        ws.delete(EntityKind::Allocation, id);
        out.removed.push(id.clone());
    }

    // Derived totals (sums per payment and invoice in one pass over the allocations).
    let removed_set: BTreeSet<&Id> = removed.iter().collect();
    let mut pay_sum: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut inv_paid: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut inv_written: BTreeMap<&str, Decimal> = BTreeMap::new();
    for a in fresh
        .values()
        .chain(kept.iter().filter(|a| !removed_set.contains(&a.id)))
    {
        match a.kind {
            AllocationKind::Payment => {
                *pay_sum.entry(a.payment_id.as_str()).or_default() += a.amount;
                *inv_paid.entry(a.invoice_id.as_str()).or_default() += a.amount;
            }
            AllocationKind::WriteOff => {
                *inv_written.entry(a.invoice_id.as_str()).or_default() += a.amount
            }
        }
    }
    out.customers
        .extend(payments.values().filter_map(|p| p.customer_id.clone()));
    out.customers
        .extend(invoices.values().filter_map(|i| i.customer_id.clone()));
    for mut p in payments.into_values() {
        let allocated = pay_sum.get(p.id.as_str()).copied().unwrap_or_default();
        ledger::set_payment_totals(&mut p, allocated);
        p.unapplied_reasons = if p.unapplied > Decimal::ZERO {
            match reasons.remove(&p.id) {
                // Why the cascade named nothing (formatted only for payments
                // left with money), then what settling found.
                Some(found) => {
                    let mut why = claims(ws, &p, &rules.policy)?.1;
                    why.extend(found);
                    why
                }
                None => std::mem::take(&mut p.unapplied_reasons),
            }
        } else {
            Vec::new()
        };
        ws.put_if_changed(Entity::Payment(p))?;
    }
    for mut inv in invoices.into_values() {
        let paid = inv_paid.get(inv.id.as_str()).copied().unwrap_or_default();
        let written = inv_written
            .get(inv.id.as_str())
            .copied()
            .unwrap_or_default();
        derive_invoice_totals(&mut inv, paid, written, rules);
        ws.put_if_changed(Entity::Invoice(inv))?;
    }
    Ok(out)
}

/// Frees room on an invoice by reversing policy allocations, newest first.
fn displace_policy(
    kept: &mut Vec<Allocation>,
    removed: &mut Vec<Id>,
    changed: &mut Vec<Allocation>,
    invoice_id: &str,
    mut need: Decimal,
    pay_left: &mut BTreeMap<Id, Decimal>,
) -> Decimal {
    let mut freed = Decimal::ZERO;
    let mut idx: Vec<usize> = (0..kept.len())
        .filter(|i| {
            let a = &kept[*i];
            a.invoice_id == invoice_id
                && a.kind == AllocationKind::Payment
                && matches!(
                    a.reason.strategy,
                    MatchStrategy::ExactAmount
                        | MatchStrategy::OldestFirst
                        | MatchStrategy::NewestFirst
                )
        })
        .collect();
    idx.sort_by(|x, y| {
        let (a, b) = (&kept[*x], &kept[*y]);
        b.allocated_at.cmp(&a.allocated_at).then(b.id.cmp(&a.id))
    });
    for i in idx {
        if need <= Decimal::ZERO {
            break;
        }
        let a = &mut kept[i];
        let take = a.amount.min(need);
        a.amount -= take;
        need -= take;
        freed += take;
        *pay_left.entry(a.payment_id.clone()).or_default() += take;
        if a.amount.is_zero() {
            removed.push(a.id.clone());
        } else {
            changed.push(a.clone());
        }
    }
    kept.retain(|a| !a.amount.is_zero());
    freed
}

/// Whether a paid invoice gets a payment recorded for it (the plan records
/// payments of paid invoices, and the source says it was paid).
pub(super) fn paid_in_source(inv: &Invoice, rules: &SettleRules) -> bool {
    rules.paid == PaidInvoices::RecordPayment
        && inv.source.status.as_deref() == Some("paid")
        && inv.source_amount_paid > Decimal::ZERO
}

/// Books ids of every payment that may claim this invoice.
fn claimant_ids(ws: &mut Workspace<'_>, inv: &Invoice) -> Result<BTreeSet<Id>> {
    let mut out = BTreeSet::new();
    for k in claimant_keys(inv) {
        out.extend(ws.resolve_kind(&k, EntityKind::Payment)?);
    }
    Ok(out)
}

/// The alias keys under which payments that may claim this invoice are listed.
pub(super) fn claimant_keys(inv: &Invoice) -> Vec<ExternalKey> {
    let s = &inv.source;
    let mut lookups = vec![keys::payment_for_invoice(s, &s.external_id)];
    if let Some(n) = &inv.number {
        lookups.push(keys::payment_for_invoice(s, n));
    }
    if let Some(c) = &inv.payment_refs.charge {
        lookups.push(s.sibling("charge", c));
    }
    if let Some(pi) = &inv.payment_refs.payment_intent {
        lookups.push(s.sibling("payment_intent", pi));
    }
    lookups
}

/// The payment a paid invoice implies when its real payment is not (yet) known.
pub(super) fn synthetic_payment(inv: &Invoice, id: Option<Id>) -> Payment {
    let mut source = inv.source.clone();
    source.object = "invoice_paid".into();
    source.status = Some("succeeded".into());
    source.url = None;
    let id = id.unwrap_or_else(|| {
        derive_id_at(
            EntityKind::Payment.id_prefix(),
            source.key().joined(),
            source.created_at,
        )
    });
    let mut refs = inv.payment_refs.clone();
    refs.paid_invoice = Some(inv.source.external_id.clone());
    Payment {
        customer_id: inv.customer_id.clone(),
        customer_ref: inv.customer_ref.clone(),
        refs,
        links: PaymentLinks {
            invoices: vec![inv.source.external_id.clone()],
            ..PaymentLinks::default()
        },
        received_at: inv.paid_at.or(inv.issued_at),
        unapplied: Decimal::ZERO,
        description: Some(format!(
            "payment of paid invoice {}",
            inv.source.external_id
        )),
        ..Payment::received(id, source, inv.currency, inv.source_amount_paid)
    }
}

/// Deletes a payment, its aliases and its allocations.
pub(crate) fn remove_payment(ws: &mut Workspace<'_>, p: &Payment) -> Result<Vec<Id>> {
    for (obj, ext) in p.refs.pairs() {
        ws.unalias(p.source.sibling(obj, ext), &p.id);
    }
    ws.unalias(p.source.key(), &p.id);
    for inv in p
        .links
        .invoices
        .iter()
        .chain(p.links.checkout_invoice.iter())
    {
        ws.unalias(keys::payment_for_invoice(&p.source, inv), &p.id);
    }
    let mut removed = Vec::new();
    for e in ws.allocations_for(std::slice::from_ref(&p.id), &[])? {
        ws.delete(EntityKind::Allocation, e.id());
        removed.push(e.id().to_string());
    }
    ws.delete(EntityKind::Payment, &p.id);
    Ok(removed)
}

/// Sums effective refunds and fund-withdrawing disputes onto a payment.
fn apply_reversals(ws: &mut Workspace<'_>, p: &mut Payment) -> Result<()> {
    let mut names: Vec<&str> = Vec::new();
    if let Some(c) = &p.refs.charge {
        names.push(c);
    }
    if let Some(pi) = &p.refs.payment_intent {
        names.push(pi);
    }
    let mut refunds = BTreeSet::new();
    let mut disputes = BTreeSet::new();
    for n in names {
        refunds.extend(ws.resolve_kind(&keys::refund_for(&p.source, n), EntityKind::Refund)?);
        disputes.extend(ws.resolve_kind(&keys::dispute_for(&p.source, n), EntityKind::Dispute)?);
    }
    let mut refunded = Decimal::ZERO;
    for id in refunds {
        if let Some(Entity::Refund(mut r)) = ws.get(EntityKind::Refund, &id)? {
            if r.is_effective() && r.currency == p.currency {
                refunded += r.amount;
            }
            if r.payment_id.as_deref() != Some(p.id.as_str()) {
                r.payment_id = Some(p.id.clone());
                ws.put(Entity::Refund(r));
            }
        }
    }
    let mut disputed = Decimal::ZERO;
    for id in disputes {
        if let Some(Entity::Dispute(mut d)) = ws.get(EntityKind::Dispute, &id)? {
            if d.status.withdraws_funds() && d.currency == p.currency {
                disputed += d.amount;
            }
            if d.payment_id.as_deref() != Some(p.id.as_str()) {
                d.payment_id = Some(p.id.clone());
                ws.put(Entity::Dispute(d));
            }
        }
    }
    // The charge's own total is authoritative; refund records only add what a stale
    // charge snapshot does not know yet. Never both.
    let refunded = refunded.max(p.refunded_reported.unwrap_or_default());
    p.refunded = refunded.min(p.amount);
    p.disputed = disputed.min(p.amount - p.refunded);
    Ok(())
}

/// Copies fee, net, settlement and FX from the payment's balance transaction.
fn apply_balance_transaction(ws: &mut Workspace<'_>, p: &mut Payment) -> Result<()> {
    let mut ids = Vec::new();
    if let Some(t) = &p.refs.balance_transaction {
        ids.extend(ws.resolve_kind(
            &p.source.sibling("balance_transaction", t),
            EntityKind::BalanceTransaction,
        )?);
    }
    if ids.is_empty() {
        if let Some(c) = &p.refs.charge {
            ids.extend(ws.resolve_kind(
                &keys::bt_by_source(&p.source, c),
                EntityKind::BalanceTransaction,
            )?);
        }
    }
    let Some(id) = ids.first() else { return Ok(()) };
    if let Some(Entity::BalanceTransaction(mut bt)) = ws.get(EntityKind::BalanceTransaction, id)? {
        if bt.payment_id.as_deref() != Some(p.id.as_str()) {
            bt.payment_id = Some(p.id.clone());
            ws.put(Entity::BalanceTransaction(bt.clone()));
        }
        p.fee = bt.fee;
        p.fee_details.clone_from(&bt.fee_details);
        p.net = Some(bt.net);
        p.settlement_amount = Some(bt.amount);
        p.settlement_currency = Some(bt.currency);
        p.fx_rate = bt.exchange_rate;
        if p.refs.balance_transaction.is_none() {
            p.refs.balance_transaction = Some(bt.source.external_id.clone());
        }
    }
    Ok(())
}
