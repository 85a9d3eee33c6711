//! # tieout-sqlite
//!
//! The durable embedded store for tieout books: [`SqliteStore`] implements
//! [`tieout_core::Store`] over one SQLite file (bundled SQLite, WAL mode).
//!
//! Each [`EntityKind`](tieout_core::EntityKind) has its own table holding the
//! record as JSON (amounts as decimal strings) plus indexed columns extracted at
//! write time (customer, payment and invoice ids, status, currency, source
//! account and id). Every external id a record is known by lives in the
//! `alias` table (keyed by the joined key text); source checkpoints in `checkpoints`; the schema version in
//! `schema_version`.
//!
//! ```
//! use tieout_core::{ChangeSet, Store};
//! use tieout_sqlite::SqliteStore;
//!
//! let mut books = SqliteStore::open_in_memory()?;
//! let mut changes = ChangeSet::default();
//! changes.checkpoint = Some(("stripe/acct_1/invoice".into(), "in_42".into()));
//! books.commit(changes)?;
//! assert_eq!(books.checkpoint("stripe/acct_1/invoice")?.as_deref(), Some("in_42"));
//! # Ok::<(), tieout_core::CoreError>(())
//! ```

mod adopt;
mod backfill;
mod codec;
mod columns;
mod error;
mod json;
mod query;
mod rows;
mod schema;
mod scratch_allocations;
mod scratch_credit;
mod statements;
mod store;
#[cfg(test)]
mod tests;
mod unchanged;
mod views;

pub use error::SqliteError;
pub use schema::SCHEMA_VERSION;
pub use store::{BUSY_TIMEOUT, SqliteStore};
