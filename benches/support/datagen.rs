//! Data generator shared by the benches: Stripe-shaped JSON and core records.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tieout::*;

/// Stripe JSON for invoice `i` (basil shape, two lines; every other one paid).
pub fn invoice_json(i: usize) -> Value {
    invoice_json_paid(i, i % 2 == 0)
}

/// Stripe JSON for invoice `i` (basil shape, two lines), paid or open.
pub fn invoice_json_paid(i: usize, paid: bool) -> Value {
    let amount = 1_000 + (i as i64 * 37) % 90_000;
    let created = 1_700_000_000 + i as i64 * 60;
    json!({
        "id": format!("in_{i:08}"), "object": "invoice", "customer": format!("cus_{:06}", i % 5_000),
        "currency": "usd", "status": if paid { "paid" } else { "open" }, "number": format!("INV-{i:08}"),
        "created": created, "livemode": false, "subtotal": amount, "total": amount, "amount_due": amount,
        "amount_paid": if paid { amount } else { 0 }, "amount_remaining": if paid { 0 } else { amount },
        "due_date": created + 2_592_000, "total_taxes": [], "parent": null,
        "status_transitions": {"finalized_at": created, "paid_at": if paid { json!(created + 60) } else { Value::Null }},
        "lines": {"object": "list", "has_more": false, "url": "/v1/invoices/x/lines", "data": [
            {"id": format!("il_{i:08}a"), "object": "line_item", "amount": amount - 500, "currency": "usd",
             "description": "Pro plan", "quantity": 1, "period": {"start": created, "end": created + 2_592_000},
             "pricing": {"type": "price_details", "price_details": {"price": "price_pro", "product": "prod_pro"}, "unit_amount_decimal": (amount - 500).to_string()}},
            {"id": format!("il_{i:08}b"), "object": "line_item", "amount": 500, "currency": "usd",
             "description": "Setup", "quantity": 1, "period": {"start": created, "end": created},
             "pricing": {"type": "price_details", "price_details": {"price": "price_setup", "product": "prod_setup"}, "unit_amount_decimal": "500"}}
        ]},
        "metadata": {}
    })
}

/// Core invoice records (as the mapper produces them), `n` of them, two lines
/// each, every other one paid.
pub fn invoice_records(n: usize) -> Vec<SourceItem> {
    invoice_records_where(n, |i| i % 2 == 0)
}

/// Core invoice records, `n` of them, two lines each, paid where `paid` says.
pub fn invoice_records_where(n: usize, paid: impl Fn(usize) -> bool) -> Vec<SourceItem> {
    let ctx = tieout::stripe::MapContext {
        system: "stripe".into(),
        account: "acct_bench".into(),
        api_version: Some("2025-03-31.basil".into()),
        observed_at: None,
    };
    (0..n)
        .flat_map(|i| tieout::stripe::map_object(&invoice_json_paid(i, paid(i)), &ctx))
        .collect()
}

/// A payment record paying invoice `i` exactly, by explicit link (every other
/// one) or by amount only (the rest), for the matching benches.
pub fn payment_record(i: usize, linked: bool) -> Payment {
    let amount = Decimal::new(1_000 + (i as i64 * 37) % 90_000, 2);
    let mut s = SourceRef::new("stripe", "acct_bench", "charge", &format!("ch_{i:08}"));
    s.created_at = Utc.timestamp_opt(1_700_000_000 + i as i64 * 60, 0).single();
    Payment {
        customer_id: Some(format!("cust_{:06}", i % 5_000)),
        refs: PaymentRefs {
            charge: Some(format!("ch_{i:08}")),
            ..PaymentRefs::default()
        },
        links: PaymentLinks {
            invoices: if linked {
                vec![format!("in_{i:08}")]
            } else {
                Vec::new()
            },
            ..PaymentLinks::default()
        },
        received_at: Utc.timestamp_opt(1_700_000_100 + i as i64 * 60, 0).single(),
        ..Payment::received(format!("pay_{i:08}"), s, Currency::USD, amount)
    }
}

/// An open books invoice matching [`payment_record`] `i`.
pub fn open_invoice(i: usize) -> Invoice {
    let amount = Decimal::new(1_000 + (i as i64 * 37) % 90_000, 2);
    let mut s = SourceRef::new("stripe", "acct_bench", "invoice", &format!("in_{i:08}"));
    s.status = Some("open".into());
    Invoice {
        id: format!("inv_{i:08}"),
        source: s,
        customer_id: Some(format!("cust_{:06}", i % 5_000)),
        customer_ref: None,
        subscription_id: None,
        subscription_ref: None,
        number: Some(format!("INV-{i:08}")),
        status: InvoiceStatus::Open,
        currency: Currency::USD,
        subtotal: amount,
        discount: Decimal::ZERO,
        tax: Decimal::ZERO,
        total: amount,
        amount_due: amount,
        amount_paid: Decimal::ZERO,
        amount_remaining: amount,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: Decimal::ZERO,
        amount_credited: Default::default(),
        source_credited: Default::default(),
        write_off: None,
        lines_complete: true,
        issued_at: Utc.timestamp_opt(1_700_000_000 + i as i64 * 60, 0).single(),
        due_date: Utc.timestamp_opt(1_702_592_000 + i as i64 * 60, 0).single(),
        paid_at: None,
        lines: Vec::new(),
        payment_refs: PaymentRefs::default(),
        metadata: BTreeMap::new(),
    }
}
