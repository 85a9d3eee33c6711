//! `CollectionCase`: one unpaid invoice handed to collection.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{Address, Id};
use crate::money::Currency;

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Opened, money still owed.
    Open,
    /// Handed to an agency.
    Submitted,
    /// The invoice was paid in full.
    Paid,
    /// Closed for another reason (credited, void, written off): see `close_reason`.
    Closed,
}

impl CaseStatus {
    /// snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Submitted => "submitted",
            CaseStatus::Paid => "paid",
            CaseStatus::Closed => "closed",
        }
    }

    /// Whether money is still being collected.
    pub fn is_active(&self) -> bool {
        matches!(self, CaseStatus::Open | CaseStatus::Submitted)
    }
}

/// What the debt's age counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBasis {
    /// The invoice's due date.
    DueDate,
    /// The finalization date: the source gave no due date.
    Finalized,
}

/// The debtor of a case, taken from the customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Debtor {
    /// Books id of the customer.
    pub customer_id: Id,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Postal address.
    pub address: Address,
}

/// One change of a case's status or amount.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Status after the change.
    pub status: CaseStatus,
    /// Open amount after the change.
    pub open_amount: Decimal,
    /// Why (`opened`, `partial payment`, `paid`, `void`, ...).
    pub reason: String,
}

/// A collection case: one per invoice, keyed by the invoice's source id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionCase {
    /// The books' own id, derived from the invoice's source key.
    pub id: Id,
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// The invoice's source id (`in_...`).
    pub invoice_external_id: String,
    /// Invoice number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// Hosted invoice URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_url: Option<String>,
    /// Who owes it.
    pub debtor: Debtor,
    /// Currency.
    pub currency: Currency,
    /// Amount due when the case was opened.
    pub original_amount: Decimal,
    /// Still open, per the books.
    pub open_amount: Decimal,
    /// The date the age counts from (due date, or finalization date).
    pub age_from: DateTime<Utc>,
    /// Which date `age_from` is.
    pub age_basis: AgeBasis,
    /// Status.
    pub status: CaseStatus,
    /// Why a closed case was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    /// Every change, oldest first.
    pub history: Vec<CaseEvent>,
}

impl CollectionCase {
    /// Whole days from `age_from` to `now` (0 when not yet due).
    pub fn debt_age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.age_from).num_days().max(0)
    }

    /// When the case was opened.
    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.history.first().map(|e| e.at)
    }

    pub(crate) fn push(&mut self, at: DateTime<Utc>, status: CaseStatus, reason: &str) {
        self.status = status;
        self.history.push(CaseEvent {
            at,
            status,
            open_amount: self.open_amount,
            reason: reason.to_string(),
        });
    }
}
