//! Webhook signature verification.

use proptest::prelude::*;
use tieout_stripe::StripeError;
use tieout_stripe::webhook::{
    DEFAULT_TOLERANCE, compute_signature, parse_signature_header, sign_webhook, verify_webhook,
};

const SECRET: &str = "whsec_test_secret_123";
const PAYLOAD: &[u8] = br#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice"}}}"#;
const T: i64 = 1_700_000_000;
/// Computed independently with Python: `hmac.new(secret, b"1700000000." + payload, sha256).hexdigest()`.
const PY_SIG: &str = "36df30f3c0adacea0b6403e26a9979c94c5ae092cc0a0ea461e58e9abe2891fd";

fn msg(r: Result<tieout_stripe::StripeEvent, StripeError>) -> String {
    match r {
        Err(StripeError::WebhookSignature(m)) => m,
        other => panic!("expected a webhook signature error, got {other:?}"),
    }
}

#[test]
fn known_vector_matches_python_hmac() {
    assert_eq!(compute_signature(PAYLOAD, SECRET, T), PY_SIG);
    assert_eq!(
        sign_webhook(PAYLOAD, SECRET, T),
        format!("t={T},v1={PY_SIG}")
    );
    let ev = verify_webhook(
        PAYLOAD,
        &format!("t={T},v1={PY_SIG}"),
        SECRET,
        Some(300),
        Some(T + 10),
    )
    .unwrap();
    assert_eq!(ev.id, "evt_1");
    assert_eq!(ev.event_type, "invoice.paid");
}

#[test]
fn secret_rotation_accepts_any_v1_and_ignores_v0() {
    let old = compute_signature(PAYLOAD, "whsec_old", T);
    let header = format!("t={T},v1={old},v1={PY_SIG},v0=deadbeef,v9=zz");
    assert!(verify_webhook(PAYLOAD, &header, SECRET, Some(DEFAULT_TOLERANCE), Some(T)).is_ok());
    // Order does not matter.
    let header = format!("t={T},v0=00,v1={PY_SIG},v1={old}");
    assert!(verify_webhook(PAYLOAD, &header, "whsec_old", None, None).is_ok());
    let parsed = parse_signature_header(&header).unwrap();
    assert_eq!(parsed.timestamp, T);
    assert_eq!(parsed.v1.len(), 2);
}

#[test]
fn tampered_payload_and_wrong_secret_fail() {
    let header = sign_webhook(PAYLOAD, SECRET, T);
    let mut tampered = PAYLOAD.to_vec();
    tampered[10] ^= 1;
    assert!(
        msg(verify_webhook(&tampered, &header, SECRET, None, None)).contains("signature mismatch")
    );
    assert!(
        msg(verify_webhook(PAYLOAD, &header, "whsec_other", None, None))
            .contains("signature mismatch")
    );
    // A signature for another timestamp does not verify under this one.
    let other_t = format!("t={},v1={PY_SIG}", T + 1);
    assert!(
        msg(verify_webhook(PAYLOAD, &other_t, SECRET, None, None)).contains("signature mismatch")
    );
}

#[test]
fn tolerance_rejects_only_old_timestamps() {
    let header = sign_webhook(PAYLOAD, SECRET, T);
    let m = msg(verify_webhook(
        PAYLOAD,
        &header,
        SECRET,
        Some(300),
        Some(T + 301),
    ));
    assert!(m.contains("timestamp outside tolerance"), "{m}");
    assert!(verify_webhook(PAYLOAD, &header, SECRET, Some(300), Some(T + 300)).is_ok());
    // Timestamps in the future are not rejected; no tolerance means no age check.
    assert!(verify_webhook(PAYLOAD, &header, SECRET, Some(300), Some(T - 3600)).is_ok());
    assert!(verify_webhook(PAYLOAD, &header, SECRET, None, Some(T + 10_000_000)).is_ok());
    // The real clock: a signature from 2023 is far outside 300 s.
    assert!(verify_webhook(PAYLOAD, &header, SECRET, Some(300), None).is_err());
}

#[test]
fn header_errors_are_distinct() {
    assert!(msg(verify_webhook(PAYLOAD, "", SECRET, None, None)).contains("missing"));
    assert!(
        msg(verify_webhook(
            PAYLOAD,
            &format!("v1={PY_SIG}"),
            SECRET,
            None,
            None
        ))
        .contains("no timestamp")
    );
    assert!(
        msg(verify_webhook(
            PAYLOAD,
            &format!("t={T},v0=abc"),
            SECRET,
            None,
            None
        ))
        .contains("no v1")
    );
    assert!(
        msg(verify_webhook(
            PAYLOAD,
            &format!("t=abc,v1={PY_SIG}"),
            SECRET,
            None,
            None
        ))
        .contains("no timestamp")
    );
}

fn payload_msg(r: Result<tieout_stripe::StripeEvent, StripeError>) -> String {
    match r {
        Err(StripeError::WebhookPayload(m)) => m,
        other => panic!("expected a webhook payload error, got {other:?}"),
    }
}

/// A correctly signed body that is not an event is a payload error (issue 13: it
/// used to be reported as a signature error, which tells receivers to rotate secrets).
#[test]
fn signed_non_event_payload_is_rejected_after_verification() {
    let body = br#"{"object":"invoice","id":"in_1"}"#;
    let header = sign_webhook(body, SECRET, T);
    let m = payload_msg(verify_webhook(body, &header, SECRET, None, None));
    assert!(m.contains("payload not an event"), "{m}");
    let body = b"not json";
    let header = sign_webhook(body, SECRET, T);
    assert!(
        payload_msg(verify_webhook(body, &header, SECRET, None, None))
            .contains("payload not an event")
    );
}

proptest! {
    #[test]
    fn header_parser_never_panics(header in ".{0,200}", payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let r = verify_webhook(&payload, &header, SECRET, Some(300), Some(T));
        prop_assert!(r.is_err() || header.contains("v1="));
    }

    #[test]
    fn signed_payloads_verify(payload in proptest::collection::vec(any::<u8>(), 0..300), t in 0i64..4_000_000_000) {
        let header = sign_webhook(&payload, SECRET, t);
        let r = verify_webhook(&payload, &header, SECRET, Some(300), Some(t));
        // The signature always verifies; only the event parsing may fail.
        match r {
            Ok(_) => {}
            Err(StripeError::WebhookPayload(m)) => prop_assert!(m.contains("payload not an event"), "{}", m),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
