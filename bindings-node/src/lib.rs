//! # tieout for Node
//!
//! napi-rs bindings over the `tieout` facade: `Books`, `StripeSource`,
//! `StripeFiles`, import plans, review and approved import, webhook
//! verification and events, and the queries. A thin layer: conversion only.
//!
//! Conventions (the same everywhere):
//! - Amounts are exact decimal strings in major units (`"19.99"`), never numbers.
//! - Instants are ISO-8601 UTC strings as `Date#toISOString()` writes them;
//!   calendar dates are `YYYY-MM-DD`.
//! - Enums are string unions (`'partially_paid'`).
//! - Errors are `Error`s with a stable `code` (`INVALID_API_KEY`, ...).
//! - Anything touching the store or the network returns a Promise.

mod books;
mod callbacks;
mod error;
mod invoicing;
mod ledger;
mod plan;
mod reconcile;
mod records;
mod sources;
mod task;
mod values;
mod webhook;

pub use books::*;
pub use plan::*;
pub use reconcile::*;
pub use records::*;
pub use sources::*;
pub use webhook::*;
