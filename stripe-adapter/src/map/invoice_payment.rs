//! Invoice payments (basil+): the link between an invoice and a payment.

use serde_json::Value;
use tieout_core::model::PaymentStatus;
use tieout_core::{Record, SourceItem};

use super::access::{MResult, Obj};
use super::payment::blank_payment;
use super::{Cx, customer_ref, dashboard_url, map_expanded, source_ref};

/// Maps an `invoice_payment` to a payment naming its invoice and the amount it receives.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = o.currency("currency")?;
    let raw_status = o.str("status")?;
    let status = match raw_status {
        Some("paid") => PaymentStatus::Succeeded,
        Some("open") | None => PaymentStatus::Pending,
        Some("canceled") => PaymentStatus::Canceled,
        Some(s) => PaymentStatus::Other(s.to_string()),
    };
    let amount_paid = o.amount("amount_paid", currency)?;
    let amount_requested = o.amount("amount_requested", currency)?;
    let amount = match status {
        PaymentStatus::Succeeded => amount_paid.or(amount_requested),
        _ => amount_requested.or(amount_paid),
    }
    .unwrap_or_default();
    let invoice = o.expandable("invoice")?;
    let livemode = o.flag("livemode")?;
    let url = invoice.and_then(|i| dashboard_url("invoice", i.id, livemode));
    let source = source_ref(o, "invoice_payment", id, raw_status, url, cx)?;
    let mut p = blank_payment(source, status, amount, currency);
    p.refs.invoice_payments.push(id.to_string());
    let mut nested: Vec<&Value> = Vec::new();
    if let Some(pay) = o.obj("payment")? {
        p.refs.payment_intent = pay.id_string("payment_intent")?;
        p.refs.charge = pay.id_string("charge")?;
        nested.extend(
            ["payment_intent", "charge"]
                .iter()
                .filter_map(|k| pay.raw(k))
                .filter(|v| v.is_object()),
        );
    }
    if let Some(inv) = invoice {
        p.links.invoices.push(inv.id.to_string());
        if let Some(a) = amount_paid {
            p.links.invoice_amounts.insert(inv.id.to_string(), a);
        }
        if let Some(io) = inv.obj {
            p.customer_ref = customer_ref(
                io,
                "customer",
                io.str("customer_name")?,
                io.str("customer_email")?,
            )?;
        }
    }
    p.received_at = match o.obj("status_transitions")? {
        Some(st) => st.ts("paid_at")?,
        None => None,
    };
    out.push(SourceItem::Record(Record::Payment(p)));
    map_expanded(&nested, cx, out);
    Ok(())
}
