//! `examples/webhook_receiver.rs` (axum) over real HTTP: signed events are
//! verified and applied (a repeat is a duplicate); bad signatures are 400.

#[path = "../examples/webhook_receiver.rs"]
#[allow(dead_code, missing_docs)]
mod receiver;

use std::sync::Arc;

use serde_json::Value;
use tieout::{Books, InvoiceFilter, sign_webhook};

async fn post(url: &str, body: &[u8], signature: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.expect("JSON reply"))
}

#[tokio::test(flavor = "multi_thread")]
async fn axum_receiver_verifies_and_applies_signed_events() {
    let secret = "whsec_axum_example";
    let app = Arc::new(receiver::Receiver {
        books: Books::in_memory(),
        secret: secret.into(),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}/stripe/webhook", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, receiver::router(app.clone())).into_future());

    let events = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/events.jsonl"
    ))
    .unwrap();
    let body = events
        .lines()
        .find(|l| l.contains("\"invoice.paid\""))
        .unwrap()
        .as_bytes()
        .to_vec();
    let now = chrono::Utc::now().timestamp();
    let sign = |key: &str| sign_webhook(&body, key, now);

    assert_eq!(
        post(&url, &body, &sign(secret)).await,
        (
            200,
            serde_json::json!({"received": true, "status": "applied"})
        )
    );
    let invoices = app.books.invoices(&InvoiceFilter::default()).unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].source.external_id, "in_SAcmeApr2025001");
    let (status, reply) = post(&url, &body, &sign(secret)).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("duplicate")));
    let (status, reply) = post(&url, &body, &sign("whsec_wrong")).await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (400, Some("WEBHOOK_SIGNATURE"))
    );
    // Re-serialised JSON is not what was signed.
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    assert_eq!(post(&url, &pretty, &sign(secret)).await.0, 400);
    assert_eq!(
        app.books.invoices(&InvoiceFilter::default()).unwrap().len(),
        1
    );
    server.abort();
}
