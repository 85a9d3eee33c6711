//! Auto-pay: a customer's saved card charged for each due own invoice,
//! exactly once, with declines decided by one table (see
//! [`tieout_core::autopay`]).

mod channel;
mod checkout_event;
mod run;
mod settings;

pub use run::{AutoPayOptions, AutoPayReport, AutoPayReview};
pub use settings::AUTOPAY_SOURCE;
pub use tieout_core::autopay::{
    Action, AutoPay, AutoPaySource, Decision, Disabling, PlannedCharge, Refusal, decide,
};
