//! Auto-pay (issue 15) against the project's own local PaymentIntents server
//! (tests/autopay_support), for what localstripe cannot show: decline codes
//! with advice codes, `authentication_required`, a timeout after the charge
//! went through, a 5xx before anything was made, a 409 for a key still being
//! processed. Every case ends with exactly one succeeded charge per paid
//! invoice on the server, and a refusal that disables auto-pay tells the
//! customer once, with a payment link.

mod autopay_support;
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use autopay_support::{Fault, PaymentServer};
use common::*;
use serde_json::Value;
use tieout::autopay::{AutoPayOptions, AutoPaySource};
use tieout::core::stripe_writes::{LINK_ACCOUNT, LINK_CUSTOMER};
use tieout::writes::{CallbackChannel, Channels, Outcome, WriteOptions};
use tieout::*;

const ACCOUNT: &str = "acct_unknown";

struct World {
    books: Books,
    server: PaymentServer,
    writer: StripeWriter,
    notices: Arc<Mutex<Vec<Value>>>,
    options: AutoPayOptions,
}

fn world() -> World {
    let server = autopay_support::start();
    let writer = StripeWriter::new("sk_test_tieoutAutopay")
        .unwrap()
        .base_url(&server.url)
        .timeout(Duration::from_millis(400));
    let notices = Arc::new(Mutex::new(Vec::new()));
    let seen = notices.clone();
    let email = CallbackChannel::new(move |intent, _| {
        seen.lock().unwrap().push(intent.payload.clone());
        Outcome::Delivered {
            request_id: None,
            detail: serde_json::json!({}),
        }
    });
    let options = AutoPayOptions {
        channels: Channels::new().with("email", email),
        notify: vec!["email".into()],
        checkout: Some(CheckoutSettings {
            save_card: true,
            success_url: "https://books.test/paid".into(),
            cancel_url: "https://books.test/cancel".into(),
        }),
    };
    World {
        books: Books::in_memory(),
        server,
        writer,
        notices,
        options,
    }
}

/// A books customer linked to Stripe customer `cus`, with card `pm` saved
/// (explicitly) at day 1, and one own invoice of 120.00 due on day 30.
fn customer_with_invoice(w: &World, name: &str, cus: &str, pm: &str) -> (String, String) {
    let c = w
        .books
        .create_customer(name, Some(&format!("ap@{cus}.test")), CustomerKind::Company)
        .unwrap();
    let Some(Entity::Customer(mut linked)) = w.books.get(EntityKind::Customer, &c.id).unwrap()
    else {
        panic!("customer");
    };
    linked.metadata.insert(LINK_CUSTOMER.into(), cus.into());
    linked.metadata.insert(LINK_ACCOUNT.into(), ACCOUNT.into());
    w.books
        .with_store_mut(|s| {
            s.commit(tieout::core::ChangeSet {
                upserts: vec![Entity::Customer(linked)],
                ..Default::default()
            })
        })
        .unwrap()
        .unwrap();
    let draft = InvoiceDraft::new(&c.id, Currency::USD)
        .line(DraftLine::item("Service", d("1"), d("120.00")))
        .due(ts(30));
    let inv = w.books.create_invoice(&draft, None, ts(1)).unwrap();
    w.books.issue_invoice(&inv.id, ts(1)).unwrap();
    w.books
        .set_default_payment_method(&c.id, ACCOUNT, pm, ts(1))
        .unwrap();
    (c.id, inv.id)
}

fn run_at(w: &World, at: chrono::DateTime<chrono::Utc>) -> tieout::autopay::AutoPayReport {
    w.books
        .run_auto_pay(&w.writer, None, at, &w.options, &WriteOptions::default())
        .unwrap()
}

