//! `StripeSource`: the configured client and its `Source` implementation.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tieout_core::ledger::ReportedBalance;
use tieout_core::{AccountInfo, FetchScope, ObjectScope, Page, Source};
use tokio::sync::{Mutex, OnceCell};

use super::config::Config;
use super::http::{Http, Params};
use super::key::ApiKey;
use super::paginate::{complete_embedded, needs_completion};
use super::pool::{Listing, Pool};
use super::shards::{Shard, initial};
use crate::error::{Result, StripeError};
use crate::map::{MapContext, map_object};

/// A list endpoint read for an object scope.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// Stable name used in checkpoints.
    pub name: &'static str,
    /// List path.
    pub path: &'static str,
    /// Path to use when `path` is 404 (prices -> plans).
    pub fallback: Option<&'static str>,
    /// A 404 skips the endpoint (older API versions and mocks lack it).
    pub optional: bool,
    /// Fixed query parameters.
    pub params: &'static [(&'static str, &'static str)],
}

const fn ep(name: &'static str, path: &'static str) -> Endpoint {
    Endpoint {
        name,
        path,
        fallback: None,
        optional: false,
        params: &[],
    }
}

static CUSTOMERS: [Endpoint; 1] = [ep("customers", "/v1/customers")];
static PRODUCTS: [Endpoint; 2] = [
    ep("products", "/v1/products"),
    Endpoint {
        fallback: Some("/v1/plans"),
        ..ep("prices", "/v1/prices")
    },
];
static SUBSCRIPTIONS: [Endpoint; 1] = [Endpoint {
    params: &[("status", "all")],
    ..ep("subscriptions", "/v1/subscriptions")
}];
static INVOICES: [Endpoint; 1] = [ep("invoices", "/v1/invoices")];
static PAYMENTS: [Endpoint; 4] = [
    ep("payment_intents", "/v1/payment_intents"),
    Endpoint {
        params: &[("expand[]", "data.balance_transaction")],
        ..ep("charges", "/v1/charges")
    },
    Endpoint {
        optional: true,
        ..ep("invoice_payments", "/v1/invoice_payments")
    },
    Endpoint {
        optional: true,
        ..ep("checkout_sessions", "/v1/checkout/sessions")
    },
];
static REFUNDS: [Endpoint; 1] = [ep("refunds", "/v1/refunds")];
static CREDIT_NOTES: [Endpoint; 1] = [Endpoint {
    optional: true,
    ..ep("credit_notes", "/v1/credit_notes")
}];
static DISPUTES: [Endpoint; 1] = [Endpoint {
    optional: true,
    ..ep("disputes", "/v1/disputes")
}];
static BALANCE_TRANSACTIONS: [Endpoint; 1] =
    [ep("balance_transactions", "/v1/balance_transactions")];
static PAYOUTS: [Endpoint; 1] = [ep("payouts", "/v1/payouts")];

/// The list endpoints of a scope, in fetch order.
pub(crate) fn endpoints(scope: ObjectScope) -> &'static [Endpoint] {
    match scope {
        ObjectScope::Customers => &CUSTOMERS,
        ObjectScope::Products => &PRODUCTS,
        ObjectScope::Subscriptions => &SUBSCRIPTIONS,
        ObjectScope::Invoices => &INVOICES,
        ObjectScope::Payments => &PAYMENTS,
        ObjectScope::Refunds => &REFUNDS,
        ObjectScope::CreditNotes => &CREDIT_NOTES,
        ObjectScope::Disputes => &DISPUTES,
        ObjectScope::BalanceTransactions => &BALANCE_TRANSACTIONS,
        ObjectScope::Payouts => &PAYOUTS,
    }
}

/// The cursor format: 2 since scopes are read in [`ObjectScope::ALL`]'s
/// order (payments before invoices). An unfinished cursor of an earlier
/// format restarts its backfill from the first scope.
const CURSOR_VERSION: u8 = 2;

/// The position of a backfill: which scope and endpoint, and each shard's cursor.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Format version.
    v: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<ObjectScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    /// The path in use (differs from the endpoint's after a fallback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    /// `created[...]` filters are sent (false after the server rejected them).
    #[serde(default)]
    filtered: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    shards: Vec<Shard>,
    #[serde(default)]
    done: bool,
}

