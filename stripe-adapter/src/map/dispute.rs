//! Disputes (chargebacks).

use serde_json::Value;
use tieout_core::model::{Dispute, DisputeStatus, PaymentRefs};
use tieout_core::{Record, SourceItem};

use super::access::{MResult, Obj};
use super::{Cx, map_expanded, source_ref};

/// Maps a `dispute`; its (always expanded) `balance_transactions` become their own records.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = o.currency("currency")?;
    let amount = o.req_amount("amount", currency)?;
    let raw_status = o.str("status")?;
    let payment_refs = PaymentRefs {
        charge: o.id_string("charge")?,
        payment_intent: o.id_string("payment_intent")?,
        ..PaymentRefs::default()
    };
    let source = source_ref(o, "dispute", id, raw_status, None, cx)?;
    let created_at = source.created_at;
    let nested: Vec<&Value> = o.list("balance_transactions")?.iter().collect();
    out.push(SourceItem::Record(Record::Dispute(Dispute {
        id: String::new(),
        source,
        payment_id: None,
        payment_refs,
        amount,
        currency,
        status: DisputeStatus::parse(raw_status.unwrap_or("")),
        reason: o.string("reason")?,
        created_at,
    })));
    map_expanded(&nested, cx, out);
    Ok(())
}
