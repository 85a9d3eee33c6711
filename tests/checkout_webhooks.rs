//! Money for a payment link arriving by webhook (issue 15): a signed
//! `checkout.session.completed` and `payment_intent.succeeded` (the session's
//! payment intent) are matched to the books' own invoice through the
//! session's `client_reference_id` / metadata and the payment intent's
//! metadata, by the existing cascade, in either order, as one payment.

mod common;

use common::*;
use serde_json::{Value, json};
use tieout::*;

const SECRET: &str = "whsec_checkout_test";

fn usd_draft(customer: &str) -> InvoiceDraft {
    InvoiceDraft::new(customer, Currency::USD)
        .line(DraftLine::item("Consulting", d("2"), d("150.00")))
        .line(DraftLine::tax("Sales tax", d("24.00")))
        .due(ts(30))
}

/// A paid session for `invoice` (books id) of 324.00 USD; `metadata` as a
/// payment link makes it, or none (then only `client_reference_id`).
fn session_completed(
    evt: &str,
    cs: &str,
    pi: &str,
    invoice: &str,
    metadata: bool,
    t: i64,
) -> Value {
    let meta = if metadata {
        json!({ "invoice": invoice, "tieout_invoice": invoice })
    } else {
        json!({})
    };
    json!({
        "id": evt, "object": "event", "type": "checkout.session.completed", "created": t,
        "api_version": "2025-03-31.basil", "livemode": false,
        "data": { "object": {
            "id": cs, "object": "checkout.session", "mode": "payment", "status": "complete",
            "payment_status": "paid", "amount_total": 32400, "currency": "usd",
            "customer": "cus_acme", "client_reference_id": invoice, "metadata": meta,
            "payment_intent": pi, "created": t - 60, "livemode": false,
            "customer_details": { "name": "Acme", "email": "ap@acme.test" }
        }}
    })
}

/// The session's payment intent succeeding; its metadata names the invoice
/// (as `payment_intent_data.metadata` of a payment link does).
fn intent_succeeded(evt: &str, pi: &str, invoice: &str, t: i64) -> Value {
    json!({
        "id": evt, "object": "event", "type": "payment_intent.succeeded", "created": t,
        "api_version": "2025-03-31.basil", "livemode": false,
        "data": { "object": {
            "id": pi, "object": "payment_intent", "status": "succeeded", "amount": 32400,
            "amount_received": 32400, "currency": "usd", "customer": "cus_acme",
            "metadata": { "invoice": invoice, "tieout_invoice": invoice },
            "created": t - 30, "livemode": false
        }}
    })
}

fn deliver(books: &Books, event: &Value, t: i64) -> EventOutcome {
    let body = event.to_string().into_bytes();
    let header = sign_webhook(&body, SECRET, t);
    let verified = verify_webhook(&body, &header, SECRET, Some(300), Some(t + 1)).unwrap();
    books.apply_event(&verified).unwrap()
}

fn issued(books: &Books, customer: &str) -> Invoice {
    let draft = books
        .create_invoice(&usd_draft(customer), None, ts(1))
        .unwrap();
    books.issue_invoice(&draft.id, ts(1)).unwrap()
}

fn invoice(books: &Books, id: &str) -> Invoice {
    match books.get(EntityKind::Invoice, id).unwrap() {
        Some(Entity::Invoice(i)) => i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn checkout_and_payment_intent_webhooks_pay_the_own_invoice_once_in_either_order() {
    for (name, books, _keep) in all_books() {
        books.set_default_account("acct_W").unwrap();
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let a = issued(&books, &c.id);
        let b = issued(&books, &c.id);
        let other = issued(&books, &c.id);
        let t = 1_760_000_000;

        // a: the session completes first, then its payment intent.
        let o = deliver(
            &books,
            &session_completed("evt_a1", "cs_a", "pi_a", &a.id, true, t),
            t,
        );
        assert_eq!(o.status, EventStatus::Applied, "{name}");
        let a1 = invoice(&books, &a.id);
        assert_eq!(a1.status, InvoiceStatus::Paid, "{name}: {a1:?}");
        assert_eq!(a1.amount_remaining, d("0"), "{name}");
        deliver(
            &books,
            &intent_succeeded("evt_a2", "pi_a", &a.id, t + 5),
            t + 5,
        );

        // b: the payment intent first (its metadata names b), then the
        // session, which names b only by client_reference_id.
        deliver(
            &books,
            &intent_succeeded("evt_b1", "pi_b", &b.id, t + 10),
            t + 10,
        );
        assert_eq!(invoice(&books, &b.id).status, InvoiceStatus::Paid, "{name}");
        deliver(
            &books,
            &session_completed("evt_b2", "cs_b", "pi_b", &b.id, false, t + 20),
            t + 20,
        );

        // One payment per checkout, one allocation per invoice, each with the
        // reason the cascade gave; the third invoice is untouched.
        let payments = books.payments().unwrap();
        assert_eq!(payments.len(), 2, "{name}: {payments:?}");
        let allocs = books.allocations().unwrap();
        for inv in [&a, &b] {
            let mine: Vec<_> = allocs.iter().filter(|x| x.invoice_id == inv.id).collect();
            assert_eq!(mine.len(), 1, "{name}: {mine:?}");
            assert_eq!(mine[0].amount, d("324.00"), "{name}");
            assert!(
                matches!(
                    mine[0].reason.strategy,
                    MatchStrategy::CheckoutSession | MatchStrategy::Metadata
                ),
                "{name}: {:?}",
                mine[0].reason
            );
            assert_eq!(invoice(&books, &inv.id).status, InvoiceStatus::Paid);
        }
        let a_alloc = allocs.iter().find(|x| x.invoice_id == a.id).unwrap();
        assert_eq!(
            a_alloc.reason.strategy,
            MatchStrategy::CheckoutSession,
            "{name}: the session arrived first"
        );
        assert_eq!(
            invoice(&books, &other.id).status,
            InvoiceStatus::Open,
            "{name}"
        );
        assert!(payments.iter().all(|p| p.unapplied == d("0")), "{name}");
        assert_payment_invariant(&books);

        // Redelivery changes nothing.
        let o = deliver(
            &books,
            &session_completed("evt_a1", "cs_a", "pi_a", &a.id, true, t),
            t + 99,
        );
        assert_eq!(o.status, EventStatus::Duplicate, "{name}");
        assert_eq!(books.allocations().unwrap().len(), allocs.len());
    }
}
