//! One HTTP exchange with Stripe: headers, rate limit, concurrency, retries, errors.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::config::Config;
use super::key::{ApiKey, redact};
use super::limiter::RateLimiter;
use crate::error::{Result, StripeError};

/// The shared transport of a `StripeSource`: one per configuration, shared by clones.
#[derive(Debug)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    pub key: ApiKey,
    pub config: Config,
    limiter: RateLimiter,
    semaphore: Arc<Semaphore>,
    /// The server rejected `created[...]` list filters (mocks): later endpoints skip them.
    pub filters_rejected: AtomicBool,
    /// A backfill listing has started on this client.
    pub listed: AtomicBool,
    /// A backfill listing of this client needed more than one page.
    pub large_listing: AtomicBool,
}

/// A request's turn taken ahead of choosing what it asks for: a concurrency
/// slot and a start counted by the rate limiter. Used at once by
/// [`Http::get_admitted`], or given back by [`Http::release`].
#[derive(Debug)]
pub(crate) struct Admission {
    _permit: OwnedSemaphorePermit,
    at: Instant,
}

/// A request body or query: form pairs.
pub(crate) type Params = Vec<(String, String)>;

/// What went wrong in one attempt, before deciding whether to retry.
enum Failure {
    Status {
        status: StatusCode,
        body: String,
        request_id: Option<String>,
        should_retry: Option<bool>,
        retry_after: Option<Duration>,
    },
    Transport(String),
}

impl Http {
    pub fn new(client: reqwest::Client, key: ApiKey, config: Config) -> Self {
        Http {
            limiter: RateLimiter::new(config.max_rps),
            semaphore: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
            filters_rejected: AtomicBool::new(false),
            listed: AtomicBool::new(false),
            large_listing: AtomicBool::new(false),
            client,
            key,
            config,
        }
    }

