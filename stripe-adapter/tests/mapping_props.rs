//! The mapper, the event parser and the webhook header parser never panic.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tieout_core::SourceItem;
use tieout_stripe::map::{MapContext, map_object};
use tieout_stripe::{StripeEvent, event_items, verify_webhook};

const OBJECTS: &[&str] = &[
    "customer",
    "product",
    "price",
    "plan",
    "invoice",
    "invoice_payment",
    "subscription",
    "charge",
    "payment_intent",
    "checkout.session",
    "refund",
    "dispute",
    "balance_transaction",
    "payout",
    "event",
    "list",
    "line_item",
];
const KEYS: &[&str] = &[
    "id",
    "object",
    "currency",
    "amount",
    "total",
    "subtotal",
    "status",
    "lines",
    "data",
    "price",
    "plan",
    "pricing",
    "parent",
    "payments",
    "payment",
    "invoice",
    "charge",
    "payment_intent",
    "balance_transaction",
    "refunds",
    "items",
    "quantity",
    "unit_amount",
    "unit_amount_decimal",
    "exchange_rate",
    "created",
    "status_transitions",
    "customer",
    "latest_charge",
    "fee_details",
    "arrival_date",
    "payment_status",
    "amount_total",
    "amount_paid",
    "type",
    "taxes",
    "tax_amounts",
    "total_taxes",
    "recurring",
    "interval",
    "interval_count",
    "metadata",
    "source",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|i| json!(i)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        prop::sample::select(OBJECTS).prop_map(|s| json!(s)),
        prop::sample::select(
            &[
                "usd",
                "jpy",
                "kwd",
                "isk",
                "xyz",
                "",
                "paid",
                "open",
                "2025-03-31.basil"
            ][..]
        )
        .prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                let m: Map<String, Value> =
                    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                Value::Object(m)
            }),
        ]
    })
}

/// A Stripe-looking object: a real type and id, with random fields.
fn stripe_like() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(OBJECTS),
        json_value(),
        prop::option::of("[a-z]{2}_[a-z0-9]{0,6}"),
    )
        .prop_map(|(o, v, id)| {
            let mut m = match v {
                Value::Object(m) => m,
                other => {
                    let mut m = Map::new();
                    m.insert("amount".into(), other);
                    m
                }
            };
            m.insert("object".into(), json!(o));
            if let Some(id) = id {
                m.insert("id".into(), json!(id));
            }
            Value::Object(m)
        })
}

fn ctxs() -> [MapContext; 3] {
    [
        MapContext::new("acct_1"),
        MapContext::new("acct_1").with_api_version(Some("2024-06-20")),
        MapContext::new("acct_1").with_api_version(Some("2025-03-31.basil")),
    ]
}

fn check(items: &[SourceItem]) -> bool {
    items.iter().all(|i| match i {
        SourceItem::Failed(f) => !f.error.is_empty(),
        SourceItem::Record(r) => r.source().is_some_and(|s| s.system == "stripe"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mapper_never_panics_on_arbitrary_json(v in json_value()) {
        for c in ctxs() {
            prop_assert!(check(&map_object(&v, &c)));
        }
    }

    #[test]
    fn mapper_never_panics_on_stripe_like_objects(v in stripe_like()) {
        for c in ctxs() {
            prop_assert!(check(&map_object(&v, &c)));
        }
    }

    #[test]
    fn event_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256), obj in stripe_like(), ver in prop::option::of(".{0,12}")) {
        if let Ok(ev) = StripeEvent::parse(&bytes) {
            prop_assert!(ev.object.is_object());
        }
        let ev = json!({"id": "evt_1", "type": "x.updated", "created": 1, "api_version": ver, "data": {"object": obj}});
        if let Ok(ev) = StripeEvent::parse(ev.to_string().as_bytes()) {
            prop_assert!(check(&event_items(&ev, "acct_1")));
        }
    }

    #[test]
    fn mapper_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
            prop_assert!(check(&map_object(&v, &MapContext::new("acct_1"))));
        }
        let r = verify_webhook(&bytes, &String::from_utf8_lossy(&bytes), "whsec_x", Some(300), Some(0));
        prop_assert!(r.is_err());
    }
}

/// Every field of every official fixture replaced, one at a time, by awkward values.
#[test]
fn fixtures_with_each_field_corrupted_never_panic() {
    let bad = [
        json!(null),
        json!("x"),
        json!(-1),
        json!(1.5),
        json!([1]),
        json!({"id": 3}),
        json!(u64::MAX),
    ];
    let mut n = 0;
    for entry in std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi"
    ))
    .unwrap()
    {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        let Value::Object(m) = &v else { continue };
        for k in m.keys() {
            for b in &bad {
                let mut c = v.clone();
                c[k.as_str()] = b.clone();
                if c.get("currency").is_some_and(|x| x == "currency") {
                    c["currency"] = json!("usd");
                }
                for ctx in ctxs() {
                    assert!(check(&map_object(&c, &ctx)));
                    n += 1;
                }
            }
        }
    }
    assert!(n > 1000);
}
