//! A minimal Stripe webhook receiver on 127.0.0.1: verifies each delivery's
//! `Stripe-Signature` over the raw body, applies the event to the books, and
//! answers 200 (applied, duplicate or ignored) or 400 (bad signature or body).
//!
//! ```text
//! STRIPE_WEBHOOK_SECRET=whsec_... cargo run --example webhook_receiver -- books.db 8787
//! ```

use std::sync::Arc;

use tieout::{Books, verify_webhook};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MAX_BODY: usize = 1 << 20;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("STRIPE_WEBHOOK_SECRET")
        .map_err(|_| "set STRIPE_WEBHOOK_SECRET (whsec_...)")?;
    let mut args = std::env::args().skip(1);
    let db = args.next().unwrap_or_else(|| "books.db".into());
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8787);
    let books = Arc::new(Books::open(&db)?);
    let secret = Arc::new(secret);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}/webhook", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let (books, secret) = (books.clone(), secret.clone());
        tokio::spawn(async move {
            if let Err(e) = serve(stream, &books, &secret).await {
                eprintln!("connection error: {e}");
            }
        });
    }
}

async fn serve(stream: TcpStream, books: &Books, secret: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    let mut length = 0usize;
    let mut signature = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "stripe-signature" => signature = value.trim().to_string(),
                _ => {}
            }
        }
    }
    let (status, body) = if !request_line.starts_with("POST ") {
        (405, "POST only".to_string())
    } else if length > MAX_BODY {
        (413, "body too large".to_string())
    } else {
        let mut raw = vec![0u8; length];
        reader.read_exact(&mut raw).await?;
        // Verify the raw bytes before any parsing.
        match verify_webhook(&raw, &signature, secret, Some(300), None) {
            Err(e) => (400, e.to_string()),
            Ok(event) => match books.apply_event(&event) {
                Ok(outcome) => (
                    200,
                    format!(
                        "{:?} {} {}",
                        outcome.status, outcome.event_type, outcome.event_id
                    ),
                ),
                Err(e) if e.code() == "APPROVAL_REQUIRED" => (400, e.to_string()),
                Err(e) => (500, e.to_string()),
            },
        }
    };
    println!("{status} {body}");
    let response = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    );
    reader.get_mut().write_all(response.as_bytes()).await
}
