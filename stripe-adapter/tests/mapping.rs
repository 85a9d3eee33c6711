//! Stripe JSON -> core records: official fixtures, both API shapes, currencies, failures.
#![recursion_limit = "256"]

use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use tieout_core::model::*;
use tieout_core::{Currency, Record, SourceItem};
use tieout_stripe::map::{MapContext, map_invoice_line, map_object, stripe_amount};
use tieout_stripe::{StripeEvent, event_items};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openapi");

fn ctx() -> MapContext {
    MapContext::new("acct_test")
}

fn ctx_v(v: &str) -> MapContext {
    MapContext::new("acct_test").with_api_version(Some(v))
}

fn records(items: &[SourceItem]) -> Vec<&Record> {
    items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Record(r) => Some(r),
            SourceItem::Failed(_) => None,
        })
        .collect()
}

fn failures(items: &[SourceItem]) -> Vec<&Failure> {
    items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Failed(f) => Some(f),
            SourceItem::Record(_) => None,
        })
        .collect()
}

fn one_invoice(items: &[SourceItem]) -> &Invoice {
    let v: Vec<&Invoice> = records(items)
        .into_iter()
        .filter_map(|r| match r {
            Record::Invoice(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(v.len(), 1, "{items:#?}");
    v[0]
}

fn payments(items: &[SourceItem]) -> Vec<&Payment> {
    records(items)
        .into_iter()
        .filter_map(|r| match r {
            Record::Payment(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Sets every `currency` field holding a placeholder to `usd`, recursively.
fn patch_currency(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "currency" && (x.is_null() || x == "currency") {
                    *x = json!("usd");
                } else {
                    patch_currency(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(patch_currency),
        _ => {}
    }
}

#[test]
fn every_fixture_maps_without_panic() {
    let mut n = 0;
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let path = entry.unwrap().path();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let items = map_object(&v, &ctx());
        for f in failures(&items) {
            assert!(!f.error.is_empty(), "{path:?}");
            assert!(f.error.contains("currency"), "{path:?}: {}", f.error);
        }
        n += 1;
    }
    assert_eq!(n, 30);
}

#[test]
fn placeholder_currency_gives_a_clear_failure() {
    let items = map_object(&fixture("invoice_payment.json"), &ctx());
    let f = failures(&items);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].object, "invoice_payment");
    assert_eq!(f[0].external_id, "obj_123");
    assert!(
        f[0].error.contains("unknown currency \"currency\""),
        "{}",
        f[0].error
    );
}

/// (file, expected record kind, expected source object) for fixtures with a real mapping.
const MAPPED: &[(&str, &str, &str)] = &[
    ("customer.json", "customer", "customer"),
    ("deleted_customer.json", "customer", "customer"),
    ("product.json", "product", "product"),
    ("price.json", "price", "price"),
    ("plan.json", "price", "plan"),
    ("invoice.json", "invoice", "invoice"),
    ("invoice_payment.json", "payment", "invoice_payment"),
    ("subscription.json", "subscription", "subscription"),
    ("charge.json", "payment", "charge"),
    ("payment_intent.json", "payment", "payment_intent"),
    ("refund.json", "refund", "refund"),
    ("dispute.json", "dispute", "dispute"),
    (
        "balance_transaction.json",
        "balance_transaction",
        "balance_transaction",
    ),
    ("payout.json", "payout", "payout"),
    ("credit_note.json", "credit_note", "credit_note"),
];

fn kind(r: &Record) -> &'static str {
    match r {
        Record::Customer(_) => "customer",
        Record::Product(_) => "product",
        Record::Price(_) => "price",
        Record::Invoice(_) => "invoice",
        Record::Subscription(_) => "subscription",
        Record::Payment(_) => "payment",
        Record::Refund(_) => "refund",
        Record::Dispute(_) => "dispute",
        Record::BalanceTransaction(_) => "balance_transaction",
        Record::Payout(_) => "payout",
        Record::CreditNote(_) => "credit_note",
    }
}

#[test]
fn fixtures_with_a_mapping_produce_records_once_currency_is_real() {
    for (file, k, object) in MAPPED {
        let mut v = fixture(file);
        patch_currency(&mut v);
        let items = map_object(&v, &ctx());
        assert!(failures(&items).is_empty(), "{file}: {items:#?}");
        let rs = records(&items);
        assert!(!rs.is_empty(), "{file}");
        assert_eq!(kind(rs[0]), *k, "{file}");
        let src = rs[0].source().unwrap();
        assert_eq!(src.object, *object, "{file}");
        assert_eq!(src.external_id, v["id"].as_str().unwrap(), "{file}");
        assert_eq!(src.system, "stripe");
        assert_eq!(src.account, "acct_test");
        assert_eq!(
            src.livemode,
            v["livemode"].as_bool().unwrap_or(false),
            "{file}"
        );
    }
}

#[test]
fn fixture_field_names_and_nesting() {
    // Invoice (dahlia shape): lines via pricing/parent, subscription via parent.
    let items = map_object(&fixture("invoice.json"), &ctx());
    let inv = one_invoice(&items);
    assert_eq!(inv.status, InvoiceStatus::Draft);
    assert_eq!(inv.currency, Currency::USD);
    assert_eq!(
        (inv.subtotal, inv.total, inv.amount_due),
        (dec!(10), dec!(10), dec!(10))
    );
    assert_eq!(inv.tax, dec!(0));
    assert_eq!(inv.subscription_ref.as_deref(), Some("subscription"));
    assert_eq!(
        inv.customer_ref.as_ref().unwrap().external_id,
        "cus_QXg1o8vcGmoR32"
    );
    assert_eq!(inv.lines.len(), 1);
    let l = &inv.lines[0];
    assert_eq!(l.amount, dec!(10));
    assert!(l.proration, "invoice_item_details.proration");
    assert_eq!(
        l.subscription_item_ref, None,
        "type is invoice_item_details"
    );
    assert_eq!(
        inv.source.url.as_deref(),
        Some("https://dashboard.stripe.com/test/invoices/in_1Pgc6tB7WZ01zgkWu9fdqL6I")
    );

    // Subscription: price preferred over the placeholder plan; periods from items.
    let items = map_object(&fixture("subscription.json"), &ctx());
    let Record::Subscription(s) = records(&items)[0] else {
        panic!()
    };
    assert_eq!(s.items.len(), 1);
    assert_eq!(
        s.items[0].price_ref.as_deref(),
        Some("price_1PgafmB7WZ01zgkW6dKueIc5")
    );
    assert_eq!(s.items[0].unit_amount, Some(dec!(20)));
    assert_eq!(s.amount, dec!(20));
    assert_eq!((s.interval.clone(), s.interval_count), (Interval::Month, 1));
    assert_eq!(s.current_period_end.unwrap().timestamp(), 976287773);
    assert_eq!(s.next_billing_date, None, "cancel_at_period_end");

    // Charge: method, balance transaction id, no expanded BT -> no fee.
    let items = map_object(&fixture("charge.json"), &ctx());
    let p = payments(&items)[0];
    assert_eq!(p.method.as_deref(), Some("card"));
    assert_eq!(
        p.refs.charge.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );
    assert_eq!(
        p.refs.balance_transaction.as_deref(),
        Some("txn_1PgaxNB7WZ01zgkWEV3TLf40")
    );
    assert_eq!(p.amount, dec!(1));
    assert_eq!(
        p.status,
        PaymentStatus::Pending,
        "succeeded but not captured"
    );

    // Invoice payment: placeholder status kept, amount_requested when unpaid.
    let mut v = fixture("invoice_payment.json");
    patch_currency(&mut v);
    let items = map_object(&v, &ctx());
    let p = payments(&items)[0];
    assert_eq!(p.status, PaymentStatus::Other("status".into()));
    assert_eq!(p.amount, dec!(11126262.47));
    assert_eq!(p.links.invoices, vec!["invoice".to_string()]);
    assert!(p.links.invoice_amounts.is_empty());
    assert_eq!(p.refs.invoice_payments, vec!["obj_123".to_string()]);

    // Deleted customer.
    let items = map_object(&fixture("deleted_customer.json"), &ctx());
    let Record::Customer(c) = records(&items)[0] else {
        panic!()
    };
    assert!(c.deleted);

    // Payout arrival date is a calendar date.
    let items = map_object(&fixture("payout.json"), &ctx());
    let Record::Payout(po) = records(&items)[0] else {
        panic!()
    };
    assert_eq!(po.arrival_date.unwrap().to_string(), "2009-02-13");
    assert_eq!(po.amount, dec!(11));
    assert!(po.automatic);

    // Dispute status; refund refs.
    let items = map_object(&fixture("dispute.json"), &ctx());
    let Record::Dispute(d) = records(&items)[0] else {
        panic!()
    };
    assert_eq!(d.status, DisputeStatus::WarningNeedsResponse);
    assert_eq!(
        d.payment_refs.charge.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );
    let items = map_object(&fixture("refund.json"), &ctx());
    let Record::Refund(r) = records(&items)[0] else {
        panic!()
    };
    assert_eq!(
        r.payment_refs.charge.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );
    assert_eq!(r.amount, dec!(1));

    // Balance transaction.
    let items = map_object(&fixture("balance_transaction.json"), &ctx());
    let Record::BalanceTransaction(b) = records(&items)[0] else {
        panic!()
    };
    assert_eq!((b.amount, b.fee, b.net), (dec!(1), dec!(0), dec!(1)));
    assert_eq!(b.kind, "charge");
    assert_eq!(b.reporting_category.as_deref(), Some("charge"));
    assert_eq!(
        b.source_object.as_deref(),
        Some("ch_1PgafuB7WZ01zgkWXYmPNZs8")
    );

    // The unpaid checkout session gives nothing; paid, it is a payment.
    let mut cs = fixture("checkout.session.json");
    assert!(map_object(&cs, &ctx()).is_empty());
    cs["payment_status"] = json!("paid");
    cs["currency"] = json!("usd");
    cs["amount_total"] = json!(1099);
    cs["client_reference_id"] = json!("order-42");
    let items = map_object(&cs, &ctx());
    let p = payments(&items)[0];
    assert_eq!(p.source.object, "checkout.session");
    assert_eq!(p.amount, dec!(10.99));
    assert_eq!(p.refs.checkout_session.as_deref(), cs["id"].as_str());
    assert_eq!(
        p.refs.payment_intent.as_deref(),
        Some("pi_1PgafyB7WZ01zgkWSjxsAJo3")
    );
    assert_eq!(p.links.client_reference_id.as_deref(), Some("order-42"));

    // The event fixture: a plan.created event maps its plan.
    let ev = StripeEvent::from_value(fixture("event.json")).unwrap();
    let items = event_items(&ev, "acct_test");
    let Record::Price(pr) = records(&items)[0] else {
        panic!()
    };
    assert_eq!(pr.source.object, "plan");
    assert_eq!(pr.unit_amount, Some(dec!(20)));
    assert_eq!(pr.source.updated_at.unwrap().timestamp(), 1234567890);
}

fn pre_basil_invoice() -> Value {
    json!({
        "id": "in_pre", "object": "invoice", "currency": "usd", "status": "paid",
        "customer": {"id": "cus_1", "object": "customer", "name": "Acme Inc", "email": "ap@acme.test"},
        "created": 1700000000, "livemode": false, "number": "ACME-0001",
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_test/in_pre",
        "subscription": "sub_1", "charge": "ch_1", "payment_intent": "pi_1", "paid": true,
        "subtotal": 10000, "tax": 750, "total_tax_amounts": [{"amount": 750, "inclusive": false, "tax_rate": "txr_1"}],
        "total_discount_amounts": [{"amount": 1000, "discount": "di_1"}],
        "total": 9750, "amount_due": 9750, "amount_paid": 9750, "amount_remaining": 0,
        "due_date": 1702592000,
        "status_transitions": {"finalized_at": 1700000100, "paid_at": 1700000200, "voided_at": null, "marked_uncollectible_at": null},
        "lines": {"object": "list", "has_more": false, "data": [
            {"id": "il_1", "object": "line_item", "amount": 8000, "currency": "usd", "description": "Pro plan",
             "quantity": 2, "type": "subscription", "proration": false, "subscription_item": "si_1",
             "price": {"id": "price_pro", "object": "price", "product": "prod_pro", "unit_amount": 4000, "unit_amount_decimal": "4000", "currency": "usd"},
             "plan": {"id": "price_pro", "object": "plan", "amount": 4000, "currency": "usd"},
             "period": {"start": 1700000000, "end": 1702592000},
             "tax_amounts": [{"amount": 600, "inclusive": false}]},
            {"id": "il_2", "object": "line_item", "amount": 2000, "currency": "usd", "description": "Setup",
             "quantity": 1, "type": "invoiceitem", "proration": true,
             "price": {"id": "price_setup", "object": "price", "product": "prod_setup", "unit_amount": 2000, "currency": "usd"},
             "period": {"start": 1700000000, "end": 1700000000},
             "tax_amounts": [{"amount": 150, "inclusive": false}]}
        ]},
        "metadata": {"order": "42"}
    })
}

fn basil_invoice() -> Value {
    json!({
        "id": "in_pre", "object": "invoice", "currency": "usd", "status": "paid",
        "customer": {"id": "cus_1", "object": "customer", "name": "Acme Inc", "email": "ap@acme.test"},
        "created": 1700000000, "livemode": false, "number": "ACME-0001",
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_test/in_pre",
        "parent": {"type": "subscription_details", "quote_details": null,
                   "subscription_details": {"subscription": "sub_1", "metadata": {}}},
        "subtotal": 10000, "total_taxes": [{"amount": 600, "tax_behavior": "exclusive"}, {"amount": 150, "tax_behavior": "exclusive"}],
        "discounts": ["di_1"], "total_discount_amounts": [{"amount": 1000, "discount": "di_1"}],
        "total": 9750, "amount_due": 9750, "amount_paid": 9750, "amount_remaining": 0, "amount_overpaid": 0,
        "due_date": 1702592000,
        "status_transitions": {"finalized_at": 1700000100, "paid_at": 1700000200, "voided_at": null, "marked_uncollectible_at": null},
        "payments": {"object": "list", "has_more": false, "data": [
            {"id": "inpay_1", "object": "invoice_payment", "amount_paid": 9750, "amount_requested": 9750,
             "currency": "usd", "invoice": "in_pre", "is_default": true, "livemode": false, "created": 1700000150,
             "payment": {"type": "payment_intent", "payment_intent": "pi_1"}, "status": "paid",
             "status_transitions": {"paid_at": 1700000200, "canceled_at": null}}
        ]},
        "lines": {"object": "list", "has_more": false, "data": [
            {"id": "il_1", "object": "line_item", "amount": 8000, "currency": "usd", "description": "Pro plan",
             "quantity": 2,
             "parent": {"type": "subscription_item_details",
                        "subscription_item_details": {"subscription": "sub_1", "subscription_item": "si_1", "proration": false, "invoice_item": null},
                        "invoice_item_details": null},
             "pricing": {"type": "price_details", "price_details": {"price": "price_pro", "product": "prod_pro"}, "unit_amount_decimal": "4000"},
             "period": {"start": 1700000000, "end": 1702592000},
             "taxes": [{"amount": 600, "tax_behavior": "exclusive", "type": "tax_rate_details"}]},
            {"id": "il_2", "object": "line_item", "amount": 2000, "currency": "usd", "description": "Setup",
             "quantity": 1,
             "parent": {"type": "invoice_item_details",
                        "invoice_item_details": {"invoice_item": "ii_1", "proration": true, "subscription": null},
                        "subscription_item_details": null},
             "pricing": {"type": "price_details", "price_details": {"price": "price_setup", "product": "prod_setup"}, "unit_amount_decimal": "2000"},
             "period": {"start": 1700000000, "end": 1700000000},
             "taxes": [{"amount": 150, "tax_behavior": "exclusive", "type": "tax_rate_details"}]}
        ]},
        "metadata": {"order": "42"}
    })
}

fn check_common(inv: &Invoice) {
    assert_eq!(inv.status, InvoiceStatus::Paid);
    assert_eq!(inv.source.status.as_deref(), Some("paid"));
    assert_eq!(inv.subtotal, dec!(100));
    assert_eq!(inv.discount, dec!(10));
    assert_eq!(inv.tax, dec!(7.50));
    assert_eq!(inv.total, dec!(97.50));
    assert_eq!(inv.amount_due, dec!(97.50));
    assert_eq!(inv.amount_paid, dec!(97.50));
    assert_eq!(inv.source_amount_paid, dec!(97.50));
    assert_eq!(inv.amount_remaining, dec!(0));
    assert_eq!(inv.number.as_deref(), Some("ACME-0001"));
    assert_eq!(inv.subscription_ref.as_deref(), Some("sub_1"));
    assert_eq!(inv.issued_at.unwrap().timestamp(), 1700000100);
    assert_eq!(inv.paid_at.unwrap().timestamp(), 1700000200);
    assert_eq!(inv.due_date.unwrap().timestamp(), 1702592000);
    assert_eq!(inv.source.updated_at.unwrap().timestamp(), 1700000200);
    assert_eq!(
        inv.source.url.as_deref(),
        Some("https://invoice.stripe.com/i/acct_test/in_pre")
    );
    assert_eq!(inv.id, "");
    assert_eq!(inv.customer_id, None);
    let c = inv.customer_ref.as_ref().unwrap();
    assert_eq!(
        (
            c.external_id.as_str(),
            c.name.as_deref(),
            c.email.as_deref()
        ),
        ("cus_1", Some("Acme Inc"), Some("ap@acme.test"))
    );
    assert_eq!(inv.metadata.get("order").map(String::as_str), Some("42"));
    assert_eq!(inv.payment_refs.payment_intent.as_deref(), Some("pi_1"));
    assert_eq!(inv.lines.len(), 2);
    let (a, b) = (&inv.lines[0], &inv.lines[1]);
    assert_eq!(
        (a.quantity, a.unit_amount, a.amount, a.tax),
        (dec!(2), Some(dec!(40)), dec!(80), dec!(6))
    );
    assert_eq!(a.price_ref.as_deref(), Some("price_pro"));
    assert_eq!(a.product_ref.as_deref(), Some("prod_pro"));
    assert_eq!(a.subscription_item_ref.as_deref(), Some("si_1"));
    assert!(!a.proration);
    assert_eq!(a.period_end.unwrap().timestamp(), 1702592000);
    assert_eq!(
        (b.amount, b.tax, b.unit_amount),
        (dec!(20), dec!(1.50), Some(dec!(20)))
    );
    assert!(b.proration);
    assert_eq!(b.subscription_item_ref, None);
}

#[test]
fn pre_basil_and_basil_invoices_agree() {
    for (shape, v, ver) in [
        ("pre-basil", pre_basil_invoice(), "2024-06-20"),
        ("basil", basil_invoice(), "2025-03-31.basil"),
    ] {
        // With the version and without it (shape detected from the fields).
        for c in [ctx(), ctx_v(ver)] {
            let items = map_object(&v, &c);
            assert!(failures(&items).is_empty(), "{shape}: {items:#?}");
            check_common(one_invoice(&items));
        }
    }
    let pre = map_object(&pre_basil_invoice(), &ctx());
    let inv = one_invoice(&pre);
    assert_eq!(inv.payment_refs.charge.as_deref(), Some("ch_1"));
    assert!(inv.payment_refs.invoice_payments.is_empty());
    assert!(payments(&pre).is_empty(), "ids only: nothing expanded");

    let basil = map_object(&basil_invoice(), &ctx_v("2025-03-31.basil"));
    let inv = one_invoice(&basil);
    assert_eq!(
        inv.payment_refs.invoice_payments,
        vec!["inpay_1".to_string()]
    );
    let ps = payments(&basil);
    assert_eq!(ps.len(), 1);
    let p = ps[0];
    assert_eq!(p.source.object, "invoice_payment");
    assert_eq!(p.refs.invoice_payments, vec!["inpay_1".to_string()]);
    assert_eq!(p.refs.payment_intent.as_deref(), Some("pi_1"));
    assert_eq!(p.links.invoices, vec!["in_pre".to_string()]);
    assert_eq!(p.links.invoice_amounts.get("in_pre"), Some(&dec!(97.50)));
    assert_eq!(p.status, PaymentStatus::Succeeded);
    assert_eq!(p.amount, dec!(97.50));
    assert_eq!(p.received_at.unwrap().timestamp(), 1700000200);
}

#[test]
fn expanded_charge_on_pre_basil_invoice_is_mapped_too() {
    let mut v = pre_basil_invoice();
    v["charge"] = json!({"id": "ch_1", "object": "charge", "amount": 9750, "currency": "usd",
        "status": "succeeded", "captured": true, "invoice": "in_pre", "payment_intent": "pi_1", "created": 1700000190});
    let items = map_object(&v, &ctx());
    let inv = one_invoice(&items);
    assert_eq!(inv.payment_refs.charge.as_deref(), Some("ch_1"));
    let ps = payments(&items);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].links.invoices, vec!["in_pre".to_string()]);
    assert_eq!(ps[0].refs.payment_intent.as_deref(), Some("pi_1"));
}

#[test]
fn invoice_with_twelve_lines_keeps_twelve_lines() {
    let lines: Vec<Value> = (0..12)
        .map(|i| json!({"id": format!("il_{i}"), "object": "line_item", "amount": 100 * (i + 1), "currency": "usd",
                        "quantity": 1, "pricing": {"type": "price_details", "price_details": {"price": format!("price_{i}"), "product": "prod_1"}, "unit_amount_decimal": format!("{}", 100 * (i + 1))}}))
        .collect();
    let v = json!({"id": "in_12", "object": "invoice", "currency": "usd", "status": "open",
                   "subtotal": 7800, "total": 7800, "amount_due": 7800, "amount_paid": 0,
                   "lines": {"object": "list", "data": lines, "has_more": false}});
    let items = map_object(&v, &ctx());
    let inv = one_invoice(&items);
    assert_eq!(inv.lines.len(), 12);
    assert_eq!(
        inv.lines.iter().map(|l| l.amount).sum::<Decimal>(),
        dec!(78)
    );
    assert_eq!(inv.lines[11].price_ref.as_deref(), Some("price_11"));
    assert_eq!(inv.status, InvoiceStatus::Open);
    assert_eq!(inv.amount_remaining, dec!(78));
}

#[test]
fn invoice_statuses_and_partial_payment() {
    for (s, want) in [
        ("draft", InvoiceStatus::Draft),
        ("open", InvoiceStatus::Open),
        ("paid", InvoiceStatus::Paid),
        ("void", InvoiceStatus::Void),
        ("uncollectible", InvoiceStatus::Uncollectible),
    ] {
        let v = json!({"id": "in_1", "object": "invoice", "currency": "usd", "status": s, "total": 500});
        assert_eq!(one_invoice(&map_object(&v, &ctx())).status, want, "{s}");
    }
    let v = json!({"id": "in_1", "object": "invoice", "currency": "usd", "status": "open", "total": 500,
                   "amount_due": 500, "amount_paid": 200, "amount_remaining": 300});
    let items = map_object(&v, &ctx());
    let inv = one_invoice(&items);
    assert_eq!(inv.status, InvoiceStatus::PartiallyPaid);
    assert_eq!((inv.amount_paid, inv.amount_remaining), (dec!(2), dec!(3)));
    // An unknown status is kept in the source status.
    let v = json!({"id": "in_1", "object": "invoice", "currency": "usd", "status": "frozen", "total": 500,
                   "status_transitions": {"finalized_at": 1700000000}});
    let items = map_object(&v, &ctx());
    let inv = one_invoice(&items);
    assert_eq!(inv.source.status.as_deref(), Some("frozen"));
    assert_eq!(inv.status, InvoiceStatus::Open);
}

#[test]
fn currencies_use_stripe_minor_units() {
    let c = |s: &str| Currency::parse(s).unwrap();
    assert_eq!(stripe_amount(500, c("jpy")), dec!(500));
    assert_eq!(stripe_amount(1234, c("kwd")), dec!(1.234));
    assert_eq!(stripe_amount(500, c("isk")), dec!(5));
    assert_eq!(stripe_amount(500, c("ugx")), dec!(5));
    assert_eq!(stripe_amount(1999, c("eur")), dec!(19.99));
    for (cur, minor, want) in [
        ("jpy", 500, dec!(500)),
        ("kwd", 1234, dec!(1.234)),
        ("isk", 500, dec!(5)),
        ("ugx", 500, dec!(5)),
    ] {
        let v = json!({"id": "ch_x", "object": "charge", "amount": minor, "currency": cur, "status": "succeeded"});
        let items = map_object(&v, &ctx());
        assert_eq!(payments(&items)[0].amount, want, "{cur}");
        assert_eq!(payments(&items)[0].currency, c(cur));
    }
    // unit_amount_decimal with sub-minor digits stays exact.
    let v = json!({"id": "price_1", "object": "price", "currency": "usd", "unit_amount_decimal": "0.125", "active": true});
    let Record::Price(p) = records(&map_object(&v, &ctx()))[0].clone() else {
        panic!()
    };
    assert_eq!(p.unit_amount, Some(dec!(0.00125)));
}

#[test]
fn unknown_enum_values_are_kept() {
    let ch = json!({"id": "ch_1", "object": "charge", "amount": 100, "currency": "usd", "status": "teleported"});
    assert_eq!(
        payments(&map_object(&ch, &ctx()))[0].status,
        PaymentStatus::Other("teleported".into())
    );
    let pi = json!({"id": "pi_1", "object": "payment_intent", "amount": 100, "currency": "usd", "status": "levitating"});
    assert_eq!(
        payments(&map_object(&pi, &ctx()))[0].status,
        PaymentStatus::Other("levitating".into())
    );
    let sub = json!({"id": "sub_1", "object": "subscription", "currency": "usd", "status": "hibernating",
                     "items": {"data": [{"id": "si_1", "quantity": 3, "price": {"id": "price_1", "unit_amount": 1000, "recurring": {"interval": "fortnight", "interval_count": 1}}}]}});
    let items = map_object(&sub, &ctx());
    let Record::Subscription(s) = records(&items)[0] else {
        panic!()
    };
    assert_eq!(s.status, SubscriptionStatus::Other("hibernating".into()));
    assert_eq!(s.interval, Interval::Other("fortnight".into()));
    assert_eq!(s.amount, dec!(30));
    let dp = json!({"id": "dp_1", "object": "dispute", "amount": 100, "currency": "usd", "status": "escalated", "charge": "ch_1"});
    let Record::Dispute(d) = records(&map_object(&dp, &ctx()))[0].clone() else {
        panic!()
    };
    assert_eq!(d.status, DisputeStatus::Other("escalated".into()));
}

#[test]
fn subscriptions_both_shapes() {
    let pre = json!({"id": "sub_1", "object": "subscription", "currency": "usd", "status": "active",
        "customer": "cus_1", "start_date": 1700000000, "created": 1700000000,
        "current_period_start": 1700000000, "current_period_end": 1702592000, "cancel_at_period_end": false,
        "items": {"object": "list", "data": [{"id": "si_1", "quantity": 2,
            "plan": {"id": "plan_1", "object": "plan", "amount": 2500, "interval": "month", "interval_count": 1, "product": "prod_1"}}]}});
    let basil = json!({"id": "sub_1", "object": "subscription", "currency": "usd", "status": "active",
        "customer": "cus_1", "start_date": 1700000000, "created": 1700000000, "cancel_at_period_end": false,
        "items": {"object": "list", "data": [{"id": "si_1", "quantity": 2,
            "current_period_start": 1700000000, "current_period_end": 1702592000,
            "price": {"id": "plan_1", "object": "price", "unit_amount": 2500, "product": "prod_1",
                      "recurring": {"interval": "month", "interval_count": 1}}}]}});
    for (v, c) in [
        (pre, ctx_v("2023-10-16")),
        (basil, ctx_v("2025-03-31.basil")),
    ] {
        let items = map_object(&v, &c);
        let Record::Subscription(s) = records(&items)[0] else {
            panic!("{items:?}")
        };
        assert_eq!(s.amount, dec!(50));
        assert_eq!(s.current_period_end.unwrap().timestamp(), 1702592000);
        assert_eq!(s.next_billing_date.unwrap().timestamp(), 1702592000);
        assert_eq!(s.items[0].product_ref.as_deref(), Some("prod_1"));
        assert_eq!(s.customer_ref.as_ref().unwrap().external_id, "cus_1");
    }
}

#[test]
fn charge_with_expanded_balance_transaction_and_refunds() {
    let v = json!({"id": "ch_1", "object": "charge", "amount": 10000, "amount_captured": 10000, "amount_refunded": 2500,
        "captured": true, "currency": "eur", "status": "succeeded", "created": 1700000000,
        "customer": "cus_1", "payment_intent": "pi_1", "invoice": "in_1", "metadata": {"k": "v"},
        "payment_method_details": {"type": "sepa_debit"},
        "balance_transaction": {"id": "txn_1", "object": "balance_transaction", "amount": 10850, "currency": "usd",
            "fee": 345, "net": 10505, "exchange_rate": 1.085, "type": "charge", "reporting_category": "charge",
            "status": "available", "available_on": 1700600000, "source": "ch_1",
            "fee_details": [{"amount": 345, "currency": "usd", "type": "stripe_fee", "description": "Stripe processing fees"}]},
        "refunds": {"object": "list", "data": [{"id": "re_1", "object": "refund", "amount": 2500, "currency": "eur",
            "charge": "ch_1", "payment_intent": "pi_1", "status": "succeeded", "created": 1700100000}]}});
    let items = map_object(&v, &ctx_v("2024-06-20"));
    assert!(failures(&items).is_empty());
    let rs = records(&items);
    assert_eq!(rs.len(), 3);
    let p = payments(&items)[0];
    assert_eq!(p.amount, dec!(100));
    assert_eq!(p.refunded, dec!(25));
    assert_eq!(p.fee, dec!(3.45));
    assert_eq!(p.net, Some(dec!(105.05)));
    assert_eq!(p.settlement_amount, Some(dec!(108.50)));
    assert_eq!(p.settlement_currency, Some(Currency::USD));
    assert_eq!(p.fx_rate, Some(dec!(1.085)));
    assert_eq!(p.fee_details[0].kind, "stripe_fee");
    assert_eq!(p.method.as_deref(), Some("sepa_debit"));
    assert_eq!(p.links.invoices, vec!["in_1".to_string()]);
    assert_eq!(p.refs.balance_transaction.as_deref(), Some("txn_1"));
    assert_eq!(p.received_at.unwrap().timestamp(), 1700000000);
    assert_eq!(p.metadata.get("k").map(String::as_str), Some("v"));
    assert!(
        matches!(rs[1], Record::BalanceTransaction(b) if b.net == dec!(105.05) && b.available_on.is_some())
    );
    assert!(
        matches!(rs[2], Record::Refund(r) if r.amount == dec!(25) && r.payment_refs.charge.as_deref() == Some("ch_1"))
    );
}

#[test]
fn payment_intent_with_expanded_latest_charge() {
    let v = json!({"id": "pi_1", "object": "payment_intent", "amount": 5000, "amount_received": 5000,
        "currency": "usd", "status": "succeeded", "created": 1700000000, "customer": "cus_1",
        "latest_charge": {"id": "ch_1", "object": "charge", "amount": 5000, "currency": "usd", "status": "succeeded",
            "created": 1700000050, "payment_intent": "pi_1", "payment_method_details": {"type": "card"},
            "balance_transaction": {"id": "txn_1", "object": "balance_transaction", "amount": 5000, "currency": "usd",
                "fee": 175, "net": 4825, "type": "charge", "source": "ch_1"}}});
    let items = map_object(&v, &ctx());
    let ps = payments(&items);
    assert_eq!(ps.len(), 2);
    let pi = ps[0];
    assert_eq!(pi.source.object, "payment_intent");
    assert_eq!(pi.refs.charge.as_deref(), Some("ch_1"));
    assert_eq!(pi.fee, dec!(1.75));
    assert_eq!(pi.method.as_deref(), Some("card"));
    assert_eq!(pi.received_at.unwrap().timestamp(), 1700000050);
    assert_eq!(ps[1].source.object, "charge");
    // Not succeeded: the requested amount, pending.
    let v = json!({"id": "pi_2", "object": "payment_intent", "amount": 5000, "amount_received": 0,
        "currency": "usd", "status": "processing"});
    let p = payments(&map_object(&v, &ctx()))[0].clone();
    assert_eq!((p.amount, p.status), (dec!(50), PaymentStatus::Pending));
}

#[test]
fn malformed_payloads_fail_clearly() {
    let cases = [
        (
            json!({"object": "invoice", "currency": "usd", "total": 1}),
            "invoice",
            "",
            "id",
        ),
        (
            json!({"id": "in_1", "object": "invoice", "total": 1}),
            "invoice",
            "in_1",
            "currency",
        ),
        (
            json!({"id": "in_1", "object": "invoice", "currency": "zzz", "total": 1}),
            "invoice",
            "in_1",
            "unknown currency",
        ),
        (
            json!({"id": "in_1", "object": "invoice", "currency": "usd", "total": 10.5}),
            "invoice",
            "in_1",
            "expected an integer",
        ),
        (
            json!({"id": "in_1", "object": "invoice", "currency": "usd", "total": "10"}),
            "invoice",
            "in_1",
            "expected an integer",
        ),
        (
            json!({"id": "in_1", "object": "invoice", "currency": "usd", "total": 1, "lines": {"data": [{"amount": "x"}]}}),
            "invoice",
            "in_1",
            "lines.data[0]",
        ),
        (
            json!({"id": "ch_1", "object": "charge", "currency": "usd", "status": "succeeded"}),
            "charge",
            "ch_1",
            "amount",
        ),
        (
            json!({"id": "ch_1", "object": "charge", "currency": "usd", "amount": 1, "balance_transaction": 7}),
            "charge",
            "ch_1",
            "balance_transaction",
        ),
        (json!({"id": 5, "object": "payout"}), "payout", "", "id"),
        (
            json!({"id": "po_1", "object": "payout", "currency": "usd", "amount": 1, "arrival_date": "tomorrow"}),
            "payout",
            "po_1",
            "arrival_date",
        ),
        (json!({"id": "in_1"}), "unknown", "in_1", "no `object`"),
        (
            json!({"error": {"type": "invalid_request_error", "message": "No such invoice"}}),
            "unknown",
            "",
            "not a Stripe object",
        ),
        (json!([1, 2]), "unknown", "", "not a Stripe object"),
    ];
    for (v, object, id, needle) in cases {
        let items = map_object(&v, &ctx());
        assert_eq!(items.len(), 1, "{v}");
        let f = failures(&items);
        assert_eq!(f.len(), 1, "{v}: {items:?}");
        assert_eq!(f[0].object, object, "{v}");
        assert_eq!(f[0].external_id, id, "{v}");
        assert!(f[0].error.contains(needle), "{v}: {}", f[0].error);
    }
}

#[test]
fn a_failing_nested_payment_does_not_sink_the_invoice() {
    let mut v = basil_invoice();
    v["payments"]["data"][0]["currency"] = json!("nope");
    let items = map_object(&v, &ctx());
    assert_eq!(
        one_invoice(&items).payment_refs.invoice_payments,
        vec!["inpay_1".to_string()]
    );
    let f = failures(&items);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].object, "invoice_payment");
}

