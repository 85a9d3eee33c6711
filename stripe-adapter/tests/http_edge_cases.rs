//! The Stripe client against a scripted local HTTP server: pagination, embedded
//! lists, errors, retries, timeouts, rate and concurrency limits, headers, redaction.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Req, Resp, Server, account, customer, empty_list, list};
use tieout_core::{FetchScope, ObjectScope, Record, Source, SourceItem};
use tieout_stripe::{ApiKey, KeyKind, StripeError, StripeSource};

const KEY: &str = "sk_test_51SecretValueDoNotLeak";
const SECRET_PART: &str = "51SecretValueDoNotLeak";

fn src(url: &str) -> StripeSource {
    StripeSource::new(KEY)
        .unwrap()
        .base_url(url)
        .retry_base_delay(Duration::from_millis(5))
        .retry_max_delay(Duration::from_millis(20))
        .max_requests_per_second(1000)
}

fn scope(objects: &[ObjectScope]) -> FetchScope {
    FetchScope {
        objects: objects.to_vec(),
        ..FetchScope::default()
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn ids(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

fn assert_no_key(text: &str) {
    assert!(!text.contains(SECRET_PART), "key leaked: {text}");
    assert!(!text.contains(KEY), "key leaked: {text}");
}

// ---------------------------------------------------------------- keys

#[tokio::test]
async fn keys_are_classified_and_never_printed() {
    let k = ApiKey::new(KEY).unwrap();
    assert_eq!(k.kind(), KeyKind::Secret);
    assert!(!k.livemode());
    assert_eq!(format!("{k}"), "sk_test_****");
    assert_eq!(format!("{k:?}"), "ApiKey(sk_test_****)");
    let live = ApiKey::new("rk_live_abc").unwrap();
    assert_eq!((live.kind(), live.livemode()), (KeyKind::Restricted, true));

    for bad in [
        "pk_test_51PublishableSecret",
        "pk_live_x",
        "whsec_abc",
        "sk_prod_abc",
        "",
    ] {
        let e = StripeSource::new(bad).unwrap_err();
        assert!(
            matches!(e, StripeError::InvalidKeyFormat(_)),
            "{bad}: {e:?}"
        );
        if !bad.is_empty() {
            assert!(!e.to_string().contains(bad));
            assert!(!format!("{e:?}").contains(bad));
        }
    }
    let e = StripeSource::new("pk_test_51PublishableSecret").unwrap_err();
    assert!(e.to_string().contains("publishable"), "{e}");

    let s = StripeSource::new(KEY)
        .unwrap()
        .stripe_account("acct_connected");
    let dbg = format!("{s:?}");
    assert_no_key(&dbg);
    assert!(dbg.contains("sk_test_****"), "{dbg}");
}

#[tokio::test]
async fn error_messages_that_echo_the_key_are_redacted() {
    let server = Server::start(|r: &Req| match r.path.as_str() {
        "/v1/account" => Resp::error(
            401,
            "invalid_request_error",
            &format!("Invalid API Key provided: {KEY}"),
        ),
        "/v1/customers" => Resp::error(
            400,
            "invalid_request_error",
            &format!("Bad request for key {KEY} and rk_live_OtherSecret1"),
        ),
        "/v1/invoices" => Resp::error(
            403,
            "invalid_request_error",
            &format!("{KEY} lacks rak_invoice_read"),
        ),
        "/v1/charges" => Resp::error(429, "rate_limit_error", &format!("slow down {KEY}")),
        _ => Resp::error(500, "api_error", &format!("boom {KEY}"))
            .header("Stripe-Should-Retry", "false"),
    })
    .await;
    let s = src(&server.url).max_retries(0);
    let mut errors = vec![s.verify().await.unwrap_err()];
    for path in [
        "/v1/customers",
        "/v1/invoices",
        "/v1/charges",
        "/v1/payouts",
    ] {
        errors.push(s.get_json(path, &[]).await.unwrap_err());
    }
    assert!(matches!(errors[0], StripeError::InvalidApiKey { .. }));
    assert!(matches!(errors[1], StripeError::Api { status: 400, .. }));
    assert!(matches!(errors[2], StripeError::PermissionDenied { .. }));
    assert!(matches!(
        errors[3],
        StripeError::RateLimited { attempts: 1 }
    ));
    assert!(matches!(errors[4], StripeError::Api { status: 500, .. }));
    for e in &errors {
        assert_no_key(&e.to_string());
        assert_no_key(&format!("{e:?}"));
        let core: tieout_core::CoreError = StripeError::Decode(e.to_string()).into();
        assert_no_key(&core.to_string());
    }
    assert!(
        errors[1].to_string().contains("sk_test_****"),
        "{}",
        errors[1]
    );
    assert!(!errors[1].to_string().contains("OtherSecret1"));
    assert!(
        errors[0].to_string().contains("req_401"),
        "request id shown: {}",
        errors[0]
    );
}

// ---------------------------------------------------------------- pagination

#[tokio::test]
async fn exactly_100_objects_fit_one_page() {
    let all: Vec<Value> = (0..100)
        .map(|i| customer(i, 1_700_000_000 + i as i64))
        .collect();
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/account" => account(),
        "/v1/customers" => list(&all, r),
        _ => Resp::not_found(),
    })
    .await;
    let s = src(&server.url).shards(1);
    let page = s
        .next_raw_page(&scope(&[ObjectScope::Customers]), None)
        .await
        .unwrap();
    assert_eq!(page.objects.len(), 100);
    assert!(page.done);
    let reqs = server.requests_to("/v1/customers");
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].q("limit"), Some("100"));
    assert_eq!(
        reqs[0].q("created[gte]"),
        None,
        "unsharded full import sends no filter"
    );
    // Mapped through the Source trait: one customer record per object.
    let p = Source::next_page(&s, &scope(&[ObjectScope::Customers]), None)
        .await
        .unwrap();
    let customers = p
        .items
        .iter()
        .filter(|i| matches!(i, SourceItem::Record(Record::Customer(_))))
        .count();
    assert_eq!(customers, 100);
}

