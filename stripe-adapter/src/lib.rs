//! # tieout-stripe
//!
//! How Stripe data reaches tieout's books: a rate-limited, retrying REST client
//! (`StripeSource`), an offline reader of Stripe JSON files (`StripeFiles`),
//! webhook signature verification and event parsing, and the mapping of Stripe
//! JSON (pre-basil and basil-or-later shapes) to core records with exact amounts.

pub mod balance_report;
pub mod client;
pub mod error;
pub mod events;
pub mod files;
pub mod map;
pub mod webhook;

pub use client::{ApiKey, KeyKind, StripeEvents, StripeSource};
pub use error::{Result, StripeError};
pub use events::{StripeEvent, event_items};
pub use files::StripeFiles;
pub use map::{MapContext, map_object, stripe_amount};
pub use webhook::{sign_webhook, verify_webhook};
