//! What one write request to Stripe came to.

use serde_json::Value;

/// Stripe's error object, as far as deciding what to do with a write needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiFailure {
    /// HTTP status.
    pub status: u16,
    /// `error.type` (`card_error`, `invalid_request_error`, `idempotency_error`, ...).
    pub kind: Option<String>,
    /// `error.code` (`card_declined`, `expired_card`, `authentication_required`, ...).
    pub code: Option<String>,
    /// `error.decline_code` (`insufficient_funds`, `generic_decline`, ...).
    pub decline_code: Option<String>,
    /// `error.advice_code` (`try_again_later`, `do_not_try_again`, ...).
    pub advice_code: Option<String>,
    /// `error.message`.
    pub message: String,
    /// The `Request-Id` header.
    pub request_id: Option<String>,
    /// The whole error body.
    pub body: Value,
}

impl ApiFailure {
    /// Whether the same request may be tried again later (rate limit,
    /// a concurrent request with the same key still running, a lock timeout).
    pub fn retryable(&self) -> bool {
        (matches!(self.status, 409 | 429) && self.kind.as_deref() != Some("idempotency_error"))
            || self.code.as_deref() == Some("lock_timeout")
    }

    /// One line for history: status, code, decline code, message.
    pub fn summary(&self) -> String {
        let mut s = format!("HTTP {}", self.status);
        for part in [&self.code, &self.decline_code].into_iter().flatten() {
            s.push(' ');
            s.push_str(part);
        }
        if !self.message.is_empty() {
            s.push_str(": ");
            s.push_str(&self.message);
        }
        s
    }
}

/// The result of one write request.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteResponse {
    /// 2xx: the object Stripe returned.
    Done {
        /// The `Request-Id` header.
        request_id: Option<String>,
        /// Stripe answered from its idempotency cache (`Idempotent-Replayed`).
        replayed: bool,
        /// The response body.
        body: Value,
    },
    /// 4xx: Stripe refused it (nothing was made, or it failed, e.g. a decline).
    Refused(ApiFailure),
    /// 5xx, a timeout or a connection lost after sending: it may or may not
    /// have been made; resolve (same key, or a lookup) before anything else.
    Unknown {
        /// What happened.
        error: String,
    },
    /// The request never left (connection refused, DNS): safe to retry.
    NotSent {
        /// What happened.
        error: String,
    },
}
