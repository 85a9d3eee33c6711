//! Webhook events applied to the books: signature, dedupe, ordering, unsupported types.

mod common;

use serde_json::json;
use tieout::*;

const SECRET: &str = "whsec_test_secret_123";

fn invoice_event(evt: &str, created: i64, status: &str, paid: i64) -> Vec<u8> {
    json!({
        "id": evt, "object": "event", "type": format!("invoice.{}", if status == "paid" { "paid" } else { "updated" }),
        "created": created, "api_version": "2025-03-31.basil", "livemode": false,
        "data": {"object": {
            "id": "in_E1", "object": "invoice", "customer": "cus_E1", "currency": "usd", "status": status,
            "number": "EV-1", "created": 1_740_000_000, "livemode": false, "subtotal": 5000, "total": 5000,
            "amount_due": 5000, "amount_paid": paid, "amount_remaining": 5000 - paid, "total_taxes": [],
            "status_transitions": {"finalized_at": 1_740_000_100, "paid_at": if status == "paid" { json!(created) } else { json!(null) }},
            "lines": {"object": "list", "has_more": false, "data": [
                {"id": "il_E1", "object": "line_item", "amount": 5000, "currency": "usd", "quantity": 1, "description": "Plan"}
            ]}
        }}
    })
    .to_string()
    .into_bytes()
}

fn deliver(books: &Books, body: &[u8], t: i64) -> tieout::Result<EventOutcome> {
    let header = sign_webhook(body, SECRET, t);
    let event = verify_webhook(body, &header, SECRET, Some(300), Some(t + 5))?;
    books.apply_event(&event)
}

#[test]
fn events_apply_once_and_never_go_backwards() {
    for (name, books, _dir) in common::all_books() {
        books.set_default_account("acct_E").unwrap();
        let open = invoice_event("evt_1", 1_740_000_200, "open", 0);
        let paid = invoice_event("evt_2", 1_740_000_900, "paid", 5000);
        // The newer event arrives first.
        let o = deliver(&books, &paid, 1_740_000_900).unwrap();
        assert_eq!(o.status, EventStatus::Applied, "{name}");
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.status, InvoiceStatus::Paid);
        assert_eq!(
            inv.source.account, "acct_E",
            "events use the books' default account"
        );
        // The older one arrives late: skipped, the invoice stays paid.
        let o = deliver(&books, &open, 1_740_000_950).unwrap();
        assert_eq!(o.status, EventStatus::Applied);
        assert!(
            o.entries
                .iter()
                .any(|e| matches!(e.action, Action::Skipped { .. })),
            "{name}: {:?}",
            o.entries
        );
        assert_eq!(
            books.invoices(&InvoiceFilter::default()).unwrap()[0].status,
            InvoiceStatus::Paid
        );
        // A redelivery of the same event is a no-op.
        let o = deliver(&books, &paid, 1_740_001_000).unwrap();
        assert_eq!(o.status, EventStatus::Duplicate);
        assert_eq!(
            books.payments().unwrap().len(),
            1,
            "{name}: one payment for the paid invoice"
        );
    }
}

#[test]
fn unsupported_events_are_acknowledged_and_bad_signatures_rejected() {
    let books = Books::in_memory();
    let body =
        json!({"id": "evt_x", "object": "event", "type": "plan.created", "created": 1_740_000_000,
        "livemode": false, "data": {"object": {"id": "plan_1", "object": "plan_unknown_thing"}}})
        .to_string();
    let o = deliver(&books, body.as_bytes(), 1_740_000_000).unwrap();
    assert_eq!(o.status, EventStatus::Ignored);
    // Tampered body.
    let header = sign_webhook(body.as_bytes(), SECRET, 1_740_000_000);
    let tampered = body.replace("evt_x", "evt_y");
    let err = verify_webhook(
        tampered.as_bytes(),
        &header,
        SECRET,
        Some(300),
        Some(1_740_000_010),
    )
    .unwrap_err();
    assert_eq!(Error::from(err).code(), "WEBHOOK_SIGNATURE");
    // Too old.
    let err = verify_webhook(
        body.as_bytes(),
        &header,
        SECRET,
        Some(300),
        Some(1_740_001_000),
    )
    .unwrap_err();
    assert_eq!(Error::from(err).code(), "WEBHOOK_SIGNATURE");
    // Rotated secrets: a header with two v1 signatures verifies with either secret.
    let other = sign_webhook(body.as_bytes(), "whsec_old", 1_740_000_000);
    let v1_old = other.split(',').find(|p| p.starts_with("v1=")).unwrap();
    let both = format!("{header},{v1_old}");
    assert!(
        verify_webhook(
            body.as_bytes(),
            &both,
            "whsec_old",
            Some(300),
            Some(1_740_000_010)
        )
        .is_ok()
    );
    assert!(
        verify_webhook(
            body.as_bytes(),
            &both,
            SECRET,
            Some(300),
            Some(1_740_000_010)
        )
        .is_ok()
    );
}

#[test]
fn live_events_need_a_plan_that_allows_live() {
    let books = Books::in_memory();
    let mut body: serde_json::Value =
        serde_json::from_slice(&invoice_event("evt_live", 1_740_000_000, "open", 0)).unwrap();
    body["livemode"] = json!(true);
    let body = body.to_string();
    let header = sign_webhook(body.as_bytes(), SECRET, 1_740_000_000);
    let event = verify_webhook(body.as_bytes(), &header, SECRET, None, None).unwrap();
    let err = books.apply_event(&event).unwrap_err();
    assert_eq!(err.code(), "APPROVAL_REQUIRED");
    assert!(
        books
            .invoices(&InvoiceFilter::default())
            .unwrap()
            .is_empty()
    );
    let o = books
        .apply_event_with(&event, &ImportPlan::default().allow_live(true))
        .unwrap();
    assert_eq!(o.status, EventStatus::Applied);
    assert_eq!(books.invoices(&InvoiceFilter::default()).unwrap().len(), 1);
}

/// Serves `body` for every GET (a stand-in for `GET /v1/invoices/{id}`).
async fn serve_once(body: String) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = sock.read(&mut buf).await;
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
fn a_late_event_can_apply_the_objects_current_state() {
    common::run(async {
        let books = Books::in_memory();
        books.set_default_account("acct_E").unwrap();
        // The API says the invoice is paid now; the (late) event carries the open snapshot.
        let paid: serde_json::Value =
            serde_json::from_slice(&invoice_event("evt_p", 1_740_000_900, "paid", 5000)).unwrap();
        let (url, server) = serve_once(paid["data"]["object"].to_string()).await;
        let source = StripeSource::new("sk_test_refetch_key")
            .unwrap()
            .base_url(url);
        let open = invoice_event("evt_o", 1_740_000_200, "open", 0);
        let header = sign_webhook(&open, SECRET, 1_740_000_200);
        let event = verify_webhook(&open, &header, SECRET, None, None).unwrap();
        let o = books
            .apply_event_refetched(&event, &source, &ImportPlan::default())
            .await
            .unwrap();
        assert_eq!(o.status, EventStatus::Applied);
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(
            inv.status,
            InvoiceStatus::Paid,
            "the refetched state wins over the stale snapshot"
        );
        assert_eq!(inv.amount_paid, common::d("50.00"));
        server.abort();
    });
}
