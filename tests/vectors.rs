//! Runs the shared test vectors (tests/vectors/*): Stripe JSON in, expected books out.
//! The Python and Node suites run the same directories.

mod common;

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::Value;
use tieout::*;

/// The expected amount string: amounts compare exactly as strings, so the
/// books must show each at its currency's scale (`"0.00"` USD, `"5000"` JPY).
fn dec(v: &Value) -> String {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a decimal string, got {v}"));
    s.parse::<Decimal>()
        .unwrap_or_else(|_| panic!("expected a decimal string, got {v}"));
    s.to_string()
}

fn plan_from(v: Option<&Value>) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let Some(Value::Object(o)) = v else {
        return plan;
    };
    if let Some(p) = o.get("paid_invoices") {
        plan.paid_invoices = serde_json::from_value(p.clone()).expect("paid_invoices");
    }
    if let Some(u) = o.get("unpaid_invoices") {
        plan.unpaid_invoices = serde_json::from_value(u.clone()).expect("unpaid_invoices");
    }
    plan
}

fn check_vector(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for (label, books, _tmp) in common::all_books() {
        let ctx = format!("{name} [{label}]");
        let src = StripeFiles::new(dir.join("input")).unwrap();
        let plan = plan_from(expected.get("plan"));
        let run = common::run(books.import(&src, &plan, None)).unwrap();
        assert_eq!(run.totals.failed, 0, "{ctx}: {:?}", run.failures);
        let invoices = books.invoices(&InvoiceFilter::default()).unwrap();
        let payments = books.payments().unwrap();
        let allocations = books.allocations().unwrap();
        for e in expected["invoices"].as_array().unwrap() {
            let ext = e["external_id"].as_str().unwrap();
            let inv = invoices
                .iter()
                .find(|i| i.source.external_id == ext)
                .unwrap_or_else(|| panic!("{ctx}: no invoice {ext}"));
            for (k, v) in e.as_object().unwrap() {
                match k.as_str() {
                    "external_id" => {}
                    "status" => assert_eq!(
                        inv.status.as_str(),
                        v.as_str().unwrap(),
                        "{ctx} {ext} status"
                    ),
                    "currency" => {
                        assert_eq!(inv.currency.code(), v.as_str().unwrap(), "{ctx} {ext}")
                    }
                    "total" => assert_eq!(inv.total.to_string(), dec(v), "{ctx} {ext} total"),
                    "amount_paid" => assert_eq!(
                        inv.amount_paid.to_string(),
                        dec(v),
                        "{ctx} {ext} amount_paid"
                    ),
                    "amount_remaining" => {
                        assert_eq!(
                            inv.amount_remaining.to_string(),
                            dec(v),
                            "{ctx} {ext} amount_remaining"
                        )
                    }
                    other => panic!("{ctx}: unknown invoice field {other}"),
                }
            }
        }
        for e in expected["payments"].as_array().unwrap() {
            let ids: Vec<&str> = e["external_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let p = payments
                .iter()
                .find(|p| p.external_ids().iter().any(|x| x == ids[0]))
                .unwrap_or_else(|| panic!("{ctx}: no payment named {}", ids[0]));
            for id in &ids {
                assert!(
                    p.external_ids().iter().any(|x| x == id),
                    "{ctx}: payment {:?} lacks {id}",
                    p.external_ids()
                );
            }
            for (k, v) in e.as_object().unwrap() {
                let got = match k.as_str() {
                    "external_ids" => continue,
                    "currency" => {
                        assert_eq!(p.currency.code(), v.as_str().unwrap(), "{ctx}");
                        continue;
                    }
                    "amount" => p.amount,
                    "fee" => p.fee,
                    "net" => p.net.unwrap_or(Decimal::ZERO),
                    "refunded" => p.refunded,
                    "unapplied" => p.unapplied,
                    other => panic!("{ctx}: unknown payment field {other}"),
                };
                assert_eq!(got.to_string(), dec(v), "{ctx} payment {} {k}", ids[0]);
            }
            assert_eq!(
                p.amount,
                p.allocated + p.unapplied + p.refunded + p.disputed,
                "{ctx}: invariant"
            );
        }
        for e in expected["allocations"].as_array().unwrap() {
            let inv_ext = e["invoice"].as_str().unwrap();
            let pay_ext = e["payment"].as_str().unwrap();
            let inv = invoices
                .iter()
                .find(|i| i.source.external_id == inv_ext)
                .unwrap();
            let pay = payments
                .iter()
                .find(|p| p.external_ids().iter().any(|x| x == pay_ext))
                .unwrap();
            let a = allocations
                .iter()
                .find(|a| a.invoice_id == inv.id && a.payment_id == pay.id)
                .unwrap_or_else(|| panic!("{ctx}: no allocation {pay_ext} -> {inv_ext}"));
            assert_eq!(
                a.amount.to_string(),
                dec(&e["amount"]),
                "{ctx} allocation amount"
            );
            assert_eq!(
                a.reason.strategy.as_str(),
                e["strategy"].as_str().unwrap(),
                "{ctx} strategy"
            );
        }
        let counts = &expected["counts"];
        let count = |k: &str| counts.get(k).and_then(Value::as_u64);
        if let Some(n) = count("customers") {
            assert_eq!(
                books.customers().unwrap().len() as u64,
                n,
                "{ctx} customers"
            );
        }
        if let Some(n) = count("invoices") {
            assert_eq!(invoices.len() as u64, n, "{ctx} invoices");
        }
        if let Some(n) = count("payments") {
            assert_eq!(payments.len() as u64, n, "{ctx} payments");
        }
        if let Some(n) = count("allocations") {
            assert_eq!(allocations.len() as u64, n, "{ctx} allocations");
        }
        // Idempotent: importing again changes nothing.
        let again = common::run(books.import(&src, &plan, None)).unwrap();
        assert_eq!(
            (again.totals.created, again.totals.updated),
            (0, 0),
            "{ctx}: re-import"
        );
    }
}

#[test]
fn shared_vectors() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "vectors missing under {}", root.display());
    for d in dirs {
        check_vector(&d);
    }
}
