//! The import planner: records + plan + current books -> planned changes.
//!
//! The same code serves a review (nothing is committed) and an import (each
//! page's changes are committed with the source checkpoint).

mod alias_changes;
mod credit_notes;
pub mod customers;
mod diff;
mod fields;
pub mod keys;
mod overlay_index;
mod paged;
pub mod payments;
mod planner;
mod prefetch;
mod review;
mod summary;
mod upsert;
mod workspace;

pub use diff::{diff, diff_records};
pub use paged::{PagedIter, PagedList, Pages};
pub use planner::{PageOutcome, Planner};
pub use review::{
    Action, FieldChange, Review, ReviewAllocations, ReviewEntries, ReviewEntry, ReviewRemovals,
    Total,
};
pub use summary::ReviewSummary;
pub use upsert::{existing_or_new, upsert};
pub use workspace::{WorkState, Workspace, kind_of_id};
