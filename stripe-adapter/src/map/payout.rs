//! Payouts to the bank.

use chrono::DateTime;
use tieout_core::model::Payout;
use tieout_core::{Record, SourceItem};

use super::access::{MResult, Obj};
use super::{Cx, source_ref};

/// Maps a `payout`. `arrival_date` becomes a UTC calendar date.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = o.currency("currency")?;
    let amount = o.req_amount("amount", currency)?;
    let raw_status = o.str("status")?;
    let arrival_date = o.ts("arrival_date")?.map(|t: DateTime<_>| t.date_naive());
    let source = source_ref(o, "payout", id, raw_status, None, cx)?;
    out.push(SourceItem::Record(Record::Payout(Payout {
        id: String::new(),
        source,
        amount,
        currency,
        status: raw_status.unwrap_or("pending").to_string(),
        arrival_date,
        automatic: o.flag("automatic")?,
        method: o.string("method")?,
        statement_descriptor: o.string("statement_descriptor")?,
        balance_transaction_ids: Vec::new(),
        deposit_id: None,
    })));
    Ok(())
}
