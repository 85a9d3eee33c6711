//! `Review`: everything an import would do, with its entries read page by
//! page from the review's spill (the object keeps the spill, and with it the
//! planned changes an `import` with its approval applies, alive).

use std::collections::HashMap;
use std::sync::Arc;

use napi::Env;
use napi_derive::napi;

use crate::error::to_napi;
use crate::records::{
    AccountInfo, Allocation, Counts, Failure, ReviewEntry, ReviewSummary, ReviewTotal, failures,
};
use crate::values::{amount, count};

/// Everything an import would do, shown before it is approved. Nothing was written.
#[napi]
pub struct Review {
    inner: Arc<tieout::Review>,
}

impl Review {
    /// Wraps a facade review.
    pub(crate) fn new(r: tieout::Review) -> Self {
        Review { inner: Arc::new(r) }
    }

    fn page(&self, env: &Env, offset: u64, limit: u64) -> napi::Result<Vec<ReviewEntry>> {
        let page = self
            .inner
            .entries
            .page(offset, limit)
            .map_err(|e| to_napi(env, &tieout::Error::Core(e)))?;
        Ok(page.iter().map(Into::into).collect())
    }

    fn allocation_page(&self, env: &Env, offset: u64, limit: u64) -> napi::Result<Vec<Allocation>> {
        let page = self
            .inner
            .allocations
            .page(offset, limit)
            .map_err(|e| to_napi(env, &tieout::Error::Core(e)))?;
        Ok(page.iter().map(Into::into).collect())
    }
}

#[napi]
impl Review {
    /// The source account reviewed.
    #[napi(getter)]
    pub fn account(&self) -> AccountInfo {
        (&self.inner.account).into()
    }

    /// Hash of the plan reviewed.
    #[napi(getter)]
    pub fn plan_hash(&self) -> String {
        self.inner.plan_hash.clone()
    }

    /// The plan as a checklist.
    #[napi(getter)]
    pub fn summary(&self) -> ReviewSummary {
        (&self.inner.summary).into()
    }

    /// The checklist, counts and totals as text for a person to read before approving.
    #[napi(getter)]
    pub fn summary_text(&self) -> String {
        self.inner.summary_text()
    }

    /// Approval token for exactly this plan and account: pass it to `import`.
    #[napi(getter)]
    pub fn approval(&self) -> String {
        self.inner.approval.token.clone()
    }

    /// One entry per source record, all of them (read from the review's
    /// spill on each access; use `entriesPage` to read a large review in pages).
    #[napi(getter)]
    pub fn entries(&self, env: Env) -> napi::Result<Vec<ReviewEntry>> {
        self.page(&env, 0, u64::MAX)
    }

    /// Number of entries.
    #[napi(getter)]
    pub fn entry_count(&self) -> i64 {
        count(self.inner.entries.len())
    }

    /// Up to `limit` entries from `offset` on (empty past the end).
    #[napi]
    pub fn entries_page(
        &self,
        env: Env,
        offset: u32,
        limit: u32,
    ) -> napi::Result<Vec<ReviewEntry>> {
        self.page(&env, u64::from(offset), u64::from(limit))
    }

    /// Allocations that would be created or changed, all of them, in id
    /// order (read from the review's spill on each access; use
    /// `allocationsPage` to read a large review in pages).
    #[napi(getter)]
    pub fn allocations(&self, env: Env) -> napi::Result<Vec<Allocation>> {
        self.allocation_page(&env, 0, u64::MAX)
    }

    /// Number of allocations that would be created or changed.
    #[napi(getter)]
    pub fn allocation_count(&self) -> i64 {
        count(self.inner.allocations.len())
    }

    /// Up to `limit` allocations from `offset` on, in id order (empty past
    /// the end).
    #[napi]
    pub fn allocations_page(
        &self,
        env: Env,
        offset: u32,
        limit: u32,
    ) -> napi::Result<Vec<Allocation>> {
        self.allocation_page(&env, u64::from(offset), u64::from(limit))
    }

    /// Allocations that would be removed (books ids, in id order; read from
    /// the review's spill on each access).
    #[napi(getter)]
    pub fn allocations_removed(&self, env: Env) -> napi::Result<Vec<String>> {
        self.inner
            .allocations_removed
            .page(0, u64::MAX)
            .map_err(|e| to_napi(&env, &tieout::Error::Core(e)))
    }

    /// Number of allocations that would be removed.
    #[napi(getter)]
    pub fn allocations_removed_count(&self) -> i64 {
        count(self.inner.allocations_removed.len())
    }

    /// Counts per Stripe object type.
    #[napi(getter)]
    pub fn counts(&self) -> HashMap<String, Counts> {
        self.inner
            .counts
            .iter()
            .map(|(k, v)| (k.clone(), v.into()))
            .collect()
    }

    /// Counts over all object types.
    #[napi(getter)]
    pub fn total_counts(&self) -> Counts {
        (&self.inner.total_counts()).into()
    }

    /// Amount totals per object type and currency.
    #[napi(getter)]
    pub fn totals(&self) -> Vec<ReviewTotal> {
        let mut totals = Vec::new();
        for (object, per) in &self.inner.totals {
            for (currency, t) in per {
                totals.push(ReviewTotal {
                    object: object.clone(),
                    currency: currency.code().to_string(),
                    count: count(t.count),
                    amount: amount(t.amount, *currency),
                });
            }
        }
        totals
    }

    /// Failed records.
    #[napi(getter)]
    pub fn failures(&self) -> Vec<Failure> {
        failures(&self.inner.failures)
    }

    /// Source notes.
    #[napi(getter)]
    pub fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// The collection cases the plan's `collection_cases` post-import action
    /// would open, and the invoices it would refuse (null when the plan does
    /// not name the action). Cases are aged at the review's time.
    #[napi(getter)]
    pub fn collection_cases(&self) -> Option<crate::receivables::CaseOpening> {
        self.inner.collection_cases.as_ref().map(|o| {
            let at = o
                .opened
                .first()
                .and_then(|c| c.opened_at())
                .unwrap_or_else(chrono::Utc::now);
            crate::receivables::opening_of(o, at)
        })
    }
}
