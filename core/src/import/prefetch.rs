//! The keys a page will read, fetched from the store in one batch.

use super::keys;
use crate::model::*;
use crate::record::{Record, SourceItem};

/// Every alias key planning and settling a record will read, so a page needs
/// one batched store read instead of one query per lookup: into `v` the keys
/// whose records planning reads too, into `ids_only` those it needs only the
/// ids of.
pub(crate) fn prefetch_keys(
    item: &SourceItem,
    by_email: bool,
    v: &mut Vec<ExternalKey>,
    ids_only: &mut Vec<ExternalKey>,
) {
    let SourceItem::Record(rec) = item else {
        return;
    };
    let Some(src) = rec.source() else {
        return;
    };
    v.push(src.key());
    let cref = match rec {
        Record::Invoice(i) => i.customer_ref.as_ref(),
        Record::Subscription(s) => s.customer_ref.as_ref(),
        Record::Payment(p) => p.customer_ref.as_ref(),
        _ => None,
    };
    if let Some(c) = cref {
        let key = src.sibling("customer", &c.external_id);
        if by_email {
            // Matching by email or filtering by customer reads the customer.
            v.push(key);
            if let Some(e) = &c.email {
                v.push(keys::email(e));
            }
        } else {
            ids_only.push(key);
        }
    }
    let payment_ref_keys = |v: &mut Vec<ExternalKey>, refs: &PaymentRefs| {
        for (o, e) in refs.pairs() {
            v.push(src.sibling(o, e));
        }
        for id in refs.charge.iter().chain(refs.payment_intent.iter()) {
            v.push(keys::refund_for(src, id));
            v.push(keys::dispute_for(src, id));
            v.push(keys::invoice_by_charge(src, id));
            v.push(keys::invoice_by_payment_intent(src, id));
            v.push(keys::bt_by_source(src, id));
        }
        if let Some(t) = &refs.balance_transaction {
            v.push(src.sibling("balance_transaction", t));
        }
    };
    match rec {
        Record::Customer(c) => {
            if let Some(e) = &c.email {
                v.push(keys::email(e));
            }
        }
        Record::Product(_) => v.push(keys::awaiting(src, "product", &src.external_id)),
        Record::Price(p) => {
            if let Some(prod) = &p.product_ref {
                v.push(src.sibling("product", prod));
                v.push(keys::awaiting(src, "product", prod));
            }
        }
        Record::Subscription(_) => v.push(keys::awaiting(src, "subscription", &src.external_id)),
        Record::Payment(p) => {
            payment_ref_keys(v, &p.refs);
            for i in p
                .links
                .invoices
                .iter()
                .chain(p.links.checkout_invoice.iter())
                .chain(p.links.client_reference_id.iter())
            {
                v.push(src.sibling("invoice", i));
                v.push(keys::invoice_number(src, i));
                v.push(keys::payment_for_invoice(src, i));
            }
        }
        Record::Invoice(i) => {
            v.push(keys::payment_for_invoice(src, &src.external_id));
            v.push(keys::credit_note_for(src, &src.external_id));
            // Its synthetic payment: read when it is paid, or (rarely, one
            // lookup then) when a stored one may have to go.
            if src.status.as_deref() == Some("paid") {
                v.push(src.sibling("invoice_paid", &src.external_id));
            }
            if let Some(n) = &i.number {
                v.push(keys::payment_for_invoice(src, n));
                // An update checks its number's alias is there.
                v.push(keys::invoice_number(src, n));
            }
            // Not the invoice's `awaiting_subscription` key: a new invoice
            // only adds itself to it, and that key may name every invoice of
            // a subscription the books do not have yet.
            if let Some(s) = &i.subscription_ref {
                v.push(src.sibling("subscription", s));
            }
            payment_ref_keys(v, &i.payment_refs);
        }
        Record::Refund(_) | Record::Dispute(_) => {}
        Record::BalanceTransaction(b) => {
            if let Some(o) = &b.source_object {
                v.push(src.sibling("charge", o));
                v.push(keys::bt_by_source(src, o));
            }
            if let Some(po) = &b.payout_ref {
                v.push(keys::bt_by_payout(src, po));
            }
        }
        Record::Payout(_) => {}
        Record::CreditNote(c) => {
            v.push(src.sibling("invoice", &c.invoice_ref));
            v.push(keys::credit_note_for(src, &c.invoice_ref));
        }
    }
    if let Record::Refund(Refund { payment_refs, .. })
    | Record::Dispute(Dispute { payment_refs, .. }) = rec
    {
        for (o, e) in payment_refs.pairs() {
            v.push(src.sibling(o, e));
            v.push(keys::refund_for(src, e));
            v.push(keys::dispute_for(src, e));
        }
    }
}
