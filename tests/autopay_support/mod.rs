//! A small local HTTP server standing in for Stripe's PaymentIntents (and
//! Checkout Sessions, for the payment link of a refusal notice) where
//! localstripe cannot show a case: `authentication_required` and decline
//! codes with advice codes, a timeout after the charge went through, a 5xx
//! before anything was made, and a 409 for a key still being processed.
//! POSTs honour `Idempotency-Key` (the first answer is replayed; other
//! parameters under the same key are an `idempotency_error`). `GET
//! /v1/account` is 404, as on localstripe.
//!
//! The payment method decides the charge: `pm_ok` succeeds; `pm_auth` needs
//! authentication; `pm_decline_<decline_code>[__<advice_code>]` is declined
//! with those codes; `pm_expired` is an `expired_card` error.
#![allow(dead_code)]

#[path = "../local_http/mod.rs"]
mod local_http;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use local_http::{Reply, form, get, list_by_customer, metadata};
use serde_json::{Value, json};

pub use local_http::Form;

/// A fault for the next charge request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Make the charge, then answer only after `delay` (the client times out).
    SlowAfterCharge,
    /// Answer 500 before making anything (not kept under the key).
    ServerError,
    /// Make the charge (as a first request under the key would), keep its
    /// answer under the key, but answer this request 409.
    Conflict,
}

/// What the server holds and counts.
#[derive(Default)]
pub struct State {
    /// Every PaymentIntent made, oldest first.
    pub intents: Vec<Value>,
    /// Checkout sessions made.
    pub sessions: Vec<Value>,
    /// Answers by idempotency key, with the form they answered.
    pub replies: HashMap<String, (Form, u16, String)>,
    /// Charge requests received (replays included).
    pub requests: usize,
    /// Faults for the next charge requests, in order.
    pub faults: Vec<Fault>,
    /// How long `SlowAfterCharge` waits.
    pub delay: Duration,
}

impl State {
    /// Succeeded PaymentIntents naming `invoice` in their metadata.
    pub fn charges_for(&self, invoice: &str) -> usize {
        self.intents
            .iter()
            .filter(|p| p["status"] == "succeeded" && p["metadata"]["invoice"] == invoice)
            .count()
    }
}

/// The running server.
pub struct PaymentServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state.
    pub state: Arc<Mutex<State>>,
}

fn card_error(code: &str, decline: Option<&str>, advice: Option<&str>, pi: &Value) -> String {
    json!({"error": {"type": "card_error", "code": code, "decline_code": decline,
        "advice_code": advice, "message": format!("Your card was declined ({code})."),
        "payment_intent": pi}})
    .to_string()
}

/// Makes the PaymentIntent of a charge request; its answer.
fn charge(st: &mut State, f: &[(String, String)]) -> (u16, String) {
    let n = st.intents.len() + 1;
    let pm = get(f, "payment_method").unwrap_or("");
    let mut pi = json!({
        "id": format!("pi_test_{n}"), "object": "payment_intent",
        "amount": get(f, "amount").and_then(|a| a.parse::<i64>().ok()),
        "amount_received": 0,
        "currency": get(f, "currency"), "customer": get(f, "customer"),
        "payment_method": pm, "created": 1_767_225_600 + n as i64,
        "metadata": metadata(f), "status": "requires_payment_method",
    });
    let declined = |pi: &mut Value, code: &str, decline: Option<&str>, advice: Option<&str>| {
        pi["last_payment_error"] =
            json!({"code": code, "decline_code": decline, "advice_code": advice});
        (402, card_error(code, decline, advice, pi))
    };
    let out = if pm == "pm_ok" {
        pi["status"] = json!("succeeded");
        pi["amount_received"] = pi["amount"].clone();
        pi["latest_charge"] = json!(format!("ch_test_{n}"));
        (200, pi.to_string())
    } else if pm == "pm_auth" {
        declined(
            &mut pi,
            "authentication_required",
            Some("authentication_required"),
            None,
        )
    } else if pm == "pm_expired" {
        declined(&mut pi, "expired_card", None, None)
    } else if let Some(rest) = pm.strip_prefix("pm_decline_") {
        let (decline, advice) = match rest.split_once("__") {
            Some((d, a)) => (d.to_string(), Some(a.to_string())),
            None => (rest.to_string(), None),
        };
        declined(&mut pi, "card_declined", Some(&decline), advice.as_deref())
    } else {
        (
            400,
            json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                "message": format!("No such PaymentMethod: '{pm}'")}})
            .to_string(),
        )
    };
    if out.0 != 400 {
        st.intents.push(pi);
    }
    out
}

