//! `InvoiceDraft`: what a caller gives to create an invoice.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::Id;
use crate::money::Currency;

/// What a line of an own invoice is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Goods or services: `quantity * unit_amount` (or `amount`).
    #[default]
    Item,
    /// Tax, as an amount (added to the total).
    Tax,
    /// Discount, as a positive amount (taken off the total).
    Discount,
}

/// One line of a draft.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftLine {
    /// Item, tax or discount.
    #[serde(default)]
    pub kind: LineKind,
    /// What the line is for.
    pub description: String,
    /// Quantity (items; 1 for tax and discount lines).
    #[serde(default = "one")]
    pub quantity: Decimal,
    /// Price of one unit, in major units; the line amount is
    /// `quantity * unit_amount` and must be whole minor units.
    pub unit_amount: Decimal,
}

fn one() -> Decimal {
    Decimal::ONE
}

impl DraftLine {
    /// An item line.
    pub fn item(description: &str, quantity: Decimal, unit_amount: Decimal) -> Self {
        DraftLine {
            kind: LineKind::Item,
            description: description.to_string(),
            quantity,
            unit_amount,
        }
    }

    /// A tax line of `amount`.
    pub fn tax(description: &str, amount: Decimal) -> Self {
        DraftLine {
            kind: LineKind::Tax,
            description: description.to_string(),
            quantity: Decimal::ONE,
            unit_amount: amount,
        }
    }

    /// A discount line of `amount` (positive; it is taken off).
    pub fn discount(description: &str, amount: Decimal) -> Self {
        DraftLine {
            kind: LineKind::Discount,
            description: description.to_string(),
            quantity: Decimal::ONE,
            unit_amount: amount,
        }
    }

    /// The line's amount.
    pub fn amount(&self) -> Decimal {
        self.quantity * self.unit_amount
    }
}

/// An invoice to create in the books.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    /// Books id of the customer billed.
    pub customer_id: Id,
    /// Currency of every line.
    pub currency: Currency,
    /// Lines: items, then tax and discount lines as amounts.
    pub lines: Vec<DraftLine>,
    /// Due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<DateTime<Utc>>,
    /// Number prefix (its own gap-free sequence), e.g. `"INV-"`.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// A note printed on the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

/// The prefix used when none is given.
pub(crate) fn default_prefix() -> String {
    "INV-".to_string()
}

impl InvoiceDraft {
    /// A draft with no lines, the default prefix and no due date.
    pub fn new(customer_id: &str, currency: Currency) -> Self {
        InvoiceDraft {
            customer_id: customer_id.to_string(),
            currency,
            lines: Vec::new(),
            due_date: None,
            prefix: default_prefix(),
            memo: None,
        }
    }

    /// Adds a line.
    pub fn line(mut self, line: DraftLine) -> Self {
        self.lines.push(line);
        self
    }

    /// Sets the due date.
    pub fn due(mut self, due: DateTime<Utc>) -> Self {
        self.due_date = Some(due);
        self
    }
}
