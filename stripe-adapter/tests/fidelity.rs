//! Stripe fidelity gaps (issue 13): shapes real accounts send that older code got wrong.

use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tieout_core::model::*;
use tieout_core::{Currency, Record, SourceItem};
use tieout_stripe::map::{MapContext, map_object};

fn ctx() -> MapContext {
    MapContext::new("acct_test")
}

fn one_subscription(v: &Value) -> Subscription {
    let items = map_object(v, &ctx());
    match items.as_slice() {
        [SourceItem::Record(Record::Subscription(s))] => s.clone(),
        other => panic!("expected one subscription, got {other:?}"),
    }
}

fn subscription(extra: Value) -> Value {
    let mut v = json!({"id": "sub_1", "object": "subscription", "status": "active",
        "customer": "cus_1", "start_date": 1700000000, "created": 1700000000,
        "current_period_start": 1700000000, "current_period_end": 1702592000});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

#[test]
fn subscription_currency_comes_from_item_price() {
    let v = subscription(
        json!({"items": {"object": "list", "data": [{"id": "si_1", "quantity": 1,
        "price": {"id": "price_1", "object": "price", "currency": "jpy", "unit_amount": 5000,
                  "recurring": {"interval": "month", "interval_count": 1}}}]}}),
    );
    let s = one_subscription(&v);
    assert_eq!(s.currency, Currency::parse("jpy").unwrap());
    assert_eq!(s.amount, dec!(5000));
}

#[test]
fn subscription_currency_comes_from_legacy_item_plan() {
    let v = subscription(
        json!({"items": {"object": "list", "data": [{"id": "si_1", "quantity": 2,
        "plan": {"id": "plan_1", "object": "plan", "currency": "usd", "amount": 2500,
                 "interval": "month", "interval_count": 1}}]}}),
    );
    let s = one_subscription(&v);
    assert_eq!(s.currency, Currency::parse("usd").unwrap());
    assert_eq!(s.amount, dec!(50.00));
}

#[test]
fn subscription_currency_comes_from_top_level_plan_on_old_shapes() {
    // Very old shape (2014-era, still sent by localstripe): `plan` and `quantity` on the
    // subscription itself, items may be empty.
    let v = subscription(json!({"quantity": 3,
        "plan": {"id": "plan_1", "object": "plan", "currency": "kwd", "amount": 10500,
                 "interval": "year", "interval_count": 1},
        "items": {"object": "list", "data": []}}));
    let s = one_subscription(&v);
    assert_eq!(s.currency, Currency::parse("kwd").unwrap());
    assert_eq!(s.interval, Interval::Year);
}

#[test]
fn subscription_without_any_currency_fails_clearly() {
    let v = subscription(
        json!({"items": {"object": "list", "data": [{"id": "si_1", "quantity": 1,
        "price": "price_1"}]}}),
    );
    let items = map_object(&v, &ctx());
    let [SourceItem::Failed(f)] = items.as_slice() else {
        panic!("expected a failure, got {items:?}")
    };
    assert!(f.error.contains("currency"), "{}", f.error);
    assert_eq!(f.external_id, "sub_1");
}

#[test]
fn webhook_payload_failures_are_not_signature_failures() {
    use tieout_stripe::{StripeError, sign_webhook, verify_webhook};
    let secret = "whsec_fidelity";
    let t = 1_700_000_000;
    // Correctly signed bodies that are not a complete event: payload errors.
    for body in [
        &b"not json at all"[..],
        &b"{\"hello\": \"world\"}"[..],
        &b"[1, 2, 3]"[..],
        &b"{\"id\": \"evt_1\", \"object\": \"event\"}"[..],
    ] {
        let header = sign_webhook(body, secret, t);
        let err = verify_webhook(body, &header, secret, Some(300), Some(t)).unwrap_err();
        assert!(
            matches!(err, StripeError::WebhookPayload(_)),
            "{}: {err:?}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(err.code(), "WEBHOOK_PAYLOAD");
    }
    // Every signature failure keeps its own code, even on a body that is not an event.
    let body = b"not json at all";
    let good = sign_webhook(body, secret, t);
    for (header, now) in [
        (sign_webhook(body, "whsec_other", t), t),
        (good.clone(), t + 301),
        (String::new(), t),
        ("v1=00".to_string(), t),
        (format!("t={t}"), t),
    ] {
        let err = verify_webhook(body, &header, secret, Some(300), Some(now)).unwrap_err();
        assert_eq!(err.code(), "WEBHOOK_SIGNATURE", "{header}: {err}");
    }
}

#[test]
fn stripe_credit_note_fixture_maps_field_by_field() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi/credit_note.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let items = map_object(&v, &ctx());
    let [SourceItem::Record(Record::CreditNote(c))] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(c.source.external_id, "cn_1Pgc75B7WZ01zgkWJMPt5riP");
    assert_eq!(c.invoice_ref, "in_1Pgc75B7WZ01zgkWYv4iMwt7");
    assert_eq!(c.number.as_deref(), Some("ABCD-1234-CN-01"));
    assert_eq!(c.amount, dec!(16.90));
    assert_eq!(c.refund_refs, vec!["refund".to_string()]);
    assert_eq!(c.lines.len(), 2);
    assert_eq!(c.lines[0].kind, "invoice_line_item");
    assert_eq!(
        c.lines[0].invoice_line_ref.as_deref(),
        Some("il_1Pgc74B7WZ01zgkWWh45tUBA")
    );
    assert_eq!(c.lines[1].amount, dec!(5.00));
    assert_eq!(
        c.customer_ref.as_ref().unwrap().external_id,
        "cus_QXg1o8vcGmoR32"
    );
}

#[test]
fn older_credit_notes_split_by_type_and_link_their_refund() {
    let cn = json!({"id": "cn_old", "object": "credit_note", "invoice": "in_1", "customer": "cus_1",
        "currency": "usd", "amount": 1500, "type": "post_payment", "refund": "re_1",
        "status": "issued", "created": 1600000000, "lines": {"object": "list", "data": []}});
    let items = map_object(&cn, &ctx());
    let [SourceItem::Record(Record::CreditNote(c))] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(c.pre_payment_amount, dec!(0));
    assert_eq!(c.post_payment_amount, dec!(15.00));
    assert_eq!(c.refund_refs, vec!["re_1".to_string()]);
}
