//! Payouts to the bank and bank statement lines.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, SourceRef};
use crate::money::Currency;

/// A payout from Stripe to a bank account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payout {
    /// The books' own id.
    pub id: Id,
    /// Source details.
    pub source: SourceRef,
    /// Amount paid out.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// `pending`, `in_transit`, `paid`, `failed`, `canceled`.
    pub status: String,
    /// Expected arrival date at the bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_date: Option<NaiveDate>,
    /// Automatic (scheduled) payout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// `standard` or `instant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Statement descriptor shown on the bank statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_descriptor: Option<String>,
    /// Source ids of the balance transactions it settled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub balance_transaction_ids: Vec<String>,
    /// Books id of the bank statement line it was matched to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_id: Option<Id>,
}

/// One line of a bank statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankLine {
    /// The books' own id (derived from the statement's identity of the line).
    pub id: Id,
    /// Bank account label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Booking date.
    pub date: NaiveDate,
    /// Signed amount (deposits positive).
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Bank reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Books id of the payout it was matched to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<Id>,
}
