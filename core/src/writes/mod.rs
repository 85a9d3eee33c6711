//! Writes to the outside (an email, a Slack message, a Stripe call, a ledger
//! post) as data: planned by pure code, reviewed, approved, then performed once
//! by an executor in the facade.
//!
//! A [`WriteIntent`] says what is to be written and carries an idempotency key
//! derived from its purpose ([`write_key`]); a [`WriteRecord`] is what the books
//! store about it (status, attempts, outcome); a [`WritePlan`] is the list a
//! person reviews and a [`WriteApproval`] binds that list to an account and mode.

mod history;
mod intent;
mod plan;
mod record;

pub use history::{WRITES_SOURCE, write_run};
pub use intent::{WriteIntent, write_key};
pub use plan::{RetryPolicy, WriteApproval, WritePlan};
pub use record::{WriteAttempt, WriteRecord, WriteStatus};
