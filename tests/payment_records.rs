//! Write-back on API versions with Payment Records (`2025-10-29.clover`+;
//! localstripe has none, so our own local server stands in): each books
//! payment of a Stripe invoice paid outside Stripe is reported as a Payment
//! Record and attached to the invoice, part payments too; a crash after the
//! record was made is resolved under the same idempotency key (one record on
//! the server); our own attached payments are not mistaken for a change in
//! Stripe.

mod checkout_support;
mod common;

use checkout_support::start;
use common::*;
use serde_json::json;
use tieout::writes::{FaultPoint, WriteOptions};
use tieout::*;

const CLOVER: &str = "2025-10-29.clover";

fn invoice_event(t: i64) -> Vec<u8> {
    json!({
        "id": "evt_pr1", "object": "event", "type": "invoice.finalized", "created": t,
        "api_version": CLOVER, "livemode": false,
        "data": { "object": {
            "id": "in_pr1", "object": "invoice", "customer": "cus_pr1", "currency": "usd",
            "status": "open", "number": "PR-1", "created": t - 100, "livemode": false,
            "subtotal": 10000, "total": 10000, "amount_due": 10000, "amount_paid": 0,
            "amount_remaining": 10000, "total_taxes": [],
            "status_transitions": { "finalized_at": t - 50 },
            "lines": { "object": "list", "has_more": false, "data": [
                { "id": "il_pr1", "object": "line_item", "amount": 10000, "currency": "usd",
                  "quantity": 1, "description": "Retainer" }
            ]}
        }}
    })
    .to_string()
    .into_bytes()
}

fn bank(books: &Books, inv: &Invoice, reference: &str, amount: &str) {
    let p = books
        .record_payment(&ManualPayment {
            reference: reference.into(),
            customer_id: inv.customer_id.clone(),
            amount: d(amount),
            currency: Currency::USD,
            received_at: ts(20),
            method: Some("bank_transfer".into()),
            description: None,
        })
        .unwrap();
    books.allocate(&p.id, &inv.id, d(amount)).unwrap();
}

#[test]
fn payment_records_write_back_each_bank_payment_once() {
    let srv = start(0);
    srv.state.lock().unwrap().invoices.push(json!({
        "id": "in_pr1", "object": "invoice", "status": "open", "currency": "usd",
        "total": 10000, "amount_due": 10000, "amount_paid": 0,
    }));
    let books = Books::in_memory();
    // The server has no /v1/account: writes act for `acct_unknown`.
    books.set_default_account("acct_unknown").unwrap();
    let t = 1_760_000_000;
    let body = invoice_event(t);
    let secret = "whsec_pr";
    let event = verify_webhook(
        &body,
        &sign_webhook(&body, secret, t),
        secret,
        Some(300),
        Some(t),
    )
    .unwrap();
    books.apply_event(&event).unwrap();
    let inv = books.invoices(&InvoiceFilter::default()).unwrap().remove(0);
    assert_eq!(inv.source.status.as_deref(), Some("open"));
    bank(&books, &inv, "bank-pr-1", "40.00");

    let writer = StripeWriter::new("sk_test_paymentRecords")
        .unwrap()
        .base_url(&srv.url)
        .api_version(CLOVER);
    let review = books
        .review_writes(&writer, &WritesSettings::default(), ts(21))
        .unwrap();
    assert_eq!(review.write_back_method, WriteBackMethod::PaymentRecord);
    assert!(
        review.skipped.is_empty(),
        "a part payment is written back too"
    );
    let kinds: Vec<&str> = review
        .plan
        .intents
        .iter()
        .map(|i| i.kind.as_str())
        .collect();
    assert_eq!(kinds, ["invoice_payment_record", "invoice_attach_payment"]);

    // Crash after the server made the record, before the books recorded it.
    let report_key = review.plan.intents[0].key.clone();
    let k = report_key.clone();
    let crash = WriteOptions {
        fault: Some(Box::new(move |i, at| {
            at == FaultPoint::Performed && i.key == k
        })),
        ..Default::default()
    };
    assert_eq!(
        books
            .write_back(&writer, None, ts(21), &crash)
            .unwrap_err()
            .code(),
        "ABORTED"
    );
    assert_eq!(srv.state.lock().unwrap().payment_records.len(), 1);
    assert!(srv.state.lock().unwrap().attached.is_empty());
    let report = books
        .write_back(&writer, None, ts(22), &WriteOptions::default())
        .unwrap();
    assert_eq!(
        report.delivered.len(),
        2,
        "resent under its key, then attached: {report:?}"
    );
    {
        let st = srv.state.lock().unwrap();
        assert_eq!(st.payment_records.len(), 1, "the key replayed: one record");
        assert_eq!(st.payment_records[0]["amount_requested"]["value"], 4000);
        assert_eq!(
            st.payment_records[0]["metadata"]["tieout_key"],
            report_key.as_str()
        );
        assert_eq!(
            st.attached,
            [("in_pr1".to_string(), "pr_test_1".to_string())]
        );
        assert_eq!(st.invoices[0]["amount_paid"], 4000);
        assert_eq!(st.invoices[0]["status"], "open");
    }

    // The rest arrives by bank: its own record, attached; Stripe's
    // amount_paid already holds our first attach, which is no change.
    bank(&books, &inv, "bank-pr-2", "60.00");
    let report = books
        .write_back(&writer, None, ts(23), &WriteOptions::default())
        .unwrap();
    assert_eq!(report.delivered.len(), 2, "{report:?}");
    assert!(report.cancelled.is_empty(), "{report:?}");
    let st = srv.state.lock().unwrap();
    assert_eq!(st.payment_records.len(), 2);
    assert_eq!(st.payment_records[1]["amount_requested"]["value"], 6000);
    assert_eq!(st.attached.len(), 2);
    assert_eq!(st.invoices[0]["status"], "paid");
    assert_eq!(st.invoices[0]["amount_paid"], 10000);
    drop(st);
    let again = books
        .write_back(&writer, None, ts(24), &WriteOptions::default())
        .unwrap();
    assert!(again.delivered.is_empty(), "{again:?}");
}