#[test]
fn invoice_payment_maps_refs_links_and_status() {
    for (status, want) in [
        ("paid", PaymentStatus::Succeeded),
        ("open", PaymentStatus::Pending),
        ("canceled", PaymentStatus::Canceled),
    ] {
        let paid = status == "paid";
        let v = json!({"id": "inpay_9", "object": "invoice_payment", "currency": "usd",
            "amount_paid": if paid { json!(4000) } else { Value::Null }, "amount_requested": 5000,
            "invoice": "in_9", "status": status, "payment": {"type": "charge", "charge": "ch_9"},
            "status_transitions": {"paid_at": if paid { json!(1700000000) } else { Value::Null }}});
        let items = map_object(&v, &ctx());
        let p = payments(&items)[0];
        assert_eq!(p.status, want);
        assert_eq!(p.amount, if paid { dec!(40) } else { dec!(50) });
        assert_eq!(p.refs.charge.as_deref(), Some("ch_9"));
        assert_eq!(p.links.invoices, vec!["in_9".to_string()]);
        assert_eq!(
            p.links.invoice_amounts.get("in_9").copied(),
            paid.then_some(dec!(40))
        );
        assert_eq!(p.received_at.is_some(), paid);
    }
}

#[test]
fn balance_transaction_payout_and_event_context() {
    let bt = json!({"id": "txn_po", "object": "balance_transaction", "amount": -9105, "currency": "usd", "fee": 0,
                    "net": -9105, "type": "payout", "source": {"id": "po_1", "object": "payout"}, "created": 1700000000});
    let Record::BalanceTransaction(b) = records(&map_object(&bt, &ctx()))[0].clone() else {
        panic!()
    };
    assert_eq!(b.source_object.as_deref(), Some("po_1"));
    assert_eq!(b.payout_ref.as_deref(), Some("po_1"));
    assert_eq!(b.amount, dec!(-91.05));

    let ev = StripeEvent::parse(
        json!({"id": "evt_1", "object": "event", "type": "customer.deleted", "created": 1710000000,
               "api_version": "2025-03-31.basil", "account": "acct_connected", "livemode": true,
               "data": {"object": {"id": "cus_1", "object": "customer", "name": "Bob", "created": 1700000000, "livemode": true}}})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let items = event_items(&ev, "acct_platform");
    let Record::Customer(c) = records(&items)[0].clone() else {
        panic!()
    };
    assert!(c.deleted);
    let s = c.source.unwrap();
    assert_eq!(s.account, "acct_connected");
    assert_eq!(s.updated_at.unwrap().timestamp(), 1710000000);
    assert!(s.livemode);
    // Unsupported types are acknowledged with no items.
    let ev = StripeEvent::from_value(
        json!({"id": "evt_2", "type": "coupon.created", "created": 1,
        "data": {"object": {"id": "co_1", "object": "coupon"}}}),
    )
    .unwrap();
    assert!(event_items(&ev, "acct_1").is_empty());
}

#[test]
fn separate_invoice_lines_map_alone() {
    let line = basil_invoice()["lines"]["data"][0].clone();
    let l = map_invoice_line(&line, Currency::USD, &ctx()).unwrap();
    assert_eq!(l.amount, dec!(80));
    assert!(map_invoice_line(&json!("x"), Currency::USD, &ctx()).is_err());
}
