//! Errors of the SQLite store, mapped into [`tieout_core::CoreError::Store`]
//! (a conflict into [`tieout_core::CoreError::Allocation`]).

use tieout_core::CoreError;

/// What can go wrong in the SQLite store.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// An SQLite failure (I/O, locking, constraint, corruption).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A batch of lookup ids that does not serialize as JSON.
    #[error("record json: {0}")]
    Json(#[from] serde_json::Error),
    /// A record that does not serialize as JSON.
    #[error("record json: {0}")]
    Encode(String),
    /// A stored record that does not parse as its kind.
    #[error("corrupt {table} record: {source}")]
    Decode {
        /// Table (kind) of the record.
        table: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The database schema is not one this version can use.
    #[error("schema: {0}")]
    Schema(String),
    /// A change set this store refuses (e.g. a record without an id).
    #[error("{0}")]
    Invalid(String),
    /// A commit failed on purpose through the fault-injection hook.
    #[error("{0}")]
    Injected(String),
    /// A record the writer read before planning changed since (another
    /// connection wrote it): nothing was written; plan again.
    #[error("{0}")]
    Conflict(String),
}

impl From<crate::json::Error> for SqliteError {
    fn from(e: crate::json::Error) -> Self {
        SqliteError::Encode(e.to_string())
    }
}

impl From<SqliteError> for CoreError {
    fn from(e: SqliteError) -> Self {
        match e {
            SqliteError::Conflict(m) => CoreError::Allocation(m),
            other => CoreError::Store(other.to_string()),
        }
    }
}