/// One page of raw Stripe objects (embedded lists completed), before mapping.
#[derive(Clone, Debug, Default)]
pub struct RawPage {
    /// Stripe objects, as JSON.
    pub objects: Vec<Value>,
    /// Opaque position after this page.
    pub checkpoint: String,
    /// No more pages.
    pub done: bool,
    /// Notes for the run history (skipped or substituted endpoints).
    pub notes: Vec<String>,
}

/// Stripe's REST API as a tieout [`Source`]: rate-limited, retrying, sharded
/// and resumable. Clones share the rate limiter, the concurrency limit and the
/// verified account.
///
/// ```no_run
/// # async fn f() -> tieout_stripe::Result<()> {
/// use tieout_stripe::StripeSource;
/// let source = StripeSource::new("sk_test_...")?.shards(4).page_limit(100);
/// let account = source.verify().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct StripeSource {
    http: Arc<Http>,
    account: Arc<OnceCell<AccountInfo>>,
    /// The running backfill, continued by the next call from its last checkpoint.
    pool: Arc<Mutex<Option<Pool>>>,
}

impl fmt::Debug for StripeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.http.config;
        f.debug_struct("StripeSource")
            .field("key", &self.http.key)
            .field("base_url", &c.base_url)
            .field("api_version", &c.api_version)
            .field("stripe_account", &c.stripe_account)
            .field("max_requests_per_second", &c.max_rps)
            .field("max_concurrency", &c.max_concurrency)
            .field("shards", &c.shards)
            .field("account", &self.account.get().map(|a| a.account.as_str()))
            .finish()
    }
}

