//! The balance Stripe reports is kept with the import that read it, and the
//! Stripe balance statement ties to it or says by how much it does not
//! (issue 16). Offline: a `balance` object saved next to the export's lists.

mod common;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use common::run;
use rust_decimal::Decimal;
use tieout::{Books, Currency, ImportPlan, RunStatus, StripeFiles};

fn export_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    for f in std::fs::read_dir(&data).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn minor(d: Decimal) -> i64 {
    (d * Decimal::ONE_HUNDRED)
        .trunc()
        .to_string()
        .parse()
        .unwrap()
}

fn when() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()
}

/// Available and pending USD funds the example export's transactions add up to.
fn computed_funds() -> (Decimal, Decimal) {
    let books = Books::in_memory();
    let dir = export_dir();
    let src = StripeFiles::new(dir.path()).unwrap();
    run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    let s = books
        .stripe_balance(Currency::USD, DateTime::UNIX_EPOCH, when())
        .unwrap();
    assert!(s.reported.is_none(), "no balance object, nothing reported");
    assert!(!s.lines.is_empty(), "the example has USD transactions");
    (s.closing_available, s.closing_pending)
}

fn with_balance(available: Decimal, pending: Decimal) -> tempfile::TempDir {
    let dir = export_dir();
    let body = serde_json::json!({
        "object": "balance", "livemode": false, "retrieved_at": when().timestamp(),
        "available": [{"amount": minor(available), "currency": "usd"}],
        "pending": [{"amount": minor(pending), "currency": "usd"}],
    });
    std::fs::write(dir.path().join("balance.json"), body.to_string()).unwrap();
    dir
}

#[test]
fn an_import_keeps_the_reported_balance_and_the_statement_ties_to_it() {
    let (a, p) = computed_funds();
    let dir = with_balance(a, p);
    let books = Books::in_memory();
    let src = StripeFiles::new(dir.path()).unwrap();
    let r = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    assert_eq!(r.status, RunStatus::Succeeded, "{:?}", r.failures);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("kept the balance") && n.contains("USD")),
        "{:?}",
        r.notes
    );
    let s = books
        .stripe_balance(Currency::USD, DateTime::UNIX_EPOCH, when())
        .unwrap();
    let reported = s.reported.clone().expect("reported");
    assert_eq!(reported.run_id.as_deref(), Some(r.id.as_str()));
    assert_eq!(reported.at, when());
    assert!(s.ties(), "{s:?}");
    assert_eq!(s.unexplained_available, Some(Decimal::ZERO));
    // The run in the history says so too.
    let history = books.history().unwrap();
    let kept = history.iter().find(|h| h.id == r.id).expect("run kept");
    assert!(kept.notes.iter().any(|n| n.contains("kept the balance")));
}

#[test]
fn a_balance_that_does_not_tie_is_reported_with_the_unexplained_amount() {
    let (a, p) = computed_funds();
    let dir = with_balance(a + Decimal::new(100, 2), p);
    let books = Books::in_memory();
    let src = StripeFiles::new(dir.path()).unwrap();
    run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    let s = books
        .stripe_balance(Currency::USD, DateTime::UNIX_EPOCH, when())
        .unwrap();
    assert!(!s.ties());
    assert_eq!(s.unexplained_available, Some(Decimal::new(100, 2)));
    assert_eq!(s.unexplained_pending, Some(Decimal::ZERO));
}

#[test]
fn a_partial_listing_does_not_keep_a_balance_it_cannot_explain() {
    let (a, p) = computed_funds();
    let dir = with_balance(a, p);
    let books = Books::in_memory();
    let src = StripeFiles::new(dir.path()).unwrap();
    let plan = ImportPlan {
        created_from: Some(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap()),
        ..ImportPlan::default()
    };
    let r = run(books.import(&src, &plan, None)).unwrap();
    assert!(!r.notes.iter().any(|n| n.contains("kept the balance")));
    let s = books
        .stripe_balance(Currency::USD, DateTime::UNIX_EPOCH, when())
        .unwrap();
    assert!(s.reported.is_none());
}
