//! The `Source` trait: where records come from (Stripe API, files, events).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::ReportedBalance;
use crate::record::{ObjectScope, SourceItem};

/// Who the source is: the account and mode, as verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Source system (`"stripe"`).
    pub system: String,
    /// Account id (`acct_...`), or a stable label for offline sources.
    pub account: String,
    /// Live data (true) or test data.
    pub livemode: bool,
    /// Key kind: `"secret"`, `"restricted"`, or `"files"` for offline sources.
    pub key_kind: String,
}

/// What the import asks a source for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchScope {
    /// Object kinds to fetch.
    pub objects: Vec<ObjectScope>,
    /// Only objects created at or after this unix time.
    pub created_gte: Option<i64>,
    /// Only objects created at or before this unix time.
    pub created_lte: Option<i64>,
    /// Invoice statuses to fetch (source-side filter), empty for all.
    pub invoice_statuses: Vec<String>,
}

/// One page of records and the checkpoint that resumes after it.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// Records (or per-record failures) in this page.
    pub items: Vec<SourceItem>,
    /// Opaque position after this page; committed with the page's changes.
    pub checkpoint: String,
    /// No more pages after this one.
    pub done: bool,
    /// Notes for the run history (e.g. "event cursor expired; backfilled").
    pub notes: Vec<String>,
    /// Total records expected, when the source knows it (files do, the API does not).
    pub total_hint: Option<u64>,
}

/// A paged, resumable source of records.
///
/// `next_page(scope, None)` starts from the beginning; passing the checkpoint of
/// the last committed page resumes right after it. A source must return the same
/// records for the same checkpoint (modulo changes in the source itself).
#[async_trait]
pub trait Source: Send + Sync {
    /// Checks access and returns the account and mode.
    async fn verify(&self) -> Result<AccountInfo>;

    /// Fetches the page after `checkpoint`.
    async fn next_page(&self, scope: &FetchScope, checkpoint: Option<&str>) -> Result<Page>;

    /// A stable name for this source's checkpoint stream (e.g. `stripe:acct_1:api`).
    fn stream(&self) -> String;

    /// Whether the last page's checkpoint is a cursor to continue from on the
    /// next import (an event stream), rather than a position inside one import
    /// that is cleared once the import finishes. Default: false.
    fn tails(&self) -> bool {
        false
    }

    /// What the source reports as the account's balance per currency (the
    /// Stripe API's `GET /v1/balance`, a `balance` object in an offline
    /// export), read before the import lists anything so every balance
    /// transaction it counts is in the listing. Default: nothing reported.
    async fn reported_balances(&self) -> Result<Vec<ReportedBalance>> {
        Ok(Vec::new())
    }
}
