//! Webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`.
//!
//! The signature is HMAC-SHA256 keyed with the whole endpoint secret (including
//! `whsec_`) over `"<t>." + raw body`, hex-encoded. Any `v1` may match (several
//! during secret rotation); `v0` and unknown schemes are ignored.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{Result, StripeError};
use crate::events::StripeEvent;

/// Stripe SDKs' default tolerance: 300 seconds.
pub const DEFAULT_TOLERANCE: u64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// A parsed `Stripe-Signature` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    /// `t=`: when Stripe signed (unix seconds).
    pub timestamp: i64,
    /// Every `v1=` signature, decoded from hex (undecodable ones are dropped).
    pub v1: Vec<Vec<u8>>,
}

fn sig_err(msg: &str) -> StripeError {
    StripeError::WebhookSignature(msg.to_string())
}

/// Parses a `Stripe-Signature` header.
pub fn parse_signature_header(header: &str) -> Result<SignatureHeader> {
    if header.trim().is_empty() {
        return Err(sig_err("missing Stripe-Signature header"));
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    let mut saw_v1 = false;
    for part in header.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        match k.trim() {
            "t" => timestamp = v.trim().parse::<i64>().ok(),
            "v1" => {
                saw_v1 = true;
                if let Ok(bytes) = hex::decode(v.trim()) {
                    v1.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp =
        timestamp.ok_or_else(|| sig_err("no timestamp (t=) in Stripe-Signature header"))?;
    if !saw_v1 {
        return Err(sig_err("no v1 signature in Stripe-Signature header"));
    }
    Ok(SignatureHeader { timestamp, v1 })
}

fn mac(payload: &[u8], secret: &str, t: i64) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

/// Computes the hex `v1` signature of `payload` at time `t`.
pub fn compute_signature(payload: &[u8], secret: &str, t: i64) -> String {
    hex::encode(mac(payload, secret, t))
}

/// Builds a `Stripe-Signature` header value (`t=..,v1=..`) for tests and examples.
pub fn sign_webhook(payload: &[u8], secret: &str, t: i64) -> String {
    format!("t={t},v1={}", compute_signature(payload, secret, t))
}

/// Verifies a webhook delivery and parses its event.
///
/// `tolerance` (seconds) rejects signatures older than `now - tolerance`; `None`
/// disables the age check (callers pass `Some(DEFAULT_TOLERANCE)` by default).
/// `now` fixes the clock (unix seconds) for tests. The raw bytes are verified
/// before any JSON parsing.
///
/// Errors: [`StripeError::WebhookSignature`] (`WEBHOOK_SIGNATURE`) for every
/// signature failure (missing or malformed header, mismatch, too old);
/// [`StripeError::WebhookPayload`] (`WEBHOOK_PAYLOAD`) for a correctly signed body
/// that is not a complete event.
pub fn verify_webhook(
    payload: &[u8],
    header: &str,
    secret: &str,
    tolerance: Option<u64>,
    now: Option<i64>,
) -> Result<StripeEvent> {
    let h = parse_signature_header(header)?;
    let expected = mac(payload, secret, h.timestamp);
    let matched = h.v1.iter().fold(subtle::Choice::from(0u8), |acc, sig| {
        acc | expected.ct_eq(sig)
    });
    if !bool::from(matched) {
        return Err(sig_err(
            "signature mismatch: no v1 signature matches the payload and secret",
        ));
    }
    if let Some(tol) = tolerance {
        let now = now.unwrap_or_else(|| chrono::Utc::now().timestamp());
        let oldest = now.saturating_sub(i64::try_from(tol).unwrap_or(i64::MAX));
        if h.timestamp < oldest {
            return Err(StripeError::WebhookSignature(format!(
                "timestamp outside tolerance: signed at {}, now {now}, tolerance {tol} s",
                h.timestamp
            )));
        }
    }
    StripeEvent::parse(payload)
        .map_err(|e| StripeError::WebhookPayload(format!("signed payload not an event: {e}")))
}
