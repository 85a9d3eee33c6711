//! Receivables in the facade: collection cases and aging over the stored
//! books, follow-ups rendered and sent through channels exactly once.

mod aging;
mod cases;
mod digest;
mod followups;
mod templates;

pub use cases::CASES_ACTION;
pub(crate) use cases::{builtin_action, case_opening};
pub use followups::{FollowUpItem, FollowUpReview};
pub use templates::CompiledPolicy;