#[tokio::test]
async fn has_more_followed_by_an_empty_last_page() {
    let all: Vec<Value> = (0..100)
        .map(|i| customer(i, 1_700_000_000 + i as i64))
        .collect();
    let server = Server::start(
        move |r: &Req| match (r.path.as_str(), r.q("starting_after")) {
            ("/v1/customers", None) => {
                Resp::ok(json!({"object":"list","has_more":true,"data":all}))
            }
            ("/v1/customers", Some(_)) => empty_list(),
            _ => Resp::not_found(),
        },
    )
    .await;
    let s = src(&server.url).shards(1);
    let sc = scope(&[ObjectScope::Customers]);
    let p1 = s.next_raw_page(&sc, None).await.unwrap();
    assert_eq!(p1.objects.len(), 100);
    assert!(!p1.done);
    let p2 = s.next_raw_page(&sc, Some(&p1.checkpoint)).await.unwrap();
    assert!(p2.objects.is_empty());
    assert!(p2.done);
    let reqs = server.requests_to("/v1/customers");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].q("starting_after"), Some("cus_00099"));
    assert!(
        reqs.iter()
            .all(|r| r.q("total_count").is_none() && r.q("include[]").is_none())
    );
}

#[tokio::test]
async fn empty_list_and_multi_page_resume_from_checkpoint() {
    let all: Vec<Value> = (0..250)
        .map(|i| customer(i, 1_700_000_000 + i as i64))
        .collect();
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/customers" => list(&all, r),
        "/v1/products" => empty_list(),
        "/v1/prices" => empty_list(),
        _ => Resp::not_found(),
    })
    .await;
    let sc = scope(&[ObjectScope::Customers, ObjectScope::Products]);
    let p1 = src(&server.url)
        .shards(1)
        .next_raw_page(&sc, None)
        .await
        .unwrap();
    assert_eq!(p1.objects.len(), 100);
    // A fresh client resumes from the stored checkpoint.
    let s2 = src(&server.url).shards(1);
    let p2 = s2.next_raw_page(&sc, Some(&p1.checkpoint)).await.unwrap();
    let p3 = s2.next_raw_page(&sc, Some(&p2.checkpoint)).await.unwrap();
    assert_eq!((p2.objects.len(), p3.objects.len()), (100, 50));
    assert!(!p3.done);
    // The empty product and price lists end the import with an empty page.
    let p4 = s2.next_raw_page(&sc, Some(&p3.checkpoint)).await.unwrap();
    assert!(p4.done && p4.objects.is_empty(), "{}", p4.checkpoint);
    let mut all_ids = ids(&p1.objects);
    all_ids.extend(ids(&p2.objects));
    all_ids.extend(ids(&p3.objects));
    all_ids.sort();
    all_ids.dedup();
    assert_eq!(all_ids.len(), 250);
    assert_eq!(server.requests_to("/v1/products").len(), 1);
    assert_eq!(server.requests_to("/v1/prices").len(), 1);
    // Done is sticky.
    let again = s2.next_raw_page(&sc, Some(&p4.checkpoint)).await.unwrap();
    assert!(again.done && again.objects.is_empty());
}

