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

/// How the list pages of one kind are laid out.
#[derive(Clone, Copy)]
#[allow(dead_code)] // each test binary uses one layout
pub enum Layout {
    /// `<name>.json`: every page of the kind, one after the other.
    OneFile,
    /// `<name>/<name>_NNNNNNN.json`: one file per page, as a script saving
    /// what Stripe lists would write them.
    FilePerPage,
}

/// Writes the kind's objects as consecutive list pages of `PAGE` objects.
fn write_pages(
    dir: &Path,
    layout: Layout,
    name: &str,
    ids: impl Iterator<Item = usize>,
    make: fn(usize) -> Value,
) {
    let create = |path: std::path::PathBuf| {
        BufWriter::new(fs::File::create(path).expect("create export file"))
    };
    let mut out = match layout {
        Layout::OneFile => Some(create(dir.join(format!("{name}.json")))),
        Layout::FilePerPage => {
            fs::create_dir_all(dir.join(name)).expect("create export dir");
            None
        }
    };
    let ids: Vec<usize> = ids.collect();
    for (n, chunk) in ids.chunks(PAGE).enumerate() {
        let data: Vec<Value> = chunk.iter().map(|i| make(*i)).collect();
        let page = json!({"object": "list", "url": format!("/v1/{name}"), "has_more": false, "data": data});
        let mut own;
        let w = match out.as_mut() {
            Some(w) => w,
            None => {
                own = create(dir.join(name).join(format!("{name}_{:07}.json", n + 1)));
                &mut own
            }
        };
        serde_json::to_writer(&mut *w, &page).expect("write page");
        w.write_all(b"\n").expect("write page");
        w.flush().expect("flush export file");
    }
}

/// Writes an export of `invoices` invoices into `dir`, one file per kind.
#[allow(dead_code)] // each test binary uses one layout
pub fn write_export(dir: &Path, invoices: usize) {
    write_export_as(dir, invoices, Layout::OneFile);
}

/// Writes an export of `invoices` invoices into `dir` in `layout`.
pub fn write_export_as(dir: &Path, invoices: usize, layout: Layout) {
    write_pages(dir, layout, "customers", 0..invoices.div_ceil(10), customer);
    write_pages(dir, layout, "invoices", 0..invoices, invoice);
    write_pages(
        dir,
        layout,
        "invoice_payments",
        (0..invoices).step_by(2),
        invoice_payment,
    );
    write_pages(dir, layout, "charges", (0..invoices).step_by(2), charge);
}
