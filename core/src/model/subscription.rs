//! Subscriptions.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, OriginalCustomer, SourceRef};
use crate::money::Currency;

/// A billing interval unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Daily.
    Day,
    /// Weekly.
    Week,
    /// Monthly.
    Month,
    /// Yearly.
    Year,
    /// A value this version does not know.
    Other(String),
}

impl Interval {
    /// Parses Stripe's names (`day`, `week`, `month`, `year`).
    pub fn parse(s: &str) -> Self {
        match s {
            "day" => Interval::Day,
            "week" => Interval::Week,
            "month" => Interval::Month,
            "year" => Interval::Year,
            o => Interval::Other(o.to_string()),
        }
    }

    /// The lower-case name.
    pub fn as_str(&self) -> &str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Year => "year",
            Interval::Other(s) => s,
        }
    }
}

/// Subscription status (Stripe's set; unknown values kept).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Awaiting the first payment.
    Incomplete,
    /// First payment never came.
    IncompleteExpired,
    /// In a trial.
    Trialing,
    /// Active.
    Active,
    /// A payment failed, retrying.
    PastDue,
    /// Cancelled.
    Canceled,
    /// Unpaid after retries.
    Unpaid,
    /// Paused.
    Paused,
    /// A value this version does not know.
    Other(String),
}

impl SubscriptionStatus {
    /// Parses Stripe's names.
    pub fn parse(s: &str) -> Self {
        match s {
            "incomplete" => Self::Incomplete,
            "incomplete_expired" => Self::IncompleteExpired,
            "trialing" => Self::Trialing,
            "active" => Self::Active,
            "past_due" => Self::PastDue,
            "canceled" => Self::Canceled,
            "unpaid" => Self::Unpaid,
            "paused" => Self::Paused,
            o => Self::Other(o.to_string()),
        }
    }

    /// The snake_case name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Unpaid => "unpaid",
            Self::Paused => "paused",
            Self::Other(s) => s,
        }
    }
}

/// One item of a subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionItem {
    /// Source id (`si_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Source id of the price or plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ref: Option<String>,
    /// Source id of the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_ref: Option<String>,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit amount in major units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_amount: Option<Decimal>,
    /// Billing interval.
    pub interval: Interval,
    /// Units per billing period.
    pub interval_count: u32,
    /// Current period start (basil+: per item).
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_period_start: Option<DateTime<Utc>>,
    /// Current period end.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_period_end: Option<DateTime<Utc>>,
}

/// A subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
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
    /// Status.
    pub status: SubscriptionStatus,
    /// Currency.
    pub currency: Currency,
    /// Amount billed per interval (sum of items).
    pub amount: Decimal,
    /// Billing interval.
    pub interval: Interval,
    /// Intervals per billing period.
    pub interval_count: u32,
    /// Start date.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<DateTime<Utc>>,
    /// Current period start.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_period_start: Option<DateTime<Utc>>,
    /// Current period end.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_period_end: Option<DateTime<Utc>>,
    /// Next billing date (end of the current period unless cancelling).
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_billing_date: Option<DateTime<Utc>>,
    /// Cancels at the end of the period.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_at_period_end: bool,
    /// When it was cancelled.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canceled_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Trial end.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_end: Option<DateTime<Utc>>,
    /// Items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<SubscriptionItem>,
}
