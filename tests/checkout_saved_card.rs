//! A `checkout.session.completed` webhook that saved the card (issue 15):
//! for a session of one of the books' own invoices whose PaymentIntent asked
//! to save the card (`setup_future_usage`), applying the event makes that
//! payment method the customer's default for auto-pay, opted in via
//! "checkout <session id>", in the same commit as the payment it matches;
//! a second delivery changes nothing. Sessions that saved no card, or that
//! are not for an own invoice, opt nobody in.

mod common;

use common::*;
use serde_json::{Value, json};
use tieout::autopay::AutoPaySource;
use tieout::*;

const SECRET: &str = "whsec_saved_card_test";
const T: i64 = 1_760_000_000;

/// A paid session for `invoice` of 120.00 USD whose payment intent is
/// expanded in it (as a refetched session is); `save` sets its
/// `setup_future_usage`.
fn completed(evt: &str, cs: &str, invoice: &str, pm: &str, save: bool) -> Value {
    json!({
        "id": evt, "object": "event", "type": "checkout.session.completed", "created": T,
        "api_version": "2025-03-31.basil", "livemode": false,
        "data": { "object": {
            "id": cs, "object": "checkout.session", "mode": "payment", "status": "complete",
            "payment_status": "paid", "amount_total": 12000, "currency": "usd",
            "customer": "cus_acme", "client_reference_id": invoice,
            "metadata": { "invoice": invoice, "tieout_invoice": invoice },
            "created": T - 60, "livemode": false,
            "payment_intent": {
                "id": format!("pi_{cs}"), "object": "payment_intent", "status": "succeeded",
                "amount": 12000, "amount_received": 12000, "currency": "usd",
                "customer": "cus_acme", "payment_method": pm,
                "setup_future_usage": if save { json!("off_session") } else { Value::Null },
                "metadata": { "invoice": invoice, "tieout_invoice": invoice },
                "created": T - 30, "livemode": false
            }
        }}
    })
}

fn deliver(books: &Books, event: &Value) -> Result<EventOutcome> {
    let body = event.to_string().into_bytes();
    let header = sign_webhook(&body, SECRET, T);
    let verified = verify_webhook(&body, &header, SECRET, Some(300), Some(T + 1)).unwrap();
    books.apply_event(&verified)
}

fn own_invoice(books: &Books, customer: &str) -> Invoice {
    let draft = InvoiceDraft::new(customer, Currency::USD)
        .line(DraftLine::item("Support", d("1"), d("120.00")))
        .due(ts(30));
    let draft = books.create_invoice(&draft, None, ts(1)).unwrap();
    books.issue_invoice(&draft.id, ts(1)).unwrap()
}

fn get_invoice(books: &Books, id: &str) -> Invoice {
    match books.get(EntityKind::Invoice, id).unwrap() {
        Some(Entity::Invoice(i)) => i,
        other => panic!("{other:?}"),
    }
}

fn autopay_entries(books: &Books) -> usize {
    books
        .history()
        .unwrap()
        .iter()
        .filter(|r| r.source == tieout::autopay::AUTOPAY_SOURCE)
        .count()
}

#[test]
fn a_completed_checkout_that_saved_the_card_opts_the_customer_in_with_the_payment() {
    for (name, books, _keep) in all_books() {
        books.set_default_account("acct_W").unwrap();
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let inv = own_invoice(&books, &c.id);
        assert_eq!(books.auto_pay(&c.id).unwrap(), None, "{name}");

        let o = deliver(
            &books,
            &completed("evt_1", "cs_1", &inv.id, "pm_saved", true),
        )
        .unwrap();
        assert_eq!(o.status, EventStatus::Applied, "{name}");
        assert!(
            o.notes.iter().any(|n| n.contains("saved by checkout cs_1")),
            "{name}: {:?}",
            o.notes
        );
        let paid = get_invoice(&books, &inv.id);
        assert_eq!(paid.status, InvoiceStatus::Paid, "{name}");
        let a = books.auto_pay(&c.id).unwrap().expect("a setting");
        assert!(a.enabled, "{name}");
        assert_eq!(a.payment_method.as_deref(), Some("pm_saved"), "{name}");
        assert_eq!(a.stripe_customer.as_deref(), Some("cus_acme"), "{name}");
        assert_eq!(a.account.as_deref(), Some("acct_W"), "{name}");
        assert_eq!(
            a.enabled_via,
            Some(AutoPaySource::Checkout {
                session: "cs_1".into()
            }),
            "{name}"
        );
        assert_eq!(a.enabled_at.map(|t| t.timestamp()), Some(T), "{name}");
        assert_eq!(autopay_entries(&books), 1, "{name}");
        // The same checkout saved explicitly: nothing changes.
        let same = books
            .save_card_from_checkout(
                &completed("evt_x", "cs_1", &inv.id, "pm_saved", true)["data"]["object"],
                None,
                "acct_W",
                ts(9),
            )
            .unwrap()
            .unwrap();
        assert_eq!(same, a, "{name}");

        // Delivered twice: a duplicate, nothing written.
        let again = deliver(
            &books,
            &completed("evt_1", "cs_1", &inv.id, "pm_saved", true),
        )
        .unwrap();
        assert_eq!(again.status, EventStatus::Duplicate, "{name}");
        assert_eq!(books.auto_pay(&c.id).unwrap().unwrap(), a, "{name}");
        assert_eq!(autopay_entries(&books), 1, "{name}");
        assert_eq!(books.payments().unwrap().len(), 1, "{name}");
        assert_eq!(books.allocations().unwrap().len(), 1, "{name}");
    }
}

