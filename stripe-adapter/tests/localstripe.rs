//! The Stripe client against a real peer: localstripe (PyPI), seeded with the
//! official `stripe` Python SDK by `scripts/localstripe.py`.
//!
//! Needs `TIEOUT_PYTHON` (a python with `localstripe` and `stripe` installed).
//! Without it the test is skipped loudly, except under `CI=true`, where it fails.

#[path = "../../tests/localstripe_support/peer.rs"]
mod localstripe_peer;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use localstripe_peer::seed;
use rust_decimal::Decimal;
use serde_json::Value;
use tieout_core::model::{InvoiceStatus, SubscriptionStatus};
use tieout_core::{FetchScope, ObjectScope, Record, Source, SourceItem};
use tieout_stripe::StripeSource;

fn python() -> Option<String> {
    localstripe_peer::python("localstripe test")
}

fn start(python: &str) -> localstripe_peer::Peer {
    localstripe_peer::start(python, Stdio::inherit())
}

fn cents(v: &Value) -> Decimal {
    Decimal::new(v.as_i64().expect("amount"), 2)
}

fn s(v: &Value) -> String {
    v.as_str().expect("string").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn full_import_from_localstripe_matches_the_seed() {
    let Some(python) = python() else {
        return;
    };
    let ls = start(&python);
    let summary = seed(&python, &ls.url);

    let source = StripeSource::new("sk_test_tieoutLocalstripe")
        .unwrap()
        .base_url(&ls.url)
        .retry_base_delay(Duration::from_millis(50));
    let info = source.verify().await.expect("verify");
    assert_eq!(
        info.account, "acct_unknown",
        "localstripe has no /v1/account"
    );
    assert!(!info.livemode);
    assert_eq!(info.key_kind, "secret");
    source
        .verify_permissions(&ObjectScope::ALL)
        .await
        .expect("every scope is readable");
    assert_eq!(Source::stream(&source), "stripe:test:api");

    // The whole import, page by page, each page resumed by a fresh client from
    // the previous checkpoint (as the engine does after a restart).
    let scope = FetchScope {
        objects: ObjectScope::ALL.to_vec(),
        ..FetchScope::default()
    };
    let mut items = Vec::new();
    let mut notes = Vec::new();
    let mut checkpoint: Option<String> = None;
    let mut pages = 0;
    loop {
        let client = StripeSource::new("sk_test_tieoutLocalstripe")
            .unwrap()
            .base_url(&ls.url)
            .retry_base_delay(Duration::from_millis(20))
            .page_limit(3);
        let page = Source::next_page(&client, &scope, checkpoint.as_deref())
            .await
            .expect("page");
        pages += 1;
        assert!(pages < 200, "runaway pagination");
        items.extend(page.items);
        notes.extend(page.notes);
        if page.done {
            break;
        }
        checkpoint = Some(page.checkpoint);
    }
    assert!(pages > 5, "small pages force several round trips: {pages}");
    assert!(notes.iter().any(|n| n.contains("/v1/plans")), "{notes:?}");
    assert!(
        notes.iter().any(|n| n.contains("created[] filters")),
        "{notes:?}"
    );

    let failures: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Failed(f) => Some(f.clone()),
            _ => None,
        })
        .collect();
    // localstripe renders subscriptions in a pre-2022 shape without a top-level
    // `currency`: the currency comes from the items' plan, so nothing may fail.
    assert!(failures.is_empty(), "mapping failures: {failures:#?}");
    let records: Vec<Record> = items
        .into_iter()
        .filter_map(|i| match i {
            SourceItem::Record(r) => Some(r),
            _ => None,
        })
        .collect();
    for r in &records {
        let src = r.source().expect("source ref");
        assert_eq!(
            (src.system.as_str(), src.account.as_str()),
            ("stripe", "acct_unknown")
        );
        assert!(!src.livemode);
    }

    // Customers: exactly the seeded ones, with their emails.
    let customers: BTreeMap<String, Option<String>> = records
        .iter()
        .filter_map(|r| match r {
            Record::Customer(c) => Some((r.external_id().to_string(), c.email.clone())),
            _ => None,
        })
        .collect();
    let seeded: BTreeMap<String, Option<String>> = summary["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (s(&c["id"]), Some(s(&c["email"]))))
        .collect();
    assert_eq!(customers, seeded);

    // Product and plan (localstripe has no prices: read from /v1/plans).
    let plan = &summary["plans"][0];
    assert!(
        records.iter().any(|r| matches!(r, Record::Product(_))
            && r.external_id() == s(&summary["products"][0]["id"]))
    );
    let price = records
        .iter()
        .find_map(|r| match r {
            Record::Price(p) if r.external_id() == s(&plan["id"]) => Some(p),
            _ => None,
        })
        .expect("plan imported as a price");
    assert_eq!(price.unit_amount, Some(cents(&plan["amount"])));

    // The subscription and its first invoice, paid.
    let sub_seed = &summary["subscriptions"][0];
    let sub = records.iter().find_map(|r| match r {
        Record::Subscription(x) if r.external_id() == s(&sub_seed["id"]) => Some(x),
        _ => None,
    });
    let sub = sub.expect("the localstripe subscription imports");
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(sub.currency.code(), "USD");
    assert_eq!(sub.amount, cents(&plan["amount"]));
    assert_eq!(
        sub.customer_ref.as_ref().map(|c| c.external_id.clone()),
        Some(s(&sub_seed["customer"]))
    );
    let inv_seed = &summary["invoices"][0];
    assert_eq!(inv_seed["status"], "paid");
    let invoice = records
        .iter()
        .find_map(|r| match r {
            Record::Invoice(x) if r.external_id() == s(&inv_seed["id"]) => Some(x),
            _ => None,
        })
        .expect("the subscription's invoice");
    assert_eq!(invoice.status, InvoiceStatus::Paid);
    assert_eq!(invoice.total, cents(&inv_seed["total"]));
    assert_eq!(invoice.amount_paid, cents(&inv_seed["amount_paid"]));
    assert_eq!(
        invoice.customer_ref.as_ref().map(|c| c.external_id.clone()),
        Some(s(&inv_seed["customer"]))
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| matches!(r, Record::Invoice(_)))
            .count(),
        summary["invoices"].as_array().unwrap().len()
    );

    // Every charge localstripe holds, with amount and customer.
    let by_charge: BTreeMap<String, (Decimal, Option<String>)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Payment(p) => p.refs.charge.clone().map(|c| {
                (
                    c,
                    (
                        p.amount,
                        p.customer_ref.as_ref().map(|o| o.external_id.clone()),
                    ),
                )
            }),
            _ => None,
        })
        .collect();
    for ch in summary["all_charges"].as_array().unwrap() {
        let (amount, customer) = by_charge
            .get(&s(&ch["id"]))
            .unwrap_or_else(|| panic!("charge {} missing", ch["id"]));
        assert_eq!(*amount, cents(&ch["amount"]), "{}", ch["id"]);
        assert_eq!(customer.as_deref(), ch["customer"].as_str(), "{}", ch["id"]);
    }
    // The payment intent.
    let pi = &summary["payment_intents"][0];
    let pi_payment = records
        .iter()
        .find_map(|r| match r {
            Record::Payment(p) if p.refs.payment_intent.as_deref() == pi["id"].as_str() => Some(p),
            _ => None,
        })
        .expect("payment intent imported");
    assert_eq!(pi_payment.amount, cents(&pi["amount"]));

    // The partial refund, tied to its charge.
    let rf = &summary["refunds"][0];
    let refund = records
        .iter()
        .find_map(|r| match r {
            Record::Refund(x) if r.external_id() == s(&rf["id"]) => Some(x),
            _ => None,
        })
        .expect("refund");
    assert_eq!(refund.amount, cents(&rf["amount"]));
    assert_eq!(refund.payment_refs.charge.as_deref(), rf["charge"].as_str());

    // One balance transaction per charge and refund.
    let txns: BTreeSet<&str> = records
        .iter()
        .filter(|r| matches!(r, Record::BalanceTransaction(_)))
        .map(|r| r.external_id())
        .collect();
    let expected = summary["all_charges"].as_array().unwrap().len()
        + summary["refunds"].as_array().unwrap().len();
    assert!(
        txns.len() >= expected,
        "{} balance transactions, expected >= {expected}",
        txns.len()
    );

    // The sharded backfill helper sees the same objects (here: unsharded fallback).
    let customers_only = FetchScope {
        objects: vec![ObjectScope::Customers],
        ..FetchScope::default()
    };
    assert_eq!(source.fetch_all(&customers_only).await.unwrap(), 3);
    drop(ls);
}
