//! Books customers pushed to Stripe (issue 15, item 2) against localstripe,
//! read back with the official `stripe` SDK: each create made once with an
//! `Idempotency-Key` from its purpose; a crash after Stripe made the customer
//! and before the books recorded it is resolved by the `metadata[tieout_key]`
//! lookup (no second customer); a crash before the request sends it once; the
//! two-way link is kept, and importing the Stripe customers back lands on the
//! same books customers.

mod common;
mod localstripe_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use localstripe_support::*;
use tieout::writes::{FaultPoint, WriteOptions};
use tieout::*;

fn crash_once(name: &'static str, point: FaultPoint, flag: Arc<AtomicBool>) -> WriteOptions {
    WriteOptions {
        fault: Some(Box::new(move |intent, at| {
            at == point
                && intent.payload["params"]["name"] == name
                && !flag.swap(true, Ordering::SeqCst)
        })),
        ..Default::default()
    }
}

#[test]
fn customers_are_pushed_once_through_crashes_and_stay_linked() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let dir = tempfile::tempdir().unwrap();
    let books = Books::open(dir.path().join("books.db")).unwrap();
    let writer = StripeWriter::new(TEST_KEY).unwrap().base_url(&ls.url);
    let target = StripeTarget::of(&writer).unwrap();
    assert!(!target.livemode);

    let names = ["Acme", "Globex", "Initech"];
    let ids: Vec<String> = names
        .iter()
        .map(|n| {
            books
                .create_customer(
                    n,
                    Some(&format!("ap@{}.test", n.to_lowercase())),
                    CustomerKind::Company,
                )
                .unwrap()
                .id
        })
        .collect();
    let plan = books.review_customer_pushes(&target, None, ts(1)).unwrap();
    assert_eq!(plan.intents.len(), 3);
    assert!(plan.intents.iter().all(|i| i.kind == "customer_create"));
    assert!(ls.customers().is_empty(), "a review writes nothing");

    // Crash after Stripe created Globex, before the books recorded it.
    let flag = Arc::new(AtomicBool::new(false));
    let err = books
        .push_customers(
            &writer,
            None,
            None,
            ts(1),
            &crash_once("Globex", FaultPoint::Performed, flag),
        )
        .unwrap_err();
    assert_eq!(err.code(), "ABORTED");
    let globex_at = plan
        .intents
        .iter()
        .position(|i| i.payload["params"]["name"] == "Globex")
        .unwrap();
    assert_eq!(
        ls.customers().len(),
        globex_at + 1,
        "the writes before Globex and Globex were made"
    );

    // The re-run finds Globex by its key instead of creating it again.
    let report = books
        .push_customers(&writer, None, None, ts(2), &WriteOptions::default())
        .unwrap();
    assert_eq!(report.resolved.len(), 1, "{report:?}");
    assert_eq!(report.already_done.len(), globex_at, "{report:?}");
    assert_eq!(report.delivered.len(), 2 - globex_at, "{report:?}");
    let on_stripe = ls.customers();
    assert_eq!(on_stripe.len(), 3, "one Stripe customer per books customer");
    for (id, name) in ids.iter().zip(names) {
        let linked = books
            .stripe_customer_link(id, &target.account)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} is linked"));
        let s = on_stripe
            .iter()
            .find(|c| c["id"] == linked.as_str())
            .expect("on Stripe");
        assert_eq!(s["metadata"]["tieout_customer"], id.as_str(), "{name}");
        let key = s["metadata"]["tieout_key"].as_str().unwrap();
        let rec = books
            .writes()
            .unwrap()
            .into_iter()
            .find(|w| w.key == key)
            .expect("the write record");
        assert_eq!(rec.status, tieout::core::writes::WriteStatus::Succeeded);
    }
    // Nothing left to push; pushing again writes nothing.
    assert!(
        books
            .review_customer_pushes(&target, None, ts(3))
            .unwrap()
            .intents
            .is_empty()
    );

    // A crash before the request: the re-run looks it up, finds nothing, sends once.
    let h = books
        .create_customer("Hooli", Some("ap@hooli.test"), CustomerKind::Company)
        .unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    assert!(
        books
            .push_customers(
                &writer,
                None,
                None,
                ts(4),
                &crash_once("Hooli", FaultPoint::Recorded, flag)
            )
            .is_err()
    );
    assert_eq!(ls.customers().len(), 3, "nothing sent before the crash");
    books
        .push_customers(&writer, None, None, ts(5), &WriteOptions::default())
        .unwrap();
    assert_eq!(ls.customers().len(), 4);
    assert!(
        books
            .stripe_customer_link(&h.id, &target.account)
            .unwrap()
            .is_some()
    );

    // A changed email is pushed as an update of the linked Stripe customer.
    let Some(Entity::Customer(mut acme)) = books.get(EntityKind::Customer, &ids[0]).unwrap() else {
        panic!("acme");
    };
    acme.email = Some("billing@acme.test".into());
    books
        .with_store_mut(|s| {
            s.commit(tieout::core::ChangeSet {
                upserts: vec![Entity::Customer(acme)],
                ..Default::default()
            })
        })
        .unwrap()
        .unwrap();
    let plan = books.review_customer_pushes(&target, None, ts(6)).unwrap();
    assert_eq!(plan.intents.len(), 1);
    assert_eq!(plan.intents[0].kind, "customer_update");
    books
        .push_customers(&writer, None, None, ts(6), &WriteOptions::default())
        .unwrap();
    let link = books
        .stripe_customer_link(&ids[0], &target.account)
        .unwrap()
        .unwrap();
    let on_stripe = ls.customers();
    assert_eq!(on_stripe.len(), 4, "an update makes no new customer");
    let s = on_stripe.iter().find(|c| c["id"] == link.as_str()).unwrap();
    assert_eq!(s["email"], "billing@acme.test");

    // Importing the Stripe customers back lands on the same books customers.
    let before = books.customers().unwrap().len();
    let source = StripeSource::new(TEST_KEY).unwrap().base_url(&ls.url);
    let plan = ImportPlan::default().objects([ObjectScope::Customers]);
    let run_ = run(books.import(&source, &plan, None)).unwrap();
    assert_eq!(run_.totals.failed, 0);
    assert_eq!(
        books.customers().unwrap().len(),
        before,
        "no duplicate customers"
    );
    for id in &ids {
        assert!(
            books
                .stripe_customer_link(id, &target.account)
                .unwrap()
                .is_some()
        );
    }
}

#[test]
fn a_live_key_needs_the_reviewed_plans_approval() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let books = Books::in_memory();
    books
        .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
        .unwrap();
    let writer = StripeWriter::new("sk_live_tieoutWriteTest0123")
        .unwrap()
        .base_url(&ls.url);
    let target = StripeTarget::of(&writer).unwrap();
    assert!(target.livemode);
    let err = books
        .push_customers(&writer, None, None, ts(1), &WriteOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), "APPROVAL_REQUIRED");
    assert!(
        books.writes().unwrap().is_empty(),
        "nothing recorded or sent"
    );
    // An approval of another plan does not cover this one.
    let other = tieout::core::writes::WritePlan {
        account: target.account.clone(),
        livemode: true,
        intents: vec![],
    };
    assert!(
        books
            .push_customers(
                &writer,
                None,
                Some(&other.approval()),
                ts(1),
                &WriteOptions::default()
            )
            .is_err()
    );
    let plan = books.review_customer_pushes(&target, None, ts(1)).unwrap();
    let report = books
        .push_customers(
            &writer,
            None,
            Some(&plan.approval()),
            ts(1),
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(report.delivered.len(), 1);
}
