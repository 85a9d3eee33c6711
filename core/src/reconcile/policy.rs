//! Reconcile policy: how unlinked payments are matched and how fees and FX are booked.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// A known exchange rate on a date: `1 from = rate to`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FxRate {
    /// Currency converted from (the payment's presentment currency).
    pub from: Currency,
    /// Currency converted to (the settlement currency).
    pub to: Currency,
    /// Date the rate applies to.
    pub date: NaiveDate,
    /// Units of `to` per unit of `from`.
    pub rate: Decimal,
}

/// Order in which a policy match fills a customer's open invoices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationOrder {
    /// Oldest due date first (the default).
    #[default]
    OldestFirst,
    /// Newest due date first.
    NewestFirst,
    /// Do not guess: leave unlinked payments unapplied for review (exact-amount matches still apply).
    LeaveUnapplied,
}

/// How processing fees are booked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeePolicy {
    /// Payment at gross; fees booked as a separate expense (the default).
    #[default]
    SeparateExpense,
    /// Payment recorded net of fees.
    Net,
}

/// How FX differences are booked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FxPolicy {
    /// Allocate in the invoice currency; report the settlement difference (the default).
    #[default]
    ReportDifference,
    /// Allocate in the invoice currency and ignore FX differences.
    Ignore,
}

/// Policy for matching and allocation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReconcilePolicy {
    /// Fill order for policy matches.
    pub order: AllocationOrder,
    /// Write-off tolerance, absolute (major units of the invoice currency). Zero by default.
    pub write_off_abs: Decimal,
    /// Write-off tolerance, percent of the invoice total. Zero by default.
    pub write_off_pct: Decimal,
    /// Fee booking.
    pub fees: FeePolicy,
    /// FX booking.
    pub fx: FxPolicy,
    /// Metadata keys read by the metadata strategy (values: invoice ids or numbers, comma separated).
    pub metadata_keys: Vec<String>,
    /// Run policy matching (strategy 6) at the end of each import.
    pub match_on_import: bool,
    /// Bank deposit date window, business days either side of the payout arrival date.
    pub deposit_window_days: u32,
    /// Known rates at invoice time, for the FX difference report (empty: unknown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fx_rates: Vec<FxRate>,
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        ReconcilePolicy {
            order: AllocationOrder::OldestFirst,
            write_off_abs: Decimal::ZERO,
            write_off_pct: Decimal::ZERO,
            fees: FeePolicy::SeparateExpense,
            fx: FxPolicy::ReportDifference,
            metadata_keys: vec![
                "invoice".into(),
                "invoice_id".into(),
                "invoices".into(),
                "invoice_number".into(),
            ],
            match_on_import: true,
            deposit_window_days: 3,
            fx_rates: Vec::new(),
        }
    }
}
