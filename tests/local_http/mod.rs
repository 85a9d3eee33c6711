//! The plumbing shared by the small local HTTP servers that stand in for
//! Stripe routes and faults localstripe lacks (`autopay_support`,
//! `checkout_support`): a keep-alive HTTP/1.1 loop on a free loopback port
//! that reads the method, target, `Content-Length` and `Idempotency-Key` of
//! each request and writes a JSON reply (with `request-id` and
//! `idempotent-replayed`), and form-body decoding. What a route answers is
//! the server's own business.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// A form as received: `(name, value)` pairs.
pub type Form = Vec<(String, String)>;

/// One request as the handler sees it.
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query (`/v1/x?customer=cus_1`).
    pub target: String,
    /// The `Idempotency-Key` header.
    pub key: Option<String>,
    /// The body (lossy UTF-8).
    pub body: String,
}

/// The handler's answer.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub text: String,
    /// Sent as `idempotent-replayed`.
    pub replayed: bool,
    /// How long to wait before answering (zero: at once).
    pub delay: Duration,
}

/// Decodes one `application/x-www-form-urlencoded` name or value.
pub fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// The pairs of a form body (or a query string).
pub fn form(body: &str) -> Form {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The first value named `k`.
pub fn get<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

/// The `metadata[name]` fields of a form, as a JSON object.
pub fn metadata(f: &[(String, String)]) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in f {
        if let Some(name) = k
            .strip_prefix("metadata[")
            .and_then(|r| r.strip_suffix(']'))
        {
            m.insert(name.to_string(), Value::String(v.clone()));
        }
    }
    Value::Object(m)
}

/// A list page (`has_more: false`) of `items` whose `customer` is the
/// query's `customer` (all without one), newest first.
pub fn list_by_customer(items: &[Value], query: &str) -> String {
    let q = form(query);
    let cus = get(&q, "customer");
    let data: Vec<Value> = items
        .iter()
        .rev()
        .filter(|x| cus.is_none_or(|c| x["customer"] == c))
        .cloned()
        .collect();
    serde_json::json!({"object": "list", "has_more": false, "data": data}).to_string()
}

/// Serves `handler` on a free loopback port, a thread per connection
/// (threads end with the test process); its `http://127.0.0.1:PORT`.
pub fn start(handler: impl Fn(Request) -> Reply + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let h = handler.clone();
            std::thread::spawn(move || serve(&*h, stream));
        }
    });
    url
}

/// Answers the requests of one connection until it closes.
fn serve(handler: &dyn Fn(Request) -> Reply, mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let (mut len, mut key) = (0usize, None);
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = value.trim().parse().unwrap_or(0),
                "idempotency-key" => key = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let Reply {
            status,
            text,
            replayed,
            delay,
        } = handler(Request {
            method,
            target,
            key,
            body: String::from_utf8_lossy(&body).to_string(),
        });
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nrequest-id: req_{}\r\nidempotent-replayed: {replayed}\r\n\r\n{text}",
            text.len(),
            status
        );
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
