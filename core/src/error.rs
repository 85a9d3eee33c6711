//! The core error type.

use crate::money::Currency;

/// Result alias for the core crate.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Every error the core can report. Bindings map this enum once.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum CoreError {
    /// A currency code that is not an active ISO 4217 code.
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
    /// Arithmetic or comparison across two currencies.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch {
        /// Left operand's currency.
        left: Currency,
        /// Right operand's currency.
        right: Currency,
    },
    /// An amount with more decimal places than its currency's minor unit.
    #[error("{amount} is not a whole number of minor units of {currency}")]
    NotRepresentable {
        /// The amount as text.
        amount: String,
        /// Its currency.
        currency: Currency,
    },
    /// Arithmetic overflow.
    #[error("amount overflow")]
    Overflow,
    /// A record that cannot be imported (malformed, missing fields, ...).
    #[error("invalid record {object} {external_id}: {reason}")]
    InvalidRecord {
        /// Object type.
        object: String,
        /// Source id.
        external_id: String,
        /// What is wrong.
        reason: String,
    },
    /// An invalid argument or plan.
    #[error("invalid: {0}")]
    Invalid(String),
    /// A referenced record does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A live-mode import without a matching approval.
    #[error("approval required: {0}")]
    ApprovalRequired(String),
    /// A store failure (I/O, SQL, corruption).
    #[error("store error: {0}")]
    Store(String),
    /// A source failure (network, API, file), with a stable code such as
    /// `INVALID_API_KEY`, `PERMISSION_DENIED`, `RATE_LIMITED` or `NETWORK_ERROR`.
    #[error("{message}")]
    Source {
        /// Stable error code.
        code: String,
        /// What went wrong (never contains a key).
        message: String,
    },
    /// Another process holds what this call needs (an import stream, a
    /// backfill shard) and did not let go within the wait allowed.
    #[error("busy: {what} is held by {holder}")]
    Busy {
        /// What is held (e.g. the import stream).
        what: String,
        /// Who holds it (host, process and instance).
        holder: String,
    },
    /// An allocation that would break an invariant (over-allocating a payment or invoice).
    #[error("allocation rejected: {0}")]
    Allocation(String),
    /// An invoice already settled (paid in full, void or credited) cannot be
    /// written off.
    #[error("invoice settled: {0}")]
    InvoiceSettled(String),
}
