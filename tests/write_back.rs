//! Write-back (issue 15) against localstripe, read back with the official
//! `stripe` SDK: Stripe invoices the books see paid by a bank transfer are
//! marked paid with `POST /v1/invoices/{id}/pay` `paid_out_of_band=true`,
//! once each, through crashes between "recorded" and "sent" and between
//! "sent" and "recorded"; an invoice already paid in Stripe counts as done
//! (read before the call, and Stripe's "Invoice is already paid" answer);
//! one voided in Stripe after the import is skipped and reported, not
//! overwritten; a part-paid one waits; a live key needs the review's approval.
//!
//! localstripe's pay endpoint learns `paid_out_of_band` from
//! `scripts/localstripe.py` (it only charged the default card).

mod common;
mod localstripe_support;

use common::*;
use localstripe_support::*;
use rust_decimal::Decimal;
use tieout::core::writes::WriteStatus;
use tieout::writes::{Channel, FaultPoint, Outcome, StripeChannel, WriteOptions};
use tieout::*;

/// Stripe's status of each invoice, and how many charges succeeded on the
/// server (write-back must make none), in one SDK call.
fn stripe_state(ls: &LocalStripe, ids: &[String]) -> (Vec<String>, u64) {
    let v = ls.sdk(&format!(
        "st = [stripe.Invoice.retrieve(i).to_dict()['status'] for i in {ids:?}]\n\
         ch = len([c for c in stripe.Charge.list(limit=100).auto_paging_iter() if c.status == 'succeeded'])\n\
         print(json.dumps([st, ch]))\n"
    ));
    let st = v[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    (st, v[1].as_u64().unwrap())
}

/// A bank transfer of `amount` for invoice `inv`, allocated to it.
fn pay_by_bank(books: &Books, inv: &Invoice, reference: &str, amount: &str) {
    let p = books
        .record_payment(&ManualPayment {
            reference: reference.into(),
            customer_id: inv.customer_id.clone(),
            amount: amount.parse().unwrap(),
            currency: inv.currency,
            received_at: ts(30),
            method: Some("bank_transfer".into()),
            description: None,
        })
        .unwrap();
    books
        .allocate(&p.id, &inv.id, amount.parse().unwrap())
        .unwrap();
}

#[test]
fn invoices_paid_by_bank_are_marked_paid_in_stripe_once_through_crashes() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let ids = ls.seed_open_invoices(5);
    let dir = tempfile::tempdir().unwrap();
    let books = Books::open(dir.path().join("books.db")).unwrap();
    ls.import_customers_and_invoices(&books);

    // a, b: paid by bank; c: part paid; d: voided in Stripe after the
    // import; e: paid out of band in Stripe by someone else after the import.
    // Roles follow the order writes are made in (by books id), so each crash
    // below hits the run it is meant for.
    let mut inv: Vec<Invoice> = ids.iter().map(|i| inv_by_ext(&books, i)).collect();
    inv.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: Vec<String> = inv.iter().map(|i| i.source.external_id.clone()).collect();
    for (i, x) in inv.iter().enumerate() {
        assert_eq!(x.source.status.as_deref(), Some("open"));
        assert_eq!(x.amount_remaining, "125.00".parse::<Decimal>().unwrap());
        let amount = if i == 2 { "25.00" } else { "125.00" };
        pay_by_bank(&books, x, &format!("bank-{i}"), amount);
    }
    ls.sdk(&format!(
        "stripe.Invoice.void_invoice({:?})\nstripe.Invoice.pay({:?}, paid_out_of_band=True)\nprint('{{}}')\n",
        ids[3], ids[4]
    ));

    let writer = StripeWriter::new(TEST_KEY).unwrap().base_url(&ls.url);
    let review = books
        .review_writes(&writer, &WritesSettings::default(), ts(31))
        .unwrap();
    assert_eq!(review.write_back_method, WriteBackMethod::PaidOutOfBand);
    assert!(!review.plan.livemode);
    let subjects: Vec<&str> = review
        .plan
        .intents
        .iter()
        .map(|i| i.subject.as_deref().unwrap())
        .collect();
    assert_eq!(review.plan.intents.len(), 4, "{subjects:?}");
    for x in [&inv[0], &inv[1], &inv[3], &inv[4]] {
        assert!(subjects.contains(&x.id.as_str()));
    }
    assert!(
        review
            .plan
            .intents
            .iter()
            .all(|i| i.payload["params"] == serde_json::json!({ "paid_out_of_band": true }))
    );
    assert_eq!(review.skipped.len(), 1);
    assert_eq!(review.skipped[0].external_id, ids[2]);
    let (st, _) = stripe_state(&ls, &ids);
    assert_eq!(
        st,
        ["open", "open", "open", "void", "paid"],
        "a review writes nothing"
    );

    // Crash after recording a's write, before the request.
    let order: Vec<String> = review
        .plan
        .intents
        .iter()
        .map(|i| i.subject.clone().unwrap())
        .collect();
    let err = books
        .write_back(
            &writer,
            None,
            ts(31),
            &crash_once_at(&inv[0].id, FaultPoint::Recorded),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    assert_eq!(stripe_state(&ls, &ids[..1]).0, ["open"], "not sent");
    let a_rec = books
        .writes()
        .unwrap()
        .into_iter()
        .find(|w| w.intent.subject.as_deref() == Some(inv[0].id.as_str()))
        .expect("a's write is recorded before it is made");
    assert_eq!(a_rec.status, WriteStatus::InFlight);

    // Crash after Stripe marked b paid, before the books recorded it.
    let err = books
        .write_back(
            &writer,
            None,
            ts(32),
            &crash_once_at(&inv[1].id, FaultPoint::Performed),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    assert_eq!(order[0], inv[0].id);
    assert_eq!(
        stripe_state(&ls, &ids[..2]).0,
        ["paid", "paid"],
        "a resolved, then sent; b sent"
    );

    // The clean re-run: b is found paid by reading it back (not sent again),
    // d is skipped as changed in Stripe, e counts as done.
    let report = books
        .write_back(&writer, None, ts(33), &WriteOptions::default())
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
    assert!(report.cancelled.contains(&key_of(&inv[3])), "{report:?}");
    // e was done whichever run reached it first: found paid, not sent.
    let e = books
        .writes()
        .unwrap()
        .into_iter()
        .find(|w| w.key == key_of(&inv[4]))
        .unwrap();
    assert_eq!(e.status, WriteStatus::Succeeded);
    assert_eq!(e.outcome.as_ref().unwrap()["already_paid"], true, "{e:?}");
    assert!(
        report.failed.is_empty() && report.unknown.is_empty(),
        "{report:?}"
    );
    let (st, charges) = stripe_state(&ls, &ids);
    assert_eq!(st, ["paid", "paid", "open", "void", "paid"]);
    assert_eq!(charges, 0, "no card was charged");

    // Each write's key, request id and outcome are in the books and history.
    let writes = books.writes().unwrap();
    for x in [&inv[0], &inv[1], &inv[4]] {
        let w = writes.iter().find(|w| w.key == key_of(x)).unwrap();
        assert_eq!(w.status, WriteStatus::Succeeded, "{w:?}");
        assert!(!w.attempts.is_empty());
    }
    let a = writes.iter().find(|w| w.key == key_of(&inv[0])).unwrap();
    assert!(a.request_id().is_some(), "{a:?}");
    assert_eq!(a.attempts.len(), 2, "the crashed attempt and the one sent");
    let d = writes.iter().find(|w| w.key == key_of(&inv[3])).unwrap();
    assert_eq!(d.status, WriteStatus::Cancelled);
    let why = d.outcome.as_ref().unwrap()["cancelled"].as_str().unwrap();
    assert!(
        why.contains("changed in Stripe") && why.contains("void"),
        "{why}"
    );
    let history = books.history().unwrap();
    let runs: Vec<_> = history
        .iter()
        .filter(|r| r.source == "books:writes")
        .collect();
    assert_eq!(runs.len(), 3, "one history entry per run, crashed ones too");
    for x in [&inv[0], &inv[1], &inv[3], &inv[4]] {
        assert!(
            runs.iter()
                .any(|r| r.notes.iter().any(|n| n.contains(&key_of(x)))),
            "{runs:?}"
        );
    }

    // A re-run sends nothing new.
    let again = books
        .write_back(&writer, None, ts(34), &WriteOptions::default())
        .unwrap();
    assert!(
        again.delivered.is_empty() && again.resolved.is_empty(),
        "{again:?}"
    );

    // Stripe's own "Invoice is already paid" answer counts as done.
    let channel = StripeChannel::new(writer.clone());
    let intent = &review
        .plan
        .intents
        .iter()
        .find(|i| i.subject.as_deref() == Some(inv[0].id.as_str()))
        .unwrap();
    match channel.perform(intent, 9) {
        Outcome::Delivered { detail, .. } => assert_eq!(detail["already_paid"], true),
        other => panic!("already paid should count as done: {other:?}"),
    }
}

#[test]
fn a_live_key_needs_the_write_reviews_approval() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let ids = ls.seed_open_invoices(1);
    let books = Books::in_memory();
    ls.import_customers_and_invoices(&books);
    let inv = inv_by_ext(&books, &ids[0]);
    pay_by_bank(&books, &inv, "bank-live", "125.00");
    let writer = StripeWriter::new("sk_live_tieoutWriteTest0123")
        .unwrap()
        .base_url(&ls.url);
    // The books imported it under the test key's account name: localstripe
    // has one (`acct_unknown`) whatever the key.
    let err = books
        .write_back(&writer, None, ts(31), &WriteOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), "APPROVAL_REQUIRED");
    assert!(
        books.writes().unwrap().is_empty(),
        "nothing recorded or sent"
    );
    assert_eq!(stripe_state(&ls, &ids).0, ["open"]);
    let review = books
        .review_writes(&writer, &WritesSettings::default(), ts(31))
        .unwrap();
    assert!(review.plan.livemode);
    assert_eq!(review.plan.intents.len(), 1);
    let report = books
        .write_back(
            &writer,
            Some(&review.approval()),
            ts(31),
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(report.delivered.len(), 1, "{report:?}");
    assert_eq!(stripe_state(&ls, &ids).0, ["paid"]);
}
