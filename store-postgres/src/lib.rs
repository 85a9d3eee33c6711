//! # tieout-postgres
//!
//! Shared books in PostgreSQL: [`PostgresStore`] implements
//! [`tieout_core::Store`] over one schema of a PostgreSQL database, so several
//! processes (on any machines) keep one set of books.
//!
//! The layout follows the SQLite store: one table per
//! [`EntityKind`](tieout_core::EntityKind) holding the record as JSON text
//! (amounts as decimal strings, the same encoding) plus the same extracted
//! key columns, the `alias` index keyed by the joined external key, source
//! checkpoints and a `schema_version` table. Each commit is one transaction;
//! records go in with one multi-row `INSERT ... SELECT FROM unnest(...) ON
//! CONFLICT` per kind and chunk. Nothing relies on session state (every table
//! is schema-qualified; locks are transaction-scoped), so the store works
//! behind PgBouncer in transaction pooling.
//!
//! The `Store` trait is synchronous and is called from async code: the
//! connection lives on its own thread (see `worker.rs`), never on a Tokio
//! worker.
//!
//! ```no_run
//! use tieout_core::{ChangeSet, Store};
//! use tieout_postgres::PostgresStore;
//!
//! let mut books = PostgresStore::open("postgresql://books@db.internal/app")?;
//! let mut changes = ChangeSet::default();
//! changes.checkpoint = Some(("stripe/acct_1/invoice".into(), "in_42".into()));
//! books.commit(changes)?;
//! assert_eq!(books.checkpoint("stripe/acct_1/invoice")?.as_deref(), Some("in_42"));
//! # Ok::<(), tieout_core::CoreError>(())
//! ```

mod backfill;
mod caps;
mod error;
mod query;
mod schema;
mod shared;
mod statements;
mod store;
mod typed;
mod unchanged;
mod views;
mod worker;
mod writes;

pub use error::PostgresError;
pub use schema::SCHEMA_VERSION;
pub use store::{COMMIT_RETRIES, DEFAULT_SCHEMA, PostgresStore};

/// Whether `location` names a PostgreSQL database (`postgres://` or
/// `postgresql://`) rather than a file.
pub fn is_postgres_url(location: &str) -> bool {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}
