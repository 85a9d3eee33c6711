//! Pushing journal entries to QuickBooks Online or Xero from Node: the
//! clients (the host supplies the OAuth access token and the company),
//! `Books#reviewLedgerPush` and `Books#pushLedger` with the review's
//! approval. The review object keeps the reviewed writes themselves, so the
//! push sends exactly what a person approved.

use std::sync::Arc;
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi_derive::napi;
use tieout::Target;
use tieout::core::writes::WriteApproval;
use tieout::writes::Channel;

use crate::books::Books;
use crate::error::{invalid, to_napi};
use crate::ledger::{JournalEntry, LedgerOptions, entry, export_options};
use crate::receivables::{FaultFn, WritePlan, WriteReport, intent_of, write_options};
use crate::task::{blocking, rejected};
use crate::values::parse_instant;

/// Where QuickBooks Online's production API lives.
const QBO_URL: &str = "https://quickbooks.api.intuit.com";
/// Where Xero's accounting API lives.
const XERO_URL: &str = "https://api.xero.com/api.xro/2.0";

/// Options of the push clients.
#[napi(object, object_to_js = false)]
pub struct LedgerClientOptions {
    /// The API's base URL (default: the production API; the sandbox's or a
    /// test server's otherwise).
    pub base_url: Option<String>,
    /// Per-request timeout in milliseconds (default 30000).
    pub timeout_ms: Option<u32>,
}

fn timeout_of(o: Option<&LedgerClientOptions>) -> tieout::Result<Duration> {
    match o.and_then(|o| o.timeout_ms) {
        Some(0) => Err(invalid("timeoutMs must be above zero")),
        Some(ms) => Ok(Duration::from_millis(u64::from(ms))),
        None => Ok(Duration::from_secs(30)),
    }
}

/// Posts journal entries to one QuickBooks Online company (`realmId`) with
/// the host's OAuth access token.
#[napi]
pub struct QuickBooksClient {
    inner: Arc<tieout::ledger_push::QuickBooksClient>,
}

#[napi]
impl QuickBooksClient {
    /// A client for company `realmId` with the host's OAuth access token.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        realm_id: String,
        access_token: String,
        options: Option<LedgerClientOptions>,
    ) -> napi::Result<Self> {
        let made = timeout_of(options.as_ref()).and_then(|t| {
            let url = options.as_ref().and_then(|o| o.base_url.as_deref());
            tieout::ledger_push::QuickBooksClient::new(
                url.unwrap_or(QBO_URL),
                &realm_id,
                &access_token,
                t,
            )
        });
        let c = made.map_err(|e| to_napi(&env, &e))?;
        Ok(QuickBooksClient { inner: Arc::new(c) })
    }

    /// The company it posts to.
    #[napi(getter)]
    pub fn realm_id(&self) -> String {
        self.inner.realm_id().to_string()
    }
}

/// Posts manual journals to one Xero organisation (`tenantId`) with the
/// host's OAuth access token.
#[napi]
pub struct XeroClient {
    inner: Arc<tieout::ledger_push::XeroClient>,
}

#[napi]
impl XeroClient {
    /// A client for organisation `tenantId` with the host's OAuth access token.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        tenant_id: String,
        access_token: String,
        options: Option<LedgerClientOptions>,
    ) -> napi::Result<Self> {
        let made = timeout_of(options.as_ref()).and_then(|t| {
            let url = options.as_ref().and_then(|o| o.base_url.as_deref());
            tieout::ledger_push::XeroClient::new(
                url.unwrap_or(XERO_URL),
                &tenant_id,
                &access_token,
                t,
            )
        });
        let c = made.map_err(|e| to_napi(&env, &e))?;
        Ok(XeroClient { inner: Arc::new(c) })
    }

    /// The organisation it posts to.
    #[napi(getter)]
    pub fn tenant_id(&self) -> String {
        self.inner.tenant_id().to_string()
    }
}

/// What a ledger push would post, for a person to approve. Nothing was sent.
#[napi]
pub struct LedgerPushReview {
    inner: Arc<tieout::ledger_push::LedgerPushReview>,
}

#[napi]
impl LedgerPushReview {
    /// `qbo` or `xero`.
    #[napi(getter)]
    pub fn target(&self) -> String {
        self.inner.target.as_str().to_string()
    }