#[test]
fn the_card_and_the_payment_commit_together() {
    for (name, books, _keep) in all_books() {
        books.set_default_account("acct_W").unwrap();
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let inv = own_invoice(&books, &c.id);
        let event = completed("evt_2", "cs_2", &inv.id, "pm_two", true);
        let armed = books
            .with_store_mut(|s| s.inject_commit_failure("crash in the event's commit"))
            .unwrap();
        assert!(armed, "{name}: the store has a commit fault hook");
        assert!(deliver(&books, &event).is_err(), "{name}");
        // Neither the payment nor the card.
        assert_eq!(books.payments().unwrap().len(), 0, "{name}");
        assert_eq!(books.auto_pay(&c.id).unwrap(), None, "{name}");
        assert_eq!(
            get_invoice(&books, &inv.id).status,
            InvoiceStatus::Open,
            "{name}"
        );
        // Stripe delivers it again: both.
        assert_eq!(
            deliver(&books, &event).unwrap().status,
            EventStatus::Applied
        );
        assert_eq!(books.payments().unwrap().len(), 1, "{name}");
        assert_eq!(
            get_invoice(&books, &inv.id).status,
            InvoiceStatus::Paid,
            "{name}"
        );
        let a = books.auto_pay(&c.id).unwrap().expect("saved");
        assert_eq!(
            (a.enabled, a.payment_method.as_deref()),
            (true, Some("pm_two")),
            "{name}"
        );
    }
}

#[test]
fn no_card_is_saved_without_setup_future_usage_or_for_an_imported_invoice() {
    for (name, books, _keep) in all_books() {
        books.set_default_account("acct_W").unwrap();
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let inv = own_invoice(&books, &c.id);
        // The checkout did not ask to save the card: paid, nobody opted in.
        let o = deliver(&books, &completed("evt_3", "cs_3", &inv.id, "pm_3", false)).unwrap();
        assert_eq!(o.status, EventStatus::Applied, "{name}");
        assert_eq!(
            get_invoice(&books, &inv.id).status,
            InvoiceStatus::Paid,
            "{name}"
        );
        assert_eq!(books.auto_pay(&c.id).unwrap(), None, "{name}");

        // A session naming an imported Stripe invoice (not one the books
        // issued) saves nothing either, though it asked to.
        import_items(
            &books,
            vec![
                customer("cus_acme", "Acme", "ap@acme.test"),
                invoice("in_S1", "cus_acme", "open", d("120.00"), d("0"), 1),
            ],
            &ImportPlan::default(),
        );
        let imported = inv_by_ext(&books, "in_S1");
        let o = deliver(
            &books,
            &completed("evt_4", "cs_4", &imported.id, "pm_4", true),
        )
        .unwrap();
        assert_eq!(o.status, EventStatus::Applied, "{name}");
        let owner = imported.customer_id.clone().expect("a customer");
        assert_eq!(books.auto_pay(&owner).unwrap(), None, "{name}");
        assert_eq!(autopay_entries(&books), 0, "{name}");
    }
}

/// Answers `GET /v1/checkout/sessions/{id}` with `expanded` when the request
/// asks for `expand[]=payment_intent`, else with `plain`.
async fn session_server(plain: String, expanded: String) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (plain, expanded) = (plain.clone(), expanded.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let line = head.lines().next().unwrap_or_default();
                let body = if line.contains("expand%5B%5D=payment_intent")
                    || line.contains("expand[]=payment_intent")
                {
                    expanded
                } else {
                    plain
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, task)
}

#[test]
fn a_refetched_session_brings_its_payment_intent_and_saves_the_card() {
    common::run(async {
        let books = Books::in_memory();
        books.set_default_account("acct_W").unwrap();
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let inv = own_invoice(&books, &c.id);
        // The webhook as Stripe sends it: the payment intent is only an id.
        let mut event = completed("evt_5", "cs_5", &inv.id, "pm_five", true);
        let expanded = event["data"]["object"].to_string();
        event["data"]["object"]["payment_intent"] = json!("pi_cs_5");
        let plain = event["data"]["object"].to_string();
        let (url, server) = session_server(plain, expanded).await;

        // Applied as sent: paid, but nothing says which card was saved.
        let body = event.to_string().into_bytes();
        let header = sign_webhook(&body, SECRET, T);
        let verified = verify_webhook(&body, &header, SECRET, None, None).unwrap();
        let source = StripeSource::new("sk_test_refetch_key")
            .unwrap()
            .base_url(url);
        let o = books
            .apply_event_refetched(&verified, &source, &ImportPlan::default())
            .await
            .unwrap();
        assert_eq!(o.status, EventStatus::Applied);
        let a = books
            .auto_pay(&c.id)
            .unwrap()
            .expect("saved from the refetch");
        assert_eq!(a.payment_method.as_deref(), Some("pm_five"));
        assert_eq!(
            a.enabled_via,
            Some(AutoPaySource::Checkout {
                session: "cs_5".into()
            })
        );
        assert_eq!(get_invoice(&books, &inv.id).status, InvoiceStatus::Paid);
        server.abort();

        // The same event applied without the refetch saves nothing.
        let other = Books::in_memory();
        other.set_default_account("acct_W").unwrap();
        let c2 = other
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let inv2 = own_invoice(&other, &c2.id);
        let mut bare = completed("evt_6", "cs_6", &inv2.id, "pm_six", true);
        bare["data"]["object"]["payment_intent"] = json!("pi_cs_6");
        assert_eq!(deliver(&other, &bare).unwrap().status, EventStatus::Applied);
        assert_eq!(other.auto_pay(&c2.id).unwrap(), None);
    });
}
