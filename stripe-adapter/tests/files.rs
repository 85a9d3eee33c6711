//! `StripeFiles`: directory reading, failures, paging and resume, the shipped sample.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use tieout_core::model::*;
use tieout_core::{Currency, FetchScope, ObjectScope, Record, Source, SourceItem};
use tieout_stripe::StripeFiles;

fn sample_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data"))
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Reads every page from `start`, returning the items and the checkpoints seen.
async fn drain(
    src: &StripeFiles,
    scope: &FetchScope,
    start: Option<&str>,
) -> (Vec<SourceItem>, Vec<String>) {
    let mut items = Vec::new();
    let mut cps = Vec::new();
    let mut cp = start.map(str::to_string);
    loop {
        let page = src.next_page(scope, cp.as_deref()).await.unwrap();
        assert!(page.items.len() <= StripeFiles::PAGE_SIZE);
        items.extend(page.items);
        cps.push(page.checkpoint.clone());
        if page.done {
            break;
        }
        cp = Some(page.checkpoint);
    }
    (items, cps)
}

fn charge(i: usize) -> serde_json::Value {
    json!({"id": format!("ch_{i:05}"), "object": "charge", "amount": 100 + i, "currency": "usd",
           "status": "succeeded", "created": 1_700_000_000 + i as i64})
}

fn temp_dir_with_bad_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let many: Vec<_> = (0..1234).map(charge).collect();
    write(
        d,
        "a_charges.json",
        &json!({"object": "list", "url": "/v1/charges", "has_more": false, "data": many})
            .to_string(),
    );
    write(d, "b_broken.json", "{\"object\": \"invoice\", \"id\": ");
    write(
        d,
        "c_error.json",
        r#"{"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****"}}"#,
    );
    write(d, "d_no_object.json", r#"{"id": "in_1", "total": 5}"#);
    write(
        d,
        "nested/e_events.jsonl",
        &format!(
            "{}\n\n{}\nnot json\n",
            json!({"id": "evt_1", "object": "event", "type": "customer.created", "created": 1_700_000_500,
                   "api_version": "2025-03-31.basil", "account": "acct_fromevent",
                   "data": {"object": {"id": "cus_1", "object": "customer", "name": "Ann", "created": 1_700_000_400}}}),
            json!({"object": "list", "data": [{"object": "list", "data": [charge(5000)]}]}),
        ),
    );
    write(d, "f_notes.txt", "ignored");
    write(
        d,
        "g_invoice_bad_currency.json",
        r#"{"id": "in_bad", "object": "invoice", "currency": "zzz", "total": 1}"#,
    );
    dir
}

#[tokio::test]
async fn broken_files_fail_alone_and_the_rest_imports() {
    let dir = temp_dir_with_bad_files();
    let src = StripeFiles::new(dir.path()).unwrap();
    let info = src.verify().await.unwrap();
    assert_eq!(info.account, "acct_fromevent");
    assert_eq!(info.key_kind, "files");
    assert_eq!(info.system, "stripe");
    assert!(!info.livemode);
    assert_eq!(src.stream(), "stripe-files:acct_fromevent");

    let (items, _) = drain(&src, &FetchScope::default(), None).await;
    let failed: Vec<&Failure> = items
        .iter()
        .filter_map(|i| {
            if let SourceItem::Failed(f) = i {
                Some(f)
            } else {
                None
            }
        })
        .collect();
    let recs = items.len() - failed.len();
    assert_eq!(
        recs,
        1234 + 1 + 1,
        "charges, the nested-list charge, the event's customer"
    );
    let by_id: BTreeMap<String, &Failure> = failed
        .iter()
        .map(|f| {
            (
                Path::new(&f.external_id)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                *f,
            )
        })
        .collect();
    assert_eq!(failed.len(), 5, "{failed:#?}");
    assert!(by_id["b_broken.json"].error.contains("invalid JSON"));
    assert_eq!(by_id["b_broken.json"].object, "file");
    assert!(
        by_id["c_error.json"]
            .error
            .contains("Stripe error response")
    );
    assert!(
        by_id["c_error.json"]
            .error
            .contains("invalid_request_error")
    );
    assert!(by_id["d_no_object.json"].error.contains("no `object`"));
    assert!(
        by_id["e_events.jsonl:4"].error.contains("invalid JSON"),
        "line number kept"
    );
    assert_eq!(by_id["in_bad"].object, "invoice");
    // Records carry the account found in the event.
    for i in &items {
        if let SourceItem::Record(r) = i {
            assert_eq!(r.source().unwrap().account, "acct_fromevent");
        }
    }
    // A label overrides it.
    let src = StripeFiles::new(dir.path()).unwrap().account("books-demo");
    assert_eq!(src.verify().await.unwrap().account, "books-demo");
    assert!(src.items().all(|i| match i {
        SourceItem::Record(r) => r.source().unwrap().account == "books-demo",
        SourceItem::Failed(_) => true,
    }));
}

