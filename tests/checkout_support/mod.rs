//! A small local HTTP server standing in for Stripe's Checkout Sessions API
//! (localstripe has none): create (with Idempotency-Key replay), list by
//! customer, expire; `GET /v1/account` is 404 as on localstripe. Faults: the
//! next create answers 500 after making the session (an unknown outcome).
//! Also invoices with Payment Records (API `2025-10-29.clover`+, which
//! localstripe lacks): `GET /v1/invoices/{id}`, `POST
//! /v1/payment_records/report_payment`, `POST /v1/invoices/{id}/attach_payment`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

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

fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                let s = s.replace('+', " ");
                let bytes = s.as_bytes();
                let mut out = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'%' && i + 2 < bytes.len() {
                        let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?');
                        out.push(h);
                        i += 3;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                String::from_utf8_lossy(&out).to_string()
            };
            (dec(k), dec(v))
        })
        .collect()
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
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
            let mut metadata = serde_json::Map::new();
            for (k, v) in &f {
                if let Some(name) = k
                    .strip_prefix("metadata[")
                    .and_then(|r| r.strip_suffix(']'))
                {
                    metadata.insert(name.to_string(), Value::String(v.clone()));
                }
            }
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
        ("GET", "/v1/checkout/sessions") => {
            let q = form(query);
            let cus = get(&q, "customer");
            let data: Vec<Value> = st
                .sessions
                .iter()
                .rev()
                .filter(|s| cus.is_none_or(|c| s["customer"] == c))
                .cloned()
                .collect();
            (
                200,
                json!({"object": "list", "has_more": false, "data": data}).to_string(),
            )
        }
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

fn serve(state: Arc<Mutex<State>>, mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let (mut len, mut key) = (0usize, None);
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = value.trim().parse().unwrap_or(0),
                "idempotency-key" => key = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, text, replayed) = handle(
            &state,
            &method,
            &target,
            key,
            &String::from_utf8_lossy(&body),
        );
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nrequest-id: req_{}\r\nidempotent-replayed: {replayed}\r\n\r\n{text}",
            text.len(),
            status
        );
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// Starts the server on a free loopback port (threads end with the test process).
pub fn start(expires_at: i64) -> CheckoutServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(State {
        expires_at,
        ..Default::default()
    }));
    let s = state.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let s = s.clone();
            std::thread::spawn(move || serve(s, stream));
        }
    });
    CheckoutServer { url, state }
}
