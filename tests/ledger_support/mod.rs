//! The ledger tests' generated book (shared with the core tests) and how it
//! is loaded into books.

#![allow(dead_code)]

pub mod checkers;
#[path = "../../core/tests/support/ledger_book.rs"]
pub mod ledger_book;

use ledger_book::{Book, other_categories, sample};
use tieout::core::ChangeSet;
use tieout::core::model::BalanceTransaction;
use tieout::{Books, Entity, LedgerMapping};

/// The default mapping with a deferred-revenue account
/// (`Liabilities:DeferredRevenue`).
pub fn deferred_mapping() -> LedgerMapping {
    LedgerMapping {
        deferred_revenue: Some("Liabilities:DeferredRevenue".into()),
        ..LedgerMapping::default()
    }
}

/// In-memory books holding the generated sample with every other category
/// (reserves held and released, a failed refund, a partial-capture reversal
/// and a reversed payout, after everything else).
pub fn books_with_every_category() -> Books {
    let books = Books::in_memory();
    let mut b = sample();
    other_categories(&mut b, 200);
    load(&books, &b);
    books
}

/// The sample without one refund's balance transaction (`txn_re_4`), and
/// that transaction, to import it late.
pub fn sample_with_late_refund() -> (Book, BalanceTransaction) {
    let mut b = sample();
    let late = b
        .txns
        .iter()
        .position(|t| t.source.external_id == "txn_re_4")
        .expect("the sample has txn_re_4");
    let refund = b.txns.remove(late);
    (b, refund)
}

/// Commits every record of `b` into `books` in one change set.
pub fn load(books: &Books, b: &Book) {
    let mut cs = ChangeSet::default();
    cs.upserts
        .extend(b.invoices.iter().cloned().map(Entity::Invoice));
    cs.upserts
        .extend(b.payments.iter().cloned().map(Entity::Payment));
    cs.upserts
        .extend(b.disputes.iter().cloned().map(Entity::Dispute));
    cs.upserts
        .extend(b.txns.iter().cloned().map(Entity::BalanceTransaction));
    cs.upserts
        .extend(b.payouts.iter().cloned().map(Entity::Payout));
    cs.upserts
        .extend(b.refunds.iter().cloned().map(Entity::Refund));
    cs.upserts
        .extend(b.credit_notes.iter().cloned().map(Entity::CreditNote));
    books.with_store_mut(|s| s.commit(cs)).unwrap().unwrap();
}

/// Voids, the day after its first recognition slice, an invoice of `b`
/// that has at least three slices among `sent` (entries a target already
/// received), as a late import would; returns the dates of its sent slices.
pub fn void_after_first_slice(
    books: &Books,
    b: &Book,
    sent: &[tieout::JournalEntry],
) -> Vec<chrono::NaiveDate> {
    let slices = |inv: &str| -> Vec<chrono::NaiveDate> {
        let prefix = format!("inv:{inv}:recognized:");
        let mut d: Vec<_> = sent
            .iter()
            .filter(|e| e.id.starts_with(&prefix))
            .map(|e| e.date)
            .collect();
        d.sort();
        d
    };
    let mut inv = b
        .invoices
        .iter()
        .find(|i| slices(&i.source.external_id).len() >= 3)
        .expect("the sample has a deferred invoice recognised over months")
        .clone();
    let dates = slices(&inv.source.external_id);
    inv.status = tieout::InvoiceStatus::Void;
    let voided = dates[0].succ_opt().and_then(|d| d.and_hms_opt(12, 0, 0));
    inv.source.updated_at = voided.map(|t| t.and_utc());
    let mut cs = ChangeSet::default();
    cs.upserts.push(Entity::Invoice(inv));
    books.with_store_mut(|s| s.commit(cs)).unwrap().unwrap();
    dates
}
