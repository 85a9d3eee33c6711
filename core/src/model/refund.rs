//! Refunds and disputes: money going back.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, PaymentRefs, SourceRef};
use crate::money::Currency;

/// A refund of (part of) a payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    /// The books' own id.
    pub id: Id,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the refunded payment, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<Id>,
    /// Source ids of the refunded payment (charge, payment intent).
    pub payment_refs: PaymentRefs,
    /// Amount refunded, major units.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Source status (`succeeded`, `pending`, `failed`, `canceled`).
    pub status: String,
    /// Reason given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was created.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Balance transaction id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_transaction: Option<String>,
}

impl Refund {
    /// Whether the refund takes money back from the payment.
    pub fn is_effective(&self) -> bool {
        matches!(
            self.status.as_str(),
            "succeeded" | "pending" | "requires_action"
        )
    }
}

/// Dispute status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// Early warning, funds not yet withdrawn.
    WarningNeedsResponse,
    /// Early warning under review.
    WarningUnderReview,
    /// Early warning closed.
    WarningClosed,
    /// Needs a response; funds withdrawn.
    NeedsResponse,
    /// Under review; funds withdrawn.
    UnderReview,
    /// Won: funds restored.
    Won,
    /// Lost: funds kept by the customer.
    Lost,
    /// Prevented.
    Prevented,
    /// A value this version does not know.
    Other(String),
}

impl DisputeStatus {
    /// Parses Stripe's names.
    pub fn parse(s: &str) -> Self {
        match s {
            "warning_needs_response" => Self::WarningNeedsResponse,
            "warning_under_review" => Self::WarningUnderReview,
            "warning_closed" => Self::WarningClosed,
            "needs_response" => Self::NeedsResponse,
            "under_review" => Self::UnderReview,
            "won" => Self::Won,
            "lost" => Self::Lost,
            "prevented" => Self::Prevented,
            o => Self::Other(o.to_string()),
        }
    }

    /// Whether the disputed funds are withdrawn from the payment in this status.
    pub fn withdraws_funds(&self) -> bool {
        matches!(self, Self::NeedsResponse | Self::UnderReview | Self::Lost)
    }
}

/// A dispute (chargeback) against a payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    /// The books' own id.
    pub id: Id,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the disputed payment, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<Id>,
    /// Source ids of the disputed payment.
    pub payment_refs: PaymentRefs,
    /// Disputed amount.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Status.
    pub status: DisputeStatus,
    /// Reason given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was opened.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}
