//! A scripted HTTP/1.1 server on 127.0.0.1 for client tests, plus a fake Stripe list.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub at: Instant,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub fn qi(&self, key: &str) -> Option<i64> {
        self.q(key).and_then(|v| v.parse().ok())
    }
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Resp {
    pub fn json(status: u16, v: Value) -> Self {
        Resp {
            status,
            headers: vec![("Request-Id".into(), format!("req_{status}"))],
            body: v.to_string(),
            delay: Duration::ZERO,
        }
    }
    pub fn ok(v: Value) -> Self {
        Self::json(200, v)
    }
    pub fn error(status: u16, kind: &str, message: &str) -> Self {
        Self::json(status, json!({"error": {"type": kind, "message": message}}))
    }
    pub fn not_found() -> Self {
        Self::error(404, "invalid_request_error", "Unrecognized request URL")
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

type Handler = dyn Fn(&Req) -> Resp + Send + Sync;

/// The running server; stops when dropped.
pub struct Server {
    pub url: String,
    requests: Arc<Mutex<Vec<Req>>>,
    max_in_flight: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(handler: impl Fn(&Req) -> Resp + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (r, inf, mx) = (requests.clone(), in_flight.clone(), max_in_flight.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (h, r, inf, mx) = (handler.clone(), r.clone(), inf.clone(), mx.clone());
                tokio::spawn(async move {
                    let (rd, mut wr) = stream.into_split();
                    let mut rd = BufReader::new(rd);
                    while let Some(req) = read_request(&mut rd).await {
                        let now = inf.fetch_add(1, Ordering::SeqCst) + 1;
                        mx.fetch_max(now, Ordering::SeqCst);
                        r.lock().unwrap().push(req.clone());
                        let resp = h(&req);
                        if !resp.delay.is_zero() {
                            tokio::time::sleep(resp.delay).await;
                        }
                        inf.fetch_sub(1, Ordering::SeqCst);
                        let mut out = format!(
                            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                            resp.status,
                            resp.body.len()
                        );
                        for (k, v) in &resp.headers {
                            out.push_str(&format!("{k}: {v}\r\n"));
                        }
                        out.push_str("\r\n");
                        out.push_str(&resp.body);
                        if wr.write_all(out.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Server {
            url,
            requests,
            max_in_flight,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn read_request<R: tokio::io::AsyncRead + Unpin>(rd: &mut BufReader<R>) -> Option<Req> {
    let mut line = String::new();
    if rd.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if rd.read_line(&mut h).await.ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    rd.read_exact(&mut body).await.ok()?;
    let (path, qs) = target.split_once('?').unwrap_or((&target, ""));
    Some(Req {
        method,
        path: path.to_string(),
        query: parse_form(qs),
        headers,
        form: parse_form(&String::from_utf8_lossy(&body)),
        at: Instant::now(),
    })
}

pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Stripe list semantics over `all`: newest first, `created[gte|lte]`,
/// `starting_after`, `limit` (default 10), `has_more`.
pub fn list(all: &[Value], req: &Req) -> Resp {
    let mut items: Vec<&Value> = all
        .iter()
        .filter(|o| {
            let c = o["created"].as_i64().unwrap_or(0);
            req.qi("created[gte]").is_none_or(|g| c >= g)
                && req.qi("created[lte]").is_none_or(|l| c <= l)
        })
        .collect();
    items.sort_by(|a, b| {
        b["created"]
            .as_i64()
            .cmp(&a["created"].as_i64())
            .then_with(|| b["id"].as_str().cmp(&a["id"].as_str()))
    });
    let start = match req.q("starting_after") {
        Some(after) => items
            .iter()
            .position(|o| o["id"] == after)
            .map(|p| p + 1)
            .unwrap_or(items.len()),
        None => 0,
    };
    let limit = req.qi("limit").unwrap_or(10) as usize;
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|v| (*v).clone())
        .collect();
    let has_more = items.len() > start + limit;
    Resp::ok(json!({"object": "list", "url": req.path, "has_more": has_more, "data": page}))
}

pub fn customer(i: usize, created: i64) -> Value {
    json!({"id": format!("cus_{i:05}"), "object": "customer", "created": created,
           "livemode": false, "email": format!("c{i}@example.com"), "name": format!("Customer {i}"),
           "metadata": {}})
}

pub fn account() -> Resp {
    Resp::ok(json!({"id": "acct_test1", "object": "account"}))
}

pub fn empty_list() -> Resp {
    Resp::ok(json!({"object": "list", "has_more": false, "data": []}))
}