impl StripeSource {
    /// A source for `key`. The key is classified (secret or restricted, test or
    /// live) before anything else; publishable and unknown keys are rejected.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = ApiKey::new(key)?;
        Self::with_key(key)
    }

    /// A source for an already classified key.
    pub fn with_key(key: ApiKey) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| StripeError::Network(format!("cannot build HTTP client: {e}")))?;
        let config = Config::new(key.livemode());
        Ok(StripeSource {
            http: Arc::new(Http::new(client, key, config)),
            account: Arc::new(OnceCell::new()),
            pool: Arc::new(Mutex::new(None)),
        })
    }

    fn reconfigure(mut self, f: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.http.config.clone();
        f(&mut config);
        self.http = Arc::new(Http::new(
            self.http.client.clone(),
            self.http.key.clone(),
            config,
        ));
        self.account = Arc::new(OnceCell::new());
        self.pool = Arc::new(Mutex::new(None));
        self
    }

    /// API base URL (default `https://api.stripe.com`); for tests and mocks.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.reconfigure(|c| c.base_url = url)
    }

    /// `Stripe-Version` sent on every request (default `2025-03-31.basil`).
    pub fn api_version(self, version: impl Into<String>) -> Self {
        let v = version.into();
        self.reconfigure(|c| c.api_version = v)
    }

    /// Per-request timeout (default 80 s, like Stripe's SDKs).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.reconfigure(|c| c.timeout = timeout)
    }

    /// Acts on a connected account (`Stripe-Account` header).
    pub fn stripe_account(self, account: impl Into<String>) -> Self {
        let a = account.into();
        self.reconfigure(|c| c.stripe_account = Some(a))
    }

    /// Client-side request rate: at most `n` requests start within any second
    /// (plus a guard of 40 ms, widened after a 429). Default 25 for test keys
    /// (Stripe's limit), 80 for live keys (their limit is shared with the
    /// company's own traffic).
    pub fn max_requests_per_second(self, n: u32) -> Self {
        self.reconfigure(|c| c.max_rps = n.max(1))
    }

    /// Requests in flight at once (default 8).
    pub fn max_concurrency(self, n: usize) -> Self {
        self.reconfigure(|c| c.max_concurrency = n.max(1))
    }

    /// Retries after the first attempt (default 4).
    pub fn max_retries(self, n: u32) -> Self {
        self.reconfigure(|c| c.max_retries = n)
    }

    /// Initial retry delay (default 0.5 s; doubles per attempt up to the cap).
    pub fn retry_base_delay(self, delay: Duration) -> Self {
        self.reconfigure(|c| c.retry_base_delay = delay)
    }

    /// Maximum retry delay before jitter (default 5 s).
    pub fn retry_max_delay(self, delay: Duration) -> Self {
        self.reconfigure(|c| c.retry_max_delay = delay)
    }

    /// Objects per list page, 1 to 100 (default 100).
    pub fn page_limit(self, n: u32) -> Self {
        self.reconfigure(|c| c.page_limit = n.clamp(1, 100))
    }

    /// Most created-date shards open at once per backfilled endpoint (default
    /// 32; 1 reads with one cursor). A backfill starts with one shard over the
    /// whole range, so a small account costs one request; a shard whose pages
    /// show more to read is split where its data is, to keep every request
    /// slot busy.
    pub fn shards(self, n: usize) -> Self {
        self.reconfigure(|c| c.shards = n.max(1))
    }

    /// Where a sharded backfill without a created range starts (unix time,
    /// default 2011-01-01).
    pub fn backfill_start(self, unix: i64) -> Self {
        self.reconfigure(|c| c.backfill_start = unix)
    }

    /// The key (masked when printed).
    pub fn key(&self) -> &ApiKey {
        &self.http.key
    }

    /// The configured `Stripe-Version`.
    pub fn configured_api_version(&self) -> &str {
        &self.http.config.api_version
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// Checks the key and returns the account: `GET /v1/account`, or when that is
    /// 404 (mocks) or 403 (restricted keys) `GET /v1/customers?limit=1`, in which
    /// case the account is the `Stripe-Account` or `acct_unknown`. The mode comes
    /// from the key and is cross-checked with `livemode` in the response.
    pub async fn verify(&self) -> Result<AccountInfo> {
        let info = self.verify_uncached().await?;
        let _ = self.account.set(info.clone());
        Ok(info)
    }

    async fn verify_uncached(&self) -> Result<AccountInfo> {
        let key = &self.http.key;
        let (account, observed) = match self.http.get("/v1/account", &[]).await {
            Ok(v) => (
                v.get("id").and_then(Value::as_str).map(str::to_string),
                v.get("livemode").and_then(Value::as_bool),
            ),
            Err(StripeError::Api { status: 404, .. } | StripeError::PermissionDenied { .. }) => {
                let v = self
                    .http
                    .get("/v1/customers", &[("limit".into(), "1".into())])
                    .await?;
                let first = v
                    .get("data")
                    .and_then(Value::as_array)
                    .and_then(|d| d.first());
                (
                    None,
                    first
                        .and_then(|o| o.get("livemode"))
                        .or_else(|| v.get("livemode"))
                        .and_then(Value::as_bool),
                )
            }
            Err(e) => return Err(e),
        };
        if let Some(live) = observed
            && live != key.livemode()
        {
            return Err(StripeError::Decode(format!(
                "the key is a {} key but Stripe returned {} data",
                key.mode(),
                if live { "live-mode" } else { "test-mode" }
            )));
        }
        let account = account
            .or_else(|| self.http.config.stripe_account.clone())
            .unwrap_or_else(|| "acct_unknown".to_string());
        tracing::info!(account = %account, mode = key.mode(), kind = key.kind().as_str(), "Stripe key verified");
        Ok(AccountInfo {
            system: "stripe".into(),
            account,
            livemode: key.livemode(),
            key_kind: key.kind().as_str().into(),
        })
    }

    /// What Stripe reports as the account's balance now (`GET /v1/balance`),
    /// per currency.
    pub async fn balance(&self) -> Result<Vec<ReportedBalance>> {
        let at = Utc::now();
        let v = self.http.get("/v1/balance", &[]).await?;
        crate::balance_report::reported_balances(&v, at)
    }

    /// The verified account, verifying once if needed.
    pub async fn account_info(&self) -> Result<AccountInfo> {
        self.account
            .get_or_try_init(|| self.verify_uncached())
            .await
            .cloned()
    }

    /// Checks read access for every endpoint the scopes need (one `limit=1` GET
    /// each), so a restricted key missing e.g. `invoices` fails before any import.
    /// Every missing resource is named in one [`StripeError::PermissionDenied`].
    pub async fn verify_permissions(&self, scopes: &[ObjectScope]) -> Result<()> {
        let checks = scopes
            .iter()
            .flat_map(|s| endpoints(*s))
            .map(|ep| async move {
                let q: Params = vec![("limit".into(), "1".into())];
                let r = match self.http.get(ep.path, &q).await {
                    Err(StripeError::Api { status: 404, .. }) if ep.fallback.is_some() => {
                        self.http.get(ep.fallback.unwrap_or(ep.path), &q).await
                    }
                    other => other,
                };
                match r {
                    Ok(_) => Ok(None),
                    Err(StripeError::Api { status: 404, .. }) if ep.optional => Ok(None),
                    Err(StripeError::PermissionDenied {
                        resource,
                        request_id,
                    }) => Ok(Some((resource, request_id))),
                    Err(e) => Err(e),
                }
            });
        let results = futures::future::try_join_all(checks).await?;
        let mut denied: Vec<String> = Vec::new();
        let mut first_request = None;
        for (resource, rid) in results.into_iter().flatten() {
            if !denied.contains(&resource) {
                denied.push(resource);
            }
            first_request = first_request.or(rid);
        }
        if denied.is_empty() {
            Ok(())
        } else {
            Err(StripeError::PermissionDenied {
                resource: denied.join(", "),
                request_id: first_request,
            })
        }
    }

    /// GET any API path with form-encoded query pairs (retried, rate-limited).
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value> {
        let q: Params = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.http.get(path, &q).await
    }

    /// POSTs a form to `path`, always with an `Idempotency-Key` (a fresh uuid v4
    /// when `None`), reused across retries so a retried create happens once.
    pub async fn post_form(
        &self,
        path: &str,
        params: &[(&str, &str)],
        idempotency_key: Option<String>,
    ) -> Result<Value> {
        let form: Params = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.http.post(path, &form, idempotency_key).await
    }

    /// The page after `checkpoint`, as raw Stripe JSON with embedded lists
    /// completed. [`Source::next_page`] is this plus the mapping.
    pub async fn next_raw_page(
        &self,
        scope: &FetchScope,
        checkpoint: Option<&str>,
    ) -> Result<RawPage> {
        let resumed: Option<Cursor> = match checkpoint {
            Some(s) if !s.trim().is_empty() => Some(
                serde_json::from_str(s)
                    .map_err(|e| StripeError::Decode(format!("invalid Stripe checkpoint: {e}")))?,
            ),
            _ => None,
        };
        let mut notes = Vec::new();
        let mut cur = match resumed {
            // Written when invoices came before payments: its position in
            // that order could skip scopes in this one.
            Some(old) if old.v < CURSOR_VERSION && !old.done => {
                notes.push(
                    "the checkpoint was written in an earlier scope order: reading from the \
                     start (what was imported already is unchanged)"
                        .to_string(),
                );
                Cursor::default()
            }
            Some(c) => c,
            None => Cursor::default(),
        };
        cur.v = CURSOR_VERSION;
        let (mut si, mut ei) = position(scope, &cur)?;
        loop {
            if cur.done || si >= scope.objects.len() {
                cur = Cursor {
                    v: CURSOR_VERSION,
                    done: true,
                    ..Cursor::default()
                };
                return Ok(RawPage {
                    objects: vec![],
                    checkpoint: to_json(&cur),
                    done: true,
                    notes,
                });
            }
            let obj_scope = scope.objects[si];
            let ep = &endpoints(obj_scope)[ei];
            cur.scope = Some(obj_scope);
            cur.endpoint = Some(ep.name.to_string());
            if cur.shards.is_empty() {
                cur.path = Some(ep.path.to_string());
                if self.http.filters_rejected.load(Ordering::Relaxed) {
                    cur.filtered = false;
                    cur.shards = vec![Shard::new(None, None)];
                } else {
                    cur.filtered = true;
                    // One shard over the whole range; the pool splits it once
                    // its first page shows there is more (small accounts: one request).
                    cur.shards = initial(
                        scope.created_gte,
                        scope.created_lte,
                        self.http.config.shards,
                        self.http.config.backfill_start,
                        Utc::now().timestamp(),
                    );
                }
            }
            let path = cur.path.clone().unwrap_or_else(|| ep.path.to_string());
            let mut params: Params = ep
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            if obj_scope == ObjectScope::Invoices && scope.invoice_statuses.len() == 1 {
                params.push(("status".into(), scope.invoice_statuses[0].clone()));
            }
            let first_page = cur.shards.iter().all(|s| s.after.is_none());
            let bounded = cur
                .shards
                .iter()
                .any(|s| s.gte.is_some() || s.lte.is_some());
            let listing = Listing {
                path: path.clone(),
                params,
                filtered: cur.filtered,
            };
            let mut objects = match self.pool_pages(listing, &cur.shards).await {
                Ok((objects, shards)) => {
                    cur.shards = shards;
                    objects
                }
                Err(e) => match e {
                    StripeError::Api { status: 404, .. }
                        if first_page && ep.fallback.is_some_and(|f| f != path) =>
                    {
                        let f = ep.fallback.unwrap_or(ep.path);
                        notes.push(format!(
                            "{path} is not available (404); reading {f} instead"
                        ));
                        cur.path = Some(f.to_string());
                        continue;
                    }
                    StripeError::Api { status: 404, .. } if first_page && ep.optional => {
                        notes.push(format!("{path} is not available (404); skipped"));
                        tracing::info!(path = %path, "optional Stripe endpoint is 404; skipped");
                        advance(scope, &mut cur, &mut si, &mut ei);
                        continue;
                    }
                    StripeError::Api { status, .. }
                        if first_page
                            && cur.filtered
                            && bounded
                            && (status == 400 || status >= 500) =>
                    {
                        // Mocks (localstripe) reject or fail on created[] filters; an
                        // unfiltered walk is still complete, just not sharded.
                        notes.push(format!(
                            "{path} rejected created[] filters (HTTP {status}); read unsharded and filtered locally"
                        ));
                        tracing::warn!(path = %path, status, "created[] filters rejected; reading unsharded");
                        self.http.filters_rejected.store(true, Ordering::Relaxed);
                        cur.filtered = false;
                        cur.shards = vec![Shard::new(None, None)];
                        continue;
                    }
                    e => return Err(e),
                },
            };
            if !cur.filtered {
                let range = Shard::new(scope.created_gte, scope.created_lte);
                objects.retain(|o| {
                    o.get("created")
                        .and_then(Value::as_i64)
                        .is_none_or(|c| range.contains(c))
                });
            }
            if obj_scope == ObjectScope::Invoices && !scope.invoice_statuses.is_empty() {
                objects.retain(|o| {
                    o.get("status")
                        .and_then(Value::as_str)
                        .is_none_or(|s| scope.invoice_statuses.iter().any(|w| w == s))
                });
            }
            let completions = objects
                .iter_mut()
                .filter(|o| needs_completion(o))
                .map(|o| complete_embedded(&self.http, o, false));
            futures::future::try_join_all(completions).await?;

            if cur.shards.iter().all(|s| s.done) {
                advance(scope, &mut cur, &mut si, &mut ei);
            }
            if !objects.is_empty() || cur.done {
                return Ok(RawPage {
                    objects,
                    checkpoint: to_json(&cur),
                    done: cur.done,
                    notes,
                });
            }
        }
    }

    /// [`Self::next_raw_page`] mapped to records (what [`Source::next_page`] returns).
    pub async fn mapped_page(&self, scope: &FetchScope, checkpoint: Option<&str>) -> Result<Page> {
        let ctx = self.map_context().await?;
        let raw = self.next_raw_page(scope, checkpoint).await?;
        let mut items: Vec<_> = raw
            .objects
            .iter()
            .flat_map(|o| map_object(o, &ctx))
            .collect();
        let mut notes = raw.notes;
        super::payouts::complete_payouts(&self.http, &ctx, &mut items, &mut notes).await?;
        Ok(Page {
            items,
            checkpoint: raw.checkpoint,
            done: raw.done,
            notes,
            total_hint: None,
        })
    }

    /// The mapping context for this source's records.
    pub(crate) async fn map_context(&self) -> Result<MapContext> {
        let info = self.account_info().await?;
        Ok(MapContext {
            system: "stripe".into(),
            account: info.account,
            api_version: Some(self.http.config.api_version.clone()),
            observed_at: Some(Utc::now()),
        })
    }

    /// Runs the whole (sharded) backfill for `scope` and counts the Stripe
    /// objects read, without mapping them; for benches and smoke tests.
    pub async fn fetch_all(&self, scope: &FetchScope) -> Result<usize> {
        let mut checkpoint: Option<String> = None;
        let mut count = 0;
        loop {
            let page = self.next_raw_page(scope, checkpoint.as_deref()).await?;
            count += page.objects.len();
            if page.done {
                return Ok(count);
            }
            checkpoint = Some(page.checkpoint);
        }
    }

    /// An Events API sync over this source's client (see [`super::StripeEvents`]).
    pub fn events(&self) -> super::StripeEvents {
        super::StripeEvents::new(self.clone())
    }

    /// The stream label: the verified account, else the `Stripe-Account`, else the key's mode.
    pub(crate) fn label(&self) -> String {
        self.account
            .get()
            .map(|a| a.account.clone())
            .filter(|a| a != "acct_unknown")
            .or_else(|| self.http.config.stripe_account.clone())
            .unwrap_or_else(|| self.http.key.mode().to_string())
    }
}