fn invoice(w: &World, id: &str) -> Invoice {
    match w.books.get(EntityKind::Invoice, id).unwrap() {
        Some(Entity::Invoice(i)) => i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_outcomes_are_resolved_never_charged_twice() {
    let w = world();
    let t = ts(40);
    let (_, ok) = customer_with_invoice(&w, "Ok", "cus_ok", "pm_ok");
    let r = run_at(&w, t);
    assert_eq!(r.charges.delivered.len(), 1, "{r:?}");
    assert_eq!(r.paid, vec![ok.clone()]);
    assert_eq!(invoice(&w, &ok).status, InvoiceStatus::Paid);
    let allocs: Vec<Allocation> = w
        .books
        .allocations()
        .unwrap()
        .into_iter()
        .filter(|a| a.invoice_id == ok)
        .collect();
    assert_eq!(allocs.len(), 1);
    assert_eq!(allocs[0].amount, d("120.00"));
    assert_payment_invariant(&w.books);

    // A timeout after the charge went through: unknown, then found by the lookup.
    let (_, slow) = customer_with_invoice(&w, "Slow", "cus_slow", "pm_ok");
    w.server.state.lock().unwrap().faults = vec![Fault::SlowAfterCharge];
    let r = run_at(&w, t);
    assert_eq!(r.charges.unknown.len(), 1, "{r:?}");
    assert_eq!(invoice(&w, &slow).status, InvoiceStatus::Open);
    assert_eq!(w.server.state.lock().unwrap().charges_for(&slow), 1);
    let before = w.server.state.lock().unwrap().requests;
    let r = run_at(&w, t);
    assert_eq!(r.charges.resolved.len(), 1, "{r:?}");
    assert_eq!(
        w.server.state.lock().unwrap().requests,
        before,
        "no new request"
    );
    assert_eq!(invoice(&w, &slow).status, InvoiceStatus::Paid);

    // A 5xx before anything was made: unknown; the lookup finds nothing, the
    // same key is sent again.
    let (_, e5) = customer_with_invoice(&w, "Five", "cus_5xx", "pm_ok");
    w.server.state.lock().unwrap().faults = vec![Fault::ServerError];
    let r = run_at(&w, t);
    assert_eq!(r.charges.unknown.len(), 1, "{r:?}");
    assert_eq!(w.server.state.lock().unwrap().charges_for(&e5), 0);
    let r = run_at(&w, t);
    assert_eq!(r.charges.delivered.len(), 1, "{r:?}");
    assert_eq!(invoice(&w, &e5).status, InvoiceStatus::Paid);
    let rec = w
        .books
        .writes()
        .unwrap()
        .into_iter()
        .find(|x| x.intent.subject.as_deref() == Some(e5.as_str()))
        .unwrap();
    assert_eq!(rec.attempts.len(), 2, "two sends under one key");

    // A 409 (another request with the key in progress, which made the charge).
    let (_, cf) = customer_with_invoice(&w, "Conflict", "cus_409", "pm_ok");
    w.server.state.lock().unwrap().faults = vec![Fault::Conflict];
    let r = run_at(&w, t);
    assert_eq!(r.charges.unknown.len(), 1, "{r:?}");
    let r = run_at(&w, t);
    assert_eq!(r.charges.resolved.len(), 1, "{r:?}");
    assert_eq!(invoice(&w, &cf).status, InvoiceStatus::Paid);

    // Exactly one charge per invoice on the server; nothing more to do.
    let st = w.server.state.lock().unwrap();
    for inv in [&ok, &slow, &e5, &cf] {
        assert_eq!(st.charges_for(inv), 1, "{inv}");
    }
    drop(st);
    let r = run_at(&w, ts(41));
    assert_eq!(r.charges, Default::default());
    assert_eq!(w.books.payments().unwrap().len(), 4);
    assert_payment_invariant(&w.books);
}

#[test]
fn refusals_follow_the_decline_table() {
    let w = world();
    let t = ts(40);
    // authentication_required: off, told once with a payment link, invoice open.
    let (auth_c, auth_i) = customer_with_invoice(&w, "Auth", "cus_auth", "pm_auth");
    let r = run_at(&w, t);
    assert_eq!(r.charges.failed.len(), 1, "{r:?}");
    assert_eq!(r.disabled.len(), 1);
    assert_eq!(
        r.disabled[0].reason,
        "your bank asks you to confirm this payment yourself"
    );
    let a = w.books.auto_pay(&auth_c).unwrap().unwrap();
    assert!(!a.enabled);
    assert!(matches!(
        a.disabled_via,
        Some(AutoPaySource::Decline { .. })
    ));
    assert_eq!(invoice(&w, &auth_i).status, InvoiceStatus::Open);
    {
        let n = w.notices.lock().unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0]["to_email"], "ap@cus_auth.test");
        assert_eq!(n[0]["invoice_id"], auth_i.as_str());
        let link = n[0]["payment_link"].as_str().unwrap();
        assert!(
            link.starts_with("https://checkout.test/pay/cs_test_"),
            "{link}"
        );
        let text = n[0]["text"].as_str().unwrap();
        assert!(text.contains("confirm this payment yourself") && text.contains(link));
    }
    // Nothing more: no charge, no second notice.
    let reqs = w.server.state.lock().unwrap().requests;
    let r = run_at(&w, ts(41));
    assert!(
        r.charges.failed.is_empty() && r.disabled.is_empty(),
        "{r:?}"
    );
    assert_eq!(w.server.state.lock().unwrap().requests, reqs);
    assert_eq!(w.notices.lock().unwrap().len(), 1);

    // expired_card: off with its own reason.
    let (exp_c, _) = customer_with_invoice(&w, "Expired", "cus_exp", "pm_expired");
    let r = run_at(&w, ts(41));
    assert_eq!(r.disabled[0].reason, "the saved card has expired");
    assert!(!w.books.auto_pay(&exp_c).unwrap().unwrap().enabled);
    assert_eq!(w.notices.lock().unwrap().len(), 2);

    // insufficient_funds with advice try_again_later: stays on, a new attempt
    // (a new key) a day later, off after the last attempt.
    let (soft_c, soft_i) = customer_with_invoice(
        &w,
        "Soft",
        "cus_soft",
        "pm_decline_insufficient_funds__try_again_later",
    );
    let r = run_at(&w, ts(42));
    assert_eq!(r.charges.failed.len(), 1, "{r:?}");
    assert!(r.disabled.is_empty());
    assert!(w.books.auto_pay(&soft_c).unwrap().unwrap().enabled);
    let reqs = w.server.state.lock().unwrap().requests;
    run_at(&w, ts(42) + chrono::Duration::hours(2));
    assert_eq!(w.server.state.lock().unwrap().requests, reqs, "not yet");
    let mut keys = std::collections::BTreeSet::new();
    for day in 43..=45 {
        let r = run_at(&w, ts(day) + chrono::Duration::hours(1));
        assert_eq!(r.charges.failed.len(), 1, "day {day}: {r:?}");
        keys.extend(r.charges.failed.clone());
    }
    assert_eq!(keys.len(), 3, "a new key per attempt");
    assert!(
        !w.books.auto_pay(&soft_c).unwrap().unwrap().enabled,
        "off after 4"
    );
    let reqs = w.server.state.lock().unwrap().requests;
    run_at(&w, ts(50));
    assert_eq!(w.server.state.lock().unwrap().requests, reqs);
    assert_eq!(invoice(&w, &soft_i).status, InvoiceStatus::Open);
    assert_eq!(w.server.state.lock().unwrap().charges_for(&soft_i), 0);

    // An explicit opt-in again starts over with attempt 5.
    w.books.enable_auto_pay(&soft_c, ts(51)).unwrap();
    let review = w
        .books
        .review_auto_pay(&StripeTarget::of(&w.writer).unwrap(), ts(51))
        .unwrap();
    assert_eq!(review.charges.len(), 1);
    assert_eq!(review.charges[0].attempt, 5);
    // The history shows each write and each auto-pay change.
    let h = w.books.history().unwrap();
    assert!(h.iter().any(|r| {
        r.source == tieout::autopay::AUTOPAY_SOURCE
            && r.notes
                .iter()
                .any(|n| n.contains("auto-pay off") && n.contains("expired"))
    }));
}

