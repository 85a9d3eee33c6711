//! Writes to Stripe: form-encoded POSTs, each with an `Idempotency-Key`
//! equal to the books' write key, and the lookups that resolve a write whose
//! answer was lost (a list filtered on `metadata[tieout_key]`).
//!
//! Blocking on purpose: the facade's write executor calls its targets one
//! write at a time, recording each attempt before the call and the outcome
//! after; there is nothing to overlap.

mod form;
mod response;
mod writer;

pub use form::form_pairs;
pub use response::{ApiFailure, WriteResponse};
pub use writer::{StripeWriter, TIEOUT_KEY};
