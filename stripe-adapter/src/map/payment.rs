//! Payments: charges, payment intents and paid checkout sessions.

use rust_decimal::Decimal;
use serde_json::Value;
use tieout_core::model::{BalanceTransaction, Payment, PaymentStatus, SourceRef};
use tieout_core::{Currency, Record, SourceItem};

use super::access::{MResult, Obj};
use super::{ApiShape, Cx, balance, customer_ref, failed, map_expanded, source_ref};

/// A payment with the given identity and amount, everything else empty.
pub(crate) fn blank_payment(
    source: SourceRef,
    status: PaymentStatus,
    amount: Decimal,
    currency: Currency,
) -> Payment {
    Payment {
        status,
        unapplied: Decimal::ZERO,
        ..Payment::received(String::new(), source, currency, amount)
    }
}

/// Copies fee, net, settlement amount/currency and FX rate from a balance transaction.
fn settle_from(p: &mut Payment, bt: &BalanceTransaction) {
    p.fee = bt.fee;
    p.fee_details.clone_from(&bt.fee_details);
    p.net = Some(bt.net);
    p.settlement_amount = Some(bt.amount);
    p.settlement_currency = Some(bt.currency);
    p.fx_rate = bt.exchange_rate;
}

/// A charge as a payment, its expanded balance transaction, and the nested objects to map.
struct MappedCharge<'a> {
    payment: Payment,
    balance: Option<BalanceTransaction>,
    nested: Vec<&'a Value>,
}

fn charge<'a>(o: Obj<'a>, id: &str, cx: &Cx<'_>) -> MResult<MappedCharge<'a>> {
    let currency = o.currency("currency")?;
    let raw_status = o.str("status")?;
    let captured = o.bool("captured")?;
    let status = match raw_status {
        Some("succeeded") if captured == Some(false) => PaymentStatus::Pending,
        Some("succeeded") => PaymentStatus::Succeeded,
        Some("pending") | None => PaymentStatus::Pending,
        Some("failed") => PaymentStatus::Failed,
        Some(s) => PaymentStatus::Other(s.to_string()),
    };
    let mut amount = o.req_amount("amount", currency)?;
    let mut released = Decimal::ZERO;
    if status == PaymentStatus::Succeeded {
        // A partial capture releases the rest: only the captured part was received.
        if let Some(c) = o.amount("amount_captured", currency)? {
            if c > Decimal::ZERO && c < amount {
                released = amount - c;
                amount = c;
            }
        }
    }
    let source = source_ref(o, "charge", id, raw_status, None, cx)?;
    let received_at = match status {
        PaymentStatus::Succeeded => source.created_at,
        _ => None,
    };
    let mut p = blank_payment(source, status, amount, currency);
    p.received_at = received_at;
    p.customer_ref = customer_ref(o, "customer", None, None)?;
    p.refs.charge = Some(id.to_string());
    p.refs.payment_intent = o.id_string("payment_intent")?;
    // Before basil a partial capture refunded the released part, and `amount_refunded`
    // counts it; only what was refunded of the captured amount is a refund here.
    let released = match cx.shape_or(|| ApiShape::PreBasil) {
        ApiShape::PreBasil => released,
        ApiShape::Basil => Decimal::ZERO,
    };
    p.refunded_reported = o
        .amount("amount_refunded", currency)?
        .map(|r| (r - released).max(Decimal::ZERO));
    p.refunded = p.refunded_reported.unwrap_or_default();
    p.description = o.string("description")?;
    p.metadata = o.metadata();
    p.method = match o.obj("payment_method_details")? {
        Some(d) => d.string("type")?,
        None => None,
    };
    if let Some(inv) = o.id_string("invoice")? {
        p.links.invoices.push(inv);
    }
    let mut nested: Vec<&Value> = Vec::new();
    let mut balance = None;
    if let Some(bt) = o.expandable("balance_transaction")? {
        p.refs.balance_transaction = Some(bt.id.to_string());
        if let Some(bo) = bt.obj {
            let b = balance::build(bo, bt.id, cx).map_err(|e| e.within("`balance_transaction`"))?;
            settle_from(&mut p, &b);
            balance = Some(b);
        }
    }
    nested.extend(o.raw("invoice").filter(|v| v.is_object()));
    nested.extend(o.list("refunds")?.iter());
    Ok(MappedCharge {
        payment: p,
        balance,
        nested,
    })
}

fn push_charge(m: MappedCharge<'_>, cx: &Cx<'_>, out: &mut Vec<SourceItem>) {
    out.push(SourceItem::Record(Record::Payment(m.payment)));
    if let Some(b) = m.balance {
        out.push(SourceItem::Record(Record::BalanceTransaction(b)));
    }
    map_expanded(&m.nested, cx, out);
}

