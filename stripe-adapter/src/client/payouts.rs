//! Payout settlement: which balance transactions each payout paid out.
//!
//! A payout object does not list what it settled; `GET /v1/balance_transactions
//! ?payout=po_...` does (for automatic payouts). The client reads it for each
//! paid or in-transit payout so the books can check that the payout equals the
//! net of its balance transactions and tie it to the bank deposit.

use serde_json::Value;
use tieout_core::{Record, SourceItem};

use super::http::Http;
use super::paginate::list_rest;
use crate::error::{Result, StripeError};
use crate::map::{MapContext, map_object};

/// Payout statuses whose balance transactions are worth listing.
fn settles(status: &str) -> bool {
    matches!(status, "paid" | "in_transit")
}

/// Adds each payout's balance transactions (with `payout_ref` set) to `items`
/// and fills the payout's `balance_transaction_ids` (its own payout
/// transaction excluded). Payouts whose list Stripe refuses (manual payouts,
/// mocks without the filter) are left as they are, with a note.
pub(crate) async fn complete_payouts(
    http: &Http,
    ctx: &MapContext,
    items: &mut Vec<SourceItem>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let payouts: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Record(Record::Payout(p))
                if settles(&p.status) && p.balance_transaction_ids.is_empty() =>
            {
                Some(p.source.external_id.clone())
            }
            _ => None,
        })
        .collect();
    if payouts.is_empty() {
        return Ok(());
    }
    let lists = futures::future::join_all(payouts.iter().map(|po| {
        let params = vec![("payout".to_string(), po.clone())];
        async move { list_rest(http, "/v1/balance_transactions", &params, None).await }
    }))
    .await;
    for (po, listed) in payouts.iter().zip(lists) {
        let listed: Vec<Value> = match listed {
            Ok(v) => v,
            Err(StripeError::Api {
                status: 400 | 404, ..
            }) => {
                notes.push(format!(
                    "balance transactions of payout {po} are not listable; its net is not checked"
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut ids = Vec::new();
        for bt in &listed {
            for mut item in map_object(bt, ctx) {
                if let SourceItem::Record(Record::BalanceTransaction(b)) = &mut item {
                    b.payout_ref = Some(po.clone());
                    if !b.kind.starts_with("payout") {
                        ids.push(b.source.external_id.clone());
                    }
                }
                items.push(item);
            }
        }
        ids.sort();
        ids.dedup();
        for item in items.iter_mut() {
            if let SourceItem::Record(Record::Payout(p)) = item {
                if &p.source.external_id == po {
                    p.balance_transaction_ids.clone_from(&ids);
                }
            }
        }
    }
    Ok(())
}
