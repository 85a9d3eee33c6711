//! `StripeWriter`: the blocking client that makes writes and looks them up.

use std::time::Duration;

use serde_json::Value;

use super::{ApiFailure, WriteResponse, form_pairs};
use crate::client::ApiKey;
use crate::client::config::{DEFAULT_API_VERSION, DEFAULT_BASE_URL};
use crate::error::{Result, StripeError};

/// The metadata key every tieout write puts its idempotency key under, so a
/// write whose answer was lost can be found by a lookup.
pub const TIEOUT_KEY: &str = "tieout_key";

/// A blocking Stripe client for writes: form-encoded POSTs with an
/// `Idempotency-Key`, and list lookups by `metadata[tieout_key]`.
#[derive(Clone, Debug)]
pub struct StripeWriter {
    http: reqwest::blocking::Client,
    key: ApiKey,
    base_url: String,
    api_version: String,
    timeout: Duration,
    max_lookup_pages: u32,
}

fn header(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl StripeWriter {
    /// A writer with `key` (secret or restricted) against api.stripe.com.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = ApiKey::new(key)?;
        let http = reqwest::blocking::Client::builder()
            .build()
            .map_err(|e| StripeError::Network(format!("HTTP client: {e}")))?;
        Ok(StripeWriter {
            http,
            key,
            base_url: DEFAULT_BASE_URL.to_string(),
            api_version: DEFAULT_API_VERSION.to_string(),
            timeout: Duration::from_secs(80),
            max_lookup_pages: 100,
        })
    }

    /// Another API base URL (localstripe, a test server).
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = url.trim_end_matches('/').to_string();
        self
    }

    /// The `Stripe-Version` sent.
    pub fn api_version(mut self, version: &str) -> Self {
        self.api_version = version.to_string();
        self
    }

    /// The `Stripe-Version` this writer sends.
    pub fn stripe_version(&self) -> &str {
        &self.api_version
    }

    /// How long one request may take before its outcome counts as unknown.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many list pages (of 100) a lookup reads at most.
    pub fn max_lookup_pages(mut self, pages: u32) -> Self {
        self.max_lookup_pages = pages.max(1);
        self
    }

    /// Live key.
    pub fn livemode(&self) -> bool {
        self.key.livemode()
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .timeout(self.timeout)
            .bearer_auth(self.key.expose())
            .header("Stripe-Version", &self.api_version)
            .header("User-Agent", concat!("tieout/", env!("CARGO_PKG_VERSION")))
    }

    /// POSTs `params` (a JSON object, form-encoded) to `path` with
    /// `Idempotency-Key: idempotency_key`. Never retries by itself: the
    /// executor records every attempt.
    pub fn post(&self, path: &str, params: &Value, idempotency_key: &str) -> WriteResponse {
        let resp = self
            .request(reqwest::Method::POST, path)
            .header("Idempotency-Key", idempotency_key)
            .form(&form_pairs(params))
            .send();
        let resp = match resp {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return WriteResponse::NotSent {
                    error: format!("POST {path}: {e}"),
                };
            }
            Err(e) => {
                return WriteResponse::Unknown {
                    error: format!("POST {path}: {e}"),
                };
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let request_id = header(&headers, "request-id");
        let text = match resp.text() {
            Ok(t) => t,
            Err(e) => {
                return WriteResponse::Unknown {
                    error: format!("POST {path}: HTTP {status}, body lost: {e}"),
                };
            }
        };
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if (200..300).contains(&status) {
            return WriteResponse::Done {
                request_id,
                replayed: header(&headers, "idempotent-replayed").as_deref() == Some("true"),
                body,
            };
        }
        if status >= 500 {
            return WriteResponse::Unknown {
                error: format!(
                    "POST {path}: HTTP {status} (request {})",
                    request_id.as_deref().unwrap_or("-")
                ),
            };
        }
        let err = body.get("error").cloned().unwrap_or(Value::Null);
        let s = |k: &str| err.get(k).and_then(Value::as_str).map(str::to_string);
        WriteResponse::Refused(ApiFailure {
            status,
            kind: s("type"),
            code: s("code"),
            decline_code: s("decline_code"),
            advice_code: s("advice_code"),
            message: s("message").unwrap_or_default(),
            request_id,
            body,
        })
    }

    /// GETs `path` with `query`.
    pub fn get(&self, path: &str, query: &[(String, String)]) -> Result<Value> {
        let mut path_q = path.to_string();
        if !query.is_empty() {
            let mut url = reqwest::Url::parse("http://q/")
                .map_err(|e| StripeError::Network(format!("GET {path}: {e}")))?;
            url.query_pairs_mut().extend_pairs(query);
            path_q.push('?');
            path_q.push_str(url.query().unwrap_or(""));
        }
        let resp = self
            .request(reqwest::Method::GET, &path_q)
            .send()
            .map_err(|e| StripeError::Network(format!("GET {path}: {e}")))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .map_err(|e| StripeError::Network(format!("GET {path}: {e}")))?;
        if !(200..300).contains(&status) {
            return Err(StripeError::Network(format!(
                "GET {path}: HTTP {status}: {}",
                crate::client::key::redact(&text)
            )));
        }
        serde_json::from_str(&text)
            .map_err(|e| StripeError::Network(format!("GET {path}: invalid JSON: {e}")))
    }

    /// The object of list `list_path` (e.g. `/v1/customers`) whose
    /// `metadata[tieout_key]` is `key`, newest first, reading at most
    /// [`max_lookup_pages`](Self::max_lookup_pages) pages. `extra` narrows the
    /// list (e.g. `customer=cus_...`). `Ok(None)`: it was not made.
    pub fn find_by_key(
        &self,
        list_path: &str,
        extra: &[(String, String)],
        key: &str,
    ) -> Result<Option<Value>> {
        let mut after: Option<String> = None;
        for _ in 0..self.max_lookup_pages {
            let mut q: Vec<(String, String)> = extra.to_vec();
            q.push(("limit".into(), "100".into()));
            if let Some(a) = &after {
                q.push(("starting_after".into(), a.clone()));
            }
            let page = self.get(list_path, &q)?;
            let data = page
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(found) = data.iter().find(|o| {
                o.get("metadata")
                    .and_then(|m| m.get(TIEOUT_KEY))
                    .and_then(Value::as_str)
                    == Some(key)
            }) {
                return Ok(Some(found.clone()));
            }
            let more = page
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            match data
                .last()
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
            {
                Some(last) if more => after = Some(last.to_string()),
                _ => return Ok(None),
            }
        }
        Err(StripeError::Network(format!(
            "lookup of {key} in {list_path} read {} pages without reaching the end",
            self.max_lookup_pages
        )))
    }

    /// The account the key acts for (`GET /v1/account`), or `acct_unknown`
    /// where that endpoint does not exist (localstripe).
    pub fn account(&self) -> Result<String> {
        match self.get("/v1/account", &[]) {
            Ok(v) => Ok(v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("acct_unknown")
                .to_string()),
            Err(StripeError::Network(m)) if m.contains("HTTP 404") => {
                Ok("acct_unknown".to_string())
            }
            Err(e) => Err(e),
        }
    }
}
