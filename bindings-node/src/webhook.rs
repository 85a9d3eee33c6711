//! Webhook signature verification (pure, synchronous).

use napi::Env;
use napi::bindgen_prelude::Null;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_napi;

/// Options of `verifyWebhook`.
#[napi(object, object_to_js = false)]
pub struct VerifyWebhookOptions {
    /// Maximum age of the signature in seconds (default 300, Stripe's SDK
    /// default); `null` disables the age check.
    #[napi(ts_type = "number | null")]
    pub tolerance: Option<Either<u32, Null>>,
    /// The current time in unix seconds (fixes the clock in tests).
    pub now: Option<i64>,
}

/// `data` of a Stripe event.
#[napi(object, object_from_js = false)]
pub struct StripeEventData {
    /// The object the event is about, as Stripe rendered it.
    pub object: Value,
    /// Changed fields' previous values (`*.updated` events).
    #[napi(js_name = "previous_attributes")]
    pub previous_attributes: Option<Value>,
}

/// A Stripe event exactly as Stripe sent it (Stripe's own snake_case fields;
/// other top-level fields are kept too).
#[napi(object, object_from_js = false)]
pub struct StripeEvent {
    /// Event id (`evt_...`).
    pub id: String,
    /// Always `"event"`.
    pub object: String,
    /// Event type, e.g. `invoice.paid`.
    #[napi(js_name = "type")]
    pub event_type: String,
    /// Creation time (unix seconds, as Stripe sends it).
    pub created: i64,
    /// Live or test mode.
    pub livemode: bool,
    /// Connected account the event belongs to (Connect).
    pub account: Option<String>,
    /// API version `data.object` is rendered at.
    #[napi(js_name = "api_version")]
    pub api_version: Option<String>,
    /// The event's object and previous attributes.
    pub data: StripeEventData,
}

/// Verifies a webhook delivery (`Stripe-Signature`: HMAC-SHA256 with the
/// endpoint secret over `"<t>." + raw body`) and returns the event as Stripe
/// sent it. Pass the raw body bytes, as Express's `raw()` gives them, before
/// any JSON parsing. Fails with `WEBHOOK_SIGNATURE` on a missing or wrong
/// signature or a stale timestamp, and with `WEBHOOK_PAYLOAD` on a correctly
/// signed body that is not an event (not a reason to rotate secrets).
#[napi(
    ts_args_type = "rawBody: Buffer | Uint8Array | string, signatureHeader: string, secret: string, options?: VerifyWebhookOptions | undefined | null",
    ts_return_type = "StripeEvent"
)]
pub fn verify_webhook(
    env: Env,
    raw_body: Either<Buffer, String>,
    signature_header: String,
    secret: String,
    options: Option<VerifyWebhookOptions>,
) -> napi::Result<Value> {
    let bytes: &[u8] = match &raw_body {
        Either::A(b) => b,
        Either::B(s) => s.as_bytes(),
    };
    let (tolerance, now) = match options {
        Some(o) => (
            match o.tolerance {
                None => Some(tieout::stripe::webhook::DEFAULT_TOLERANCE),
                Some(Either::A(t)) => Some(u64::from(t)),
                Some(Either::B(_)) => None,
            },
            o.now,
        ),
        None => (Some(tieout::stripe::webhook::DEFAULT_TOLERANCE), None),
    };
    let verified = tieout::verify_webhook(bytes, &signature_header, &secret, tolerance, now)
        .map_err(|e| to_napi(&env, &tieout::Error::Stripe(e)))?;
    // Verified and parsed as an event: hand back Stripe's JSON, whole.
    let _ = verified;
    serde_json::from_slice(bytes).map_err(|e| {
        to_napi(
            &env,
            &tieout::Error::Stripe(tieout::StripeError::WebhookPayload(format!(
                "signed payload not JSON: {e}"
            ))),
        )
    })
}

/// Builds a `Stripe-Signature` header value (`t=<timestamp>,v1=<hex>`) for
/// `payload`: for tests, examples and local webhook replays.
#[napi(ts_args_type = "payload: Buffer | Uint8Array | string, secret: string, timestamp: number")]
pub fn sign_webhook(payload: Either<Buffer, String>, secret: String, timestamp: i64) -> String {
    let bytes: &[u8] = match &payload {
        Either::A(b) => b,
        Either::B(s) => s.as_bytes(),
    };
    tieout::sign_webhook(bytes, &secret, timestamp)
}
