//! The one place a Rust [`tieout::Error`] becomes a Python exception.

use pyo3::prelude::*;
use tieout::{CoreError, Error};

/// The `tieout._errors` class for a stable error code.
fn class_for(code: &str) -> &'static str {
    match code {
        "INVALID_API_KEY" => "InvalidApiKey",
        "PERMISSION_DENIED" => "PermissionDenied",
        "RATE_LIMITED" => "RateLimited",
        "STRIPE_API_ERROR" => "StripeApiError",
        "NETWORK_ERROR" => "NetworkError",
        "FILE_ERROR" => "FileError",
        "WEBHOOK_SIGNATURE" => "WebhookSignatureError",
        "WEBHOOK_PAYLOAD" => "WebhookPayloadError",
        "INVALID_RECORD" => "InvalidRecord",
        "INVALID_ARGUMENT" => "InvalidArgument",
        "INVALID_AMOUNT" => "InvalidAmount",
        "UNKNOWN_CURRENCY" => "UnknownCurrency",
        "CURRENCY_MISMATCH" => "CurrencyMismatch",
        "NOT_FOUND" => "NotFound",
        "APPROVAL_REQUIRED" => "ApprovalRequired",
        "STORE_ERROR" => "StoreError",
        "ALLOCATION_REJECTED" => "AllocationRejected",
        "BUSY" => "Busy",
        "INVOICE_SETTLED" => "InvoiceSettled",
        "INTERRUPTED" => "Interrupted",
        "ACTION_FAILED" => "ActionFailed",
        "ABORTED" => "Aborted",
        "TEMPLATE_ERROR" => "TemplateError",
        // Codes a newer engine adds fall back to the base class, code kept.
        _ => "TieoutError",
    }
}

/// Maps an engine error to its `tieout` exception, with `.code` set to
/// [`Error::code`]. Every error the native module raises goes through here.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error) -> PyErr {
    let code = err.code();
    let message = err.to_string();
    let built = py
        .import("tieout._errors")
        .and_then(|m| m.getattr(class_for(code)))
        .and_then(|cls| cls.call1((message, code)));
    match built {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// An `InvalidArgument` error (bad argument from Python), through [`to_py_err`].
pub(crate) fn invalid(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py_err(py, &Error::Core(CoreError::Invalid(message.into())))
}

/// Extension: turn a `tieout::Result` into a `PyResult`.
pub(crate) trait IntoPy<T> {
    /// Maps the error with [`to_py_err`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T, E: Into<Error>> IntoPy<T> for Result<T, E> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e.into()))
    }
}
