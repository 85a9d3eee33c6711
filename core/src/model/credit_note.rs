//! Credit notes: how Stripe corrects an issued invoice.
//!
//! Before payment a credit note reduces what the invoice asks for
//! (`pre_payment_amount`); after payment it refunds, credits the customer's
//! balance, or is settled out of band (`post_payment_amount`). The books count
//! the pre-payment part as credited on the invoice (never receivable, never
//! allocated to); the post-payment part is money already received and goes back
//! through its refund or the customer balance.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, OriginalCustomer, SourceRef};
use crate::money::Currency;

/// One line of a credit note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditNoteLine {
    /// Source id of the line (`cnli_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `invoice_line_item` (crediting an invoice line) or `custom_line_item`.
    pub kind: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Quantity.
    pub quantity: Decimal,
    /// Amount credited by the line, major units (before discounts and tax).
    pub amount: Decimal,
    /// Source id of the invoice line it credits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_line_ref: Option<String>,
}

/// A credit note against an invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditNote {
    /// The books' own id.
    pub id: Id,
    /// Source details (status `issued` or `void`).
    pub source: SourceRef,
    /// Books id of the credited invoice, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Id>,
    /// Source id of the credited invoice.
    pub invoice_ref: String,
    /// Books id of the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Id>,
    /// The customer as the source named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<OriginalCustomer>,
    /// Credit note number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Currency (the invoice's).
    pub currency: Currency,
    /// Total credited, tax included.
    pub amount: Decimal,
    /// Part that reduced the invoice's amount due (issued before payment).
    pub pre_payment_amount: Decimal,
    /// Part issued after payment: refunded, credited to the balance or out of band.
    pub post_payment_amount: Decimal,
    /// Refunded through refunds (`refund_amount`).
    pub refund_amount: Decimal,
    /// Credited to the customer's balance (`credit_amount`).
    pub credit_amount: Decimal,
    /// Settled outside Stripe (`out_of_band_amount`).
    pub out_of_band_amount: Decimal,
    /// Source ids of the refunds it created (`refund` / `refunds[].refund`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refund_refs: Vec<String>,
    /// Source id of the customer balance transaction it created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_balance_transaction: Option<String>,
    /// Reason (`duplicate`, `fraudulent`, `order_change`, `product_unsatisfactory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Memo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// When it took effect.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<DateTime<Utc>>,
    /// When it was voided.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_at: Option<DateTime<Utc>>,
    /// Lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<CreditNoteLine>,
}

impl CreditNote {
    /// Whether it counts (issued, not void).
    pub fn is_effective(&self) -> bool {
        self.source.status.as_deref() != Some("void")
    }

    /// What it takes off the invoice's receivable: the pre-payment amount of an
    /// effective credit note, zero otherwise.
    pub fn credited_before_payment(&self) -> Decimal {
        if self.is_effective() {
            self.pre_payment_amount
        } else {
            Decimal::ZERO
        }
    }
}