#[tokio::test]
async fn paging_and_resume_from_every_checkpoint_give_the_same_items() {
    let dir = temp_dir_with_bad_files();
    let src = StripeFiles::new(dir.path()).unwrap();
    for scope in [
        FetchScope::default(),
        FetchScope {
            objects: vec![ObjectScope::Payments],
            ..Default::default()
        },
        FetchScope {
            created_gte: Some(1_700_000_100),
            created_lte: Some(1_700_000_899),
            ..Default::default()
        },
    ] {
        let (all, cps) = drain(&src, &scope, None).await;
        let first = src.next_page(&scope, None).await.unwrap();
        assert_eq!(first.total_hint, Some(all.len() as u64));
        assert!(cps.len() >= 2, "several pages");
        for (k, cp) in cps.iter().enumerate() {
            let (rest, _) = drain(&src, &scope, Some(cp)).await;
            let consumed: usize = if k + 1 == cps.len() {
                all.len()
            } else {
                StripeFiles::PAGE_SIZE * (k + 1)
            };
            assert_eq!(rest, all[consumed..].to_vec(), "resume from {cp}");
        }
        // Same pass twice: deterministic.
        assert_eq!(drain(&src, &scope, None).await.0, all);
    }
    let payments_only = FetchScope {
        objects: vec![ObjectScope::Payments],
        ..Default::default()
    };
    let (items, _) = drain(&src, &payments_only, None).await;
    assert!(items.iter().all(|i| match i {
        SourceItem::Record(r) => r.scope() == ObjectScope::Payments,
        SourceItem::Failed(f) => f.object == "file",
    }));
    let window = FetchScope {
        created_gte: Some(1_700_000_100),
        created_lte: Some(1_700_000_899),
        ..Default::default()
    };
    let (items, _) = drain(&src, &window, None).await;
    // 800 charges and the event's customer (created 1_700_000_400).
    assert_eq!(
        items
            .iter()
            .filter(|i| matches!(i, SourceItem::Record(_)))
            .count(),
        801
    );
    assert!(src.next_page(&window, Some("garbage")).await.is_err());
}

#[tokio::test]
async fn missing_directory_is_an_error() {
    assert!(StripeFiles::new("/definitely/not/here").is_err());
    let empty = tempfile::tempdir().unwrap();
    let src = StripeFiles::new(empty.path()).unwrap();
    let page = src.next_page(&FetchScope::default(), None).await.unwrap();
    assert!(page.done && page.items.is_empty());
    assert_eq!(src.verify().await.unwrap().account, "acct_files");
}

fn records(src: &StripeFiles) -> Vec<Record> {
    src.items()
        .filter_map(|i| {
            if let SourceItem::Record(r) = i {
                Some(r)
            } else {
                None
            }
        })
        .collect()
}

