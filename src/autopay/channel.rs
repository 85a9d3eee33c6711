//! `ChargeChannel`: the Stripe target of auto-pay charges. Like the generic
//! Stripe channel it POSTs with `Idempotency-Key` = the write's key and
//! resolves a lost answer by the PaymentIntent's `metadata[tieout_key]`, but
//! it reads the PaymentIntent: only `succeeded` counts as paid; a refusal
//! keeps Stripe's error (code, decline code, advice code) for the decision
//! table; a 409 (the same key still being processed, or reused) is an
//! unknown outcome, resolved before anything else, never a new attempt.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};
use tieout_core::writes::{WriteIntent, WriteRecord};
use tieout_stripe::{StripeWriter, WriteResponse};

use crate::writes::{Channel, Outcome, Resolution};

/// Makes auto-pay charges through a [`StripeWriter`].
#[derive(Debug)]
pub(crate) struct ChargeChannel {
    writer: StripeWriter,
    refused: Mutex<BTreeSet<String>>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// A refusal's detail from a PaymentIntent left unpaid in a 2xx answer.
fn unpaid(pi: &Value, status: &str) -> (String, Value) {
    let err = pi.get("last_payment_error").cloned().unwrap_or(Value::Null);
    let (code, decline, advice, message) = if status == "requires_action" {
        (
            Some("authentication_required".to_string()),
            None,
            None,
            "the payment needs the customer's authentication".to_string(),
        )
    } else {
        (
            s(&err, "code").or_else(|| Some("card_declined".into())),
            s(&err, "decline_code"),
            s(&err, "advice_code"),
            s(&err, "message").unwrap_or_else(|| format!("payment intent is {status}")),
        )
    };
    let detail = json!({
        "status": 402, "code": code, "decline_code": decline, "advice_code": advice,
        "message": message, "payment_intent": s(pi, "id"), "intent_status": status,
    });
    (
        format!(
            "payment intent {} {status}: {}",
            s(pi, "id").unwrap_or_default(),
            code.unwrap_or_default()
        ),
        detail,
    )
}

impl ChargeChannel {
    pub(crate) fn new(writer: StripeWriter) -> Self {
        ChargeChannel {
            writer,
            refused: Mutex::new(BTreeSet::new()),
        }
    }

    /// Books customers a charge was refused for in this run.
    pub(crate) fn refused(&self, customer_id: &str) -> bool {
        self.refused
            .lock()
            .map(|r| r.contains(customer_id))
            .unwrap_or(true)
    }

    fn note_refused(&self, intent: &WriteIntent) {
        if let (Some(c), Ok(mut r)) = (
            intent.payload.get("customer_id").and_then(Value::as_str),
            self.refused.lock(),
        ) {
            r.insert(c.to_string());
        }
    }

    fn lookup(&self, record: &WriteRecord) -> tieout_stripe::Result<Option<Value>> {
        let cus = record
            .intent
            .payload
            .pointer("/params/customer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let filter = vec![("customer".to_string(), cus.to_string())];
        match self
            .writer
            .find_by_key("/v1/payment_intents", &filter, &record.key)
        {
            // Servers without list filters (localstripe): the whole list.
            Err(tieout_stripe::StripeError::Network(m)) if m.contains("HTTP 400") => self
                .writer
                .find_by_key("/v1/payment_intents", &[], &record.key),
            other => other,
        }
    }
}

impl Channel for ChargeChannel {
    fn perform(&self, intent: &WriteIntent, _attempt: u32) -> Outcome {
        let Some(path) = intent.payload.get("path").and_then(Value::as_str) else {
            return Outcome::Failed {
                error: format!("charge {} names no Stripe path", intent.key),
                retryable: false,
            };
        };
        let params = intent.payload.get("params").cloned().unwrap_or(Value::Null);
        match self.writer.post(path, &params, &intent.key) {
            WriteResponse::Done {
                request_id, body, ..
            } => match body.get("status").and_then(Value::as_str) {
                Some("succeeded") => Outcome::Delivered {
                    request_id: request_id.or_else(|| s(&body, "id")),
                    detail: body,
                },
                Some(st @ ("requires_payment_method" | "requires_action" | "canceled")) => {
                    self.note_refused(intent);
                    let (error, detail) = unpaid(&body, st);
                    Outcome::Refused {
                        error,
                        retryable: false,
                        detail,
                    }
                }
                // processing, requires_capture, ...: not paid yet; resolved later.
                other => Outcome::Unknown {
                    error: format!(
                        "payment intent {} is {}",
                        s(&body, "id").unwrap_or_default(),
                        other.unwrap_or("without status")
                    ),
                },
            },
            WriteResponse::Refused(f)
                if f.status == 409 || f.kind.as_deref() == Some("idempotency_error") =>
            {
                Outcome::Unknown { error: f.summary() }
            }
            WriteResponse::Refused(f) => {
                let retryable = f.retryable();
                if !retryable {
                    self.note_refused(intent);
                }
                Outcome::Refused {
                    retryable,
                    error: f.summary(),
                    detail: json!({
                        "status": f.status, "type": f.kind, "code": f.code,
                        "decline_code": f.decline_code, "advice_code": f.advice_code,
                        "message": f.message, "request_id": f.request_id,
                        "payment_intent": f.body.pointer("/error/payment_intent/id").cloned(),
                    }),
                }
            }
            WriteResponse::Unknown { error } => Outcome::Unknown { error },
            WriteResponse::NotSent { error } => Outcome::Failed {
                error,
                retryable: true,
            },
        }
    }

    fn resolve(&self, record: &WriteRecord) -> Resolution {
        match self.lookup(record) {
            Ok(Some(pi)) => match pi.get("status").and_then(Value::as_str) {
                Some("succeeded") => Resolution::Found {
                    request_id: s(&pi, "id"),
                    detail: pi,
                },
                // Still moving: look again next run.
                Some("processing" | "requires_capture") => Resolution::Unknown,
                // Made and refused: the same key brings back Stripe's answer
                // (never a new key, so never a second charge).
                _ => Resolution::RedeliverSameKey,
            },
            Ok(None) => Resolution::NotDelivered,
            Err(_) => Resolution::Unknown,
        }
    }
}