#[tokio::test]
async fn sharded_backfill_reads_disjoint_ranges_concurrently() {
    let (lo, hi) = (1_600_000_000i64, 1_600_400_000i64);
    let all: Vec<Value> = (0..400)
        .map(|i| customer(i, lo + (i as i64) * 1000))
        .collect();
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/customers" => list(&all, r).delay(Duration::from_millis(100)),
        _ => Resp::not_found(),
    })
    .await;
    let s = src(&server.url).shards(4).page_limit(50);
    let sc = FetchScope {
        objects: vec![ObjectScope::Customers],
        created_gte: Some(lo),
        created_lte: Some(hi),
        ..FetchScope::default()
    };
    // The backfill starts with one shard over the whole range; its first page
    // shows 350 more objects below, so it is split.
    let mut seen = Vec::new();
    let mut checkpoint: Option<String> = None;
    loop {
        let p = s.next_raw_page(&sc, checkpoint.as_deref()).await.unwrap();
        seen.extend(ids(&p.objects));
        let cp: Value = serde_json::from_str(&p.checkpoint).unwrap();
        let open = cp["shards"].as_array().map_or(0, |a| a.len());
        assert!(open <= 4, "at most 4 shards open: {cp}");
        // The shards open at once cover disjoint ranges.
        let mut open: Vec<(i64, i64)> = cp["shards"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| (s["gte"].as_i64().unwrap(), s["lte"].as_i64().unwrap()))
            .collect();
        open.sort();
        for w in open.windows(2) {
            assert!(w[0].1 < w[1].0, "non-overlapping: {open:?}");
        }
        if p.done {
            break;
        }
        checkpoint = Some(p.checkpoint);
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!((before, seen.len()), (400, 400), "each object once");
    assert!(server.max_in_flight() >= 2, "shards fetched concurrently");
    let reqs = server.requests_to("/v1/customers");
    assert_eq!(
        (reqs[0].qi("created[gte]"), reqs[0].qi("created[lte]")),
        (Some(lo), Some(hi))
    );
    // Shards were split off (first pages after the first), down to the range's
    // start. A split-off shard may be split again after its first page, so
    // these ranges can nest; what each shard reads is disjoint (checked above).
    let mut ranges: Vec<(i64, i64)> = reqs
        .iter()
        .skip(1)
        .filter(|r| r.q("starting_after").is_none())
        .map(|r| (r.qi("created[gte]").unwrap(), r.qi("created[lte]").unwrap()))
        .collect();
    ranges.sort();
    assert!(ranges.len() >= 2, "split: {ranges:?}");
    assert_eq!(ranges[0].0, lo);
    assert!(
        reqs.len() <= 400 / 50 + ranges.len(),
        "one partial page per shard at most: {} requests",
        reqs.len()
    );

    let total = s.fetch_all(&sc).await.unwrap();
    assert_eq!(total, 400);
    // A full import (no range) starts with one shard from 2011 to now.
    let full = src(&server.url)
        .shards(4)
        .fetch_all(&scope(&[ObjectScope::Customers]))
        .await
        .unwrap();
    assert_eq!(full, 400);
}

#[tokio::test]
async fn created_filters_rejected_fall_back_to_one_unsharded_walk() {
    let all: Vec<Value> = (0..30)
        .map(|i| customer(i, 1_700_000_000 + i as i64 * 10))
        .collect();
    let server = Server::start(move |r: &Req| {
        if r.q("created[gte]").is_some() || r.q("created[lte]").is_some() {
            return Resp::error(400, "invalid_request_error", "Unexpected created");
        }
        match r.path.as_str() {
            "/v1/customers" => list(&all, r),
            _ => Resp::not_found(),
        }
    })
    .await;
    let sc = FetchScope {
        objects: vec![ObjectScope::Customers],
        created_gte: Some(1_700_000_100),
        created_lte: Some(1_700_000_199),
        ..FetchScope::default()
    };
    let p = src(&server.url).next_raw_page(&sc, None).await.unwrap();
    assert!(p.done);
    assert_eq!(p.objects.len(), 10, "filtered locally to the range");
    assert!(
        p.notes.iter().any(|n| n.contains("created[] filters")),
        "{:?}",
        p.notes
    );
}

// ---------------------------------------------------------------- embedded lists

fn line(i: usize) -> Value {
    json!({"id": format!("il_{i:03}"), "object": "line_item", "amount": 100, "currency": "usd",
           "description": format!("line {i}"), "quantity": 1,
           "period": {"start": 1_700_000_000, "end": 1_702_592_000},
           "pricing": {"type": "price_details", "unit_amount_decimal": "100",
                       "price_details": {"price": "price_1", "product": "prod_1"}},
           "taxes": []})
}

