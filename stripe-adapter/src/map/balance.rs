//! Balance transactions: gross, fee, net in the settlement currency.

use tieout_core::model::{BalanceTransaction, FeeDetail};
use tieout_core::{Record, SourceItem};

use super::access::{MResult, Obj};
use super::{Cx, source_ref};

/// Builds a balance transaction record (also used for expanded `balance_transaction` fields).
pub(crate) fn build(o: Obj<'_>, id: &str, cx: &Cx<'_>) -> MResult<BalanceTransaction> {
    let currency = o.currency("currency")?;
    let amount = o.req_amount("amount", currency)?;
    let fee = o.amount_or_zero("fee", currency)?;
    let net = o.amount("net", currency)?.unwrap_or(amount - fee);
    let mut fee_details = Vec::new();
    for (i, v) in o.list("fee_details")?.iter().enumerate() {
        let read = || -> MResult<FeeDetail> {
            let f = Obj::of(v, "fee detail")?;
            let fc = f.opt_currency("currency")?.unwrap_or(currency);
            Ok(FeeDetail {
                amount: f.amount_or_zero("amount", fc)?,
                currency: fc,
                kind: f.string("type")?.unwrap_or_default(),
                description: f.string("description")?,
            })
        };
        fee_details.push(read().map_err(|e| e.within(format_args!("fee_details[{i}]")))?);
    }
    let raw_status = o.str("status")?;
    let source_object = o.id_string("source")?;
    let payout_ref = source_object
        .as_ref()
        .filter(|s| s.starts_with("po_"))
        .cloned();
    Ok(BalanceTransaction {
        id: String::new(),
        source: source_ref(o, "balance_transaction", id, raw_status, None, cx)?,
        amount,
        currency,
        fee,
        fee_details,
        net,
        exchange_rate: o.decimal("exchange_rate")?,
        kind: o.string("type")?.unwrap_or_default(),
        reporting_category: o.string("reporting_category")?,
        status: raw_status.map(str::to_string),
        available_on: o.ts("available_on")?,
        source_object,
        payout_ref,
        payment_id: None,
    })
}

/// Maps a `balance_transaction`.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let b = build(o, id, cx)?;
    out.push(SourceItem::Record(Record::BalanceTransaction(b)));
    Ok(())
}
