//! The one place tieout errors become JS errors.
//!
//! Every failure reaches JavaScript as an `Error` whose `code` is
//! [`tieout::Error::code`] (`INVALID_API_KEY`, `APPROVAL_REQUIRED`, ...) and whose
//! message carries the whole cause chain. Argument problems the binding finds
//! itself are `tieout::Error`s too (`INVALID_ARGUMENT`), so they map here as well.

use napi::{Env, JsError};
use tieout::CoreError;

/// The stable code and the message (with its cause chain) of a facade error.
pub(crate) fn describe(e: &tieout::Error) -> (String, String) {
    let code = e.code().to_string();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    (code, message)
}

/// Builds the JS `Error` (with `code`) for `e` and wraps it so napi throws, or
/// rejects a Promise with, exactly that object.
pub(crate) fn to_napi(env: &Env, e: &tieout::Error) -> napi::Error {
    let (code, message) = describe(e);
    let js = JsError::from(napi::Error::new(code, message)).into_unknown(*env);
    napi::Error::from(js)
}

/// An `INVALID_ARGUMENT` error for bad input to the binding.
pub(crate) fn invalid(message: impl Into<String>) -> tieout::Error {
    tieout::Error::Core(CoreError::Invalid(message.into()))
}