#[tokio::test]
async fn invoice_with_25_lines_is_completed_before_mapping() {
    let lines: Vec<Value> = (0..25).map(line).collect();
    let first10 = lines[..10].to_vec();
    let invoice = json!({
        "id": "in_big", "object": "invoice", "created": 1_700_000_000, "livemode": false,
        "customer": "cus_1", "currency": "usd", "status": "open", "number": "INV-1",
        "subtotal": 2500, "total": 2500, "amount_due": 2500, "amount_paid": 0,
        "amount_remaining": 2500, "total_taxes": [], "discounts": [], "metadata": {},
        "status_transitions": {"finalized_at": 1_700_000_000},
        "lines": {"object": "list", "has_more": true, "url": "/v1/invoices/in_big/lines",
                  "data": first10},
    });
    let sub_items: Vec<Value> = (0..3)
        .map(|i| {
            json!({"id": format!("si_{i}"), "object": "subscription_item", "quantity": 1,
                        "created": 1_700_000_000 + i})
        })
        .collect();
    let sub = json!({"id": "sub_1", "object": "subscription", "created": 1_700_000_000,
        "customer": "cus_1", "status": "active", "currency": "usd", "livemode": false,
        "items": {"object": "list", "has_more": true, "data": [sub_items[2].clone()]}});
    let (inv, lines2, sub2) = (invoice.clone(), lines.clone(), sub.clone());
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/account" => account(),
        "/v1/invoices" => Resp::ok(json!({"object": "list", "has_more": false, "data": [inv]})),
        "/v1/invoices/in_big/lines" => {
            // Paged at 7 to force several follow-ups.
            let start = r
                .q("starting_after")
                .and_then(|a| lines2.iter().position(|l| l["id"] == a))
                .map(|p| p + 1)
                .unwrap_or(0);
            let page: Vec<Value> = lines2.iter().skip(start).take(7).cloned().collect();
            let has_more = start + 7 < lines2.len();
            Resp::ok(json!({"object": "list", "has_more": has_more, "data": page}))
        }
        "/v1/subscriptions" => {
            Resp::ok(json!({"object": "list", "has_more": false, "data": [sub2]}))
        }
        "/v1/subscription_items" => list(&sub_items, r),
        _ => Resp::not_found(),
    })
    .await;
    let s = src(&server.url).shards(1);
    let raw = s
        .next_raw_page(&scope(&[ObjectScope::Invoices]), None)
        .await
        .unwrap();
    let got = &raw.objects[0]["lines"];
    assert_eq!(got["has_more"], false);
    let line_ids = ids(got["data"].as_array().unwrap());
    assert_eq!(
        line_ids,
        ids(&lines),
        "all 25 lines, in order, no duplicates"
    );
    let follow = server.requests_to("/v1/invoices/in_big/lines");
    assert_eq!(follow.len(), 3);
    assert_eq!(follow[0].q("starting_after"), Some("il_009"));

    let page = Source::next_page(&s, &scope(&[ObjectScope::Invoices]), None)
        .await
        .unwrap();
    let inv = page
        .items
        .iter()
        .find_map(|i| match i {
            SourceItem::Record(Record::Invoice(inv)) => Some(inv),
            _ => None,
        })
        .expect("invoice mapped");
    assert_eq!(inv.lines.len(), 25);

    let raw = s
        .next_raw_page(&scope(&[ObjectScope::Subscriptions]), None)
        .await
        .unwrap();
    assert_eq!(raw.objects[0]["items"]["data"].as_array().unwrap().len(), 3);
    let si = server.requests_to("/v1/subscription_items");
    assert_eq!(si[0].q("subscription"), Some("sub_1"));
    assert_eq!(
        server.requests_to("/v1/subscriptions")[0].q("status"),
        Some("all")
    );
}

// ---------------------------------------------------------------- auth errors

#[tokio::test]
async fn unauthorized_key_is_invalid_api_key() {
    let server = Server::start(|_r: &Req| {
        Resp::error(
            401,
            "invalid_request_error",
            "Invalid API Key provided: sk_test_****Leak",
        )
    })
    .await;
    let e = src(&server.url).verify().await.unwrap_err();
    assert!(
        matches!(e, StripeError::InvalidApiKey { ref request_id } if request_id.as_deref() == Some("req_401")),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 1, "401 is not retried");
}

#[tokio::test]
async fn restricted_key_missing_invoices_is_reported_by_resource() {
    let customers = vec![customer(1, 1_700_000_000)];
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/account" => Resp::error(
            403,
            "invalid_request_error",
            "The provided key does not have access to account",
        ),
        "/v1/customers" => list(&customers, r),
        "/v1/invoices" | "/v1/payouts" => Resp::error(
            403,
            "invalid_request_error",
            "The provided key 'rk_test_****' does not have the required permissions",
        ),
        _ => empty_list(),
    })
    .await;
    let s = StripeSource::new("rk_test_51Restricted")
        .unwrap()
        .base_url(&server.url)
        .retry_base_delay(Duration::from_millis(1));
    let info = s.verify().await.unwrap();
    assert_eq!(info.key_kind, "restricted");
    assert_eq!(info.account, "acct_unknown");
    assert!(!info.livemode);
    s.verify_permissions(&[ObjectScope::Customers])
        .await
        .unwrap();
    let e = s
        .verify_permissions(&[
            ObjectScope::Customers,
            ObjectScope::Invoices,
            ObjectScope::Payouts,
        ])
        .await
        .unwrap_err();
    match &e {
        StripeError::PermissionDenied { resource, .. } => assert_eq!(resource, "invoices, payouts"),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("invoices"));
    let e = s
        .next_raw_page(&scope(&[ObjectScope::Invoices]), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, StripeError::PermissionDenied { ref resource, .. } if resource == "invoices")
    );
    let core: tieout_core::CoreError = e.into();
    assert!(core.to_string().contains("invoices"));
}

