//! Journal entries for 1M balance transactions, written as Beancount.
//! Target: entries built, rendered and written to a file in under 10 s. The
//! input (1M balance transactions as the store would hand them over) is
//! generated first and timed apart: it stands for reading the books.
//! Run: `cargo bench -p tieout-core --bench ledger` (N overrides the count: `N=200000`).

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use tieout_core::ledger::render::{self, RenderOptions};
use tieout_core::ledger::{Layers, LedgerInput, LedgerMapping, journal_entries};
use tieout_core::model::{BalanceTransaction, FeeDetail, SourceRef};
use tieout_core::money::Currency;

fn main() {
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let start = Instant::now();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
    let usd = Currency::USD;
    let txns: Vec<BalanceTransaction> = (0..n)
        .map(|i| {
            let id = format!("txn_{i:010}");
            let mut source = SourceRef::new("stripe", "acct_bench", "balance_transaction", &id);
            source.created_at = Some(t0 + Duration::seconds(i as i64 * 7));
            let (cat, amount, fee) = match i % 20 {
                0 => (
                    "refund",
                    Decimal::new(-(500 + (i % 97) as i64), 2),
                    Decimal::ZERO,
                ),
                1 => ("payout", Decimal::new(-10_000, 2), Decimal::ZERO),
                _ => (
                    "charge",
                    Decimal::new(1_000 + (i % 9_973) as i64, 2),
                    Decimal::new(59, 2),
                ),
            };
            BalanceTransaction {
                id: format!("btx_{i}"),
                source,
                amount,
                currency: usd,
                fee,
                fee_details: if fee.is_zero() {
                    Vec::new()
                } else {
                    vec![FeeDetail {
                        amount: Decimal::new(10, 2),
                        currency: usd,
                        kind: "tax".into(),
                        description: None,
                    }]
                },
                net: amount - fee,
                exchange_rate: None,
                kind: cat.into(),
                reporting_category: Some(cat.into()),
                status: Some("available".into()),
                available_on: None,
                source_object: Some(format!("ch_{i}")),
                payout_ref: None,
                payment_id: None,
            }
        })
        .collect();
    let generated = start.elapsed();
    let work = Instant::now();
    let mapping = LedgerMapping::default();
    let input = LedgerInput {
        balance_transactions: &txns,
        ..LedgerInput::default()
    };
    let journal = journal_entries(&input, &mapping, Layers::default()).expect("entries");
    let built = work.elapsed();
    let opts = RenderOptions {
        assert_accounts: vec![mapping.stripe_balance.clone()],
        ..RenderOptions::default()
    };
    let text = render::beancount(&journal.entries, &opts);
    let rendered = work.elapsed();
    let path = std::env::temp_dir().join("tieout-ledger-bench.beancount");
    std::fs::write(&path, &text).expect("write");
    let total = work.elapsed();
    let _ = std::fs::remove_file(&path);
    println!(
        "ledger: {n} balance transactions -> {} entries, {} MB of Beancount; \
         input generated in {:.2?}; then entries {:.2?}, render {:.2?}, write {:.2?}: \
         {:.2?} for entries + Beancount file (target 10 s)",
        journal.entries.len(),
        text.len() / 1_000_000,
        generated,
        built,
        rendered - built,
        total - rendered,
        total
    );
}
