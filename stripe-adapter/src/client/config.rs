//! Client settings and their defaults.

use std::time::Duration;

/// The Stripe API version sent as `Stripe-Version` unless configured otherwise.
pub const DEFAULT_API_VERSION: &str = "2025-03-31.basil";

/// The default API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// Where a full backfill starts when no created range is given (2011-01-01, before Stripe).
pub const DEFAULT_BACKFILL_START: i64 = 1_293_840_000;

/// Settings of a [`super::StripeSource`]; set through its builder methods.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub base_url: String,
    pub api_version: String,
    pub timeout: Duration,
    pub stripe_account: Option<String>,
    pub max_rps: u32,
    pub max_concurrency: usize,
    pub max_retries: u32,
    pub page_limit: u32,
    pub shards: usize,
    pub retry_base_delay: Duration,
    pub retry_max_delay: Duration,
    pub max_retry_after: Duration,
    pub backfill_start: i64,
}

impl Config {
    pub fn new(livemode: bool) -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_string(),
            api_version: DEFAULT_API_VERSION.to_string(),
            timeout: Duration::from_secs(80),
            stripe_account: None,
            // Stripe allows 25 read req/s in test mode and 100 in live mode. A test
            // key is the backfill's alone: all 25 (the limiter's window has a guard
            // against jitter). A live key shares the limit with the company's own
            // traffic: 80.
            max_rps: if livemode { 80 } else { 25 },
            max_concurrency: 8,
            max_retries: 4,
            page_limit: 100,
            // Most shards open at once per endpoint; the backfill starts with one.
            shards: 32,
            retry_base_delay: Duration::from_millis(500),
            retry_max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            backfill_start: DEFAULT_BACKFILL_START,
        }
    }
}
