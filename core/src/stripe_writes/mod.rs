//! Writes tieout makes to Stripe, planned as data (pure: `now` is passed in).
//!
//! Each is a [`WriteIntent`](crate::writes::WriteIntent) for the `stripe`
//! target whose payload is `{"path", "params", "lookup"}`: the facade's
//! Stripe channel POSTs `params` to `path` with the intent's key as
//! `Idempotency-Key`, and `params.metadata.tieout_key` carries the same key
//! so a write whose answer was lost is found in the `lookup` list.

mod checkout;
mod customers;
mod intent;
mod write_back;
mod write_off;

pub use checkout::{
    ActiveSession, CheckoutSettings, LinkPlan, active_session, plan_payment_link, record_session,
};
pub use customers::{
    LINK_ACCOUNT, LINK_CUSTOMER, PUSHED_FIELDS, customer_fields, plan_customer_pushes,
    stripe_customer_of,
};
pub use intent::stripe_intent;
pub use write_back::{
    KIND_ATTACH_PAYMENT, KIND_PAID_OUT_OF_BAND, KIND_PAYMENT_RECORD, PAYMENT_RECORDS_SINCE,
    WriteBackMethod, WriteBackPlan, WriteBackSkip, already_paid_refusal, changed_in_stripe,
    is_open_in_stripe, paid_in_stripe, plan_write_back,
};
pub use write_off::{
    KIND_MARK_UNCOLLECTIBLE, KIND_VOID, StripeWriteOff, StripeWriteOffPlan,
    is_written_off_stripe_invoice, plan_stripe_write_offs, write_off_state,
};
