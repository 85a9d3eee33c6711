//! Balance transactions: every movement in the Stripe balance.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{FeeDetail, Id, SourceRef};
use crate::money::Currency;

/// A balance transaction (gross, fee, net in the settlement currency).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceTransaction {
    /// The books' own id.
    pub id: Id,
    /// Source details.
    pub source: SourceRef,
    /// Gross amount, signed, settlement currency.
    pub amount: Decimal,
    /// Settlement currency.
    pub currency: Currency,
    /// Fee.
    pub fee: Decimal,
    /// Fee breakdown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_details: Vec<FeeDetail>,
    /// `amount - fee`.
    pub net: Decimal,
    /// Presentment to settlement rate, when converted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_rate: Option<Decimal>,
    /// Stripe `type` (charge, refund, payout, adjustment, ...).
    pub kind: String,
    /// Stripe `reporting_category` (charge, refund, dispute, payout, fee, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting_category: Option<String>,
    /// `pending` or `available`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the funds become available.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_on: Option<DateTime<Utc>>,
    /// The originating object id (`ch_...`, `re_...`, `po_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_object: Option<String>,
    /// The payout that settled it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_ref: Option<String>,
    /// Books id of the payment it belongs to, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<Id>,
}
