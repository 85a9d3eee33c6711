//! Reconciliation: matching payments to invoices, allocations, payouts to deposits.

pub mod bank;
pub mod bulk;
mod claims;
pub mod ledger;
pub mod manual;
pub mod payouts;
mod policy;
pub mod policy_match;
pub mod report;
mod report_scale;
mod settle;
mod shortcuts;

pub use claims::{
    Claim, ClaimOf, InvoiceLookup, Misses, WorkspaceLookup, claims, claims_with,
    metadata_invoice_names,
};
pub use ledger::{derive_invoice_totals, invoice_totals_agree, written_off_by_hand};
pub use manual::{AllocateRequest, ManualOutcome, allocate, unallocate};
pub use payouts::{PayoutMatchReport, match_payouts};
pub use policy::{AllocationOrder, FeePolicy, FxPolicy, FxRate, ReconcilePolicy};
pub use policy_match::{MatchOutcome, OpenBook, PolicyFill, match_unapplied, unapplied_customers};
pub use report::{ReconcileReport, build_report};
pub use settle::{SettleOutcome, SettleRules, is_synthetic, settle};
