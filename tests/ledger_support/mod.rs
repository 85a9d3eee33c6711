//! The ledger tests' generated book (shared with the core tests) and how it
//! is loaded into books.

#![allow(dead_code)]

pub mod checkers;
#[path = "../../core/tests/support/ledger_book.rs"]
pub mod ledger_book;

use ledger_book::Book;
use tieout::core::ChangeSet;
use tieout::{Books, Entity};

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
