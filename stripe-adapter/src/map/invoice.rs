//! Invoices in both shapes, with their lines and (basil) expanded payments.

use rust_decimal::Decimal;
use serde_json::Value;
use tieout_core::model::{Invoice, InvoiceStatus, PaymentRefs};
use tieout_core::{Record, SourceItem};

use super::access::{self, MResult, Obj};
use super::{ApiShape, Cx, customer_ref, invoice_line, map_expanded, source_ref};

/// Guesses the shape of an invoice from its fields.
fn detect(o: Obj<'_>) -> ApiShape {
    let pre = [
        "charge",
        "payment_intent",
        "paid",
        "tax",
        "total_tax_amounts",
    ];
    if pre.iter().any(|k| o.has(k)) && !o.has("parent") {
        ApiShape::PreBasil
    } else {
        ApiShape::Basil
    }
}

/// Maps an `invoice`; expanded payments, charges and payment intents become their own items.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = o.currency("currency")?;
    let shape = cx.shape_or(|| detect(o));
    let raw_status = o.str("status")?;
    let total = o.req_amount("total", currency)?;
    let subtotal = o.amount("subtotal", currency)?.unwrap_or(total);

    let legacy_tax = o.amount("tax", currency)?;
    let total_taxes = o.sum_amounts("total_taxes", currency)?;
    let total_tax_amounts = o.sum_amounts("total_tax_amounts", currency)?;
    let tax = match shape {
        ApiShape::PreBasil => legacy_tax.or(total_tax_amounts).or(total_taxes),
        ApiShape::Basil => total_taxes.or(total_tax_amounts).or(legacy_tax),
    }
    .unwrap_or_default();
    let discount = discount(o, currency)?;

    let amount_due = o.amount("amount_due", currency)?.unwrap_or(total);
    let amount_paid = o.amount_or_zero("amount_paid", currency)?;
    // Credit notes issued before payment: Stripe's `amount_due` already excludes them.
    let source_credited = o.amount_or_zero("pre_payment_credit_notes_amount", currency)?;
    let amount_remaining = o
        .amount("amount_remaining", currency)?
        .unwrap_or(amount_due - amount_paid);

    let (finalized_at, paid_at) = match o.obj("status_transitions")? {
        Some(st) => (st.ts("finalized_at")?, st.ts("paid_at")?),
        None => (None, None),
    };
    let status = match raw_status {
        Some("draft") | None => InvoiceStatus::Draft,
        Some("open") if amount_paid > Decimal::ZERO => InvoiceStatus::PartiallyPaid,
        Some("open") => InvoiceStatus::Open,
        Some("paid") => InvoiceStatus::Paid,
        Some("void") => InvoiceStatus::Void,
        Some("uncollectible") => InvoiceStatus::Uncollectible,
        // A status this version does not know: the raw value stays in `source.status`.
        Some(_) if finalized_at.is_some() => InvoiceStatus::Open,
        Some(_) => InvoiceStatus::Draft,
    };
    let issued_at = match finalized_at {
        Some(t) => Some(t),
        None if status != InvoiceStatus::Draft => o.ts("effective_at")?,
        None => None,
    };

    let pre_sub = o.id_string("subscription")?;
    let basil_sub = match o.obj("parent")? {
        Some(p) => match p.obj("subscription_details")? {
            Some(d) => d.id_string("subscription")?,
            None => None,
        },
        None => None,
    };
    let subscription_ref = match shape {
        ApiShape::PreBasil => pre_sub.or(basil_sub),
        ApiShape::Basil => basil_sub.or(pre_sub),
    };

    // Payments the invoice names.
    let mut payment_refs = PaymentRefs::default();
    let mut expanded: Vec<&Value> = Vec::new();
    if let Some(c) = o.expandable("charge")? {
        payment_refs.charge = Some(c.id.to_string());
        expanded.extend(o.raw("charge"));
    }
    if let Some(p) = o.expandable("payment_intent")? {
        payment_refs.payment_intent = Some(p.id.to_string());
        expanded.extend(o.raw("payment_intent"));
    }
    basil_payment_refs(o, &mut payment_refs, &mut expanded)?;

    // Stripe embeds the first page of lines only; an API source fetches the rest
    // before mapping (`has_more` is then false). Anything else stays partial.
    let lines_complete = o
        .raw("lines")
        .and_then(|l| l.get("has_more"))
        .and_then(serde_json::Value::as_bool)
        != Some(true);
    let mut lines = Vec::new();
    for (i, v) in o.list("lines")?.iter().enumerate() {
        let index = v.as_object().and_then(access::KeyIndex::build);
        let line = Obj::of(v, "line")
            .and_then(|l| invoice_line::map(l.with_index(index.as_ref()), currency, cx))
            .map_err(|e| e.within(format_args!("lines.data[{i}]")))?;
        lines.push(line);
    }

    let customer_ref = customer_ref(
        o,
        "customer",
        o.str("customer_name")?,
        o.str("customer_email")?,
    )?;
    let url = o.string("hosted_invoice_url")?;
    let source = source_ref(o, "invoice", id, raw_status, url, cx)?;
    out.push(SourceItem::Record(Record::Invoice(Invoice {
        id: String::new(),
        source,
        customer_id: None,
        customer_ref,
        subscription_id: None,
        subscription_ref,
        number: o.string("number")?,
        status,
        currency,
        subtotal,
        discount,
        tax,
        total,
        amount_due,
        amount_paid,
        amount_remaining,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: amount_paid,
        amount_credited: source_credited,
        source_credited,
        write_off: None,
        issued_at,
        due_date: o.ts("due_date")?,
        paid_at,
        lines,
        lines_complete,
        payment_refs,
        metadata: o.metadata(),
    })));
    map_expanded(&expanded, cx, out);
    Ok(())
}

