//! Payments: one real payment is one record, whichever object names it first.

use std::collections::{BTreeMap, BTreeSet};

use super::planner::Planned;
use super::review::Action;
use super::upsert::upsert;
use super::{Workspace, keys};
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::model::*;

/// How authoritative an object is for a payment's amount, status and timing.
pub fn authority(object: &str) -> u8 {
    match object {
        "charge" => 5,
        "payment_intent" => 4,
        "invoice_payment" => 3,
        "checkout.session" => 2,
        "invoice_paid" => 1,
        _ => 0,
    }
}

/// Combines two snapshots of one payment: fields from the more authoritative
/// object, ids, links and metadata from both.
pub fn merge(existing: &Payment, incoming: &Payment) -> Payment {
    let take_incoming = authority(&incoming.source.object) >= authority(&existing.source.object);
    let (mut out, other) = if take_incoming {
        (incoming.clone(), existing)
    } else {
        (existing.clone(), incoming)
    };
    out.id.clone_from(&existing.id);
    out.refs.merge(&other.refs);
    out.links.merge(&other.links);
    for (k, v) in &other.metadata {
        out.metadata.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if out.customer_id.is_none() {
        out.customer_id.clone_from(&other.customer_id);
    }
    if out.customer_ref.is_none() {
        out.customer_ref.clone_from(&other.customer_ref);
    }
    if out.method.is_none() {
        out.method.clone_from(&other.method);
    }
    if out.received_at.is_none() {
        out.received_at = other.received_at;
    }
    if out.settlement_amount.is_none() {
        out.settlement_amount = other.settlement_amount;
        out.settlement_currency = other.settlement_currency;
        out.fx_rate = other.fx_rate;
        out.net = other.net;
        out.fee = other.fee;
        out.fee_details.clone_from(&other.fee_details);
    }
    if out.refunded_reported.is_none() {
        out.refunded_reported = other.refunded_reported;
    }
    // Derived by settling; carry the stored values so the diff shows source changes.
    out.refunded = existing.refunded;
    out.disputed = existing.disputed;
    out.allocated = existing.allocated;
    out.unapplied = existing.unapplied;
    out.unapplied_reasons
        .clone_from(&existing.unapplied_reasons);
    out
}

fn all_alias_keys(p: &Payment) -> Vec<ExternalKey> {
    let mut v = vec![p.source.key()];
    for (o, e) in p.refs.pairs() {
        v.push(p.source.sibling(o, e));
    }
    for i in p
        .links
        .invoices
        .iter()
        .chain(p.links.checkout_invoice.iter())
    {
        v.push(keys::payment_for_invoice(&p.source, i));
    }
    v.sort();
    v.dedup();
    v
}

/// Plans one payment snapshot: finds every stored payment its ids name,
/// merges them into one (the lowest id survives), and plans the upsert.
pub fn plan_payment(
    ws: &mut Workspace<'_>,
    mut incoming: Payment,
    customer_id: Option<Id>,
    touched: &mut BTreeSet<Id>,
) -> Result<Planned> {
    incoming.customer_id = customer_id;
    let own = incoming.source.key();
    let mut found: BTreeMap<Id, Payment> = BTreeMap::new();
    let mut lookups = vec![own.clone()];
    for (o, e) in incoming.refs.pairs() {
        lookups.push(incoming.source.sibling(o, e));
    }
    for k in &lookups {
        for id in ws.resolve_kind(k, EntityKind::Payment)? {
            if let Some(Entity::Payment(p)) = ws.get(EntityKind::Payment, &id)? {
                found.insert(id, p);
            }
        }
    }
    let amount = Some((incoming.currency, incoming.amount));
    let Some((survivor_id, first)) = found.iter().next().map(|(k, v)| (k.clone(), v.clone()))
    else {
        incoming.id = derive_id_at(
            EntityKind::Payment.id_prefix(),
            own.joined(),
            incoming.source.created_at,
        );
        ws.assume_absent(EntityKind::Payment, &incoming.id);
        let id = incoming.id.clone();
        let aliases = all_alias_keys(&incoming);
        let r = upsert(ws, Entity::Payment(incoming), aliases, amount)?;
        touched.insert(id);
        return Ok(r);
    };
    // Stale guard for a newer snapshot of the same object.
    if first.source.key() == own {
        if let (Some(a), Some(b)) = (first.source.updated_at, incoming.source.updated_at) {
            if b < a {
                return Ok((
                    Action::Skipped {
                        reason: format!("stale snapshot: the books hold a newer one ({a} > {b})"),
                    },
                    survivor_id,
                    None,
                ));
            }
        }
    }
    let mut merged = first.clone();
    for (id, other) in found.iter().skip(1) {
        merged = merge(&merged, other);
        // Repoint the duplicate's allocations, then drop it.
        for e in ws.allocations_for(std::slice::from_ref(id), &[])? {
            if let Entity::Allocation(mut a) = e {
                ws.delete(EntityKind::Allocation, &a.id);
                if !a.reason.strategy.is_explicit() {
                    a.id = derive_id(
                        EntityKind::Allocation.id_prefix(),
                        &format!("{}|{}|moved", a.id, survivor_id),
                    );
                    a.payment_id.clone_from(&survivor_id);
                    ws.put(Entity::Allocation(a));
                }
            }
        }
        for k in all_alias_keys(other) {
            ws.unalias(k, id);
        }
        ws.delete(EntityKind::Payment, id);
        touched.remove(id);
    }
    merged.id.clone_from(&survivor_id);
    let result = merge(&merged, &incoming);
    let aliases = all_alias_keys(&result);
    let r = upsert(ws, Entity::Payment(result), aliases, amount)?;
    touched.insert(survivor_id);
    Ok(r)
}