#[tokio::test]
async fn the_shipped_sample_maps_without_failures() {
    let src = StripeFiles::new(sample_dir()).unwrap();
    let failures: Vec<_> = src
        .items()
        .filter(|i| matches!(i, SourceItem::Failed(_)))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let info = src.verify().await.unwrap();
    assert_eq!(info.account, "acct_files");

    let recs = records(&src);
    let count = |k: ObjectScope| recs.iter().filter(|r| r.scope() == k).count();
    assert_eq!(count(ObjectScope::Customers), 4);
    assert!(count(ObjectScope::Products) >= 5);
    assert!(count(ObjectScope::Invoices) >= 6);
    assert_eq!(count(ObjectScope::Subscriptions), 1);
    assert_eq!(count(ObjectScope::Refunds), 1);
    assert!(count(ObjectScope::Payouts) >= 1);

    let invoices: BTreeMap<&str, &Invoice> = recs
        .iter()
        .filter_map(|r| {
            if let Record::Invoice(i) = r {
                Some((i.source.external_id.as_str(), i))
            } else {
                None
            }
        })
        .collect();
    let statuses: Vec<InvoiceStatus> = invoices.values().map(|i| i.status).collect();
    for s in [
        InvoiceStatus::Paid,
        InvoiceStatus::Open,
        InvoiceStatus::PartiallyPaid,
        InvoiceStatus::Void,
        InvoiceStatus::Uncollectible,
    ] {
        assert!(statuses.contains(&s), "{s:?}");
    }
    for inv in invoices.values() {
        let lines: Decimal = inv.lines.iter().map(|l| l.amount).sum();
        let tax: Decimal = inv.lines.iter().map(|l| l.tax).sum();
        assert_eq!(lines, inv.subtotal, "{}", inv.source.external_id);
        assert_eq!(tax, inv.tax, "{}", inv.source.external_id);
        assert_eq!(
            inv.subtotal - inv.discount + inv.tax,
            inv.total,
            "{}",
            inv.source.external_id
        );
        assert!(inv.customer_ref.as_ref().is_some_and(|c| c.email.is_some()));
    }
    assert!(invoices.values().any(|i| i.currency == Currency::EUR));

    // Payments: invoice payments link invoices with amounts; charges carry fees from their BT ids.
    let pays: Vec<&Payment> = recs
        .iter()
        .filter_map(|r| {
            if let Record::Payment(p) = r {
                Some(p)
            } else {
                None
            }
        })
        .collect();
    let partial = pays
        .iter()
        .find(|p| p.source.object == "invoice_payment" && p.links.invoices == ["in_SCoraPart00003"])
        .unwrap();
    assert_eq!(
        partial.links.invoice_amounts["in_SCoraPart00003"],
        dec!(100)
    );
    assert!(
        pays.iter()
            .any(|p| p.currency == Currency::JPY && p.amount == dec!(5000))
    );

    // Payout = sum of the nets of its balance transactions.
    let bts: BTreeMap<&str, &BalanceTransaction> = recs
        .iter()
        .filter_map(|r| {
            if let Record::BalanceTransaction(b) = r {
                Some((b.source.external_id.as_str(), b))
            } else {
                None
            }
        })
        .collect();
    let payout = recs
        .iter()
        .find_map(|r| {
            if let Record::Payout(p) = r {
                Some(p)
            } else {
                None
            }
        })
        .unwrap();
    assert!(!payout.balance_transaction_ids.is_empty());
    let nets: Decimal = payout
        .balance_transaction_ids
        .iter()
        .map(|id| bts[id.as_str()].net)
        .sum();
    assert_eq!(nets, payout.amount);
    assert_eq!(payout.arrival_date.unwrap().to_string(), "2025-04-22");
    for b in bts.values().filter(|b| b.kind == "charge") {
        let expected = (b.amount * dec!(0.029)).round_dp(2) + dec!(0.30);
        assert_eq!(b.fee, expected, "{}", b.source.external_id);
    }

    // The bank statement has the payout's deposit.
    let csv = std::fs::read_to_string(sample_dir().join("bank_statement.csv")).unwrap();
    let line = csv
        .lines()
        .find(|l| l.contains(&payout.source.external_id))
        .unwrap();
    assert!(line.contains(&payout.amount.to_string()));
    assert_eq!(csv.lines().count(), 3);
}

/// Many small page files (the shape of a saved export): the files are read
/// ahead in a thread while pages are taken, and every item still comes once,
/// in file order, from the start and from any checkpoint.
#[tokio::test]
async fn files_read_ahead_come_once_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for f in 0..40 {
        let page: Vec<_> = (f * 75..(f + 1) * 75).map(charge).collect();
        write(
            dir.path(),
            &format!("charges/page_{f:03}.json"),
            &json!({"object": "list", "url": "/v1/charges", "data": page}).to_string(),
        );
    }
    let ids = |items: &[SourceItem]| -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                SourceItem::Record(Record::Payment(p)) => p.source.external_id.clone(),
                other => panic!("unexpected item {other:?}"),
            })
            .collect()
    };
    let want: Vec<String> = (0..3000).map(|i| format!("ch_{i:05}")).collect();
    let src = StripeFiles::new(dir.path()).unwrap();
    let scope = FetchScope::default();
    let (all, cps) = drain(&src, &scope, None).await;
    assert_eq!(ids(&all), want);
    // Resuming (a jump backwards, then forwards) restarts the read-ahead there.
    for cp in cps.iter().rev() {
        let (rest, _) = drain(&src, &scope, Some(cp)).await;
        // `2:<file>:<item>`
        let pos: Vec<usize> = cp.split(':').map(|n| n.parse().unwrap()).collect();
        assert_eq!(pos.len(), 3, "{cp}");
        let (file, at) = (pos[1], pos[2]);
        let consumed = (file * 75 + at).min(3000);
        assert_eq!(ids(&rest), want[consumed..].to_vec(), "resume from {cp}");
    }
    // A fresh source paged while another one is half way: independent.
    let other = StripeFiles::new(dir.path()).unwrap();
    let half = other.next_page(&scope, None).await.unwrap();
    assert_eq!(ids(&half.items), want[..StripeFiles::PAGE_SIZE].to_vec());
    assert_eq!(ids(&drain(&src, &scope, None).await.0), want);
}