/// Total discounts: `total_discount_amounts`, else (with `discounts` present)
/// `subtotal_excluding_tax - total_excluding_tax`, else zero.
fn discount(o: Obj<'_>, currency: tieout_core::Currency) -> MResult<Decimal> {
    if let Some(d) = o.sum_amounts("total_discount_amounts", currency)? {
        return Ok(d);
    }
    let has_discount = !o.list("discounts")?.is_empty() || o.raw("discount").is_some();
    if has_discount {
        if let (Some(s), Some(t)) = (
            o.amount("subtotal_excluding_tax", currency)?,
            o.amount("total_excluding_tax", currency)?,
        ) {
            return Ok(s - t);
        }
    }
    Ok(Decimal::ZERO)
}

/// Basil `payments.data[]`: invoice payment ids, and the charge / payment intent of
/// the default (else first) paid one. Expanded invoice payments are queued for mapping.
fn basil_payment_refs<'a>(
    o: Obj<'a>,
    refs: &mut PaymentRefs,
    expanded: &mut Vec<&'a Value>,
) -> MResult<()> {
    let mut best: Option<(u8, Option<String>, Option<String>)> = None;
    for (i, v) in o.list("payments")?.iter().enumerate() {
        let at = || format!("payments.data[{i}]");
        let (ip_id, rank, pi, ch) = match v {
            Value::String(s) => (s.as_str(), 0, None, None),
            Value::Object(_) => {
                let p = Obj::of(v, "payment")?;
                let read = || -> MResult<_> {
                    let id = p.req_str("id")?;
                    let paid = p.str("status")? == Some("paid");
                    let rank = u8::from(paid) * 2 + u8::from(p.flag("is_default")?);
                    let (pi, ch) = match p.obj("payment")? {
                        Some(pay) => (pay.id_string("payment_intent")?, pay.id_string("charge")?),
                        None => (None, None),
                    };
                    Ok((id, rank, pi, ch))
                };
                expanded.push(v);
                read().map_err(|e| e.within(at()))?
            }
            _ => continue,
        };
        if !refs.invoice_payments.iter().any(|x| x == ip_id) {
            refs.invoice_payments.push(ip_id.to_string());
        }
        if (pi.is_some() || ch.is_some()) && best.as_ref().is_none_or(|b| rank > b.0) {
            best = Some((rank, pi, ch));
        }
    }
    refs.invoice_payments.sort();
    if let Some((_, pi, ch)) = best {
        if refs.payment_intent.is_none() {
            refs.payment_intent = pi;
        }
        if refs.charge.is_none() {
            refs.charge = ch;
        }
    }
    Ok(())
}
