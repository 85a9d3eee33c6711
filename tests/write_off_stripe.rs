//! Write-offs told to Stripe (issue 15), per plan, against localstripe and
//! read back with the official `stripe` SDK: Stripe invoices the books wrote
//! off by hand are marked uncollectible (`POST
//! /v1/invoices/{id}/mark_uncollectible`) or voided when the plan asks for
//! it, once each, through crashes between "recorded" and "sent" and between
//! "sent" and "recorded" (resolved by reading the invoice back, never by
//! sending again); already uncollectible in Stripe counts as done; paid in
//! Stripe since the import is skipped and reported. Off by default.
//!
//! localstripe learns `mark_uncollectible` from `scripts/localstripe.py`.

mod common;
mod localstripe_support;

use common::*;
use localstripe_support::*;
use tieout::core::writes::WriteStatus;
use tieout::writes::{FaultPoint, WriteOptions};
use tieout::*;

fn settings(action: StripeWriteOff) -> WritesSettings {
    WritesSettings {
        write_offs: Some(action),
        ..WritesSettings::default()
    }
}

/// Imports localstripe's invoices into new SQLite books and writes each off.
fn written_off_books(ls: &LocalStripe, ids: &[String]) -> (Books, tempfile::TempDir, Vec<Invoice>) {
    let dir = tempfile::tempdir().unwrap();
    let books = Books::open(dir.path().join("books.db")).unwrap();
    ls.import_customers_and_invoices(&books);
    let mut inv: Vec<Invoice> = ids
        .iter()
        .map(|ext| {
            let i = inv_by_ext(&books, ext);
            books.write_off(&i.id, "customer gone", ts(30)).unwrap()
        })
        .collect();
    // Roles follow the order writes are made in (by books id).
    inv.sort_by(|a, b| a.id.cmp(&b.id));
    (books, dir, inv)
}