/// The files of an export come customers first, then payments (charges and
/// invoice payments) and invoices interleaved by time: a payments file at its
/// first creation, an invoices file at the last time one of its invoices was
/// created or paid, so the payments of an invoice come before it, and the
/// next invoices' payments after it, whatever the paths sort as; a checkpoint
/// written in an earlier order restarts from the first item.
#[tokio::test]
async fn payments_and_invoices_interleave_by_time_and_old_checkpoints_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let list = |url: &str, data: Vec<serde_json::Value>| {
        json!({"object": "list", "url": url, "data": data}).to_string()
    };
    // Invoice n is created at `t(n)` and paid 100 s later by its invoice
    // payment and its charge.
    let t = |n: i64| 1_700_000_000 + n * 100_000;
    for n in [1, 2, 3] {
        let invoice = json!({"id": format!("in_{n}"), "object": "invoice", "customer": "cus_1",
                "currency": "usd", "total": 500, "amount_paid": 500, "status": "paid",
                "created": t(n), "status_transitions": {"paid_at": t(n) + 100}});
        if n != 2 {
            write(
                d,
                &format!("a_invoices_{n}.json"),
                &list("/v1/invoices", vec![invoice]),
            );
        } else {
            // An event: the skim declines the file, the first pass reads it in
            // full and places it by its record's times.
            let event = json!({"id": "evt_2", "object": "event", "type": "invoice.paid",
                    "created": t(n) + 100, "data": {"object": invoice}});
            write(d, "a_invoices_2.json", &event.to_string());
        }
        write(
            d,
            &format!("b_invoice_payments_{n}.json"),
            &list(
                "/v1/invoice_payments",
                vec![
                    json!({"id": format!("inpay_{n}"), "object": "invoice_payment",
                        "invoice": format!("in_{n}"), "amount_paid": 500, "amount_requested": 500,
                        "currency": "usd", "status": "paid", "is_default": true,
                        "created": t(n) + 100,
                        "payment": {"type": "charge", "charge": format!("ch_{n}")}}),
                ],
            ),
        );
        write(
            d,
            &format!("c_charges_{n}.json"),
            &list(
                "/v1/charges",
                vec![
                    json!({"id": format!("ch_{n}"), "object": "charge", "amount": 500,
                        "currency": "usd", "status": "succeeded", "created": t(n) + 100}),
                ],
            ),
        );
    }
    write(
        d,
        "z_customers.json",
        &list(
            "/v1/customers",
            vec![json!({"id": "cus_1", "object": "customer", "created": 1_699_000_000})],
        ),
    );
    let src = StripeFiles::new(d).unwrap();
    let scope = FetchScope::default();
    let (items, cps) = drain(&src, &scope, None).await;
    let ids: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Record(r) => r.source().map(|s| s.external_id.clone()),
            SourceItem::Failed(f) => panic!("failed {f:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "cus_1", "inpay_1", "ch_1", "in_1", "inpay_2", "ch_2", "in_2", "inpay_3", "ch_3",
            "in_3"
        ],
        "customers, then each invoice after its payments (same time: path order)"
    );
    assert_eq!(cps.last().map(String::as_str), Some("3:10:0"));
    // Checkpoints of the old orders (`2:<file>:<item>`, `<file>:<item>`)
    // read everything again.
    for old in ["2:3:0", "2:1"] {
        let (again, _) = drain(&src, &scope, Some(old)).await;
        assert_eq!(again, items, "{old}");
    }
    let (rest, _) = drain(&src, &scope, Some("3:3:0")).await;
    assert_eq!(rest, items[3..].to_vec());
}
