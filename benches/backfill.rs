//! Backfill speed against a local Stripe-like server with 250 ms latency and a
//! 25 requests/s limit (429 above it). Reports objects/s against the bound
//! (25 req/s × 100 objects = 2,500 objects/s) for one sequential cursor (the
//! peer) and for the backfill with its default settings, on two shapes of
//! account: customers spread evenly since 2011, and a young and growing account
//! (opened three years ago, sign-ups growing linearly). Both are full imports
//! (no created range), as a first sync is.
//!
//! `cargo bench --bench backfill` (set `TIEOUT_BACKFILL_N`, default 20000
//! customers; `TIEOUT_BACKFILL_RUNS`, default 1, runs of the default settings
//! per shape; `TIEOUT_BACKFILL_PEER=0` skips the one-cursor peer). Each run
//! also prints the server's timeline: request starts per second and every
//! start later than the limit allowed (a request slot idling);
//! `TIEOUT_BACKFILL_TRACE=1` adds every page served (range, cursor, size).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tieout::stripe::client::DEFAULT_BACKFILL_START;
use tieout::{FetchScope, ObjectScope, StripeSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const LATENCY: Duration = Duration::from_millis(250);
const LIMIT_PER_SEC: usize = 25;
const YEAR: i64 = 365 * 86_400;

/// How the account's customers are spread over time.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// Evenly from 2011-01-01 to now.
    Even,
    /// Opened three years ago; sign-ups grow linearly, so the newest year holds
    /// more than half of them.
    YoungAndGrowing,
}

impl Shape {
    fn created(self, i: usize, n: usize, now: i64) -> i64 {
        let u = (i as f64 + 0.5) / n as f64;
        match self {
            Shape::Even => {
                let start = DEFAULT_BACKFILL_START;
                start + ((now - start) as f64 * u) as i64
            }
            Shape::YoungAndGrowing => now - 3 * YEAR + (3.0 * YEAR as f64 * u.sqrt()) as i64,
        }
    }
}

struct Server {
    /// Customers, newest first (Stripe's list order): created and JSON.
    customers: Vec<(i64, String)>,
    /// Where each customer id is in `customers`.
    position: HashMap<String, usize>,
    recent: Mutex<VecDeque<Instant>>,
    throttled: Mutex<u64>,
    requests: Mutex<u64>,
    /// Objects sent in pages (more than the account holds when pages overlap).
    served: Mutex<u64>,
    /// Pages with fewer objects than asked for (each shard's last page).
    partial: Mutex<u64>,
    /// The size of each of those pages.
    partial_sizes: Mutex<Vec<usize>>,
    /// When each request arrived and whether it was admitted, in arrival order.
    log: Mutex<Vec<(Instant, bool)>>,
    /// Every page served: when its request arrived, its range and cursor, and
    /// how many objects it held (printed with `TIEOUT_BACKFILL_TRACE=1`).
    trace: Mutex<Vec<(Instant, String)>>,
}

fn query_param<'a>(q: &'a str, key: &str) -> Option<&'a str> {
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k.replace("%5B", "[").replace("%5D", "]") == key).then_some(v)
    })
}

impl Server {
    fn admit(&self, arrived: Instant) -> bool {
        *self.requests.lock().expect("lock") += 1;
        let admitted = self.admit_now();
        self.log.lock().expect("lock").push((arrived, admitted));
        admitted
    }