fn handle(
    state: &Mutex<State>,
    method: &str,
    target: &str,
    key: Option<String>,
    body: &str,
) -> (u16, String, bool, Duration) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut st = state.lock().unwrap();
    let f = form(body);
    let none = Duration::ZERO;
    if method == "POST" && path == "/v1/payment_intents" {
        st.requests += 1;
    }
    if method == "POST" {
        if let Some(k) = &key {
            if let Some((sent, status, text)) = st.replies.get(k) {
                if *sent != f {
                    let e = json!({"error": {"type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}});
                    return (400, e.to_string(), false, none);
                }
                return (*status, text.clone(), true, none);
            }
        }
    }
    let (status, text, keep, delay) = match (method, path) {
        ("POST", "/v1/payment_intents") => {
            let fault = if st.faults.is_empty() {
                None
            } else {
                Some(st.faults.remove(0))
            };
            match fault {
                Some(Fault::ServerError) => (
                    500,
                    json!({"error": {"type": "api_error", "message": "boom"}}).to_string(),
                    false,
                    none,
                ),
                Some(Fault::Conflict) => {
                    let (s, t) = charge(&mut st, &f);
                    if let Some(k) = &key {
                        st.replies.insert(k.clone(), (f.clone(), s, t));
                    }
                    (
                        409,
                        json!({"error": {"type": "idempotency_error", "code": "idempotency_key_in_use",
                            "message": "There is currently another in-progress request using this Idempotent Key."}})
                        .to_string(),
                        false,
                        none,
                    )
                }
                Some(Fault::SlowAfterCharge) => {
                    let (s, t) = charge(&mut st, &f);
                    (s, t, true, st.delay)
                }
                None => {
                    let (s, t) = charge(&mut st, &f);
                    (s, t, true, none)
                }
            }
        }
        ("GET", "/v1/payment_intents") => (200, list_by_customer(&st.intents, query), false, none),
        ("POST", "/v1/checkout/sessions") => {
            let n = st.sessions.len() + 1;
            let s = json!({
                "id": format!("cs_test_{n}"), "object": "checkout.session",
                "url": format!("https://checkout.test/pay/cs_test_{n}"), "status": "open",
                "customer": get(&f, "customer"), "expires_at": 1_900_000_000,
                "client_reference_id": get(&f, "client_reference_id"), "metadata": metadata(&f),
            });
            st.sessions.push(s.clone());
            (200, s.to_string(), true, none)
        }
        ("GET", "/v1/checkout/sessions") => (
            200,
            json!({"object": "list", "has_more": false, "data": st.sessions}).to_string(),
            false,
            none,
        ),
        _ => (
            404,
            json!({"error": {"type": "invalid_request_error", "message": "no such route"}})
                .to_string(),
            false,
            none,
        ),
    };
    if method == "POST" && keep {
        if let Some(k) = key {
            st.replies.insert(k, (f, status, text.clone()));
        }
    }
    (status, text, false, delay)
}

/// Starts the server on a free loopback port (threads end with the test process).
pub fn start() -> PaymentServer {
    let state = Arc::new(Mutex::new(State {
        delay: Duration::from_millis(1500),
        ..Default::default()
    }));
    let s = state.clone();
    let url = local_http::start(move |r| {
        let (status, text, replayed, delay) = handle(&s, &r.method, &r.target, r.key, &r.body);
        Reply {
            status,
            text,
            replayed,
            delay,
        }
    });
    PaymentServer { url, state }
}