#[tokio::test]
async fn verify_uses_account_and_cross_checks_livemode() {
    let server = Server::start(|r: &Req| match r.path.as_str() {
        "/v1/account" => Resp::ok(json!({"id": "acct_real", "object": "account"})),
        _ => Resp::not_found(),
    })
    .await;
    let s = src(&server.url);
    let info = s.verify().await.unwrap();
    assert_eq!(
        (info.account.as_str(), info.livemode, info.key_kind.as_str()),
        ("acct_real", false, "secret")
    );
    assert_eq!(Source::stream(&s), "stripe:acct_real:api");

    // A mock without /v1/account whose data is live while the key is a test key.
    let server = Server::start(|r: &Req| match r.path.as_str() {
        "/v1/customers" => Resp::ok(json!({"object":"list","has_more":false,
            "data":[{"id":"cus_1","object":"customer","livemode":true,"created":1}]})),
        _ => Resp::not_found(),
    })
    .await;
    let e = src(&server.url).verify().await.unwrap_err();
    assert!(
        matches!(e, StripeError::Decode(ref m) if m.contains("test key")),
        "{e:?}"
    );
    assert_eq!(
        src(&server.url).stripe_account("acct_x").stream(),
        "stripe:acct_x:api"
    );
}

// ---------------------------------------------------------------- retries

fn scripted(script: Vec<Resp>) -> impl Fn(&Req) -> Resp + Send + Sync + 'static {
    let n = counter();
    move |_r: &Req| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        script
            .get(i)
            .cloned()
            .unwrap_or_else(|| Resp::ok(json!({"id": "ok", "attempt": i + 1})))
    }
}

#[tokio::test]
async fn rate_limit_storm_recovers() {
    let r429 = || Resp::error(429, "rate_limit_error", "Too many requests");
    let server = Server::start(scripted(vec![r429(), r429(), r429()])).await;
    let v = src(&server.url).get_json("/v1/balance", &[]).await.unwrap();
    assert_eq!(v["attempt"], 4);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Server::start(scripted(vec![
        Resp::error(429, "rate_limit_error", "slow").header("Retry-After", "1"),
    ]))
    .await;
    let t = Instant::now();
    src(&server.url).get_json("/v1/balance", &[]).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(950));
}

#[tokio::test]
async fn endless_429_ends_in_rate_limited() {
    let server = Server::start(|_r: &Req| Resp::error(429, "rate_limit_error", "no")).await;
    let e = src(&server.url)
        .max_retries(3)
        .get_json("/v1/charges", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(e, StripeError::RateLimited { attempts: 4 }),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 4);
    // Through the Source trait the run fails loudly instead of returning a partial page.
    let e = Source::next_page(
        &src(&server.url).max_retries(1),
        &scope(&[ObjectScope::Customers]),
        None,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("rate limited"), "{e}");
}

#[tokio::test]
async fn stripe_should_retry_header_wins() {
    let server = Server::start(|_r: &Req| {
        Resp::error(503, "api_error", "down").header("Stripe-Should-Retry", "false")
    })
    .await;
    let e = src(&server.url)
        .get_json("/v1/charges", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, StripeError::Api { status: 503, .. }), "{e:?}");
    assert_eq!(server.requests().len(), 1);

    let server = Server::start(scripted(vec![
        Resp::error(400, "invalid_request_error", "transient")
            .header("Stripe-Should-Retry", "true"),
    ]))
    .await;
    src(&server.url).get_json("/v1/charges", &[]).await.unwrap();
    assert_eq!(server.requests().len(), 2);

    let server =
        Server::start(|_r: &Req| Resp::error(400, "invalid_request_error", "bad param")).await;
    let e = src(&server.url)
        .get_json("/v1/charges", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(e, StripeError::Api { status: 400, ref kind, .. } if kind == "invalid_request_error")
    );
    assert_eq!(server.requests().len(), 1, "400 is not retried");
}

#[tokio::test]
async fn server_errors_and_conflicts_are_retried() {
    let server = Server::start(scripted(vec![
        Resp::error(500, "api_error", "a"),
        Resp::error(502, "api_error", "b"),
        Resp::error(409, "idempotency_error", "c"),
    ]))
    .await;
    let v = src(&server.url).get_json("/v1/payouts", &[]).await.unwrap();
    assert_eq!(v["attempt"], 4);

    let server = Server::start(|_r: &Req| Resp::error(500, "api_error", "always")).await;
    let e = src(&server.url)
        .max_retries(2)
        .get_json("/v1/payouts", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, StripeError::Api { status: 500, .. }), "{e:?}");
    assert!(e.to_string().contains("req_500"));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn slow_responses_and_timeouts() {
    let server = Server::start(|r: &Req| {
        let ms = r.qi("ms").unwrap_or(0) as u64;
        Resp::ok(json!({"slept": ms})).delay(Duration::from_millis(ms))
    })
    .await;
    let s = src(&server.url)
        .timeout(Duration::from_millis(800))
        .max_retries(1);
    let v = s.get_json("/v1/slow", &[("ms", "300")]).await.unwrap();
    assert_eq!(v["slept"], 300);
    let t = Instant::now();
    let e = s.get_json("/v1/slow", &[("ms", "3000")]).await.unwrap_err();
    assert!(
        matches!(e, StripeError::Network(ref m) if m.contains("timed out")),
        "{e:?}"
    );
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(server.requests().len(), 3, "timeout retried once");
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let e = src(&url).max_retries(2).verify().await.unwrap_err();
    assert!(
        matches!(e, StripeError::Network(ref m) if m.contains("3 attempt")),
        "{e:?}"
    );
    assert_no_key(&format!("{e:?}"));
}

