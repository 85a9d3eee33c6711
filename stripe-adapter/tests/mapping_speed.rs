//! Mapping throughput (run with `cargo test -p tieout-stripe --release --test mapping_speed -- --ignored --nocapture`).

use std::time::Instant;

use serde_json::{Value, json};
use tieout_core::{Record, SourceItem};
use tieout_stripe::map::{MapContext, map_object};

fn invoice(i: usize) -> Value {
    let lines: Vec<Value> = (0..3)
        .map(|k| json!({"id": format!("il_{i}_{k}"), "object": "line_item", "amount": 1000 * (k + 1), "currency": "usd",
            "description": "Seat", "quantity": k + 1, "period": {"start": 1_700_000_000, "end": 1_702_592_000},
            "parent": {"type": "subscription_item_details", "subscription_item_details": {"subscription": "sub_1", "subscription_item": "si_1", "proration": false}},
            "pricing": {"type": "price_details", "price_details": {"price": "price_1", "product": "prod_1"}, "unit_amount_decimal": "1000"},
            "taxes": [{"amount": 80, "tax_behavior": "exclusive", "type": "tax_rate_details"}]}))
        .collect();
    json!({"id": format!("in_{i:08}"), "object": "invoice", "currency": "usd", "status": "paid", "customer": "cus_1",
        "customer_name": "Acme", "customer_email": "a@acme.test", "created": 1_700_000_000, "livemode": false,
        "number": format!("A-{i}"), "hosted_invoice_url": "https://invoice.stripe.com/i/x",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1"}},
        "subtotal": 6000, "total_taxes": [{"amount": 240}], "total_discount_amounts": [], "total": 6240,
        "amount_due": 6240, "amount_paid": 6240, "amount_remaining": 0, "due_date": 1_702_592_000,
        "status_transitions": {"finalized_at": 1_700_000_100, "paid_at": 1_700_000_200},
        "lines": {"object": "list", "data": lines, "has_more": false}, "metadata": {"k": "v"}})
}

#[test]
#[ignore = "timing; run in release"]
fn maps_invoices_fast() {
    // 1k distinct invoices mapped 200 times: as in an import, each object is mapped
    // right after it was parsed, while it is still in cache.
    let values: Vec<Value> = (0..1_000).map(invoice).collect();
    let rounds = 200;
    let n = values.len() * rounds;
    let ctx = MapContext::new("acct_1").with_api_version(Some("2025-03-31.basil"));
    let start = Instant::now();
    let mut ok = 0;
    for v in (0..rounds).flat_map(|_| values.iter()) {
        for item in map_object(v, &ctx) {
            if let SourceItem::Record(Record::Invoice(inv)) = item {
                ok += inv.lines.len();
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "mapped {n} invoices (3 lines each) in {secs:.3}s: {:.0} invoices/s",
        n as f64 / secs
    );
    assert_eq!(ok, 3 * n);

    // Parse + map from bytes, the whole per-object cost of a file or API import.
    let texts: Vec<String> = values.iter().map(Value::to_string).collect();
    let start = Instant::now();
    let mut m = 0;
    for t in (0..20).flat_map(|_| texts.iter()) {
        let v: Value = serde_json::from_str(t).unwrap();
        m += map_object(&v, &ctx).len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parsed and mapped {m} invoices in {secs:.3}s: {:.0} invoices/s",
        m as f64 / secs
    );
    assert_eq!(m, 20 * texts.len());
}
