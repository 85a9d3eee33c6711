//! Refunds.

use tieout_core::model::{PaymentRefs, Refund};
use tieout_core::{Record, SourceItem};

use super::access::{MResult, Obj};
use super::{Cx, balance, source_ref};

/// Maps a `refund`; its charge / payment intent become `payment_refs`, an expanded
/// balance transaction becomes its own record.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = o.currency("currency")?;
    let amount = o.req_amount("amount", currency)?;
    let raw_status = o.str("status")?;
    let payment_refs = PaymentRefs {
        charge: o.id_string("charge")?,
        payment_intent: o.id_string("payment_intent")?,
        ..PaymentRefs::default()
    };
    let mut bt_record = None;
    let balance_transaction = match o.expandable("balance_transaction")? {
        Some(bt) => {
            if let Some(bo) = bt.obj {
                let b =
                    balance::build(bo, bt.id, cx).map_err(|e| e.within("`balance_transaction`"))?;
                bt_record = Some(b);
            }
            Some(bt.id.to_string())
        }
        None => None,
    };
    let source = source_ref(o, "refund", id, raw_status, None, cx)?;
    let created_at = source.created_at;
    out.push(SourceItem::Record(Record::Refund(Refund {
        id: String::new(),
        source,
        payment_id: None,
        payment_refs,
        amount,
        currency,
        status: raw_status.unwrap_or("succeeded").to_string(),
        reason: o.string("reason")?,
        created_at,
        balance_transaction,
    })));
    if let Some(b) = bt_record {
        out.push(SourceItem::Record(Record::BalanceTransaction(b)));
    }
    Ok(())
}
