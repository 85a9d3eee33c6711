//! The matching cascade's source-driven strategies (1-5): which invoices a
//! payment names, in order, and why.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::entity::EntityKind;
use crate::error::Result;
use crate::import::{Workspace, keys};
use crate::model::{Id, Invoice, MatchStrategy, Payment};
use crate::reconcile::ReconcilePolicy;

/// One invoice a payment claims to pay.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// Readable reason.
    pub detail: String,
    /// Most this claim may allocate (an invoice payment's `amount_paid`).
    pub cap: Option<Decimal>,
}

/// Looks an invoice up by source id or, failing that, by number.
pub(crate) fn find_invoice(ws: &mut Workspace<'_>, p: &Payment, name: &str) -> Result<Option<Invoice>> {
    let by_id = p.source.sibling("invoice", name);
    let mut ids = ws.resolve_kind(&by_id, EntityKind::Invoice)?;
    if ids.is_empty() {
        ids = ws.resolve_kind(&keys::invoice_number(&p.source, name), EntityKind::Invoice)?;
    }
    match ids.first() {
        Some(id) => Ok(ws.get(EntityKind::Invoice, id)?.and_then(|e| match e {
            crate::Entity::Invoice(i) => Some(i),
            _ => None,
        })),
        None => Ok(None),
    }
}

/// Metadata values naming invoices, split on commas and whitespace.
pub fn metadata_invoice_names(p: &Payment, policy: &ReconcilePolicy) -> Vec<String> {
    let mut out = Vec::new();
    for k in &policy.metadata_keys {
        if let Some(v) = p.metadata.get(k) {
            for part in v.split([',', ' ', ';']) {
                let part = part.trim();
                if !part.is_empty() && !out.iter().any(|x| x == part) {
                    out.push(part.to_string());
                }
            }
        }
    }
    out
}

/// Every invoice the payment names, strategy by strategy; the first strategy
/// that names an invoice decides it. Also returns a reason for each strategy
/// that named nothing, for the unapplied report.
pub fn claims(
    ws: &mut Workspace<'_>,
    p: &Payment,
    policy: &ReconcilePolicy,
) -> Result<(Vec<Claim>, Vec<String>)> {
    let mut out: Vec<Claim> = Vec::new();
    let mut seen: BTreeSet<Id> = BTreeSet::new();
    let mut misses = Vec::new();
    let mut push = |out: &mut Vec<Claim>, inv: &Invoice, strategy, detail: String, cap| {
        if seen.insert(inv.id.clone()) {
            out.push(Claim {
                invoice_id: inv.id.clone(),
                strategy,
                detail,
                cap,
            });
        }
    };

    // 1. explicit link: invoice payments, `invoice` on charge / payment intent.
    let mut hit = false;
    for name in &p.links.invoices {
        if let Some(inv) = find_invoice(ws, p, name)? {
            let cap = p.links.invoice_amounts.get(name).copied();
            let via = if p.refs.invoice_payments.is_empty() {
                format!("{} {} names invoice {}", p.source.object, p.source.external_id, name)
            } else {
                format!("invoice payment {} links invoice {}", p.refs.invoice_payments.join(","), name)
            };
            push(&mut out, &inv, MatchStrategy::ExplicitLink, via, cap);
            hit = true;
        } else {
            misses.push(format!("explicit link: invoice {name} is not in the books"));
        }
    }
    if !hit && p.links.invoices.is_empty() {
        misses.push("explicit link: no invoice named".into());
    }

    // 2. payment intent shared with an invoice; 3. charge shared with an invoice.
    let shared = [
        (p.refs.payment_intent.as_deref(), MatchStrategy::PaymentIntent, "payment intent"),
        (p.refs.charge.as_deref(), MatchStrategy::Charge, "charge"),
    ];
    for (id, strategy, label) in shared {
        let Some(id) = id else {
            misses.push(format!("{label}: payment has no {label} id"));
            continue;
        };
        let key = match strategy {
            MatchStrategy::PaymentIntent => keys::invoice_by_payment_intent(&p.source, id),
            _ => keys::invoice_by_charge(&p.source, id),
        };
        let ids = ws.resolve_kind(&key, EntityKind::Invoice)?;
        if ids.is_empty() {
            misses.push(format!("{label}: no invoice names {id}"));
        }
        for iid in ids {
            if let Some(crate::Entity::Invoice(inv)) = ws.get(EntityKind::Invoice, &iid)? {
                let detail = format!("invoice {} names {label} {id}", inv.source.external_id);
                push(&mut out, &inv, strategy, detail, None);
            }
        }
    }

    // 4. checkout session: its invoice, or client_reference_id naming one.
    let mut cs_names = Vec::new();
    if let Some(i) = &p.links.checkout_invoice {
        cs_names.push((i.clone(), "invoice"));
    }
    if let Some(c) = &p.links.client_reference_id {
        cs_names.push((c.clone(), "client_reference_id"));
    }
    if cs_names.is_empty() {
        misses.push("checkout session: none, or it names no invoice".into());
    }
    for (name, field) in cs_names {
        if let Some(inv) = find_invoice(ws, p, &name)? {
            let detail = format!(
                "checkout session {} {field} names {name}",
                p.refs.checkout_session.as_deref().unwrap_or("?")
            );
            push(&mut out, &inv, MatchStrategy::CheckoutSession, detail, None);
        } else {
            misses.push(format!("checkout session: {field} {name} is not a known invoice"));
        }
    }

    // 5. metadata naming one or several invoices (by source id or number).
    let names = metadata_invoice_names(p, policy);
    if names.is_empty() {
        misses.push("metadata: no invoice named".into());
    }
    for name in names {
        if let Some(inv) = find_invoice(ws, p, &name)? {
            let detail = format!("payment metadata names invoice {name}");
            push(&mut out, &inv, MatchStrategy::Metadata, detail, None);
        } else {
            misses.push(format!("metadata: {name} is not a known invoice id or number"));
        }
    }
    Ok((out, misses))
}
