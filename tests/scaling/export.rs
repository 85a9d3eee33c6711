//! A generated Stripe export (basil shapes, list-page files) for the scaling tests:
//! one customer per 10 invoices, invoices with two lines, every other invoice paid
//! through an `invoice_payment` plus its `charge`.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Value, json};

/// Objects per list-page file write (a page of the export, as Stripe lists it).
const PAGE: usize = 100;

fn amount(i: usize) -> i64 {
    1_000 + (i as i64 * 37) % 90_000
}

fn customer(c: usize) -> Value {
    json!({"id": format!("cus_{c:07}"), "object": "customer", "created": 1_700_000_000 + c as i64,
           "email": format!("billing{c}@example.com"), "name": format!("Customer {c}"),
           "livemode": false, "metadata": {}, "currency": "usd"})
}

fn invoice(i: usize) -> Value {
    let (a, paid, created) = (amount(i), i % 2 == 0, 1_700_100_000 + i as i64 * 60);
    json!({
        "id": format!("in_{i:08}"), "object": "invoice", "customer": format!("cus_{:07}", i / 10),
        "currency": "usd", "status": if paid { "paid" } else { "open" }, "number": format!("INV-{i:08}"),
        "created": created, "livemode": false, "subtotal": a, "total": a, "amount_due": a,
        "amount_paid": if paid { a } else { 0 }, "amount_remaining": if paid { 0 } else { a },
        "due_date": created + 2_592_000, "total_taxes": [], "parent": null,
        "status_transitions": {"finalized_at": created, "paid_at": if paid { json!(created + 60) } else { Value::Null }},
        "lines": {"object": "list", "has_more": false, "url": format!("/v1/invoices/in_{i:08}/lines"), "data": [
            {"id": format!("il_{i:08}a"), "object": "line_item", "amount": a - 500, "currency": "usd",
             "description": "Pro plan", "quantity": 1, "period": {"start": created, "end": created + 2_592_000},
             "pricing": {"type": "price_details", "price_details": {"price": "price_pro", "product": "prod_pro"}, "unit_amount_decimal": (a - 500).to_string()}},
            {"id": format!("il_{i:08}b"), "object": "line_item", "amount": 500, "currency": "usd",
             "description": "Setup", "quantity": 1, "period": {"start": created, "end": created},
             "pricing": {"type": "price_details", "price_details": {"price": "price_setup", "product": "prod_setup"}, "unit_amount_decimal": "500"}}
        ]},
        "metadata": {}
    })
}

fn invoice_payment(i: usize) -> Value {
    let created = 1_700_100_000 + i as i64 * 60 + 60;
    json!({"id": format!("inpay_{i:08}"), "object": "invoice_payment", "amount_paid": amount(i),
           "amount_requested": amount(i), "created": created, "currency": "usd",
           "invoice": format!("in_{i:08}"), "is_default": true, "livemode": false,
           "payment": {"type": "payment_intent", "payment_intent": format!("pi_{i:08}")},
           "status": "paid", "status_transitions": {"canceled_at": null, "paid_at": created}})
}

fn charge(i: usize) -> Value {
    let created = 1_700_100_000 + i as i64 * 60 + 60;
    json!({"id": format!("ch_{i:08}"), "object": "charge", "amount": amount(i), "amount_captured": amount(i),
           "amount_refunded": 0, "captured": true, "created": created, "currency": "usd",
           "customer": format!("cus_{:07}", i / 10), "livemode": false, "metadata": {}, "paid": true,
           "payment_intent": format!("pi_{i:08}"), "refunded": false, "status": "succeeded",
           "balance_transaction": null, "disputed": false})
}

/// Writes `<name>.json` as consecutive list pages of `PAGE` objects.
fn write_pages(dir: &Path, name: &str, ids: impl Iterator<Item = usize>, make: fn(usize) -> Value) {
    let file = fs::File::create(dir.join(format!("{name}.json"))).expect("create export file");
    let mut out = BufWriter::new(file);
    let ids: Vec<usize> = ids.collect();
    for chunk in ids.chunks(PAGE) {
        let data: Vec<Value> = chunk.iter().map(|i| make(*i)).collect();
        let page = json!({"object": "list", "url": format!("/v1/{name}"), "has_more": false, "data": data});
        serde_json::to_writer(&mut out, &page).expect("write page");
        out.write_all(b"\n").expect("write page");
    }
    out.flush().expect("flush export file");
}

/// Writes an export of `invoices` invoices into `dir`.
pub fn write_export(dir: &Path, invoices: usize) {
    write_pages(dir, "customers", 0..invoices.div_ceil(10), customer);
    write_pages(dir, "invoices", 0..invoices, invoice);
    write_pages(
        dir,
        "invoice_payments",
        (0..invoices).step_by(2),
        invoice_payment,
    );
    write_pages(dir, "charges", (0..invoices).step_by(2), charge);
}
