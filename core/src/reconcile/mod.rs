//! Reconciliation: matching payments to invoices, allocations, payouts to deposits.

mod policy;

pub use policy::{AllocationOrder, FeePolicy, FxPolicy, ReconcilePolicy};