impl StripeSource {
    /// The next pages of `listing` from `shards`, from the running pool when it
    /// continues from there, else from a new one.
    async fn pool_pages(
        &self,
        listing: Listing,
        shards: &[Shard],
    ) -> Result<(Vec<Value>, Vec<Shard>)> {
        let mut slot = self.pool.lock().await;
        let running = slot.as_ref().is_some_and(|p| p.follows(&listing, shards));
        if !running {
            *slot = Some(Pool::start(self.http.clone(), listing, shards.to_vec()));
        }
        let pool = slot.as_mut().expect("pool just started");
        let result = pool.next(self.http.config.max_concurrency.max(1)).await;
        if result.is_err() || result.as_ref().is_ok_and(|(_, s)| s.iter().all(|s| s.done)) {
            *slot = None;
        }
        result
    }
}

fn to_json(c: &Cursor) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// Finds the cursor's scope and endpoint in this fetch scope.
fn position(scope: &FetchScope, cur: &Cursor) -> Result<(usize, usize)> {
    let Some(s) = cur.scope else {
        return Ok((0, 0));
    };
    let si = scope.objects.iter().position(|o| *o == s).ok_or_else(|| {
        StripeError::Decode(format!(
            "checkpoint is for {} which this import does not fetch",
            s.as_str()
        ))
    })?;
    let ei = match &cur.endpoint {
        Some(name) => endpoints(s)
            .iter()
            .position(|e| e.name == name)
            .ok_or_else(|| StripeError::Decode(format!("unknown endpoint {name} in checkpoint")))?,
        None => 0,
    };
    Ok((si, ei))
}

