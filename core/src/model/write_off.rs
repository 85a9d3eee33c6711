//! A write-off a person decided: an invoice's open amount given up as bad
//! debt, with the reason and the time kept, and what later payments recovered.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An invoice written off by hand (`Books::write_off`).
///
/// Settling keeps it (it is not a tolerance write-off, which settling
/// recomputes): `amount` is what was open when it was written off (it grows
/// only when money taken back later reopened part and that is written off
/// again); payments matched to the invoice later fill it first and reduce
/// what stays written off, newest first, and `recovered` says how much.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceWriteOff {
    /// The open amount written off, major units of the invoice's currency.
    pub amount: Decimal,
    /// Why, in a person's words.
    pub reason: String,
    /// When it was written off.
    #[serde(with = "super::time::one")]
    pub at: DateTime<Utc>,
    /// What payments matched later recovered (derived when the invoice's
    /// totals are, never more than `amount`).
    #[serde(default)]
    pub recovered: Decimal,
}

impl InvoiceWriteOff {
    /// What stays written off: `amount - recovered`.
    pub fn outstanding(&self) -> Decimal {
        (self.amount - self.recovered).max(Decimal::ZERO)
    }

    /// `written_off`, `partially_recovered` or `recovered`.
    pub fn state(&self) -> &'static str {
        if self.recovered.is_zero() {
            "written_off"
        } else if self.recovered < self.amount {
            "partially_recovered"
        } else {
            "recovered"
        }
    }
}
