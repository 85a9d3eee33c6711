//! Reconciliation: matching payments to invoices, allocations, payouts to deposits.

mod claims;
mod policy;
mod settle;

pub use claims::{Claim, claims, metadata_invoice_names};
pub use policy::{AllocationOrder, FeePolicy, FxPolicy, ReconcilePolicy};
pub use settle::{SettleOutcome, SettleRules, derive_invoice_totals, is_synthetic, settle};
