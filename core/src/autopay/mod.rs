//! Auto-pay (pure): per-customer opt-in with a saved card, the charge plan,
//! the decline decision table, the card a checkout saved, and the notice a
//! customer gets when a refused charge turns auto-pay off.

mod decline;
mod notice;
mod plan;
mod saved_card;
mod setting;

pub use decline::{Action, Decision, Field, RULES, Refusal, Rule, decide};
pub use notice::{NOTICE_KIND, notice_intent};
pub use plan::{
    CHARGE_KIND, Disabling, MAX_ATTEMPTS, PlannedCharge, attempt_of, charge_intent,
    charges_by_invoice, is_due, pending_disablings, plan_charges,
};
pub use saved_card::{SavedCard, saved_card};
pub use setting::{AutoPay, AutoPaySource, stream};
