//! The facade's error type: one enum every binding maps once.

use tieout_core::CoreError;
use tieout_stripe::StripeError;

/// Result alias for the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error tieout reports, by kind. Bindings map each variant to a typed
/// exception (Python) or a stable `code` (Node).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A core error: invalid records, money, plans, store failures.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A Stripe adapter error: keys, API, files, webhooks.
    #[error(transparent)]
    Stripe(#[from] StripeError),
    /// An import stopped on request (progress callback or Ctrl-C); the books
    /// hold every committed page and the next import resumes.
    #[error(
        "import interrupted after {pages} page(s); the next import resumes from the last checkpoint"
    )]
    Interrupted {
        /// Pages committed before the stop.
        pages: u64,
    },
    /// A run of writes stopped at a fault point (tests simulate a crash
    /// there); the books hold what was committed and the next run resolves it.
    #[error("write run aborted at {point} for {key}")]
    Aborted {
        /// The write's key.
        key: String,
        /// `recorded` or `performed`.
        point: &'static str,
    },
    /// A follow-up template does not compile or render against the sample
    /// context (found when the policy loads, never at send time).
    #[error("template {part} of step {step}: {message}")]
    Template {
        /// The step's name.
        step: String,
        /// `subject`, `text` or `html`.
        part: String,
        /// What minijinja reported.
        message: String,
    },
    /// A post-import action failed (the import itself committed).
    #[error("post-import action {name} failed: {reason}")]
    Action {
        /// Action name.
        name: String,
        /// What it reported.
        reason: String,
    },
}

/// Stable, language-neutral error codes (the Node binding's `code`, the Python
/// exception class names derive from the same kinds).
impl Error {
    /// A stable code such as `INVALID_API_KEY` or `APPROVAL_REQUIRED`.
    pub fn code(&self) -> &str {
        match self {
            Error::Core(c) => core_code(c),
            Error::Stripe(StripeError::Core(c)) => core_code(c),
            Error::Stripe(s) => s.code(),
            Error::Interrupted { .. } => "INTERRUPTED",
            Error::Action { .. } => "ACTION_FAILED",
            Error::Aborted { .. } => "ABORTED",
            Error::Template { .. } => "TEMPLATE_ERROR",
        }
    }
}

fn core_code(c: &CoreError) -> &str {
    match c {
        CoreError::UnknownCurrency(_) => "UNKNOWN_CURRENCY",
        CoreError::CurrencyMismatch { .. } => "CURRENCY_MISMATCH",
        CoreError::NotRepresentable { .. } | CoreError::Overflow => "INVALID_AMOUNT",
        CoreError::InvalidRecord { .. } => "INVALID_RECORD",
        CoreError::Invalid(_) => "INVALID_ARGUMENT",
        CoreError::NotFound(_) => "NOT_FOUND",
        CoreError::ApprovalRequired(_) => "APPROVAL_REQUIRED",
        CoreError::Store(_) => "STORE_ERROR",
        CoreError::Source { code, .. } => code,
        CoreError::Allocation(_) => "ALLOCATION_REJECTED",
        CoreError::Busy { .. } => "BUSY",
        CoreError::InvoiceSettled(_) => "INVOICE_SETTLED",
    }
}
