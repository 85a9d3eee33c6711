//! The API-version matrix (issue 13): the same facts as Stripe renders them
//! under 2020-08-27, 2022-11-15, 2024-06-20, 2025-03-31.basil and the newest
//! version the pinned `stripe` package knows (tests/fixtures/api_versions,
//! written by its generate.py). Each version imports from files (as the API
//! returns the objects) and from signed webhook events (as events carry them),
//! with no failures, and every import gives the same books.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tieout::*;

const SECRET: &str = "whsec_api_versions";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api_versions")
}

fn versions() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("api").is_dir())
        .collect();
    v.sort();
    v
}

fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().to_string()
}

fn t(v: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    v.map_or(Value::Null, |t| json!(t.timestamp()))
}

/// The books as facts: what must not depend on the API version. Amounts are
/// compared as strings, so their scale must agree too.
fn facts(books: &Books) -> Value {
    let mut invoices = books.invoices(&InvoiceFilter::default()).unwrap();
    invoices.sort_by(|a, b| a.source.external_id.cmp(&b.source.external_id));
    let ext_of = |id: &str| {
        invoices
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.source.external_id.clone())
            .unwrap_or_default()
    };
    let invoices_v: Vec<Value> = invoices
        .iter()
        .map(|i| {
            json!({
                "id": i.source.external_id, "status": i.status.as_str(),
                "currency": i.currency.code(), "number": i.number,
                "subtotal": i.subtotal.to_string(), "discount": i.discount.to_string(),
                "tax": i.tax.to_string(), "total": i.total.to_string(),
                "amount_due": i.amount_due.to_string(), "amount_paid": i.amount_paid.to_string(),
                "amount_remaining": i.amount_remaining.to_string(),
                "subscription": i.subscription_ref, "issued_at": t(i.issued_at),
                "paid_at": t(i.paid_at), "customer": i.customer_id.is_some(),
                "lines_complete": i.lines_complete,
                "lines": i.lines.iter().map(|l| json!({
                    "id": l.external_id, "amount": l.amount.to_string(), "tax": l.tax.to_string(),
                    "quantity": l.quantity.normalize().to_string(),
                    "unit_amount": l.unit_amount.map(|u| u.to_string()),
                    "price": l.price_ref, "product": l.product_ref,
                    "subscription_item": l.subscription_item_ref, "proration": l.proration,
                    "period": [t(l.period_start), t(l.period_end)],
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut subs = books.subscriptions().unwrap();
    subs.sort_by(|a, b| a.source.external_id.cmp(&b.source.external_id));
    let subs_v: Vec<Value> = subs
        .iter()
        .map(|s| {
            json!({
                "id": s.source.external_id, "status": s.status.as_str(),
                "currency": s.currency.code(), "amount": s.amount.to_string(),
                "interval": format!("{:?}", s.interval), "interval_count": s.interval_count,
                "start_date": t(s.start_date), "period": [t(s.current_period_start), t(s.current_period_end)],
                "next_billing_date": t(s.next_billing_date), "canceled_at": t(s.canceled_at),
                "ended_at": t(s.ended_at), "trial_end": t(s.trial_end),
                "customer": s.customer_id.is_some(),
                "items": s.items.iter().map(|i| json!({
                    "id": i.external_id, "price": i.price_ref, "product": i.product_ref,
                    "quantity": i.quantity.normalize().to_string(),
                    "unit_amount": i.unit_amount.map(|u| u.to_string()),
                    "period": [t(i.current_period_start), t(i.current_period_end)],
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let allocations = books.allocations().unwrap();
    let mut payments = books.payments().unwrap();
    payments.sort_by(|a, b| a.refs.charge.cmp(&b.refs.charge));
    let payments_v: Vec<Value> = payments
        .iter()
        .map(|p| {
            let mut allocs: Vec<(String, String)> = allocations
                .iter()
                .filter(|a| a.payment_id == p.id)
                .map(|a| (ext_of(&a.invoice_id), a.amount.to_string()))
                .collect();
            allocs.sort();
            json!({
                "charge": p.refs.charge, "payment_intent": p.refs.payment_intent,
                "amount": p.amount.to_string(), "currency": p.currency.code(),
                "refunded": p.refunded.to_string(), "allocated": p.allocated.to_string(),
                "unapplied": p.unapplied.to_string(), "disputed": p.disputed.to_string(),
                "customer": p.customer_id.is_some(), "allocations": allocs,
            })
        })
        .collect();
    let mut refunds: Vec<Value> = books
        .refunds()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r.source.external_id,
                r.amount.to_string(),
                r.status,
                r.payment_refs.charge,
                r.payment_id.is_some()
            ])
        })
        .collect();
    refunds.sort_by_key(|v| v.to_string());
    let customers: Vec<Value> = books
        .customers()
        .unwrap()
        .iter()
        .map(|c| json!([c.name, c.email]))
        .collect();
    json!({"invoices": invoices_v, "subscriptions": subs_v, "payments": payments_v,
           "refunds": refunds, "customers": customers})
}

fn from_files(dir: &Path) -> Books {
    let books = Books::in_memory();
    let src = StripeFiles::new(dir.join("api")).unwrap();
    let run = common::run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    assert_eq!(
        run.totals.failed,
        0,
        "{}: files: {:?}",
        name(dir),
        run.failures
    );
    let again = common::run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    assert_eq!(
        (again.totals.created, again.totals.updated),
        (0, 0),
        "{}: a re-import changes nothing",
        name(dir)
    );
    books
}

fn from_events(dir: &Path) -> Books {
    let books = Books::in_memory();
    books.set_default_account("acct_matrix").unwrap();
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let created = serde_json::from_str::<Value>(line).unwrap()["created"]
            .as_i64()
            .unwrap();
        let header = sign_webhook(line.as_bytes(), SECRET, created);
        let event = verify_webhook(line.as_bytes(), &header, SECRET, None, None).unwrap();
        let o = books.apply_event(&event).unwrap();
        assert_eq!(
            o.status,
            EventStatus::Applied,
            "{}: {}",
            name(dir),
            event.id
        );
        for e in &o.entries {
            assert!(
                !matches!(e.action, Action::Failed { .. }),
                "{}: event {} {}: {:?}",
                name(dir),
                event.id,
                e.external_id,
                e.action
            );
        }
    }
    books
}

/// Where two fact trees differ, as `path: left != right` lines.
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                diff(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} != {b}")),
        _ => {}
    }
}

#[test]
fn every_api_version_imports_to_the_same_books() {
    let dirs = versions();
    assert!(
        dirs.len() >= 5,
        "versions missing under {}",
        root().display()
    );
    let reference = facts(&from_files(&dirs[0]));
    // The facts the fixtures state, checked once on the reference.
    let inv = &reference["invoices"];
    assert_eq!(inv.as_array().unwrap().len(), 4);
    let by_id = |id: &str| {
        inv.as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    let paid = by_id("in_M_paid");
    assert_eq!(
        (
            &paid["status"],
            &paid["subtotal"],
            &paid["discount"],
            &paid["tax"],
            &paid["total"],
            &paid["amount_remaining"]
        ),
        (
            &json!("paid"),
            &json!("120.00"),
            &json!("12.00"),
            &json!("10.80"),
            &json!("118.80"),
            &json!("0.00")
        )
    );
    assert_eq!(paid["subscription"], "sub_M_active");
    assert_eq!(paid["lines"][0]["subscription_item"], "si_M_active");
    assert_eq!(paid["lines"][0]["tax"], "9.00");
    assert_eq!(by_id("in_M_open")["amount_remaining"], "118.80");
    assert_eq!(by_id("in_M_void")["status"], "void");
    assert_eq!(by_id("in_M_uncollectible")["status"], "uncollectible");
    let statuses: Vec<&str> = reference["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    for s in [
        "trialing",
        "active",
        "past_due",
        "unpaid",
        "incomplete",
        "incomplete_expired",
        "paused",
        "canceled",
    ] {
        assert!(statuses.contains(&s), "status {s} in {statuses:?}");
    }
    let refunded: Vec<&Value> = reference["payments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["charge"] == "ch_M2")
        .collect();
    assert_eq!(refunded.len(), 1, "{}", reference["payments"]);
    assert_eq!(
        (
            &refunded[0]["amount"],
            &refunded[0]["refunded"],
            &refunded[0]["unapplied"]
        ),
        (&json!("15.00"), &json!("5.00"), &json!("10.00"))
    );
    assert_eq!(
        reference["refunds"],
        json!([["re_M1", "5.00", "succeeded", "ch_M2", true]]),
        "the refund record, embedded in the charge before 2022-11-15"
    );

    let mut problems = Vec::new();
    for d in &dirs {
        for (how, books) in [("files", from_files(d)), ("events", from_events(d))] {
            let mut out = Vec::new();
            diff("", &reference, &facts(&books), &mut out);
            for o in out {
                problems.push(format!("{} ({how}){o}", name(d)));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "books differ from {} (files):\n{}",
        name(&dirs[0]),
        problems.join("\n")
    );
}
