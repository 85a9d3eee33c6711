//! A payment link per invoice (issue 15, item 3) against the project's local
//! Checkout server (localstripe has no Checkout): one active session per
//! invoice, the same URL until the open amount changes or it expires, the old
//! one expired through the API; the session names the customer and the
//! invoice, saves the card when asked; a create whose answer was lost is
//! found by its `metadata[tieout_key]`, not made twice; a payment naming the
//! invoice through that metadata pays it.

mod checkout_support;
mod common;

use chrono::Duration;
use common::*;
use tieout::core::stripe_writes::{LINK_ACCOUNT, LINK_CUSTOMER};
use tieout::writes::WriteOptions;
use tieout::*;

fn settings(save_card: bool) -> CheckoutSettings {
    CheckoutSettings {
        save_card,
        success_url: "https://books.test/paid".into(),
        cancel_url: "https://books.test/cancel".into(),
    }
}

#[test]
fn one_active_session_per_invoice_made_once() {
    let expires = ts(1) + Duration::hours(24);
    let srv = checkout_support::start(expires.timestamp());
    let writer = StripeWriter::new("sk_test_tieoutCheckout")
        .unwrap()
        .base_url(&srv.url);
    let books = Books::in_memory();
    let c = books
        .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
        .unwrap();
    // The customer is linked to a Stripe customer (as push_customers leaves it).
    let Some(Entity::Customer(mut linked)) = books.get(EntityKind::Customer, &c.id).unwrap() else {
        panic!("customer");
    };
    linked
        .metadata
        .insert(LINK_CUSTOMER.into(), "cus_acme".into());
    linked
        .metadata
        .insert(LINK_ACCOUNT.into(), "acct_unknown".into());
    books
        .with_store_mut(|s| {
            s.commit(tieout::core::ChangeSet {
                upserts: vec![Entity::Customer(linked)],
                ..Default::default()
            })
        })
        .unwrap()
        .unwrap();
    let draft = InvoiceDraft::new(&c.id, Currency::USD)
        .line(DraftLine::item("Consulting", d("2"), d("150.00")))
        .line(DraftLine::tax("Sales tax", d("27.00")));
    let inv = books.create_invoice(&draft, None, ts(1)).unwrap();
    // A draft has nothing to pay.
    let none = books.payment_link(
        &inv.id,
        &writer,
        &settings(true),
        None,
        ts(1),
        &WriteOptions::default(),
    );
    assert!(none.is_err());
    let inv = books.issue_invoice(&inv.id, ts(1)).unwrap();

    let target = StripeTarget::of(&writer).unwrap();
    let review = books
        .review_payment_link(&inv.id, &target, &settings(true), ts(1))
        .unwrap();
    assert_eq!(review.intents.len(), 1, "a review plans the create");
    assert!(
        srv.state.lock().unwrap().creates.is_empty(),
        "and writes nothing"
    );

    let l1 = books
        .payment_link(
            &inv.id,
            &writer,
            &settings(true),
            None,
            ts(1),
            &WriteOptions::default(),
        )
        .unwrap();
    assert!(l1.created);
    assert_eq!(l1.amount, d("327.00"));
    {
        let st = srv.state.lock().unwrap();
        let (f, key) = &st.creates[0];
        let get = |k: &str| f.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("customer"), Some("cus_acme"));
        assert_eq!(get("client_reference_id"), Some(inv.id.as_str()));
        assert_eq!(get("metadata[tieout_invoice]"), Some(inv.id.as_str()));
        assert_eq!(
            get("payment_intent_data[metadata][invoice]"),
            Some(inv.id.as_str())
        );
        assert_eq!(
            get("payment_intent_data[setup_future_usage]"),
            Some("off_session")
        );
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("32700"));
        assert_eq!(get("line_items[0][price_data][currency]"), Some("usd"));
        assert_eq!(
            get("metadata[tieout_key]"),
            Some(key.as_str()),
            "Idempotency-Key = metadata key"
        );
    }
    // Asking again: the same URL, no request.
    let again = books
        .payment_link(
            &inv.id,
            &writer,
            &settings(true),
            None,
            ts(1),
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(
        (again.url.as_str(), again.created),
        (l1.url.as_str(), false)
    );
    assert_eq!(srv.state.lock().unwrap().creates.len(), 1);

    // A part payment changes the open amount: the old session is expired, a new one made.
    let mut p = loose_payment("ch_part", "cus_acme", d("127.00"), Currency::USD, 1);
    p.metadata.insert("invoice".into(), inv.id.clone());
    import_items(&books, vec![pay_item(p)], &ImportPlan::default());
    let l2 = books
        .payment_link(
            &inv.id,
            &writer,
            &settings(false),
            None,
            ts(1),
            &WriteOptions::default(),
        )
        .unwrap();
    assert!(l2.created);
    assert_ne!(l2.url, l1.url);
    assert_eq!(l2.amount, d("200.00"));
    {
        let st = srv.state.lock().unwrap();
        assert_eq!(st.expired, vec![l1.session_id.clone()]);
        assert_eq!(st.creates.len(), 2);
        let f = &st.creates[1].0;
        assert!(
            !f.iter().any(|(k, _)| k.contains("setup_future_usage")),
            "no card saved unless asked"
        );
    }

    // Expired by time: a new session, nothing to expire.
    let later = expires + Duration::minutes(1);
    srv.state.lock().unwrap().expires_at = (later + Duration::hours(24)).timestamp();
    let l3 = books
        .payment_link(
            &inv.id,
            &writer,
            &settings(false),
            None,
            later,
            &WriteOptions::default(),
        )
        .unwrap();
    assert!(l3.created);
    assert_eq!(srv.state.lock().unwrap().expired.len(), 1);
    assert_eq!(srv.state.lock().unwrap().creates.len(), 3);

    // The create's answer is lost (500 after the session was made): not made twice.
    let much_later = later + Duration::hours(25);
    srv.state.lock().unwrap().expires_at = (much_later + Duration::hours(24)).timestamp();
    srv.state.lock().unwrap().fail_next_create_after = true;
    let lost = books.payment_link(
        &inv.id,
        &writer,
        &settings(false),
        None,
        much_later,
        &WriteOptions::default(),
    );
    assert!(lost.is_err(), "the outcome is unknown");
    assert_eq!(srv.state.lock().unwrap().creates.len(), 4);
    let found = books
        .payment_link(
            &inv.id,
            &writer,
            &settings(false),
            None,
            much_later,
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(
        srv.state.lock().unwrap().creates.len(),
        4,
        "resolved by lookup, not created again"
    );
    assert_eq!(found.session_id, "cs_test_4");

    // The money arrives naming the invoice (payment_intent_data metadata): paid.
    let mut paid = loose_payment("ch_rest", "cus_acme", d("200.00"), Currency::USD, 2);
    paid.metadata.insert("invoice".into(), inv.id.clone());
    import_items(&books, vec![pay_item(paid)], &ImportPlan::default());
    let Some(Entity::Invoice(done)) = books.get(EntityKind::Invoice, &inv.id).unwrap() else {
        panic!("invoice");
    };
    assert_eq!(done.status, InvoiceStatus::Paid);
    assert!(
        books
            .payment_link(
                &inv.id,
                &writer,
                &settings(false),
                None,
                much_later,
                &WriteOptions::default()
            )
            .is_err()
    );
    let writes = books.writes().unwrap();
    assert_eq!(writes.len(), 5, "4 creates and 1 expire, each recorded");
}
