//! Pushing journal entries to QuickBooks Online and Xero (issue 16): only
//! after the review's approval, each document once whatever happens. A local
//! HTTP server stands in for each API and enforces what the real ones do: a
//! repeated QuickBooks `requestid` or Xero `Idempotency-Key` returns the first
//! result instead of a second entry, and entries can be looked up (QuickBooks
//! query by `DocNumber`, Xero `Narration.Contains`). The tests crash the push
//! between its steps, lose answers and answer 503, and count what was posted.

mod ledger_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, TimeZone, Utc};
use ledger_support::ledger_book::{Book, sample};
use ledger_support::{deferred_mapping, load};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tieout::ledger_push::{QuickBooksClient, XeroClient};
use tieout::writes::{Channel, FaultPoint, WriteOptions};
use tieout::{Books, Currency, Error, ExportOptions, Target};

const TOKEN: &str = "oauth-access-token";

/// What the fake APIs hold.
#[derive(Default)]
struct Api {
    /// Created documents: (id, lookup text, body).
    created: Vec<(String, String, Value)>,
    /// Idempotency key -> the id it created.
    keys: BTreeMap<String, String>,
    /// Answer the next create with 503 without creating.
    fail_next: bool,
    /// Create the next one but answer too late (the client times out).
    lose_next: bool,
    /// POSTs seen.
    posts: usize,
}

type Shared = Arc<Mutex<Api>>;

fn authorized(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

fn query_pairs(q: Option<String>) -> BTreeMap<String, String> {
    let url = reqwest::Url::parse(&format!("http://x/?{}", q.unwrap_or_default())).unwrap();
    url.query_pairs().into_owned().collect()
}

/// Creates once per key; `Err` for a refused or failed create.
async fn create(
    api: &Shared,
    key: String,
    lookup: String,
    body: Value,
) -> Result<String, StatusCode> {
    let (id, lose) = {
        let mut a = api.lock().unwrap();
        a.posts += 1;
        if std::mem::take(&mut a.fail_next) {
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        }
        if let Some(id) = a.keys.get(&key) {
            return Ok(id.clone());
        }
        let id = format!("{}", a.created.len() + 1);
        a.created.push((id.clone(), lookup, body));
        a.keys.insert(key, id.clone());
        (id, std::mem::take(&mut a.lose_next))
    };
    if lose {
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    Ok(id)
}

async fn qbo_create(
    State(api): State<Shared>,
    Path(_realm): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, "{}".into());
    }
    let q = query_pairs(q);
    let Some(rid) = q.get("requestid").cloned() else {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"Fault":{"Error":[{"Message":"requestid required"}]}}"#.into(),
        );
    };
    let je: Value = serde_json::from_str(&body).unwrap();
    let doc = je["DocNumber"].as_str().unwrap_or("").to_string();
    assert!(doc.len() <= 21, "DocNumber {doc} too long");
    match create(&api, rid, doc.clone(), je.clone()).await {
        Ok(id) => {
            let mut out = je;
            out["Id"] = json!(id);
            (StatusCode::OK, json!({"JournalEntry": out}).to_string())
        }
        Err(s) => (s, "{}".into()),
    }
}

async fn qbo_query(
    State(api): State<Shared>,
    Path(_realm): Path<String>,
    RawQuery(q): RawQuery,
) -> (StatusCode, String) {
    let q = query_pairs(q);
    let text = q.get("query").cloned().unwrap_or_default();
    let doc = text
        .split_once("DocNumber = '")
        .map(|(_, r)| r.trim_end_matches('\'').to_string())
        .unwrap_or_default();
    let a = api.lock().unwrap();
    let found: Vec<Value> = a
        .created
        .iter()
        .filter(|(_, l, _)| *l == doc)
        .map(|(id, _, b)| json!({"Id": id, "PrivateNote": b["PrivateNote"]}))
        .collect();
    let qr = if found.is_empty() {
        json!({})
    } else {
        json!({ "JournalEntry": found })
    };
    (StatusCode::OK, json!({ "QueryResponse": qr }).to_string())
}

async fn xero_create(
    State(api): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    if !authorized(&headers) || headers.get("xero-tenant-id").is_none() {
        return (StatusCode::UNAUTHORIZED, "{}".into());
    }
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return (StatusCode::BAD_REQUEST, "{}".into());
    };
    let v: Value = serde_json::from_str(&body).unwrap();
    let j = v["ManualJournals"][0].clone();
    let sum: Decimal = j["JournalLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["LineAmount"].to_string().parse::<Decimal>().unwrap())
        .sum();
    if !sum.is_zero() {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"Message":"journal does not balance"}"#.into(),
        );
    }
    let narration = j["Narration"].as_str().unwrap_or("").to_string();
    match create(&api, key, narration, j.clone()).await {
        Ok(id) => {
            let mut out = j;
            out["ManualJournalID"] = json!(id);
            (StatusCode::OK, json!({"ManualJournals": [out]}).to_string())
        }
        Err(s) => (s, "{}".into()),
    }
}

