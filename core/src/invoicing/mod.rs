//! Invoices the books issue themselves (not imported from a source).
//!
//! Pure: a [`InvoiceDraft`] becomes an [`Invoice`](crate::model::Invoice)
//! with its totals ([`build_draft`]); [`issue`] gives it the next number of
//! its prefix and opens it; [`void`] cancels it. The facade stores each step
//! in one commit with the number sequence's checkpoint
//! ([`number_stream`]), so a crash never skips or reuses a number.
//!
//! An own invoice's [`SourceRef`](crate::model::SourceRef) names the books
//! (`system = "books"`, `object = "invoice"`, `external_id` = its books id)
//! and its `status` field is the books' own lifecycle status (draft, open,
//! void): settlement, matching, aging and collections then treat it exactly
//! like an imported invoice.

mod draft;
mod lifecycle;
mod numbering;

pub use draft::{DraftLine, InvoiceDraft, LineKind};
pub use lifecycle::{OWN_SYSTEM, build_draft, is_own, issue, own_keys, prefix_of, void};
pub use numbering::{format_number, next_number, number_stream};
