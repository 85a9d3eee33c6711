//! The Stripe REST client: keys, HTTP with retries, rate limiting, pagination,
//! sharded backfills (`StripeSource`) and the Events API sync (`StripeEvents`).

pub(crate) mod config;
mod events;
mod http;
pub(crate) mod key;
mod limiter;
mod paginate;
mod payouts;
mod pool;
mod refetch;
mod shards;
mod source;

pub use config::{DEFAULT_API_VERSION, DEFAULT_BACKFILL_START, DEFAULT_BASE_URL};
pub use events::{EVENT_RETENTION_SECS, EXPIRED_CURSOR_NOTE, StripeEvents};
pub use key::{ApiKey, KeyKind, redact};
pub use refetch::object_path;
pub use source::{RawPage, StripeSource};
