//! The Stripe adapter's error type.

use tieout_core::CoreError;

/// Result alias for the adapter.
pub type Result<T, E = StripeError> = std::result::Result<T, E>;

/// Every error the Stripe adapter reports. Messages never contain an API key.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// The key is not a secret (`sk_`) or restricted (`rk_`) key.
    #[error("invalid API key format: {0}")]
    InvalidKeyFormat(String),
    /// Stripe answered 401.
    #[error("invalid API key: Stripe rejected the key (HTTP 401){}", request_suffix(.request_id))]
    InvalidApiKey {
        /// `Request-Id` header, when sent.
        request_id: Option<String>,
    },
    /// Stripe answered 403: a restricted key lacks a permission.
    #[error("permission denied: the key cannot read {resource} (grant read access to {resource}){}", request_suffix(.request_id))]
    PermissionDenied {
        /// The resource the key could not read (e.g. `invoices`).
        resource: String,
        /// `Request-Id` header, when sent.
        request_id: Option<String>,
    },
    /// Retries exhausted on 429s.
    #[error("rate limited by Stripe after {attempts} attempts")]
    RateLimited {
        /// Attempts made.
        attempts: u32,
    },
    /// Any other API error.
    #[error("Stripe API error (HTTP {status}, {kind}): {message}{}", request_suffix(.request_id))]
    Api {
        /// HTTP status.
        status: u16,
        /// Stripe error type.
        kind: String,
        /// Stripe's message (keys redacted).
        message: String,
        /// `Request-Id` header.
        request_id: Option<String>,
    },
    /// Network or TLS failure after retries.
    #[error("network error: {0}")]
    Network(String),
    /// A response or file that is not what Stripe sends.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// A webhook signature that does not verify.
    #[error("webhook signature error: {0}")]
    WebhookSignature(String),
    /// A correctly signed webhook body that is not a complete event (not JSON, not an
    /// `event` object, or missing its id, type or data). The signature was fine: this
    /// is not a reason to rotate secrets.
    #[error("webhook payload error: {0}")]
    WebhookPayload(String),
    /// A file could not be read.
    #[error("file error: {path}: {reason}")]
    File {
        /// Path.
        path: String,
        /// Reason.
        reason: String,
    },
    /// A core error (unknown currency, invalid record, ...).
    #[error(transparent)]
    Core(#[from] CoreError),
}

fn request_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|r| format!(" [request {r}]"))
        .unwrap_or_default()
}

impl StripeError {
    /// A stable code for the error kind (`INVALID_API_KEY`, `RATE_LIMITED`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            StripeError::InvalidKeyFormat(_) | StripeError::InvalidApiKey { .. } => {
                "INVALID_API_KEY"
            }
            StripeError::PermissionDenied { .. } => "PERMISSION_DENIED",
            StripeError::RateLimited { .. } => "RATE_LIMITED",
            StripeError::Api { .. } => "STRIPE_API_ERROR",
            StripeError::Network(_) => "NETWORK_ERROR",
            StripeError::Decode(_) => "INVALID_RECORD",
            StripeError::WebhookSignature(_) => "WEBHOOK_SIGNATURE",
            StripeError::WebhookPayload(_) => "WEBHOOK_PAYLOAD",
            StripeError::File { .. } => "FILE_ERROR",
            StripeError::Core(_) => "CORE_ERROR",
        }
    }
}

impl From<StripeError> for CoreError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Core(c) => c,
            other => CoreError::Source {
                code: other.code().to_string(),
                message: other.to_string(),
            },
        }
    }
}
