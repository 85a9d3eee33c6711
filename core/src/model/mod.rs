//! The books' records: customers, invoices, subscriptions, payments, refunds,
//! disputes, allocations, balance transactions, payouts, bank lines, import runs.

mod allocation;
mod balance;
mod credit_note;
mod customer;
mod import_run;
mod invoice;
mod payment;
mod payout;
mod product;
mod refund;
mod scale;
mod source_ref;
mod subscription;
mod time;
mod write_off;

use chrono::{DateTime, Utc};

pub use allocation::{Allocation, AllocationKind, AllocationReason, MatchStrategy};
pub use balance::BalanceTransaction;
pub use credit_note::{CreditNote, CreditNoteLine};
pub use customer::{Address, Customer, CustomerKind};
pub use import_run::{Counts, Failure, ImportRun, ManualEntry, RunStatus};
pub use invoice::{Invoice, InvoiceLine, InvoiceStatus};
pub use payment::{FeeDetail, Payment, PaymentLinks, PaymentRefs, PaymentStatus};
pub use payout::{BankLine, Payout};
pub use product::{Price, Product, Recurring};
pub use refund::{Dispute, DisputeStatus, Refund};
pub use scale::AtCurrencyScale;
pub use source_ref::{ExternalKey, OriginalCustomer, SourceRef};
pub use subscription::{Interval, Subscription, SubscriptionItem, SubscriptionStatus};
pub use write_off::InvoiceWriteOff;

/// The books' own identifier of a record (e.g. `inv_3f2a...`).
pub type Id = String;

/// Derives a stable books id from a prefix and a source key: the prefix and
/// the first ten bytes of the key's SHA-256 in hex (`inv_3f2a...`, 24 chars).
///
/// The same key always gives the same id, so ids do not depend on the order
/// records arrive in. Records with a source creation time use
/// [`derive_id_at`] instead.
pub fn derive_id(prefix: &str, key: &str) -> Id {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(key.as_bytes());
    let mut id = String::with_capacity(prefix.len() + 21);
    id.push_str(prefix);
    id.push('_');
    push_hex(&mut id, &h[..10]);
    id
}

/// Derives a stable books id for a record the source created at `created`:
/// the prefix, the creation second (8 hex digits, clamped to 1970-2106) and the
/// first eight bytes of the key's SHA-256 in hex (`inv_6553f1a0c2d4...`, 28
/// chars). Without a creation time it is [`derive_id`].
///
/// Still a function of the record alone (a source's creation time never
/// changes), and ids of records created one after another sort together, so
/// a bulk import appends to the id indexes instead of writing all over them.
pub fn derive_id_at(prefix: &str, key: &str, created: Option<DateTime<Utc>>) -> Id {
    use sha2::{Digest, Sha256};
    let Some(created) = created else {
        return derive_id(prefix, key);
    };
    let secs = u32::try_from(created.timestamp().max(0)).unwrap_or(u32::MAX);
    let h = Sha256::digest(key.as_bytes());
    let mut id = String::with_capacity(prefix.len() + 25);
    id.push_str(prefix);
    id.push('_');
    push_hex(&mut id, &secs.to_be_bytes());
    push_hex(&mut id, &h[..8]);
    id
}

/// Appends `bytes` as lower-case hex.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::{derive_id, derive_id_at};
    use sha2::{Digest, Sha256};

    #[test]
    fn derived_ids_are_the_prefix_and_the_first_ten_sha256_bytes_in_hex() {
        let key = "stripe/acct_1/invoice/in_1";
        let expected = format!("inv_{}", hex::encode(&Sha256::digest(key.as_bytes())[..10]));
        assert_eq!(derive_id("inv", key), expected);
        assert_eq!(derive_id("inv", key).len(), 24);
    }

    #[test]
    fn ids_with_a_creation_time_lead_with_it_and_sort_by_it() {
        use chrono::TimeZone;
        let key = "stripe/acct_1/invoice/in_1";
        let at = |s: i64| chrono::Utc.timestamp_opt(s, 0).single();
        let h = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        assert_eq!(
            derive_id_at("inv", key, at(0x6553_f1a0)),
            format!("inv_6553f1a0{h}")
        );
        assert_eq!(derive_id_at("inv", key, at(0x6553_f1a0)).len(), 28);
        assert_eq!(derive_id_at("inv", key, None), derive_id("inv", key));
        assert_eq!(derive_id_at("inv", key, at(-5)), format!("inv_00000000{h}"));
        assert_eq!(
            derive_id_at("inv", key, at(1 << 40)),
            format!("inv_ffffffff{h}")
        );
        // Later creation, later id, whatever the keys.
        let (a, b) = ("stripe/acct_1/invoice/in_z", "stripe/acct_1/invoice/in_a");
        assert!(
            derive_id_at("inv", a, at(1_700_000_000)) < derive_id_at("inv", b, at(1_700_000_001))
        );
    }
}
