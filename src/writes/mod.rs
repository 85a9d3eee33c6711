//! Writes to the outside, made once: the [`Channel`] trait targets implement
//! and the executor that records each write before it is made.
//!
//! The pattern, for every write (an email, a Slack message, later a Stripe
//! call or a ledger post): the write is planned as a
//! [`WriteIntent`](tieout_core::writes::WriteIntent) with a key derived from
//! its purpose; the executor commits an attempt record **before** handing the
//! intent to the channel and the outcome **after**. A write already
//! succeeded is skipped; one left in flight or unknown by a crash is
//! *resolved* first ([`Channel::resolve`]: a lookup, or a redelivery under
//! the same key), never blindly redone; a failed one is retried with backoff,
//! then reported.
//!
//! The ambiguous window: a crash after the channel accepted a message and
//! before its outcome was committed cannot be told apart, by the books, from
//! a crash just before the send. A channel without a lookup then redelivers
//! with the same key; channels pass the key on (email: a `Message-ID` derived
//! from it and an `X-Tieout-Key` header; Slack: `tieout_key` in the payload)
//! so a receiver can drop the duplicate.

mod channel;
mod executor;
mod stripe;

pub use channel::{CallbackChannel, Channel, Channels, Outcome, Resolution};
pub use executor::{FaultHook, FaultPoint, Prepared, WriteOptions, WriteReport};
pub use stripe::{STRIPE_TARGET, StripeChannel};
