//! Products and prices (Stripe prices and legacy plans).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, Interval, SourceRef};
use crate::money::Currency;

/// Something sold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The books' own id.
    pub id: Id,
    /// Source details.
    pub source: SourceRef,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Still sold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active: bool,
}

/// How often a recurring price bills.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurring {
    /// Billing interval unit.
    pub interval: Interval,
    /// Number of units between bills.
    pub interval_count: u32,
}

/// A price of a product (one-off or recurring).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// The books' own id.
    pub id: Id,
    /// Source details (`object` is `price` or `plan`).
    pub source: SourceRef,
    /// Books id of the product, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<Id>,
    /// Source id of the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_ref: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Unit amount in major units (exact, may have sub-minor digits for `unit_amount_decimal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_amount: Option<Decimal>,
    /// Recurrence; `None` for one-off prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring: Option<Recurring>,
    /// Still usable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active: bool,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}