// ---------------------------------------------------------------- limits

#[tokio::test]
async fn rate_limiter_keeps_requests_under_the_rate() {
    let server = Server::start(|_r: &Req| Resp::ok(json!({}))).await;
    let s = src(&server.url)
        .max_requests_per_second(10)
        .max_concurrency(20);
    let calls = (0..25).map(|_| s.get_json("/v1/balance", &[]));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    let mut at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    at.sort();
    assert_eq!(at.len(), 25);
    // Never 11 requests within 0.9 s at 10 req/s (slack for scheduling jitter).
    for i in 0..at.len() - 10 {
        assert!(
            at[i + 10] - at[i] >= Duration::from_millis(900),
            "11 requests within {:?}",
            at[i + 10] - at[i]
        );
    }
    // Bursts up to the limit are allowed (10 at once, then 10 a second later):
    // 25 requests span at least two windows.
    assert!(at[24] - at[0] >= Duration::from_millis(2000));
}

#[tokio::test]
async fn concurrency_limit_is_respected() {
    let server =
        Server::start(|_r: &Req| Resp::ok(json!({})).delay(Duration::from_millis(150))).await;
    let s = src(&server.url).max_concurrency(2);
    let t = Instant::now();
    let calls = (0..8).map(|_| s.get_json("/v1/balance", &[]));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(server.max_in_flight(), 2);
    assert!(
        t.elapsed() >= Duration::from_millis(550),
        "{:?}",
        t.elapsed()
    );
    // Clones share the limit.
    let s2 = s.clone();
    let calls = (0..4).map(|i| {
        let c = if i % 2 == 0 { s.clone() } else { s2.clone() };
        async move { c.get_json("/v1/balance", &[]).await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(server.max_in_flight(), 2);
}

// ---------------------------------------------------------------- headers

#[tokio::test]
async fn headers_and_idempotency_keys() {
    let n = counter();
    let server = Server::start(move |r: &Req| {
        if r.method == "POST" && r.path == "/v1/retry_me" && n.fetch_add(1, Ordering::SeqCst) == 0 {
            return Resp::error(500, "api_error", "first POST fails");
        }
        Resp::ok(json!({"id": "cus_new", "object": "customer"}))
    })
    .await;
    let s = src(&server.url);
    s.post_form(
        "/v1/customers",
        &[("name", "A & B"), ("metadata[k]", "v")],
        None,
    )
    .await
    .unwrap();
    s.post_form("/v1/customers", &[("name", "C")], Some("my-key-1".into()))
        .await
        .unwrap();
    s.post_form("/v1/retry_me", &[], None).await.unwrap();
    s.get_json("/v1/customers", &[("email", "a+b@example.com")])
        .await
        .unwrap();
    let connect = src(&server.url)
        .stripe_account("acct_conn")
        .api_version("2026-03-25.dahlia");
    connect.get_json("/v1/balance", &[]).await.unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 6);
    let k0 = reqs[0].header("idempotency-key").unwrap();
    let parsed = uuid::Uuid::parse_str(k0).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
    assert_eq!(
        reqs[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        reqs[0].form,
        vec![
            ("name".to_string(), "A & B".to_string()),
            ("metadata[k]".into(), "v".into())
        ]
    );
    assert_eq!(reqs[1].header("idempotency-key"), Some("my-key-1"));
    assert_ne!(reqs[2].header("idempotency-key"), Some(k0));
    assert_eq!(
        reqs[2].header("idempotency-key"),
        reqs[3].header("idempotency-key"),
        "a retried POST reuses its key"
    );
    assert_eq!(reqs[4].header("idempotency-key"), None, "GETs carry no key");
    assert_eq!(reqs[4].q("email"), Some("a+b@example.com"));
    for r in &reqs[..5] {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(r.header("stripe-version"), Some("2025-03-31.basil"));
        assert_eq!(r.header("stripe-account"), None);
    }
    assert_eq!(reqs[5].header("stripe-account"), Some("acct_conn"));
    assert_eq!(reqs[5].header("stripe-version"), Some("2026-03-25.dahlia"));
}

// ---------------------------------------------------------------- endpoints

#[tokio::test]
async fn endpoint_fallbacks_and_optional_endpoints() {
    let plan = json!({"id": "plan_1", "object": "plan", "created": 1_700_000_000, "amount": 1000,
        "currency": "usd", "interval": "month", "interval_count": 1, "product": "prod_1", "active": true});
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/account" => account(),
        "/v1/plans" => list(std::slice::from_ref(&plan), r),
        "/v1/products" | "/v1/payment_intents" | "/v1/charges" | "/v1/refunds" => empty_list(),
        _ => Resp::not_found(),
    })
    .await;
    let s = src(&server.url).shards(1);
    let sc = scope(&[
        ObjectScope::Products,
        ObjectScope::Payments,
        ObjectScope::Disputes,
    ]);
    let p = s.next_raw_page(&sc, None).await.unwrap();
    assert_eq!(ids(&p.objects), vec!["plan_1"]);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("/v1/prices") && n.contains("/v1/plans"))
    );
    let p2 = s.next_raw_page(&sc, Some(&p.checkpoint)).await.unwrap();
    assert!(p2.done);
    for path in [
        "/v1/invoice_payments",
        "/v1/checkout/sessions",
        "/v1/disputes",
    ] {
        assert!(
            p2.notes.iter().any(|n| n.contains(path)),
            "{path}: {:?}",
            p2.notes
        );
    }
    let charges = server.requests_to("/v1/charges");
    assert_eq!(charges[0].q("expand[]"), Some("data.balance_transaction"));
    // A required endpoint that is 404 fails the run.
    let e = s
        .next_raw_page(&scope(&[ObjectScope::Payouts]), None)
        .await
        .unwrap_err();
    assert!(matches!(e, StripeError::Api { status: 404, .. }));
    // verify_permissions tolerates the same gaps.
    s.verify_permissions(&[ObjectScope::Products, ObjectScope::Disputes])
        .await
        .unwrap();
}

