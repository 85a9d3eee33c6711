//! The books' records: customers, invoices, subscriptions, payments, refunds,
//! disputes, allocations, balance transactions, payouts, bank lines, import runs.

mod allocation;
mod balance;
mod customer;
mod import_run;
mod invoice;
mod payment;
mod payout;
mod product;
mod refund;
mod source_ref;
mod subscription;
mod time;

pub use allocation::{Allocation, AllocationKind, AllocationReason, MatchStrategy};
pub use balance::BalanceTransaction;
pub use customer::{Address, Customer, CustomerKind};
pub use import_run::{Counts, Failure, ImportRun, RunStatus};
pub use invoice::{Invoice, InvoiceLine, InvoiceStatus};
pub use payment::{FeeDetail, Payment, PaymentLinks, PaymentRefs, PaymentStatus};
pub use payout::{BankLine, Payout};
pub use product::{Price, Product, Recurring};
pub use refund::{Dispute, DisputeStatus, Refund};
pub use source_ref::{ExternalKey, OriginalCustomer, SourceRef};
pub use subscription::{Interval, Subscription, SubscriptionItem, SubscriptionStatus};

/// The books' own identifier of a record (e.g. `inv_3f2a...`).
pub type Id = String;

/// Derives a stable books id from a prefix and a source key.
///
/// The same key always gives the same id, so ids do not depend on the order
/// records arrive in.
pub fn derive_id(prefix: &str, key: &str) -> Id {
    use sha2::{Digest, Sha256};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let h = Sha256::digest(key.as_bytes());
    let mut id = String::with_capacity(prefix.len() + 21);
    id.push_str(prefix);
    id.push('_');
    for b in &h[..10] {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::derive_id;
    use sha2::{Digest, Sha256};

    #[test]
    fn derived_ids_are_the_prefix_and_the_first_ten_sha256_bytes_in_hex() {
        let key = "stripe/acct_1/invoice/in_1";
        let expected = format!("inv_{}", hex::encode(&Sha256::digest(key.as_bytes())[..10]));
        assert_eq!(derive_id("inv", key), expected);
        assert_eq!(derive_id("inv", key).len(), 24);
    }
}