    fn url(&self, path: &str, query: &[(String, String)]) -> Result<reqwest::Url> {
        let base = self.config.base_url.trim_end_matches('/');
        let mut url = reqwest::Url::parse(&format!("{base}{path}"))
            .map_err(|e| StripeError::Network(format!("invalid URL for {path}: {e}")))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// GET `path` with a form-encoded query, retrying as configured.
    pub async fn get(&self, path: &str, query: &[(String, String)]) -> Result<Value> {
        self.send(Method::GET, path, query, None, None, None).await
    }

    /// Waits for a request's turn: a concurrency slot, then a start the rate
    /// limiter counts from now (so the request must leave at once).
    pub async fn admit(&self) -> Admission {
        let permit = self.semaphore.clone().acquire_owned().await;
        // The semaphore is never closed.
        let permit = permit.expect("the request semaphore is never closed");
        let at = self.limiter.acquire().await;
        Admission {
            _permit: permit,
            at,
        }
    }

    /// Gives back a turn that found nothing to ask for.
    pub fn release(&self, admission: Admission) {
        self.limiter.refund(admission.at);
    }

    /// [`Self::get`] whose first attempt goes out on `admission` (retries
    /// wait for their turn as usual).
    pub async fn get_admitted(
        &self,
        admission: Admission,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Value> {
        self.send(Method::GET, path, query, None, None, Some(admission))
            .await
    }

    /// POST a form to `path` with an idempotency key (a fresh uuid v4 when `None`).
    pub async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<String>,
    ) -> Result<Value> {
        let key = idempotency_key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.send(Method::POST, path, &[], Some(form), Some(&key), None)
            .await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        form: Option<&[(String, String)]>,
        idempotency_key: Option<&str>,
        mut admission: Option<Admission>,
    ) -> Result<Value> {
        let url = self.url(path, query)?;
        let max_attempts = self.config.max_retries.saturating_add(1);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let failure = match self
                .attempt(
                    method.clone(),
                    url.clone(),
                    form,
                    idempotency_key,
                    admission.take(),
                )
                .await
            {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let (retry, retry_after) = match &failure {
                Failure::Status {
                    status,
                    should_retry,
                    retry_after,
                    ..
                } => (
                    should_retry.unwrap_or_else(|| retryable_status(*status)),
                    *retry_after,
                ),
                Failure::Transport(_) => (true, None),
            };
            if retry && attempt < max_attempts {
                let delay = self.backoff(attempt, retry_after);
                match &failure {
                    Failure::Status {
                        status, request_id, ..
                    } => tracing::warn!(
                        %method, path, status = status.as_u16(), request_id = request_id.as_deref().unwrap_or("-"),
                        attempt, delay_ms = delay.as_millis() as u64, "Stripe request failed; retrying"
                    ),
                    Failure::Transport(msg) => tracing::warn!(
                        %method, path, error = %msg, attempt, delay_ms = delay.as_millis() as u64,
                        "Stripe request failed; retrying"
                    ),
                }
                tokio::time::sleep(delay).await;
                continue;
            }
            let err = match failure {
                Failure::Status {
                    status,
                    body,
                    request_id,
                    ..
                } => status_error(status, &body, request_id, path, attempt),
                Failure::Transport(msg) => StripeError::Network(format!(
                    "{method} {path} failed after {attempt} attempt(s): {msg}"
                )),
            };
            tracing::warn!(%method, path, attempts = attempt, error = %err, "Stripe request failed");
            return Err(err);
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: reqwest::Url,
        form: Option<&[(String, String)]>,
        idempotency_key: Option<&str>,
        admission: Option<Admission>,
    ) -> std::result::Result<Value, Failure> {
        // Counted when it leaves, after any wait for a concurrency slot.
        let admission = match admission {
            Some(a) => a,
            None => self.admit().await,
        };
        let mut req = self
            .client
            .request(method, url)
            .timeout(self.config.timeout)
            .bearer_auth(self.key.expose())
            .header("Stripe-Version", &self.config.api_version)
            .header("User-Agent", concat!("tieout/", env!("CARGO_PKG_VERSION")));
        if let Some(acct) = &self.config.stripe_account {
            req = req.header("Stripe-Account", acct);
        }
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(transport)?;
        self.limiter.observe(admission.at.elapsed());
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.limiter.throttled();
        }
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|e| Failure::Status {
                // A garbled 2xx body is not retried: report it as-is.
                status,
                body: format!("invalid JSON in response: {e}"),
                request_id: header(&headers, "request-id"),
                should_retry: Some(false),
                retry_after: None,
            });
        }
        Err(Failure::Status {
            status,
            body,
            request_id: header(&headers, "request-id"),
            should_retry: header(&headers, "stripe-should-retry").and_then(|v| {
                match v.trim().to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                }
            }),
            retry_after: header(&headers, "retry-after")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64),
        })
    }

    /// Exponential backoff with full jitter, at least `Retry-After` when sent.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let base = self.config.retry_base_delay;
        let cap = self.config.retry_max_delay.max(base);
        let exp = base
            .checked_mul(1u32 << (attempt - 1).min(16))
            .unwrap_or(cap)
            .min(cap);
        let jittered = Duration::from_secs_f64(rand::rng().random_range(0.0..=exp.as_secs_f64()));
        match retry_after {
            Some(ra) => jittered.max(ra.min(self.config.max_retry_after)),
            None => jittered,
        }
    }
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn transport(e: reqwest::Error) -> Failure {
    let mut msg = if e.is_timeout() {
        "request timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "transport error".to_string()
    };
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    Failure::Transport(redact(&msg))
}

fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::CONFLICT
        || status.is_server_error()
}

/// The resource a path reads, for permission errors (`/v1/invoices/in_1/lines` -> `invoices`).
pub(crate) fn resource_of(path: &str) -> String {
    let mut segs = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .filter(|s| !s.is_empty());
    let first = segs.next();
    let seg = if first == Some("v1") {
        segs.next()
    } else {
        first
    };
    match seg {
        Some("checkout") => "checkout_sessions".to_string(),
        Some(s) => s.to_string(),
        None => "account".to_string(),
    }
}

/// The typed error for a final non-2xx answer. Messages are redacted.
pub(crate) fn status_error(
    status: StatusCode,
    body: &str,
    request_id: Option<String>,
    path: &str,
    attempts: u32,
) -> StripeError {
    match status.as_u16() {
        401 => StripeError::InvalidApiKey { request_id },
        403 => StripeError::PermissionDenied {
            resource: resource_of(path),
            request_id,
        },
        429 => StripeError::RateLimited { attempts },
        code => {
            let parsed: Option<Value> = serde_json::from_str(body).ok();
            let err = parsed.as_ref().and_then(|v| v.get("error"));
            let kind = err
                .and_then(|e| e.get("type"))
                .and_then(Value::as_str)
                .unwrap_or("http_error")
                .to_string();
            let message = err
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .map(|m| format!("{path}: {m}"))
                .unwrap_or_else(|| {
                    let trimmed: String = body.trim().chars().take(200).collect();
                    if trimmed.is_empty() {
                        format!("{path}: no body")
                    } else {
                        format!("{path}: {trimmed}")
                    }
                });
            StripeError::Api {
                status: code,
                kind,
                message: redact(&message),
                request_id,
            }
        }
    }
}