// ---------------------------------------------------------------- events

fn event(i: i64, created: i64) -> Value {
    json!({"id": format!("evt_{i:03}"), "object": "event", "type": "customer.updated",
           "created": created, "api_version": "2025-03-31.basil", "livemode": false,
           "data": {"object": customer(i as usize, created - 100)}})
}

#[tokio::test]
async fn events_tail_from_cursor_and_backfill_when_expired() {
    let now = chrono::Utc::now().timestamp();
    // Newest first, like Stripe.
    let events: Vec<Value> = (1..=5).rev().map(|i| event(i, now - 100 + i)).collect();
    let customers: Vec<Value> = (0..3).map(|i| customer(100 + i, now - 1000)).collect();
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/account" => account(),
        "/v1/customers" => list(&customers, r),
        "/v1/events" => {
            let limit = r.qi("limit").unwrap_or(10) as usize;
            let mut view: Vec<Value> = events.clone();
            if let Some(before) = r.q("ending_before") {
                let Some(pos) = view.iter().position(|e| e["id"] == before) else {
                    return Resp::error(404, "invalid_request_error", "No such event");
                };
                view.truncate(pos);
                let start = view.len().saturating_sub(limit);
                let page = view[start..].to_vec();
                return Resp::ok(json!({"object":"list","has_more": start > 0,"data": page}));
            }
            list(&view, r)
        }
        _ => Resp::not_found(),
    })
    .await;
    let ev = src(&server.url).page_limit(2).events();
    let sc = scope(&[ObjectScope::Customers]);
    // Tail after evt_001: evt_002..evt_005 in two pages of 2, oldest first.
    let cp = tieout_stripe::StripeEvents::checkpoint_after("evt_001", now - 99);
    let p1 = Source::next_page(&ev, &sc, Some(&cp)).await.unwrap();
    assert!(!p1.done);
    let p2 = Source::next_page(&ev, &sc, Some(&p1.checkpoint))
        .await
        .unwrap();
    assert!(p2.done);
    let names = |p: &tieout_core::Page| -> Vec<String> {
        p.items
            .iter()
            .filter_map(|i| match i {
                SourceItem::Record(r) => Some(r.external_id().to_string()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(names(&p1), vec!["cus_00002", "cus_00003"]);
    assert_eq!(names(&p2), vec!["cus_00004", "cus_00005"]);
    let cur: Value = serde_json::from_str(&p2.checkpoint).unwrap();
    assert_eq!(cur["last_id"], "evt_005");
    let p3 = Source::next_page(&ev, &sc, Some(&p2.checkpoint))
        .await
        .unwrap();
    assert!(p3.done && p3.items.is_empty());

    // A cursor older than 30 days: note, backfill the scope's objects, then tail.
    let old = tieout_stripe::StripeEvents::checkpoint_after("evt_000", now - 40 * 86_400);
    let b1 = Source::next_page(&ev, &sc, Some(&old)).await.unwrap();
    assert!(
        b1.notes.iter().any(|n| n.contains("30-day retention")),
        "{:?}",
        b1.notes
    );
    assert!(!b1.done);
    // Pages of 2: the backfill reads the rest (its shards hand pages over as
    // they complete, so how many calls that takes is not fixed), then tailing
    // resumes at evt_005 with nothing new.
    let mut backfilled = names(&b1);
    let mut b3 = b1;
    for _ in 0..20 {
        b3 = Source::next_page(&ev, &sc, Some(&b3.checkpoint))
            .await
            .unwrap();
        assert!(b3.notes.is_empty());
        backfilled.extend(names(&b3));
        if b3.done {
            break;
        }
    }
    backfilled.sort();
    assert_eq!(backfilled, vec!["cus_00100", "cus_00101", "cus_00102"]);
    assert!(
        b3.done && b3.items.is_empty(),
        "resumes at the newest event: {}",
        b3.checkpoint
    );
    let cur: Value = serde_json::from_str(&b3.checkpoint).unwrap();
    assert_eq!(cur["last_id"], "evt_005");
    // An unknown (pruned) cursor inside the window also backfills.
    let pruned = tieout_stripe::StripeEvents::checkpoint_after("evt_gone", now - 10);
    let c1 = Source::next_page(&ev, &sc, Some(&pruned)).await.unwrap();
    assert!(c1.notes.iter().any(|n| n.contains("30-day retention")));
    assert!(Source::stream(&ev).ends_with(":events"));
}

#[tokio::test]
async fn paid_payouts_bring_their_balance_transactions() {
    let server = Server::start(|req| match req.path.as_str() {
        "/v1/account" => account(),
        "/v1/payouts" => list(
            &[json!({"id": "po_1", "object": "payout", "amount": 19400, "currency": "usd", "status": "paid",
                     "arrival_date": 1_745_280_000, "created": 1_745_100_000, "automatic": true,
                     "balance_transaction": "txn_po1", "livemode": false})],
            req,
        ),
        "/v1/balance_transactions" if req.q("payout") == Some("po_1") => list(
            &[
                json!({"id": "txn_a", "object": "balance_transaction", "amount": 10000, "fee": 320, "net": 9680,
                       "currency": "usd", "type": "charge", "reporting_category": "charge", "status": "available",
                       "created": 1_745_000_000, "available_on": 1_745_100_000, "source": "ch_a", "fee_details": []}),
                json!({"id": "txn_b", "object": "balance_transaction", "amount": 10000, "fee": 280, "net": 9720,
                       "currency": "usd", "type": "charge", "reporting_category": "charge", "status": "available",
                       "created": 1_745_000_100, "available_on": 1_745_100_000, "source": "ch_b", "fee_details": []}),
                json!({"id": "txn_po1", "object": "balance_transaction", "amount": -19400, "fee": 0, "net": -19400,
                       "currency": "usd", "type": "payout", "reporting_category": "payout", "status": "available",
                       "created": 1_745_100_000, "available_on": 1_745_100_000, "source": "po_1", "fee_details": []}),
            ],
            req,
        ),
        _ => empty_list(),
    })
    .await;
    let s = src(&server.url);
    let page = s
        .mapped_page(&scope(&[ObjectScope::Payouts]), None)
        .await
        .unwrap();
    let payout = page
        .items
        .iter()
        .find_map(|i| match i {
            SourceItem::Record(Record::Payout(p)) => Some(p.clone()),
            _ => None,
        })
        .expect("payout");
    assert_eq!(
        payout.balance_transaction_ids,
        vec!["txn_a".to_string(), "txn_b".to_string()]
    );
    let bts: Vec<_> = page
        .items
        .iter()
        .filter_map(|i| match i {
            SourceItem::Record(Record::BalanceTransaction(b)) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(bts.len(), 3);
    assert!(bts.iter().all(|b| b.payout_ref.as_deref() == Some("po_1")));
    let net: rust_decimal::Decimal = bts
        .iter()
        .filter(|b| b.kind == "charge")
        .map(|b| b.net)
        .sum();
    assert_eq!(net, payout.amount, "the payout equals the net it settled");
}

// ---------------------------------------------------------------- balance

#[tokio::test]
async fn the_reported_balance_is_read_from_get_v1_balance() {
    let server = Server::start(move |r: &Req| match r.path.as_str() {
        "/v1/account" => account(),
        "/v1/balance" => Resp::ok(json!({
            "object": "balance", "livemode": false,
            "available": [{"amount": 150_000, "currency": "usd", "source_types": {"card": 150_000}},
                          {"amount": 7_000, "currency": "eur"}],
            "pending": [{"amount": 2_550, "currency": "usd"}],
        })),
        _ => Resp::not_found(),
    })
    .await;
    let s = src(&server.url);
    let before = chrono::Utc::now();
    let got = Source::reported_balances(&s).await.unwrap();
    assert_eq!(server.requests_to("/v1/balance").len(), 1);
    let usd = got.iter().find(|b| b.currency.code() == "USD").unwrap();
    assert_eq!(usd.available.to_string(), "1500.00");
    assert_eq!(usd.pending.to_string(), "25.50");
    assert!(usd.at >= before, "read now");
    let eur = got.iter().find(|b| b.currency.code() == "EUR").unwrap();
    assert_eq!(
        (eur.available.to_string(), eur.pending.is_zero()),
        ("70.00".into(), true)
    );
}
