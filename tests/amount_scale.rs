//! Issue 13 item 7: every amount on every record, summary, report and export
//! carries its currency's scale (USD `0.00`, JPY `5000`, KWD `1.230`), also
//! where the engine computed it (sums from nothing, zeros, totals per currency).
//! The record strings themselves are checked in all three languages by the
//! shared vectors (tests/vectors, exact string comparison).

mod common;

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use tieout::*;

fn books() -> (Books, Review) {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/currency_exponents/input");
    let books = Books::in_memory();
    let src = StripeFiles::new(dir).unwrap();
    let review = common::run(books.review(&src, &ImportPlan::default())).unwrap();
    let run = common::run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    assert_eq!(run.totals.failed, 0, "{:?}", run.failures);
    (books, review)
}

#[test]
fn records_carry_their_currency_scale_even_when_computed() {
    let (books, _) = books();
    for i in books.invoices(&InvoiceFilter::default()).unwrap() {
        let e = i.currency.exponent();
        for (k, v) in [
            ("total", i.total),
            ("amount_paid", i.amount_paid),
            ("amount_remaining", i.amount_remaining),
            ("amount_written_off", i.amount_written_off),
            ("amount_credited", i.amount_credited),
            ("discount", i.discount),
        ] {
            assert_eq!(v.scale(), e, "{} {k} = {v}", i.source.external_id);
        }
    }
    let kwd = books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.currency == Currency::KWD)
        .unwrap();
    assert_eq!(
        (
            kwd.amount_paid.to_string(),
            kwd.amount_remaining.to_string()
        ),
        ("0.000".to_string(), "1.230".to_string())
    );
    for p in books.payments().unwrap() {
        let e = p.currency.exponent();
        for v in [
            p.amount,
            p.refunded,
            p.unapplied,
            p.allocated,
            p.disputed,
            p.fee,
        ] {
            assert_eq!(v.scale(), e, "{} {v}", p.source.external_id);
        }
    }
}

#[test]
fn summaries_reports_and_exports_carry_the_scale() {
    let (books, review) = books();
    // The review's totals per object and currency.
    let kwd = &review.totals["invoice"][&Currency::KWD];
    assert_eq!(kwd.amount.to_string(), "1.230");
    assert_eq!(
        review.totals["invoice"][&Currency::JPY].amount.to_string(),
        "5000"
    );

    // The reconcile report: totals that start from nothing read 0.000, not 0.
    let report = books.report(&ReconcilePolicy::default()).unwrap();
    let t = &report.totals[&Currency::KWD];
    assert_eq!(t.paid.to_string(), "0.000");
    assert_eq!(t.credited.to_string(), "0.000");
    assert_eq!(t.payments_received.to_string(), "0.000");
    assert_eq!(t.open.to_string(), "1.230");
    assert_eq!(report.totals[&Currency::JPY].refunded.to_string(), "0");
    let rows = report.to_csv_rows();
    assert!(
        rows.iter()
            .any(|r| r.get("open").map(String::as_str) == Some("1.230")),
        "{rows:?}"
    );

    // Aging, as a report and as CSV.
    let as_of = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let aging = books.aging(as_of).unwrap();
    let row = aging
        .totals
        .iter()
        .find(|r| r.currency == Currency::KWD)
        .unwrap();
    assert_eq!(row.current.to_string(), "0.000");
    assert_eq!(row.total.to_string(), "1.230");
    assert!(aging.to_csv().contains(",0.000,"), "{}", aging.to_csv());

    // The HTML report's figures.
    let html = books
        .report_html(&ReconcilePolicy::default(), as_of.date_naive())
        .unwrap();
    assert!(
        html.contains(r#"data-figure="KWD.totals.paid">0.000<"#),
        "KWD paid figure"
    );
    assert!(html.contains(r#"data-figure="KWD.payouts.matched">0.000<"#));

    // Journal entries and a ledger export.
    let journal = books
        .journal_entries(&LedgerMapping::default(), Layers::default())
        .unwrap();
    for e in &journal.entries {
        for p in &e.postings {
            assert!(p.amount.scale() >= p.currency.exponent(), "{e:?}");
        }
    }
    let export = books
        .export(Target::Csv, &ExportOptions::default(), as_of)
        .unwrap();
    assert!(export.text.contains("1.230"), "{}", export.text);
}
