//! Sources: the Stripe API (`StripeSource`) and Stripe JSON files (`StripeFiles`).

use std::sync::Arc;
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi_derive::napi;

use crate::error::to_napi;
use crate::plan::ObjectScope;
use crate::records::AccountInfo;
use crate::task::spawn;
use crate::values::parse_instant;

/// Client settings of a [`StripeSource`]; every field is optional.
#[napi(object, object_to_js = false)]
pub struct StripeSourceOptions {
    /// API base URL (default `https://api.stripe.com`); for localstripe and mocks.
    pub base_url: Option<String>,
    /// `Stripe-Version` sent on every request (default `2025-03-31.basil`).
    pub api_version: Option<String>,
    /// Acts on a connected account (`Stripe-Account` header).
    pub stripe_account: Option<String>,
    /// Client-side request rate: requests started in any second (default 25 for test keys, 80 for live keys).
    pub max_requests_per_second: Option<u32>,
    /// Requests in flight at once (default 8).
    pub max_concurrency: Option<u32>,
    /// Retries after the first attempt (default 4).
    pub max_retries: Option<u32>,
    /// Per-request timeout in milliseconds (default 80000).
    pub timeout_ms: Option<u32>,
    /// Initial retry delay in milliseconds (default 500; doubles per attempt).
    pub retry_base_delay_ms: Option<u32>,
    /// Maximum retry delay in milliseconds before jitter (default 5000).
    pub retry_max_delay_ms: Option<u32>,
    /// Objects per list page, 1 to 100 (default 100).
    pub page_limit: Option<u32>,
    /// Most created-date shards open at once per backfilled endpoint (default 32; the backfill starts with one and splits dense ones).
    pub shards: Option<u32>,
    /// Where a backfill without a created range starts (ISO-8601, default 2011-01-01).
    pub backfill_start: Option<String>,
}

/// The Stripe API as a source. The key is classified when constructed (secret or
/// restricted, test or live; publishable keys are refused with
/// `INVALID_API_KEY`); nothing is sent until `verify()` or an import.
#[napi]
pub struct StripeSource {
    pub(crate) inner: tieout::StripeSource,
}

#[napi]
impl StripeSource {
    /// A source for `apiKey` (`sk_...` or `rk_...`).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        api_key: String,
        options: Option<StripeSourceOptions>,
    ) -> napi::Result<Self> {
        Self::build(api_key, options).map_err(|e| to_napi(&env, &e))
    }

    fn build(api_key: String, options: Option<StripeSourceOptions>) -> tieout::Result<Self> {
        let mut s = tieout::StripeSource::new(api_key)?;
        if let Some(o) = options {
            if let Some(v) = o.base_url {
                s = s.base_url(v);
            }
            if let Some(v) = o.api_version {
                s = s.api_version(v);
            }
            if let Some(v) = o.stripe_account {
                s = s.stripe_account(v);
            }
            if let Some(v) = o.max_requests_per_second {
                s = s.max_requests_per_second(v);
            }
            if let Some(v) = o.max_concurrency {
                s = s.max_concurrency(v as usize);
            }
            if let Some(v) = o.max_retries {
                s = s.max_retries(v);
            }
            if let Some(v) = o.timeout_ms {
                s = s.timeout(Duration::from_millis(u64::from(v)));
            }
            if let Some(v) = o.retry_base_delay_ms {
                s = s.retry_base_delay(Duration::from_millis(u64::from(v)));
            }
            if let Some(v) = o.retry_max_delay_ms {
                s = s.retry_max_delay(Duration::from_millis(u64::from(v)));
            }
            if let Some(v) = o.page_limit {
                s = s.page_limit(v);
            }
            if let Some(v) = o.shards {
                s = s.shards(v as usize);
            }
            if let Some(v) = o.backfill_start {
                s = s.backfill_start(parse_instant("backfillStart", &v)?.timestamp());
            }
        }
        Ok(StripeSource { inner: s })
    }

    /// Checks the key and returns the account and mode.
    #[napi(ts_return_type = "Promise<AccountInfo>")]
    pub fn verify<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, AccountInfo>> {
        let s = self.inner.clone();
        spawn(
            env,
            async move { Ok(AccountInfo::from(&s.verify().await?)) },
        )
    }

    /// Checks read access for every endpoint the object kinds need (default: all),
    /// so a restricted key missing a permission fails (`PERMISSION_DENIED`,
    /// naming every missing resource) before any import.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn verify_permissions<'env>(
        &self,
        env: &'env Env,
        objects: Option<Vec<ObjectScope>>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let s = self.inner.clone();
        let scopes: Vec<tieout::ObjectScope> = match objects {
            Some(o) => o.into_iter().map(Into::into).collect(),
            None => tieout::ObjectScope::ALL.to_vec(),
        };
        spawn(env, async move { Ok(s.verify_permissions(&scopes).await?) })
    }

    /// The key as it may be printed (`sk_test_****`).
    #[napi(getter)]
    pub fn masked_key(&self) -> String {
        self.inner.key().masked()
    }

    /// `"test"` or `"live"`, from the key.
    #[napi(getter)]
    pub fn mode(&self) -> String {
        self.inner.key().mode().to_string()
    }

    /// The configured `Stripe-Version`.
    #[napi(getter)]
    pub fn api_version(&self) -> String {
        self.inner.configured_api_version().to_string()
    }
}

/// Options of [`StripeFiles`].
#[napi(object, object_to_js = false)]
pub struct StripeFilesOptions {
    /// File the records under this account id or label (default: the `account`
    /// of the first event found, else `acct_files`).
    pub account: Option<String>,
}

/// An offline source over a directory of Stripe JSON: single objects, arrays,
/// list pages and events, `.json` or `.jsonl`, read recursively in path order.
#[napi]
pub struct StripeFiles {
    pub(crate) inner: Arc<tieout::StripeFiles>,
}

#[napi]
impl StripeFiles {
    /// A source over `dir` (which must be a directory; else `FILE_ERROR`).
    #[napi(constructor)]
    pub fn new(env: Env, dir: String, options: Option<StripeFilesOptions>) -> napi::Result<Self> {
        let build = || -> tieout::Result<Self> {
            let mut f = tieout::StripeFiles::new(&dir)?;
            if let Some(a) = options.and_then(|o| o.account) {
                f = f.account(&a);
            }
            Ok(StripeFiles { inner: Arc::new(f) })
        };
        build().map_err(|e| to_napi(&env, &e))
    }

    /// Reads the directory and returns the account it is filed under.
    #[napi(ts_return_type = "Promise<AccountInfo>")]
    pub fn verify<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, AccountInfo>> {
        let f = self.inner.clone();
        spawn(env, async move {
            let info = tieout::Source::verify(f.as_ref()).await?;
            Ok(AccountInfo::from(&info))
        })
    }

    /// The directory read.
    #[napi(getter)]
    pub fn dir(&self) -> String {
        self.inner.dir().display().to_string()
    }
}

/// Either source, as a trait object the facade takes.
pub(crate) fn source_of(s: &Either<&StripeSource, &StripeFiles>) -> Arc<dyn tieout::Source> {
    match s {
        Either::A(api) => Arc::new(api.inner.clone()),
        Either::B(files) => files.inner.clone(),
    }
}