/// Moves to the next endpoint (or scope), resetting the shards.
fn advance(scope: &FetchScope, cur: &mut Cursor, si: &mut usize, ei: &mut usize) {
    *ei += 1;
    if *ei >= endpoints(scope.objects[*si]).len() {
        *ei = 0;
        *si += 1;
    }
    cur.shards.clear();
    cur.path = None;
    cur.filtered = true;
    if *si >= scope.objects.len() {
        cur.done = true;
        cur.scope = None;
        cur.endpoint = None;
    } else {
        let s = scope.objects[*si];
        cur.scope = Some(s);
        cur.endpoint = Some(endpoints(s)[*ei].name.to_string());
    }
}

#[async_trait]
impl Source for StripeSource {
    async fn verify(&self) -> tieout_core::Result<AccountInfo> {
        Ok(StripeSource::verify(self).await?)
    }

    async fn next_page(
        &self,
        scope: &FetchScope,
        checkpoint: Option<&str>,
    ) -> tieout_core::Result<Page> {
        Ok(self.mapped_page(scope, checkpoint).await?)
    }

    fn stream(&self) -> String {
        format!("stripe:{}:api", self.label())
    }

    async fn reported_balances(&self) -> tieout_core::Result<Vec<ReportedBalance>> {
        Ok(self.balance().await?)
    }
}
