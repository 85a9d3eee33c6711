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

mod autopay;
mod books;
mod callbacks;
mod error;
mod invoicing;
mod ledger;
mod ledger_push;
mod paging;
mod plan;
mod receivables;
mod reconcile;
mod records;
mod review;
mod sources;
mod task;
mod values;
mod webhook;
mod workers;
mod write_back;
mod write_off;

/// Rust's allocations in the addon (records, JSON, SQL rows) go through
/// mimalloc: the import allocates and frees many small objects per record, and
/// glibc's allocator spent about a quarter of the import's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use books::*;
pub use paging::*;
pub use plan::*;
pub use receivables::*;
pub use reconcile::*;
pub use records::*;
pub use sources::*;
pub use webhook::*;
