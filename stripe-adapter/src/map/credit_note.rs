//! Credit notes with their lines, split into the parts before and after payment.

use rust_decimal::Decimal;
use tieout_core::model::{CreditNote, CreditNoteLine};
use tieout_core::{Currency, Record, SourceItem};

use super::access::{MResult, MapError, Obj};
use super::{Cx, customer_ref, source_ref};

/// Maps a `credit_note`.
///
/// `pre_payment_amount` / `post_payment_amount` are read when present; older API
/// versions only have `type` (`pre_payment`, `post_payment`), which then decides
/// where the whole amount goes. Refund links come from `refunds[].refund` (newer) or
/// `refund` (older).
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = o.currency("currency")?;
    let amount = o.req_amount("amount", currency)?;
    let invoice_ref = o
        .id_string("invoice")?
        .ok_or_else(|| MapError::field("invoice", "missing"))?;
    let refund_amount = o.amount_or_zero("refund_amount", currency)?;
    let credit_amount = o.amount_or_zero("credit_amount", currency)?;
    let out_of_band_amount = o.amount_or_zero("out_of_band_amount", currency)?;
    let (pre_payment_amount, post_payment_amount) = match (
        o.amount("pre_payment_amount", currency)?,
        o.amount("post_payment_amount", currency)?,
    ) {
        (Some(pre), Some(post)) => (pre, post),
        (Some(pre), None) => (pre, (amount - pre).max(Decimal::ZERO)),
        (None, Some(post)) => ((amount - post).max(Decimal::ZERO), post),
        (None, None) => match o.str("type")? {
            Some("post_payment") => (Decimal::ZERO, amount),
            Some("pre_payment") => (amount, Decimal::ZERO),
            _ => {
                let post = (refund_amount + credit_amount + out_of_band_amount).min(amount);
                (amount - post, post)
            }
        },
    };
    let mut refund_refs = Vec::new();
    if let Some(r) = o.id_string("refund")? {
        refund_refs.push(r);
    }
    for (i, v) in o.list("refunds")?.iter().enumerate() {
        let r = Obj::of(v, "refund")
            .and_then(|r| r.id_string("refund"))
            .map_err(|e| e.within(format_args!("refunds[{i}]")))?;
        if let Some(r) = r
            && !refund_refs.contains(&r)
        {
            refund_refs.push(r);
        }
    }
    let mut lines = Vec::new();
    for (i, v) in o.list("lines")?.iter().enumerate() {
        let l = Obj::of(v, "line")
            .and_then(|l| line(l, currency))
            .map_err(|e| e.within(format_args!("lines.data[{i}]")))?;
        lines.push(l);
    }
    let raw_status = o.str("status")?;
    let source = source_ref(o, "credit_note", id, raw_status, None, cx)?;
    out.push(SourceItem::Record(Record::CreditNote(CreditNote {
        id: String::new(),
        source,
        invoice_id: None,
        invoice_ref,
        customer_id: None,
        customer_ref: customer_ref(o, "customer", None, None)?,
        number: o.string("number")?,
        currency,
        amount,
        pre_payment_amount,
        post_payment_amount,
        refund_amount,
        credit_amount,
        out_of_band_amount,
        refund_refs,
        customer_balance_transaction: o.id_string("customer_balance_transaction")?,
        reason: o.string("reason")?,
        memo: o.string("memo")?,
        effective_at: o.ts("effective_at")?,
        voided_at: o.ts("voided_at")?,
        lines,
    })));
    Ok(())
}

fn line(o: Obj<'_>, currency: Currency) -> MResult<CreditNoteLine> {
    Ok(CreditNoteLine {
        external_id: o.string("id")?,
        kind: o.str("type")?.unwrap_or("custom_line_item").to_string(),
        description: o.string("description")?,
        quantity: Decimal::from(o.i64("quantity")?.unwrap_or(1)),
        amount: o.amount_or_zero("amount", currency)?,
        invoice_line_ref: o.id_string("invoice_line_item")?,
    })
}