    /// The company (QuickBooks realm id, Xero tenant id).
    #[napi(getter)]
    pub fn account(&self) -> String {
        self.inner.account.clone()
    }

    /// The entries not pushed yet, and adjusting entries for pushed ones that changed.
    #[napi(getter)]
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.inner.entries.iter().map(entry).collect()
    }

    /// The writes, one per document (QuickBooks: one per entry and currency).
    #[napi(getter)]
    pub fn plan(&self) -> WritePlan {
        let p = &self.inner.plan;
        WritePlan {
            account: p.account.clone(),
            livemode: p.livemode,
            intents: p.intents.iter().map(intent_of).collect(),
        }
    }

    /// Approval token for `pushLedger`, once a person accepts this review.
    #[napi(getter)]
    pub fn approval(&self) -> String {
        self.inner.approval.token.clone()
    }
}

/// Options of `Books#pushLedger`.
#[napi(object, object_to_js = false)]
pub struct PushLedgerOptions {
    /// The time of the run (ISO); default now.
    pub now: Option<String>,
    /// Attempts before a failure is final (default 4).
    pub max_attempts: Option<u32>,
    /// First retry wait in seconds, doubling (default 300).
    pub retry_base_seconds: Option<i64>,
    /// Tests: `(key, point) => true` stops the run at `recorded` or
    /// `performed` as a crash would (the Promise rejects with `ABORTED`).
    #[napi(ts_type = "(key: string, point: string) => boolean")]
    pub fault: Option<FaultFn>,
}

#[napi]
impl Books {
    /// What pushing the journal to `target` (`qbo` or `xero`) for `account`
    /// (QuickBooks realm id, Xero tenant id) would post: the entries not
    /// pushed there yet and adjusting entries for pushed ones that changed,
    /// as writes. Nothing is sent. `options.now` times the writes.
    #[napi(ts_return_type = "Promise<LedgerPushReview>")]
    pub fn review_ledger_push<'env>(
        &self,
        env: &'env Env,
        target: String,
        account: String,
        options: Option<LedgerOptions>,
    ) -> napi::Result<PromiseRaw<'env, LedgerPushReview>> {
        let args = (|| {
            let t = Target::parse(&target)?;
            let o = export_options(options.as_ref())?;
            let now = match options.as_ref().and_then(|o| o.now.as_deref()) {
                Some(n) => parse_instant("now", n)?,
                None => chrono::Utc::now(),
            };
            Ok::<_, tieout::Error>((t, o, now))
        })();
        let (t, o, now) = match args {
            Ok(a) => a,
            Err(e) => return rejected(env, e),
        };
        let b = self.inner.clone();
        blocking(env, move || {
            let r = b.review_ledger_push(t, &account, &o, now)?;
            Ok(LedgerPushReview { inner: Arc::new(r) })
        })
    }

    /// Pushes the reviewed entries through `client` once each: rejected with
    /// `APPROVAL_REQUIRED` without the review's `approval`; what succeeded
    /// before is skipped; a write left in flight is looked up before it is
    /// sent again.
    #[napi(ts_return_type = "Promise<WriteReport>")]
    pub fn push_ledger<'env>(
        &self,
        env: &'env Env,
        review: &LedgerPushReview,
        approval: String,
        client: Either<&QuickBooksClient, &XeroClient>,
        options: Option<PushLedgerOptions>,
    ) -> napi::Result<PromiseRaw<'env, WriteReport>> {
        let client: Arc<dyn Channel> = match client {
            Either::A(q) => q.inner.clone(),
            Either::B(x) => x.inner.clone(),
        };
        let mut now = chrono::Utc::now();
        let (mut attempts, mut base, mut fault) = (None, None, None);
        if let Some(o) = options {
            if let Some(n) = o.now.as_deref() {
                now = match parse_instant("now", n) {
                    Ok(t) => t,
                    Err(e) => return rejected(env, e),
                };
            }
            attempts = o.max_attempts;
            base = o.retry_base_seconds;
            fault = o.fault.map(Arc::new);
        }
        let (b, r) = (self.inner.clone(), review.inner.clone());
        let approval = WriteApproval { token: approval };
        blocking(env, move || {
            let options = write_options(attempts, base, fault);
            let report = b.push_ledger(&r, &approval, client, now, &options)?;
            Ok(WriteReport::from(report))
        })
    }
}
