//! Invoices and their lines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, InvoiceWriteOff, OriginalCustomer, PaymentRefs, SourceRef};
use crate::money::Currency;

/// Status of an invoice in the books.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Not yet issued.
    Draft,
    /// Issued, nothing paid.
    Open,
    /// Issued, part paid.
    PartiallyPaid,
    /// Fully paid.
    Paid,
    /// Cancelled.
    Void,
    /// Written off as not collectible.
    Uncollectible,
}

impl InvoiceStatus {
    /// The snake_case name (`"partially_paid"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Uncollectible => "uncollectible",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => InvoiceStatus::Draft,
            "open" => InvoiceStatus::Open,
            "partially_paid" => InvoiceStatus::PartiallyPaid,
            "paid" => InvoiceStatus::Paid,
            "void" => InvoiceStatus::Void,
            "uncollectible" => InvoiceStatus::Uncollectible,
            _ => return None,
        })
    }

    /// Whether payments may still be allocated to an invoice in this status.
    pub fn accepts_payments(&self) -> bool {
        matches!(
            self,
            InvoiceStatus::Open
                | InvoiceStatus::PartiallyPaid
                | InvoiceStatus::Paid
                | InvoiceStatus::Uncollectible
        )
    }
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// Source id of the line (`il_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit amount in major units, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_amount: Option<Decimal>,
    /// Line amount in major units (before invoice-level discounts and tax).
    pub amount: Decimal,
    /// Tax on the line.
    pub tax: Decimal,
    /// Service period start.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_start: Option<DateTime<Utc>>,
    /// Service period end.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_end: Option<DateTime<Utc>>,
    /// Source id of the price (or plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ref: Option<String>,
    /// Source id of the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_ref: Option<String>,
    /// Source id of the subscription item, for subscription lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_item_ref: Option<String>,
    /// A proration line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proration: bool,
}

/// An invoice in the books.
///
/// `amount_paid`, `amount_remaining` and `status` are the books' view, derived from
/// allocations; the source's own status is kept in `source.status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The books' own id.
    pub id: Id,
    /// Source details.
    pub source: SourceRef,
    /// Books id of the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Id>,
    /// The customer as the source named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<OriginalCustomer>,
    /// Books id of the subscription that billed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<Id>,
    /// Source id of that subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_ref: Option<String>,
    /// Invoice number (null until finalized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Books status.
    pub status: InvoiceStatus,
    /// Currency.
    pub currency: Currency,
    /// Sum of lines before invoice discounts and exclusive tax.
    pub subtotal: Decimal,
    /// Total discounts.
    pub discount: Decimal,
    /// Total tax.
    pub tax: Decimal,
    /// Total after discounts and tax.
    pub total: Decimal,
    /// What the customer owes (total adjusted by customer balance).
    pub amount_due: Decimal,
    /// Paid, per the books' allocations.
    pub amount_paid: Decimal,
    /// Still open, per the books.
    pub amount_remaining: Decimal,
    /// Written off: under the policy's tolerance, plus what of a write-off
    /// by hand ([`Invoice::write_off`]) is still written off.
    pub amount_written_off: Decimal,
    /// What the source says was paid (for paid-only imports and audit).
    pub source_amount_paid: Decimal,
    /// Credited before payment by credit notes (the books' view: the larger of the
    /// source's own figure and the effective credit notes in the books). Never
    /// receivable, never allocated to.
    #[serde(default)]
    pub amount_credited: Decimal,
    /// Credited before payment as the invoice snapshot states it
    /// (`pre_payment_credit_notes_amount`); Stripe's `amount_due` already excludes it.
    #[serde(default)]
    pub source_credited: Decimal,
    /// Issue (finalization) time.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<DateTime<Utc>>,
    /// Due date.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<DateTime<Utc>>,
    /// When the source marked it paid.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
    /// Lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<InvoiceLine>,
    /// False when the source embedded only the first page of the lines
    /// (`lines.has_more`) and the rest could not be fetched (a file, or a
    /// webhook event applied without an API client). `lines` is then partial:
    /// nothing sums it; revenue and tax are booked from the invoice's own
    /// totals (see `ledger::accrual::issued`).
    #[serde(default = "complete")]
    pub lines_complete: bool,
    /// Payment objects the source names for this invoice (charge, payment intent, ...).
    pub payment_refs: PaymentRefs,
    /// Source metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// The write-off a person decided, if any (kept by settling; see
    /// [`InvoiceWriteOff`]). `amount_written_off` includes what of it is
    /// still written off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_off: Option<InvoiceWriteOff>,
}

fn complete() -> bool {
    true
}

impl Invoice {
    /// The note a review and a run carry for an invoice whose lines are partial.
    pub fn incomplete_lines_note(&self) -> Option<String> {
        (!self.lines_complete).then(|| {
            format!(
                "invoice {}: only the first {} line(s) were embedded (lines.has_more) and the rest \
                 could not be fetched here; lines_complete is false and revenue and tax are \
                 booked from the invoice totals, not per line",
                self.source.external_id,
                self.lines.len()
            )
        })
    }

    /// The amount allocations may fill: `amount_due` less what credit notes took
    /// off it that the source's `amount_due` does not already exclude.
    pub fn collectible(&self) -> Decimal {
        (self.amount_due + self.source_credited - self.amount_credited).max(Decimal::ZERO)
    }
}
