//! Allocations: how much of a payment pays which invoice, and why.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Id;
use crate::money::Currency;

/// The matching strategy that decided an allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStrategy {
    /// An invoice payment, or the invoice named on the charge / payment intent.
    ExplicitLink,
    /// The payment intent id is shared with an invoice.
    PaymentIntent,
    /// The charge id is shared with an invoice.
    Charge,
    /// A checkout session names the invoice.
    CheckoutSession,
    /// Payment metadata names the invoice.
    Metadata,
    /// Same customer and currency, open amount equal to the payment.
    ExactAmount,
    /// Oldest open invoice first.
    OldestFirst,
    /// Newest open invoice first.
    NewestFirst,
    /// Allocated by a person.
    Manual,
    /// Paid invoice imported with "mark paid only": no payment record.
    SourcePaid,
}

impl MatchStrategy {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ExplicitLink => "explicit_link",
            Self::PaymentIntent => "payment_intent",
            Self::Charge => "charge",
            Self::CheckoutSession => "checkout_session",
            Self::Metadata => "metadata",
            Self::ExactAmount => "exact_amount",
            Self::OldestFirst => "oldest_first",
            Self::NewestFirst => "newest_first",
            Self::Manual => "manual",
            Self::SourcePaid => "source_paid",
        }
    }

    /// Whether the allocation follows from source data (recomputed on import),
    /// rather than from a policy guess or a person.
    pub fn is_explicit(&self) -> bool {
        matches!(
            self,
            Self::ExplicitLink
                | Self::PaymentIntent
                | Self::Charge
                | Self::CheckoutSession
                | Self::Metadata
        )
    }
}

/// Why an allocation exists: the strategy and a sentence a person can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationReason {
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// Human-readable detail, e.g. "invoice payment inpay_1 names in_1".
    pub detail: String,
}

/// Kind of allocation entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationKind {
    /// Money from a payment applied to an invoice.
    #[default]
    Payment,
    /// A small difference written off under the tolerance policy (no payment money).
    WriteOff,
}

impl AllocationKind {
    /// `payment` or `write_off`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AllocationKind::Payment => "payment",
            AllocationKind::WriteOff => "write_off",
        }
    }
}

/// Part of a payment applied to an invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// The books' own id.
    pub id: Id,
    /// Books id of the payment (for write-offs, the payment whose shortfall was written off).
    pub payment_id: Id,
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Amount, in the invoice's currency, major units.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Why.
    pub reason: AllocationReason,
    /// Payment or write-off.
    pub kind: AllocationKind,
    /// When the allocation was made (the payment's receipt time for source-driven allocations).
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocated_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
impl Allocation {
    /// A manual payment allocation for unit tests: `amount` in cents, USD.
    pub(crate) fn manual_for_test(id: &str, payment: &str, invoice: &str, cents: i64) -> Self {
        Allocation {
            id: id.into(),
            payment_id: payment.into(),
            invoice_id: invoice.into(),
            amount: Decimal::new(cents, 2),
            currency: Currency::USD,
            reason: AllocationReason {
                strategy: super::MatchStrategy::Manual,
                detail: String::new(),
            },
            kind: AllocationKind::Payment,
            allocated_at: None,
        }
    }
}
