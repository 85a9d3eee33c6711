//! Errors of the PostgreSQL store, mapped into [`tieout_core::CoreError::Store`].

use tieout_core::CoreError;

/// What can go wrong in the PostgreSQL store.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// A PostgreSQL failure (connection, SQL, constraint).
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    /// A stored record that does not parse as its kind.
    #[error("corrupt {table} record {id}: {source}")]
    Decode {
        /// Table (kind) of the record.
        table: &'static str,
        /// Books id of the record.
        id: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A record that does not serialize as JSON.
    #[error("record json: {0}")]
    Encode(#[from] serde_json::Error),
    /// The database schema is not one this version can use.
    #[error("schema: {0}")]
    Schema(String),
    /// A change set or option this store refuses (e.g. a record without an id).
    #[error("{0}")]
    Invalid(String),
    /// A commit failed on purpose through the fault-injection hook.
    #[error("{0}")]
    Injected(String),
    /// The caller's build of a sequenced commit refused (its own error).
    #[error(transparent)]
    Build(CoreError),
    /// An allocation over a payment's or an invoice's cap, found inside
    /// the transaction (a concurrent allocation won).
    #[error("{0}")]
    Allocation(String),
    /// Another holder has the stream or shard this call needs.
    #[error("busy: {what} is held by {holder}")]
    Busy {
        /// What is held.
        what: String,
        /// Who holds it.
        holder: String,
    },
    /// The store's connection thread is gone (it panicked or could not start).
    #[error("postgres connection thread stopped: {0}")]
    Worker(String),
}

impl PostgresError {
    /// Whether the failure is a serialization failure or a deadlock, which a
    /// retry of the whole transaction resolves.
    pub fn is_retryable(&self) -> bool {
        use postgres::error::SqlState;
        match self {
            PostgresError::Postgres(e) => matches!(
                e.code(),
                Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
            ),
            _ => false,
        }
    }
}

impl From<PostgresError> for CoreError {
    /// A refused argument is [`CoreError::Invalid`]; everything else a store
    /// failure.
    fn from(e: PostgresError) -> Self {
        match e {
            PostgresError::Invalid(m) => CoreError::Invalid(m),
            PostgresError::Build(e) => e,
            PostgresError::Busy { what, holder } => CoreError::Busy { what, holder },
            PostgresError::Allocation(m) => CoreError::Allocation(m),
            e => CoreError::Store(e.to_string()),
        }
    }
}