async fn xero_find(State(api): State<Shared>, RawQuery(q): RawQuery) -> (StatusCode, String) {
    let q = query_pairs(q);
    let w = q.get("where").cloned().unwrap_or_default();
    let needle = w
        .strip_prefix("Narration.Contains(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .unwrap_or("\u{0}")
        .to_string();
    let a = api.lock().unwrap();
    let found: Vec<Value> = a
        .created
        .iter()
        .filter(|(_, l, _)| l.contains(&needle))
        .map(|(id, l, _)| json!({"ManualJournalID": id, "Narration": l}))
        .collect();
    (
        StatusCode::OK,
        json!({ "ManualJournals": found }).to_string(),
    )
}

/// Starts the fake APIs on a thread of their own; returns the base URL.
fn serve(api: Shared) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new()
                .route("/v3/company/{realm}/journalentry", post(qbo_create))
                .route("/v3/company/{realm}/query", axum::routing::get(qbo_query))
                .route("/ManualJournals", post(xero_create).get(xero_find))
                .with_state(api);
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn crash_at(n: usize, point: FaultPoint) -> WriteOptions {
    let seen = Mutex::new(0usize);
    WriteOptions {
        fault: Some(Box::new(move |_, p| {
            if p != point {
                return false;
            }
            let mut s = seen.lock().unwrap();
            *s += 1;
            *s == n
        })),
        ..WriteOptions::default()
    }
}

/// Runs a push through `client` with crashes, a lost answer and a 503, and
/// checks every document was created exactly once.
fn push_exactly_once(
    target: Target,
    account: &str,
    opts: &ExportOptions,
    client: Arc<dyn Channel>,
    api: &Shared,
) {
    let books = Books::in_memory();
    load(&books, &sample());
    let review = books
        .review_ledger_push(target, account, opts, now())
        .unwrap();
    let n = review.plan.intents.len();
    assert!(n >= 20, "the sample book gives many documents, got {n}");
    // Nothing without the review's approval.
    let other = books
        .review_ledger_push(target, "another-company", opts, now())
        .unwrap();
    let refused = books.push_ledger(
        &review,
        &other.approval,
        client.clone(),
        now(),
        &WriteOptions::default(),
    );
    assert!(
        matches!(
            refused,
            Err(Error::Core(tieout::core::CoreError::ApprovalRequired(_)))
        ),
        "{refused:?}"
    );
    assert_eq!(api.lock().unwrap().posts, 0, "nothing sent before approval");
    // Crash after the 3rd write was recorded but before it was sent.
    let r = books.push_ledger(
        &review,
        &review.approval,
        client.clone(),
        now(),
        &crash_at(3, FaultPoint::Recorded),
    );
    assert!(matches!(r, Err(Error::Aborted { .. })), "{r:?}");
    assert_eq!(api.lock().unwrap().created.len(), 2);
    // Crash after the 6th write was accepted but before its outcome was kept.
    let r = books.push_ledger(
        &review,
        &review.approval,
        client.clone(),
        now(),
        &crash_at(4, FaultPoint::Performed),
    );
    assert!(matches!(r, Err(Error::Aborted { .. })), "{r:?}");
    // The next create answers 503: retried later, with backoff.
    api.lock().unwrap().fail_next = true;
    let r = books
        .push_ledger(
            &review,
            &review.approval,
            client.clone(),
            now(),
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(
        r.resolved.len(),
        1,
        "the accepted one is found by the lookup: {r:?}"
    );
    assert_eq!(r.retrying.len(), 1, "{r:?}");
    // Its retry is created but the answer is lost (the client times out).
    api.lock().unwrap().lose_next = true;
    let later = now() + chrono::Duration::hours(1);
    let r = books
        .push_ledger(
            &review,
            &review.approval,
            client.clone(),
            later,
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(r.unknown.len(), 1, "{r:?}");
    // The lost one is found by the lookup, not posted again.
    let posts = api.lock().unwrap().posts;
    let r = books
        .push_ledger(
            &review,
            &review.approval,
            client.clone(),
            later,
            &WriteOptions::default(),
        )
        .unwrap();
    assert_eq!(r.resolved.len(), 1, "{r:?}");
    assert_eq!(r.already_done.len(), n - 1, "{r:?}");
    assert_eq!(api.lock().unwrap().posts, posts, "nothing sent again");
    {
        let a = api.lock().unwrap();
        assert_eq!(a.created.len(), n, "every document exactly once");
        let mut lookups: Vec<&String> = a.created.iter().map(|(_, l, _)| l).collect();
        lookups.sort();
        lookups.dedup();
        assert_eq!(lookups.len(), n, "no document twice");
    }
    // Every write is recorded with the created id.
    let writes = books.writes().unwrap();
    assert_eq!(
        writes
            .iter()
            .filter(|w| w.status == tieout::core::writes::WriteStatus::Succeeded)
            .count(),
        n
    );
    // Nothing new to push; a late change is pushed as one adjusting entry.
    let again = books
        .review_ledger_push(target, account, opts, later)
        .unwrap();
    assert!(again.plan.intents.is_empty(), "{:?}", again.entries);
    let mut b = sample();
    let inv = &mut b.invoices[0];
    inv.lines[0].amount += Decimal::ONE;
    inv.subtotal += Decimal::ONE;
    inv.total += Decimal::ONE;
    load(
        &books,
        &Book {
            invoices: vec![inv.clone()],
            ..Book::default()
        },
    );
    let adj = books
        .review_ledger_push(target, account, opts, later)
        .unwrap();
    assert_eq!(adj.entries.len(), 1, "{:?}", adj.entries);
    assert!(adj.entries[0].id.ends_with("~adj1"));
    let r = books
        .push_ledger(&adj, &adj.approval, client, later, &WriteOptions::default())
        .unwrap();
    assert_eq!(r.delivered.len(), adj.plan.intents.len(), "{r:?}");
    assert_eq!(
        api.lock().unwrap().created.len(),
        n + adj.plan.intents.len()
    );
}

#[test]
fn quickbooks_entries_are_posted_once_after_approval_through_crashes_and_lost_answers() {
    let api: Shared = Arc::default();
    let url = serve(api.clone());
    let client = QuickBooksClient::new(&url, "9130", TOKEN, Duration::from_millis(700)).unwrap();
    assert!(
        !format!("{client:?}").contains(TOKEN),
        "the token is a secret"
    );
    push_exactly_once(
        Target::Qbo,
        "9130",
        &ExportOptions::default(),
        Arc::new(client),
        &api,
    );
}

#[test]
fn xero_journals_are_posted_once_after_approval_through_crashes_and_lost_answers() {
    let api: Shared = Arc::default();
    let url = serve(api.clone());
    let client = XeroClient::new(&url, "tenant-7", TOKEN, Duration::from_millis(700)).unwrap();
    assert!(
        !format!("{client:?}").contains(TOKEN),
        "the token is a secret"
    );
    let opts = ExportOptions {
        base_currency: Some(Currency::USD),
        rates: [
            (Currency::EUR, Decimal::new(108, 2)),
            (Currency::GBP, Decimal::new(127, 2)),
            (Currency::JPY, Decimal::new(67, 4)),
        ]
        .into_iter()
        .collect(),
        ..ExportOptions::default()
    };
    push_exactly_once(Target::Xero, "tenant-7", &opts, Arc::new(client), &api);
}

#[test]
fn only_quickbooks_and_xero_can_be_pushed() {
    let books = Books::in_memory();
    load(&books, &sample());
    let e = books
        .review_ledger_push(Target::Beancount, "x", &ExportOptions::default(), now())
        .unwrap_err();
    assert!(e.to_string().contains("export the file instead"), "{e}");
}

#[test]
fn a_late_void_pushes_reversals_of_the_recognition_slices_already_posted() {
    use ledger_support::ledger_book::at;
    let api: Shared = Arc::default();
    let url = serve(api.clone());
    let client: Arc<dyn Channel> =
        Arc::new(QuickBooksClient::new(&url, "9130", TOKEN, Duration::from_millis(700)).unwrap());
    let books = Books::in_memory();
    let book = sample();
    load(&books, &book);
    let opts = ExportOptions {
        mapping: deferred_mapping(),
        ..ExportOptions::default()
    };
    let push = |when: DateTime<Utc>| {
        let review = books
            .review_ledger_push(Target::Qbo, "9130", &opts, when)
            .unwrap();
        let r = books
            .push_ledger(
                &review,
                &review.approval,
                client.clone(),
                when,
                &WriteOptions::default(),
            )
            .unwrap();
        assert_eq!(r.delivered.len(), review.plan.intents.len(), "{r:?}");
        review
    };
    let first = push(at(400));
    let sent = ledger_support::void_after_first_slice(&books, &book, &first.entries);
    let posted = api.lock().unwrap().created.len();
    let second = push(at(401));
    let reversed = second
        .entries
        .iter()
        .filter(|e| e.category == "reversed")
        .count();
    assert_eq!(reversed, sent.len() - 1, "{:?}", second.entries);
    assert_eq!(
        api.lock().unwrap().created.len(),
        posted + second.plan.intents.len()
    );
    // Nothing more to push after that.
    let third = books
        .review_ledger_push(Target::Qbo, "9130", &opts, at(401))
        .unwrap();
    assert!(third.plan.intents.is_empty(), "{:?}", third.entries);
}
