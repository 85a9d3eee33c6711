//! A small local HTTP server standing in for Stripe's Checkout Sessions API
//! (localstripe has none): create (with Idempotency-Key replay), list by
//! customer, expire; `GET /v1/account` is 404 as on localstripe. Faults: the
//! next create answers 500 after making the session (an unknown outcome).
//! Also invoices with Payment Records (API `2025-10-29.clover`+, which
//! localstripe lacks): `GET /v1/invoices/{id}`, `POST
//! /v1/payment_records/report_payment`, `POST /v1/invoices/{id}/attach_payment`.
#![allow(dead_code)]

#[path = "../local_http/mod.rs"]
mod local_http;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use local_http::{Reply, form, get, list_by_customer, metadata};
use serde_json::{Value, json};

/// What the server holds and counts.
#[derive(Default)]
pub struct State {
    /// Sessions, oldest first.
    pub sessions: Vec<Value>,
    /// Responses by idempotency key.
    pub replies: HashMap<String, (u16, String)>,
    /// Each create request's form and Idempotency-Key.
    pub creates: Vec<(Vec<(String, String)>, String)>,
    /// Sessions expired through the API.
    pub expired: Vec<String>,
    /// `expires_at` given to new sessions.
    pub expires_at: i64,
    /// The next create answers 500 after making the session.
    pub fail_next_create_after: bool,
    /// Invoices (`id`, `status`, `total`, `amount_due`, `amount_paid`,
    /// `currency`), for the payment-record routes.
    pub invoices: Vec<Value>,
    /// Payment records reported.
    pub payment_records: Vec<Value>,
    /// `(invoice, payment record)` attached.
    pub attached: Vec<(String, String)>,
}

/// The running server.
pub struct CheckoutServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state.
    pub state: Arc<Mutex<State>>,
}

fn handle(
    state: &Mutex<State>,
    method: &str,
    target: &str,
    key: Option<String>,
    body: &str,
) -> (u16, String, bool) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut st = state.lock().unwrap();
    if method == "POST" {
        if let Some(k) = &key {
            if let Some((status, text)) = st.replies.get(k) {
                return (*status, text.clone(), true);
            }
        }
    }
    let (status, text) = match (method, path) {
        ("POST", "/v1/checkout/sessions") => {
            let f = form(body);
            st.creates
                .push((f.clone(), key.clone().unwrap_or_default()));
            let n = st.sessions.len() + 1;
            let metadata = metadata(&f);
            let s = json!({
                "id": format!("cs_test_{n}"), "object": "checkout.session",
                "url": format!("https://checkout.test/pay/cs_test_{n}"),
                "status": "open", "mode": get(&f, "mode"), "customer": get(&f, "customer"),
                "client_reference_id": get(&f, "client_reference_id"),
                "amount_total": get(&f, "line_items[0][price_data][unit_amount]").and_then(|a| a.parse::<i64>().ok()),
                "expires_at": st.expires_at, "metadata": metadata,
            });
            st.sessions.push(s.clone());
            if std::mem::take(&mut st.fail_next_create_after) {
                (
                    500,
                    json!({"error": {"type": "api_error", "message": "boom"}}).to_string(),
                )
            } else {
                (200, s.to_string())
            }
        }
        ("GET", "/v1/checkout/sessions") => (200, list_by_customer(&st.sessions, query)),
        ("POST", p) if p.starts_with("/v1/checkout/sessions/") && p.ends_with("/expire") => {
            let id = p
                .trim_start_matches("/v1/checkout/sessions/")
                .trim_end_matches("/expire")
                .to_string();
            match st.sessions.iter_mut().find(|s| s["id"] == id.as_str()) {
                Some(s) if s["status"] == "open" => {
                    s["status"] = json!("expired");
                    let out = s.to_string();
                    st.expired.push(id);
                    (200, out)
                }
                _ => (
                    400,
                    json!({"error": {"type": "invalid_request_error", "message": "not open"}})
                        .to_string(),
                ),
            }
        }
        ("POST", "/v1/payment_records/report_payment") => {
            let f = form(body);
            let n = st.payment_records.len() + 1;
            let value = get(&f, "amount_requested[value]").and_then(|a| a.parse::<i64>().ok());
            let pr = json!({
                "id": format!("pr_test_{n}"), "object": "payment_record",
                "amount_requested": { "value": value, "currency": get(&f, "amount_requested[currency]") },
                "payment_reference": get(&f, "processor_details[custom][payment_reference]"),
                "metadata": { "tieout_key": get(&f, "metadata[tieout_key]") },
            });
            st.payment_records.push(pr.clone());
            (200, pr.to_string())
        }
        ("GET", p) if p.starts_with("/v1/invoices/") => {
            let id = p.trim_start_matches("/v1/invoices/");
            match st.invoices.iter().find(|i| i["id"] == id) {
                Some(i) => (200, i.to_string()),
                None => (404, json!({"error": {"type": "invalid_request_error", "message": "No such invoice"}}).to_string()),
            }
        }
        ("POST", p) if p.starts_with("/v1/invoices/") && p.ends_with("/attach_payment") => {
            let id = p
                .trim_start_matches("/v1/invoices/")
                .trim_end_matches("/attach_payment")
                .to_string();
            let rec = get(&form(body), "payment_record")
                .unwrap_or_default()
                .to_string();
            let amount = st
                .payment_records
                .iter()
                .find(|r| r["id"] == rec.as_str())
                .and_then(|r| r["amount_requested"]["value"].as_i64());
            match (st.invoices.iter_mut().find(|i| i["id"] == id.as_str()), amount) {
                (Some(i), Some(a)) if i["status"] == "open" => {
                    let paid = i["amount_paid"].as_i64().unwrap_or(0) + a;
                    i["amount_paid"] = json!(paid);
                    if paid >= i["amount_due"].as_i64().unwrap_or(0) {
                        i["status"] = json!("paid");
                    }
                    let out = i.to_string();
                    st.attached.push((id, rec));
                    (200, out)
                }
                (Some(i), _) if i["status"] == "paid" => (
                    400,
                    json!({"error": {"type": "invalid_request_error", "message": "Invoice is already paid"}}).to_string(),
                ),
                _ => (
                    400,
                    json!({"error": {"type": "invalid_request_error", "message": "cannot attach"}}).to_string(),
                ),
            }
        }
        _ => (
            404,
            json!({"error": {"type": "invalid_request_error", "message": "no such route"}})
                .to_string(),
        ),
    };
    if method == "POST" {
        if let Some(k) = key {
            st.replies.insert(k, (status, text.clone()));
        }
    }
    (status, text, false)
}

/// Starts the server on a free loopback port (threads end with the test process).
pub fn start(expires_at: i64) -> CheckoutServer {
    let state = Arc::new(Mutex::new(State {
        expires_at,
        ..Default::default()
    }));
    let s = state.clone();
    let url = local_http::start(move |r| {
        let (status, text, replayed) = handle(&s, &r.method, &r.target, r.key, &r.body);
        Reply {
            status,
            text,
            replayed,
            delay: Duration::ZERO,
        }
    });
    CheckoutServer { url, state }
}