#[test]
fn a_paid_invoice_is_never_charged_and_a_live_key_needs_approval() {
    let w = world();
    let (_, inv) = customer_with_invoice(&w, "Paid", "cus_paid", "pm_ok");
    let target = StripeTarget::of(&w.writer).unwrap();
    let review = w.books.review_auto_pay(&target, ts(40)).unwrap();
    assert_eq!(review.charges.len(), 1);
    // Paid by hand between the review and the run: re-read, cancelled.
    let mut p = loose_payment("ch_hand", "cus_paid", d("120.00"), Currency::USD, 39);
    p.metadata.insert("invoice".into(), inv.clone());
    import_items(&w.books, vec![pay_item(p)], &ImportPlan::default());
    assert_eq!(invoice(&w, &inv).status, InvoiceStatus::Paid);
    let r = run_at(&w, ts(40));
    assert!(r.charges.delivered.is_empty(), "{r:?}");
    assert_eq!(w.server.state.lock().unwrap().requests, 0);

    // A live key: refused without the review's approval, nothing recorded.
    let (_, inv2) = customer_with_invoice(&w, "Live", "cus_live", "pm_ok");
    let live = StripeWriter::new("sk_live_tieoutAutopayLive")
        .unwrap()
        .base_url(&w.server.url);
    let err = w
        .books
        .run_auto_pay(&live, None, ts(40), &w.options, &WriteOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), "APPROVAL_REQUIRED");
    assert_eq!(w.server.state.lock().unwrap().requests, 0);
    let review = w
        .books
        .review_auto_pay(&StripeTarget::of(&live).unwrap(), ts(40))
        .unwrap();
    assert_eq!(
        review.plan.intents[0].payload["params"]["off_session"],
        true
    );
    assert_eq!(review.plan.intents[0].payload["params"]["confirm"], true);
    assert_eq!(
        review.plan.intents[0].payload["params"]["metadata"]["invoice"],
        inv2.as_str()
    );
    let r = w
        .books
        .run_auto_pay(
            &live,
            Some(&review.approval),
            ts(40),
            &w.options,
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(r.charges.delivered.len(), 1);
    assert_eq!(w.server.state.lock().unwrap().charges_for(&inv2), 1);
}
