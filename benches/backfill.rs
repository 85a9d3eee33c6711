//! Backfill speed against a local Stripe-like server with 250 ms latency and a
//! 25 requests/s limit (429 above it). Reports objects/s against the bound
//! (25 req/s × 100 objects = 2,500 objects/s) for one sequential cursor (the
//! peer) and for the sharded, concurrent backfill.
//!
//! `cargo bench --bench backfill` (set `TIEOUT_BACKFILL_N`, default 20000 customers).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tieout::{FetchScope, ObjectScope, StripeSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const LATENCY: Duration = Duration::from_millis(250);
const LIMIT_PER_SEC: usize = 25;
const START: i64 = 1_600_000_000;
const SPAN: i64 = 100_000_000;

struct Server {
    /// Customers, newest first (Stripe's list order).
    customers: Vec<(String, i64)>,
    recent: Mutex<VecDeque<Instant>>,
    throttled: Mutex<u64>,
}

fn query_param<'a>(q: &'a str, key: &str) -> Option<&'a str> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.replace("%5B", "[").replace("%5D", "]") == key).then_some(v)
    })
}

impl Server {
    fn admit(&self) -> bool {
        let mut r = self.recent.lock().expect("lock");
        let now = Instant::now();
        while r
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            r.pop_front();
        }
        if r.len() >= LIMIT_PER_SEC {
            *self.throttled.lock().expect("lock") += 1;
            return false;
        }
        r.push_back(now);
        true
    }

    fn page(&self, path: &str) -> String {
        let (route, q) = path.split_once('?').unwrap_or((path, ""));
        if route == "/v1/account" {
            return json!({"id": "acct_bench", "object": "account"}).to_string();
        }
        let limit: usize = query_param(q, "limit")
            .and_then(|v| v.parse().ok())
            .unwrap_or(10);
        let gte: i64 = query_param(q, "created[gte]")
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MIN);
        let lte: i64 = query_param(q, "created[lte]")
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MAX);
        let after = query_param(q, "starting_after");
        let mut it = self
            .customers
            .iter()
            .filter(|(_, c)| *c >= gte && *c <= lte)
            .peekable();
        if let Some(a) = after {
            for (id, _) in it.by_ref() {
                if id == a {
                    break;
                }
            }
        }
        let data: Vec<_> = it.by_ref().take(limit).collect();
        let has_more = it.peek().is_some();
        let objs: Vec<_> = data
            .iter()
            .map(|(id, c)| json!({"id": id, "object": "customer", "created": c, "name": "Bench Co", "email": format!("{id}@example.com"), "livemode": false}))
            .collect();
        json!({"object": "list", "url": route, "has_more": has_more, "data": objs}).to_string()
    }
}

async fn serve(listener: TcpListener, server: Arc<Server>) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let server = server.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            loop {
                let Ok(n) = sock.read(&mut buf).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                tokio::time::sleep(LATENCY).await;
                let (status, body) = if server.admit() {
                    ("200 OK", server.page(&path))
                } else {
                    ("429 Too Many Requests", json!({"error": {"type": "invalid_request_error", "message": "rate limited"}}).to_string())
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nrequest-id: req_bench\r\n\r\n{body}",
                    body.len()
                );
                if sock.write_all(resp.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn run(n: usize, shards: usize) -> (usize, Duration, u64) {
    let customers: Vec<(String, i64)> = (0..n)
        .rev()
        .map(|i| (format!("cus_{i:07}"), START + (i as i64 * SPAN) / n as i64))
        .collect();
    let server = Arc::new(Server {
        customers,
        recent: Mutex::new(VecDeque::new()),
        throttled: Mutex::new(0),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(listener, server.clone()));
    let source = StripeSource::new("sk_test_bench_backfill_key")
        .expect("key")
        .base_url(format!("http://{addr}"))
        .max_requests_per_second(24)
        .max_concurrency(16)
        .shards(shards)
        .retry_base_delay(Duration::from_millis(200));
    let scope = FetchScope {
        objects: vec![ObjectScope::Customers],
        created_gte: Some(START),
        created_lte: Some(START + SPAN),
        invoice_statuses: Vec::new(),
    };
    let t = Instant::now();
    let count = source.fetch_all(&scope).await.expect("backfill");
    let throttled = *server.throttled.lock().expect("lock");
    (count, t.elapsed(), throttled)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("TIEOUT_BACKFILL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let bound = (LIMIT_PER_SEC * 100) as f64;
    println!(
        "backfill of {n} customers; server: 250 ms latency, {LIMIT_PER_SEC} req/s; bound {bound:.0} objects/s"
    );
    let mut seq_rate = 0.0;
    for shards in [1usize, 4, 16, 32] {
        let (count, took, throttled) = run(n, shards).await;
        assert_eq!(count, n, "every object fetched exactly once");
        let rate = count as f64 / took.as_secs_f64();
        if shards == 1 {
            seq_rate = rate;
        }
        println!(
            "shards {shards}: {count} objects in {:.2} s = {rate:.0} objects/s ({:.0}% of bound, {:.1}x one cursor), {throttled} throttled",
            took.as_secs_f64(),
            100.0 * rate / bound,
            rate / seq_rate
        );
    }
}