#[test]
fn written_off_invoices_are_marked_uncollectible_in_stripe_once_through_crashes() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let ids = ls.seed_open_invoices(4);
    let (books, _dir, inv) = written_off_books(&ls, &ids);
    let ids: Vec<String> = inv.iter().map(|i| i.source.external_id.clone()).collect();
    let writer = StripeWriter::new(TEST_KEY).unwrap().base_url(&ls.url);

    // Off by default: the plan has no write-off writes.
    let plain = books
        .review_writes(&writer, &WritesSettings::default(), ts(31))
        .unwrap();
    assert!(plain.plan.intents.is_empty(), "{:?}", plain.plan.intents);

    // c: paid out of band in Stripe by someone else after the import;
    // d: marked uncollectible in Stripe by someone else.
    ls.sdk(&format!(
        "stripe.Invoice.pay({:?}, paid_out_of_band=True)\n\
         stripe.Invoice.mark_uncollectible({:?})\nprint('{{}}')\n",
        ids[2], ids[3]
    ));
    let s = settings(StripeWriteOff::MarkUncollectible);
    let review = books.review_writes(&writer, &s, ts(31)).unwrap();
    assert_eq!(review.plan.intents.len(), 4, "{review:?}");
    for (i, x) in review.plan.intents.iter().zip(&inv) {
        assert_eq!(i.subject.as_deref(), Some(x.id.as_str()));
        assert_eq!(i.kind, "invoice_mark_uncollectible");
        assert_eq!(
            i.payload["path"],
            format!("/v1/invoices/{}/mark_uncollectible", x.source.external_id)
        );
    }
    assert_eq!(
        ls.invoice_statuses(&ids),
        ["open", "open", "paid", "uncollectible"],
        "a review writes nothing"
    );

    // Crash after recording a's write, before the request.
    let err = books
        .apply_writes(
            &writer,
            &s,
            None,
            ts(31),
            &crash_once_at(&inv[0].id, FaultPoint::Recorded),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    assert_eq!(ls.invoice_statuses(&ids[..1]), ["open"], "not sent");
    let rec = |x: &Invoice| {
        books
            .writes()
            .unwrap()
            .into_iter()
            .find(|w| w.intent.subject.as_deref() == Some(x.id.as_str()))
    };
    assert_eq!(rec(&inv[0]).unwrap().status, WriteStatus::InFlight);

    // Crash after Stripe marked b, before the books recorded it.
    let err = books
        .apply_writes(
            &writer,
            &s,
            None,
            ts(32),
            &crash_once_at(&inv[1].id, FaultPoint::Performed),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    assert_eq!(
        ls.invoice_statuses(&ids[..2]),
        ["uncollectible", "uncollectible"],
        "a resolved by reading it back, then sent; b sent"
    );
    assert_eq!(rec(&inv[1]).unwrap().status, WriteStatus::InFlight);

    // The clean run: b found done by reading it back (not sent again), c
    // skipped as paid in Stripe, d already uncollectible counts as done.
    let report = books
        .apply_writes(&writer, &s, None, ts(33), &WriteOptions::default())
        .unwrap();
    let key_of = |x: &Invoice| {
        review
            .plan
            .intents
            .iter()
            .find(|i| i.subject.as_deref() == Some(x.id.as_str()))
            .unwrap()
            .key
            .clone()
    };
    assert!(report.resolved.contains(&key_of(&inv[1])), "{report:?}");
    assert!(report.cancelled.contains(&key_of(&inv[2])), "{report:?}");
    assert!(
        report.failed.is_empty() && report.unknown.is_empty(),
        "{report:?}"
    );
    assert_eq!(
        ls.invoice_statuses(&ids),
        ["uncollectible", "uncollectible", "paid", "uncollectible"]
    );
    let writes = books.writes().unwrap();
    let a = writes.iter().find(|w| w.key == key_of(&inv[0])).unwrap();
    assert_eq!(a.status, WriteStatus::Succeeded);
    assert_eq!(a.attempts.len(), 2, "the crashed attempt and the one sent");
    let c = writes.iter().find(|w| w.key == key_of(&inv[2])).unwrap();
    assert_eq!(c.status, WriteStatus::Cancelled);
    let why = c.outcome.as_ref().unwrap()["cancelled"].as_str().unwrap();
    assert!(why.contains("paid in Stripe"), "{why}");
    let d = writes.iter().find(|w| w.key == key_of(&inv[3])).unwrap();
    assert_eq!(d.status, WriteStatus::Succeeded);
    assert_eq!(
        d.outcome.as_ref().unwrap()["already"],
        "uncollectible",
        "{d:?}"
    );
    let runs: Vec<_> = books
        .history()
        .unwrap()
        .into_iter()
        .filter(|r| r.source == "books:writes")
        .collect();
    assert_eq!(runs.len(), 3, "one history entry per run, crashed ones too");

    // A re-run sends nothing new; a re-import keeps the books' write-offs
    // and the next review skips what Stripe now shows uncollectible.
    let again = books
        .apply_writes(&writer, &s, None, ts(34), &WriteOptions::default())
        .unwrap();
    assert!(
        again.delivered.is_empty() && again.resolved.is_empty(),
        "{again:?}"
    );
    ls.import_customers_and_invoices(&books);
    let a_now = inv_by_ext(&books, &ids[0]);
    assert_eq!(a_now.source.status.as_deref(), Some("uncollectible"));
    assert_eq!(a_now.status, InvoiceStatus::Uncollectible);
    assert!(a_now.write_off.is_some());
    let later = books.review_writes(&writer, &s, ts(35)).unwrap();
    assert!(later.plan.intents.is_empty(), "{:?}", later.plan.intents);
    assert!(
        later
            .skipped
            .iter()
            .any(|k| k.external_id == ids[0] && k.reason.contains("already uncollectible")),
        "{:?}",
        later.skipped
    );
}

#[test]
fn the_plan_can_void_written_off_invoices_instead() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let ids = ls.seed_open_invoices(1);
    let (books, _dir, inv) = written_off_books(&ls, &ids);
    let writer = StripeWriter::new(TEST_KEY).unwrap().base_url(&ls.url);
    let s = settings(StripeWriteOff::Void);
    let review = books.review_writes(&writer, &s, ts(31)).unwrap();
    assert_eq!(review.plan.intents.len(), 1);
    assert_eq!(
        review.plan.intents[0].payload["path"],
        format!("/v1/invoices/{}/void", ids[0])
    );
    // Crash after Stripe voided it: the next run reads it back as void.
    let err = books
        .apply_writes(
            &writer,
            &s,
            None,
            ts(31),
            &crash_once_at(&inv[0].id, FaultPoint::Performed),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    assert_eq!(ls.invoice_statuses(&ids), ["void"]);
    let report = books
        .apply_writes(&writer, &s, None, ts(32), &WriteOptions::default())
        .unwrap();
    assert_eq!(report.resolved.len(), 1, "{report:?}");
    assert!(report.delivered.is_empty(), "{report:?}");
    // Re-imported, the invoice is void: nothing receivable, nothing written off.
    ls.import_customers_and_invoices(&books);
    let v = inv_by_ext(&books, &ids[0]);
    assert_eq!(v.status, InvoiceStatus::Void);
    assert_eq!((v.amount_remaining, v.amount_written_off), (d("0"), d("0")));
    let j = books
        .journal_entries(&LedgerMapping::default(), Layers::default())
        .unwrap();
    assert!(
        !j.entries
            .iter()
            .any(|e| e.id == format!("inv:{}:written_off", ids[0])),
        "a void invoice books no bad debt"
    );
}