    fn admit_now(&self) -> bool {
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

    fn page(&self, path: &str, arrived: Instant) -> String {
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
        // Binary searches over the sorted customers, so that the server's own
        // time per page stays small next to the latency (even in a debug build).
        let top = self.customers.partition_point(|(c, _)| *c > lte);
        let end = self.customers.partition_point(|(c, _)| *c >= gte).max(top);
        let start = match query_param(q, "starting_after") {
            Some(a) => self.position.get(a).map_or(end, |p| p + 1),
            None => top,
        }
        .clamp(top, end);
        let stop = (start + limit).min(end);
        let data = &self.customers[start..stop];
        let has_more = stop < end;
        *self.served.lock().expect("lock") += data.len() as u64;
        if data.len() < limit {
            *self.partial.lock().expect("lock") += 1;
            self.partial_sizes.lock().expect("lock").push(data.len());
        }
        let cursor =
            query_param(q, "starting_after").map_or(String::new(), |a| format!(" after {a}"));
        let range = |v: i64| match v {
            i64::MIN | i64::MAX => "-".to_string(),
            v => v.to_string(),
        };
        self.trace.lock().expect("lock").push((
            arrived,
            format!(
                "[{}, {}]{cursor}: {} objects{}",
                range(gte),
                range(lte),
                data.len(),
                if has_more { ", more" } else { "" }
            ),
        ));
        let objs: Vec<&str> = data.iter().map(|(_, j)| j.as_str()).collect();
        format!(
            r#"{{"object":"list","url":"{route}","has_more":{has_more},"data":[{}]}}"#,
            objs.join(",")
        )
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
                let arrived = Instant::now();
                tokio::time::sleep(LATENCY).await;
                let (status, body) = if server.admit(arrived) {
                    ("200 OK", server.page(&path, arrived))
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

/// What one backfill run measured.
struct Measured {
    count: usize,
    took: Duration,
    throttled: u64,
    requests: u64,
    served: u64,
    partial: u64,
    /// The size of each partial page, smallest first.
    partial_sizes: Vec<usize>,
    /// Arrival of every request after the start, and whether it was admitted.
    log: Vec<(Duration, bool)>,
    /// Every page served, in the order served, with its arrival after the start.
    trace: Vec<(Duration, String)>,
}

async fn run(n: usize, shape: Shape, one_cursor: bool) -> Measured {
    let now = chrono::Utc::now().timestamp() - 60;
    let customers: Vec<(i64, String)> = (0..n)
        .rev()
        .map(|i| {
            let id = format!("cus_{i:07}");
            let created = shape.created(i, n, now);
            let json = json!({"id": id, "object": "customer", "created": created, "name": "Bench Co", "email": format!("{id}@example.com"), "livemode": false});
            (created, json.to_string())
        })
        .collect();
    let position = (0..n)
        .rev()
        .enumerate()
        .map(|(k, i)| (format!("cus_{i:07}"), k))
        .collect();
    let server = Arc::new(Server {
        customers,
        position,
        recent: Mutex::new(VecDeque::new()),
        throttled: Mutex::new(0),
        requests: Mutex::new(0),
        served: Mutex::new(0),
        partial: Mutex::new(0),
        partial_sizes: Mutex::new(Vec::new()),
        log: Mutex::new(Vec::new()),
        trace: Mutex::new(Vec::new()),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve(listener, server.clone()));
    // The default settings of a test key; the peer is one cursor.
    let mut source = StripeSource::new("sk_test_bench_backfill_key")
        .expect("key")
        .base_url(format!("http://{addr}"));
    if one_cursor {
        source = source.shards(1);
    }
    let scope = FetchScope {
        objects: vec![ObjectScope::Customers],
        ..FetchScope::default()
    };
    let t = Instant::now();
    let count = source.fetch_all(&scope).await.expect("backfill");
    let took = t.elapsed();
    let read = |m: &Mutex<u64>| *m.lock().expect("lock");
    Measured {
        count,
        took,
        throttled: read(&server.throttled),
        requests: read(&server.requests),
        served: read(&server.served),
        partial: read(&server.partial),
        partial_sizes: {
            let mut sizes = server.partial_sizes.lock().expect("lock").clone();
            sizes.sort_unstable();
            sizes
        },
        log: server
            .log
            .lock()
            .expect("lock")
            .iter()
            .map(|(at, ok)| (at.saturating_duration_since(t), *ok))
            .collect(),
        trace: server
            .trace
            .lock()
            .expect("lock")
            .iter()
            .map(|(at, line)| (at.saturating_duration_since(t), line.clone()))
            .collect(),
    }
}

/// Where the run's time went, from the server's log of request arrivals:
/// request starts per second, the first request, and every place where a
/// request started later than the limit allowed (more than 60 ms after the
/// request `LIMIT_PER_SEC` before it left the server's one-second window),
/// which is time a request slot idled while the limit had room.
fn timeline(log: &[(Duration, bool)], took: Duration) -> String {
    let mut starts: Vec<f64> = log.iter().map(|(at, _)| at.as_secs_f64()).collect();
    starts.sort_by(f64::total_cmp);
    let seconds = took.as_secs_f64().ceil() as usize;
    let mut per_second = vec![0usize; seconds.max(1)];
    for s in &starts {
        let k = (*s as usize).min(per_second.len() - 1);
        per_second[k] += 1;
    }
    let mut late = Vec::new();
    let mut lost = 0.0;
    for k in LIMIT_PER_SEC..starts.len() {
        let gap = starts[k] - starts[k - LIMIT_PER_SEC] - 1.0;
        if gap > 0.06 {
            lost += gap - 0.04;
            late.push(format!(
                "#{k} at {:.2} s +{:.0} ms",
                starts[k],
                gap * 1000.0
            ));
        }
    }
    let first = starts.first().copied().unwrap_or(0.0);
    let last = starts.last().copied().unwrap_or(0.0);
    format!(
        "  starts/s {per_second:?}; first at {:.0} ms, last at {last:.2} s, answered by {:.2} s; {} late starts ({:.0} ms over the guard){}{}",
        first * 1000.0,
        took.as_secs_f64(),
        late.len(),
        lost * 1000.0,
        if late.is_empty() { "" } else { ": " },
        late.iter().take(12).cloned().collect::<Vec<_>>().join(", ")
    )
}

/// The 1, 5 and 15 minute load averages (the machine is shared), where known.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("TIEOUT_BACKFILL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let runs: usize = std::env::var("TIEOUT_BACKFILL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let peer = std::env::var("TIEOUT_BACKFILL_PEER").as_deref() != Ok("0");
    let trace = std::env::var("TIEOUT_BACKFILL_TRACE").as_deref() == Ok("1");
    let bound = (LIMIT_PER_SEC * 100) as f64;
    println!(
        "backfill of {n} customers, full import; server: 250 ms latency, {LIMIT_PER_SEC} req/s; bound {bound:.0} objects/s; load {}",
        load_average()
    );
    for shape in [Shape::Even, Shape::YoungAndGrowing] {
        let mut seq_rate = f64::NAN;
        let settings = std::iter::repeat_n(("default settings", false), runs.max(1));
        let plan = [("one cursor", true)]
            .into_iter()
            .filter(|_| peer)
            .chain(settings);
        for (label, one_cursor) in plan {
            let Measured {
                count,
                took,
                throttled,
                requests,
                served,
                partial,
                partial_sizes,
                log,
                trace: pages,
            } = run(n, shape, one_cursor).await;
            assert_eq!(count, n, "every object fetched exactly once");
            let rate = count as f64 / took.as_secs_f64();
            if one_cursor {
                seq_rate = rate;
            }
            let versus = match seq_rate.is_nan() {
                true => String::new(),
                false => format!(", {:.1}x one cursor", rate / seq_rate),
            };
            println!(
                "{shape:?}, {label}: {count} objects in {:.2} s = {rate:.0} objects/s ({:.1}% of bound{versus}), {requests} requests ({partial} partial pages, {} objects read twice), {throttled} throttled",
                took.as_secs_f64(),
                100.0 * rate / bound,
                served.saturating_sub(count as u64)
            );
            if !one_cursor {
                println!("{}", timeline(&log, took));
                println!("  partial pages of {partial_sizes:?} objects");
                if trace {
                    for (at, line) in &pages {
                        println!("    {:6.3} s {line}", at.as_secs_f64());
                    }
                }
            }
            println!("  load {}", load_average());
        }
    }
}
