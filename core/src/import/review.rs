//! What a review shows a person: every planned change, allocations, totals.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::collect::CaseOpening;
use crate::model::{Allocation, Counts, Failure};
use crate::money::Currency;
use crate::plan::Approval;
use crate::source::AccountInfo;

use super::{PagedList, ReviewSummary};

/// One field that changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Dotted path, e.g. `lines.0.amount`.
    pub path: String,
    /// Value before (JSON), `null` when absent.
    pub before: serde_json::Value,
    /// Value after (JSON), `null` when removed.
    pub after: serde_json::Value,
}

/// What happens to one source record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// A new books record.
    Create,
    /// An existing record changes.
    Update {
        /// Changed fields.
        changes: Vec<FieldChange>,
    },
    /// Seen, nothing changes.
    Unchanged,
    /// Left out (filter, stale snapshot, fixed-customer mode, ...).
    Skipped {
        /// Why.
        reason: String,
    },
    /// Could not be imported.
    Failed {
        /// Why.
        error: String,
    },
}

impl Action {
    /// `create`, `update`, `unchanged`, `skipped` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update { .. } => "update",
            Action::Unchanged => "unchanged",
            Action::Skipped { .. } => "skipped",
            Action::Failed { .. } => "failed",
        }
    }
}

/// The planned fate of one source record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewEntry {
    /// Source object type.
    pub object: String,
    /// Source id.
    pub external_id: String,
    /// Books id of the record (empty for skipped or failed records).
    pub books_id: String,
    /// What happens.
    pub action: Action,
}

/// Totals for one object type and currency among created and updated records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    /// Records.
    pub count: u64,
    /// Sum of their amounts (invoice totals, payment amounts, ...).
    pub amount: Decimal,
}

/// One entry per source record of a review, in the order planned.
pub type ReviewEntries = PagedList<ReviewEntry>;

/// The allocations a review would create or change, in id order.
pub type ReviewAllocations = PagedList<Allocation>;

/// The books ids of the allocations a review would remove, in id order.
pub type ReviewRemovals = PagedList<String>;

/// Everything an import would do, shown before it is approved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The source account reviewed.
    pub account: AccountInfo,
    /// Hash of the plan reviewed.
    pub plan_hash: String,
    /// The plan as the checklist a person approves.
    pub summary: ReviewSummary,
    /// Approval token for exactly this plan and account.
    pub approval: Approval,
    /// One entry per source record, in the order planned (read page by page
    /// when the review spilled them).
    pub entries: ReviewEntries,
    /// Allocations that would be created or changed, in id order (read page
    /// by page when the review spilled them).
    pub allocations: ReviewAllocations,
    /// Allocations that would be removed (books ids, in id order; read page
    /// by page when the review spilled them).
    pub allocations_removed: ReviewRemovals,
    /// Counts per object type.
    pub counts: BTreeMap<String, Counts>,
    /// Amount totals per object type and currency (created and updated records).
    pub totals: BTreeMap<String, BTreeMap<Currency, Total>>,
    /// Failed records.
    pub failures: Vec<Failure>,
    /// Source notes.
    pub notes: Vec<String>,
    /// The collection cases the plan's `collection_cases` post-import action
    /// would open over the books as this import leaves them, and the invoices
    /// it would refuse with the debtor fields they lack (`None` when the plan
    /// does not name the built-in action). Planned by the same function the
    /// action commits with ([`crate::collect::open_cases`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_cases: Option<CaseOpening>,
}

impl Review {
    /// Counts over all object types.
    pub fn total_counts(&self) -> Counts {
        let mut c = Counts::default();
        for v in self.counts.values() {
            c.add(v);
        }
        c
    }
}