/// Maps a `charge`: a payment, plus its expanded balance transaction and embedded refunds.
pub(crate) fn map_charge(
    o: Obj<'_>,
    id: &str,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    let m = charge(o, id, cx)?;
    push_charge(m, cx, out);
    Ok(())
}

/// Maps a `payment_intent`; an expanded `latest_charge` is mapped too and fills the fees.
pub(crate) fn map_payment_intent(
    o: Obj<'_>,
    id: &str,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    let currency = o.currency("currency")?;
    let raw_status = o.str("status")?;
    let status = match raw_status {
        Some("succeeded") => PaymentStatus::Succeeded,
        Some("canceled") => PaymentStatus::Canceled,
        Some(
            "processing"
            | "requires_capture"
            | "requires_action"
            | "requires_confirmation"
            | "requires_payment_method",
        )
        | None => PaymentStatus::Pending,
        Some(s) => PaymentStatus::Other(s.to_string()),
    };
    let amount = match status {
        PaymentStatus::Succeeded => match o.amount("amount_received", currency)? {
            Some(a) => a,
            None => o.req_amount("amount", currency)?,
        },
        _ => o.req_amount("amount", currency)?,
    };
    let source = source_ref(o, "payment_intent", id, raw_status, None, cx)?;
    let created = source.created_at;
    let mut p = blank_payment(source, status.clone(), amount, currency);
    p.customer_ref = customer_ref(o, "customer", None, None)?;
    p.refs.payment_intent = Some(id.to_string());
    p.description = o.string("description")?;
    p.metadata = o.metadata();
    if let Some(pm) = o.expandable("payment_method")? {
        if let Some(pmo) = pm.obj {
            p.method = pmo.string("type")?;
        }
    }
    if let Some(inv) = o.id_string("invoice")? {
        p.links.invoices.push(inv);
    }
    let mut nested: Vec<&Value> = Vec::new();
    nested.extend(o.raw("invoice").filter(|v| v.is_object()));
    let mut charge_items = Vec::new();
    if let Some(lc) = o.expandable("latest_charge")? {
        p.refs.charge = Some(lc.id.to_string());
        if let Some(co) = lc.obj {
            match charge(co, lc.id, cx) {
                Ok(m) => {
                    let c = &m.payment;
                    p.refs
                        .balance_transaction
                        .clone_from(&c.refs.balance_transaction);
                    if p.method.is_none() {
                        p.method.clone_from(&c.method);
                    }
                    p.refunded = c.refunded;
                    p.refunded_reported = c.refunded_reported;
                    if status == PaymentStatus::Succeeded {
                        p.received_at = c.received_at;
                    }
                    if let Some(b) = &m.balance {
                        settle_from(&mut p, b);
                    }
                    push_charge(m, cx, &mut charge_items);
                }
                Err(e) => {
                    charge_items.push(failed("charge", lc.id, format!("charge {}: {e}", lc.id)))
                }
            }
        }
    }
    if status == PaymentStatus::Succeeded && p.received_at.is_none() {
        p.received_at = created;
    }
    out.push(SourceItem::Record(Record::Payment(p)));
    out.append(&mut charge_items);
    map_expanded(&nested, cx, out);
    Ok(())
}

/// Maps a `checkout.session`: a payment only when `payment_status` is `paid`.
pub(crate) fn map_checkout_session(
    o: Obj<'_>,
    id: &str,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    if o.str("payment_status")? != Some("paid") {
        return Ok(());
    }
    let currency = o.currency("currency")?;
    let amount = o.req_amount("amount_total", currency)?;
    let source = source_ref(o, "checkout.session", id, o.str("status")?, None, cx)?;
    let received_at = source.created_at;
    let mut p = blank_payment(source, PaymentStatus::Succeeded, amount, currency);
    p.received_at = received_at;
    let (name, email) = match o.obj("customer_details")? {
        Some(d) => (d.str("name")?, d.str("email")?),
        None => (None, None),
    };
    p.customer_ref = customer_ref(o, "customer", name, email)?;
    p.refs.checkout_session = Some(id.to_string());
    p.refs.payment_intent = o.id_string("payment_intent")?;
    p.links.checkout_invoice = o.id_string("invoice")?;
    p.links.client_reference_id = o.string("client_reference_id")?;
    p.metadata = o.metadata();
    let nested: Vec<&Value> = ["payment_intent", "invoice"]
        .iter()
        .filter_map(|k| o.raw(k))
        .filter(|v| v.is_object())
        .collect();
    out.push(SourceItem::Record(Record::Payment(p)));
    map_expanded(&nested, cx, out);
    Ok(())
}
