//! Exit codes and the one-line error a failed command prints.

use std::fmt;

/// Finished, but some records failed.
pub const FAILED_RECORDS: u8 = 1;
/// Bad flags or arguments (clap uses the same code).
pub const USAGE: u8 = 2;
/// A live account needs a person's approval.
pub const APPROVAL: u8 = 3;
/// The source or the store failed.
pub const SOURCE_OR_STORE: u8 = 4;
/// Stopped by Ctrl-C after a committed page.
pub const INTERRUPTED: u8 = 130;

/// A command's failure: exit code, stable error code, one-line message.
#[derive(Debug)]
pub struct Failure {
    /// Process exit code.
    pub exit: u8,
    /// Stable code (`INVALID_API_KEY`, `APPROVAL_REQUIRED`, ...).
    pub code: String,
    /// What happened (never holds a key).
    pub message: String,
}

impl Failure {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            exit: USAGE,
            code: "USAGE".into(),
            message: message.into(),
        }
    }

    /// Approval needed (exit 3).
    pub fn approval(message: impl Into<String>) -> Self {
        Failure {
            exit: APPROVAL,
            code: "APPROVAL_REQUIRED".into(),
            message: message.into(),
        }
    }

    /// A local I/O failure (exit 4).
    pub fn io(what: &str, e: std::io::Error) -> Self {
        Failure {
            exit: SOURCE_OR_STORE,
            code: "IO_ERROR".into(),
            message: format!("{what}: {e}"),
        }
    }
}

impl From<tieout::Error> for Failure {
    fn from(e: tieout::Error) -> Self {
        let code = e.code().to_string();
        let exit = match code.as_str() {
            "APPROVAL_REQUIRED" => APPROVAL,
            "INVALID_ARGUMENT" | "NOT_FOUND" | "UNKNOWN_CURRENCY" | "INVALID_AMOUNT" => USAGE,
            "INTERRUPTED" => INTERRUPTED,
            _ => SOURCE_OR_STORE,
        };
        // Errors from the Stripe client are already redacted; keep it on one line.
        let message = e.to_string().replace('\n', " ");
        Failure {
            exit,
            code,
            message,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}
