//! The adaptive backfill against a scripted local server: a small account
//! costs one request, a young and growing account is split where its data is
//! (faster than one cursor by a wide margin), and a backfill interrupted
//! anywhere resumes from its checkpoint with nothing lost or doubled.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Req, Resp, Server, customer};
use tieout_core::{FetchScope, ObjectScope};
use tieout_stripe::StripeSource;

const YEAR: i64 = 365 * 86_400;

fn src(url: &str) -> StripeSource {
    StripeSource::new("sk_test_51BackfillSplitKey")
        .unwrap()
        .base_url(url)
        .retry_base_delay(Duration::from_millis(5))
        .max_requests_per_second(1000)
}

fn customers() -> FetchScope {
    FetchScope {
        objects: vec![ObjectScope::Customers],
        ..FetchScope::default()
    }
}

/// `n` customers of an account opened three years ago whose sign-ups grow
/// linearly: the newest year holds more than half of them.
fn young_and_growing(n: usize) -> Vec<Value> {
    let now = chrono::Utc::now().timestamp() - 60;
    let opened = now - 3 * YEAR;
    (0..n)
        .map(|i| {
            let u = (i as f64 + 0.5) / n as f64;
            customer(i, opened + (3.0 * YEAR as f64 * u.sqrt()) as i64)
        })
        .collect()
}

/// Stripe's list semantics like `support::list`, over objects sorted once
/// (newest first), so that the server's own time stays small next to the latency.
fn sorted_list(all: &[(i64, Value)], r: &Req) -> Resp {
    let (gte, lte) = (r.qi("created[gte]"), r.qi("created[lte]"));
    let mut items = all
        .iter()
        .filter(|(c, _)| gte.is_none_or(|g| *c >= g) && lte.is_none_or(|l| *c <= l))
        .map(|(_, o)| o);
    if let Some(after) = r.q("starting_after") {
        for o in items.by_ref() {
            if o["id"] == after {
                break;
            }
        }
    }
    let limit = r.qi("limit").unwrap_or(10) as usize;
    let page: Vec<Value> = items.by_ref().take(limit).cloned().collect();
    let has_more = items.next().is_some();
    Resp::ok(json!({"object": "list", "has_more": has_more, "data": page}))
}

async fn server(mut all: Vec<Value>, latency: Duration) -> Server {
    all.sort_by(|a, b| {
        b["created"]
            .as_i64()
            .cmp(&a["created"].as_i64())
            .then_with(|| b["id"].as_str().cmp(&a["id"].as_str()))
    });
    let all: Vec<(i64, Value)> = all
        .into_iter()
        .map(|o| (o["created"].as_i64().unwrap_or(0), o))
        .collect();
    Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/customers" => sorted_list(&all, r).delay(latency),
        _ => Resp::not_found(),
    })
    .await
}

/// Reads to the end from `checkpoint`; returns the ids read and every checkpoint.
async fn read_all(s: &StripeSource, mut checkpoint: Option<String>) -> (Vec<String>, Vec<String>) {
    let (mut ids, mut checkpoints) = (Vec::new(), Vec::new());
    loop {
        let p = s
            .next_raw_page(&customers(), checkpoint.as_deref())
            .await
            .unwrap();
        ids.extend(
            p.objects
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_string()),
        );
        checkpoints.push(p.checkpoint.clone());
        if p.done {
            return (ids, checkpoints);
        }
        checkpoint = Some(p.checkpoint);
    }
}

#[tokio::test]
async fn a_small_account_costs_one_request() {
    let server = server(young_and_growing(80), Duration::ZERO).await;
    let (ids, _) = read_all(&src(&server.url), None).await;
    assert_eq!(ids.len(), 80);
    assert_eq!(server.requests_to("/v1/customers").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn splitting_a_growing_account_beats_one_cursor() {
    let n = 2_000;
    let latency = Duration::from_millis(150);
    let server = server(young_and_growing(n), latency).await;

    let t = Instant::now();
    let (one, _) = read_all(&src(&server.url).shards(1), None).await;
    let one_cursor = t.elapsed();
    assert_eq!(one.len(), n);
    let single_requests = server.requests_to("/v1/customers").len();
    assert_eq!(single_requests, n.div_ceil(100));

    let t = Instant::now();
    let (split, checkpoints) = read_all(&src(&server.url), None).await;
    let adaptive = t.elapsed();
    let unique: BTreeSet<&String> = split.iter().collect();
    assert_eq!((split.len(), unique.len()), (n, n), "each customer once");
    let requests = server.requests_to("/v1/customers").len() - single_requests;
    assert!(
        server.max_in_flight() >= 4,
        "requests in flight at once: {}",
        server.max_in_flight()
    );
    // Empty and partial pages of split shards cost a few requests, not dozens.
    assert!(requests <= n / 100 + 16, "{requests} requests");
    let most_open = checkpoints
        .iter()
        .map(|c| {
            let v: Value = serde_json::from_str(c).unwrap();
            v["shards"].as_array().map_or(0, |a| a.len())
        })
        .max()
        .unwrap();
    assert!(most_open >= 4, "the account was split: {most_open} shards");
    let ratio = one_cursor.as_secs_f64() / adaptive.as_secs_f64();
    eprintln!(
        "one cursor {one_cursor:?} ({single_requests} requests), adaptive {adaptive:?} ({requests} requests, up to {most_open} shards): {ratio:.1}x"
    );
    assert!(
        ratio > 2.0,
        "adaptive {adaptive:?} vs one cursor {one_cursor:?}: {ratio:.1}x"
    );
}

#[tokio::test]
async fn an_interrupted_split_backfill_resumes_without_loss_or_duplicates() {
    let n = 1_500;
    let server = server(young_and_growing(n), Duration::from_millis(2)).await;
    let (full, checkpoints) = read_all(&src(&server.url), None).await;
    assert_eq!(full.len(), n);
    assert!(checkpoints.len() >= 4);
    for k in [
        0,
        checkpoints.len() / 3,
        checkpoints.len() / 2,
        checkpoints.len() - 2,
    ] {
        // Stop after page k; a new process (a fresh source) resumes from its checkpoint.
        let s = src(&server.url);
        let mut before = Vec::new();
        let mut checkpoint: Option<String> = None;
        for _ in 0..=k {
            let p = s
                .next_raw_page(&customers(), checkpoint.as_deref())
                .await
                .unwrap();
            before.extend(
                p.objects
                    .iter()
                    .map(|o| o["id"].as_str().unwrap().to_string()),
            );
            checkpoint = Some(p.checkpoint);
            if p.done {
                break;
            }
        }
        drop(s);
        let (after, _) = read_all(&src(&server.url), checkpoint).await;
        let mut all = before;
        all.extend(after);
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(
            (all.len(), unique.len()),
            (n, n),
            "interrupted after page {k}"
        );
    }
}
