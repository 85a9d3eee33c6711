//! A Stripe webhook receiver on `axum`, bound to 127.0.0.1: verifies each
//! delivery's `Stripe-Signature` over the raw body bytes, applies the event to
//! the books, and answers 200 (`applied`, `duplicate` or `ignored`), 400 (bad
//! signature or body, or a live event the books' plan does not allow) or 500
//! (a books failure, so Stripe retries).
//!
//! ```text
//! STRIPE_WEBHOOK_SECRET=whsec_... cargo run --example webhook_receiver -- books.db 8787
//! ```

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Json;
use axum::routing::post;
use serde_json::{Value, json};
use tieout::{Books, verify_webhook};

/// Stripe events are small; refuse anything larger.
const MAX_BODY: usize = 1 << 20;

/// What every request handler shares.
pub struct Receiver {
    /// The books events are applied to.
    pub books: Books,
    /// The endpoint's signing secret (`whsec_...`).
    pub secret: String,
}

/// The app: `POST /stripe/webhook`.
pub fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route("/stripe/webhook", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(receiver)
}

async fn receive(
    State(app): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes, // the exact bytes Stripe signed: never parse before verifying
) -> (StatusCode, Json<Value>) {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let event = match verify_webhook(&body, signature, &app.secret, Some(300), None) {
        Ok(event) => event,
        Err(e) => {
            eprintln!("rejected delivery: {e}");
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": e.code() })));
        }
    };
    // Applying writes to SQLite: keep it off the async workers.
    let worker = app.clone();
    let applied = tokio::task::spawn_blocking(move || worker.books.apply_event(&event)).await;
    match applied {
        Ok(Ok(outcome)) => {
            let status = serde_json::to_value(outcome.status).unwrap_or(Value::Null);
            println!("{} {} {}", status, outcome.event_type, outcome.event_id);
            (
                StatusCode::OK,
                Json(json!({ "received": true, "status": status })),
            )
        }
        Ok(Err(e)) if e.code() == "APPROVAL_REQUIRED" => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": e.code() })))
        }
        Ok(Err(e)) => {
            eprintln!("could not apply: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": e.code() })),
            )
        }
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": "PANIC" })),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("STRIPE_WEBHOOK_SECRET")
        .map_err(|_| "set STRIPE_WEBHOOK_SECRET (whsec_...)")?;
    let mut args = std::env::args().skip(1);
    let db = args.next().unwrap_or_else(|| "books.db".into());
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8787);
    let receiver = Arc::new(Receiver {
        books: Books::open(&db)?,
        secret,
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "listening on http://{}/stripe/webhook",
        listener.local_addr()?
    );
    axum::serve(listener, router(receiver)).await?;
    Ok(())
}
