//! The `Channel` trait: where a write goes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tieout_core::writes::{WriteIntent, WriteRecord};

/// What a channel reports for one attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Accepted by the receiver.
    Delivered {
        /// The receiver's id for it (Message-ID, response id, ...).
        request_id: Option<String>,
        /// Anything worth keeping from the answer.
        detail: serde_json::Value,
    },
    /// Refused; `retryable` failures are tried again with backoff.
    Failed {
        /// What went wrong.
        error: String,
        /// Whether trying again may work (a 5xx, a refused connection).
        retryable: bool,
    },
    /// Refused, with what the receiver said (e.g. Stripe's error object: a
    /// decline's `code`, `decline_code`, `advice_code`), kept as the write's
    /// outcome so the decision it leads to can be made again after a crash.
    Refused {
        /// What went wrong.
        error: String,
        /// Whether the same write may be tried again (a rate limit).
        retryable: bool,
        /// What the receiver answered.
        detail: serde_json::Value,
    },
    /// The answer was lost (timeout, reset after sending): the write may or
    /// may not have happened.
    Unknown {
        /// What went wrong.
        error: String,
    },
}

/// What a channel knows about a write left in flight or unknown.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolution {
    /// A lookup found it was made.
    Delivered {
        /// The receiver's id for it.
        request_id: Option<String>,
    },
    /// A lookup found it was made, and what it made (e.g. the Stripe object
    /// found by its `metadata[tieout_key]`), kept as the write's outcome.
    Found {
        /// The receiver's id for it.
        request_id: Option<String>,
        /// What the lookup found.
        detail: serde_json::Value,
    },
    /// A lookup found it was not made: make it.
    NotDelivered,
    /// No lookup exists: deliver again under the same key, which the
    /// receiver can use to drop a duplicate (the documented ambiguous window).
    RedeliverSameKey,
    /// Still unknown: leave it for a person.
    Unknown,
}

/// A place writes go: SMTP email, a Slack webhook, a host callback.
pub trait Channel: Send + Sync {
    /// Makes the write. `attempt` is 1 for the first try. Must pass
    /// `intent.key` on to the receiver.
    fn perform(&self, intent: &WriteIntent, attempt: u32) -> Outcome;

    /// Resolves a write whose outcome was never committed. The default has no
    /// lookup and redelivers under the same key.
    fn resolve(&self, _record: &WriteRecord) -> Resolution {
        Resolution::RedeliverSameKey
    }
}

/// The perform callback of a [`CallbackChannel`].
pub type PerformFn = Box<dyn Fn(&WriteIntent, u32) -> Outcome + Send + Sync>;
/// The resolve callback of a [`CallbackChannel`].
pub type ResolveFn = Box<dyn Fn(&WriteRecord) -> Resolution + Send + Sync>;

/// A channel made of two closures (how Python and Node code implement one).
pub struct CallbackChannel {
    perform: PerformFn,
    resolve: Option<ResolveFn>,
}

impl CallbackChannel {
    /// A channel calling `perform` for each attempt; no lookup.
    pub fn new(perform: impl Fn(&WriteIntent, u32) -> Outcome + Send + Sync + 'static) -> Self {
        CallbackChannel {
            perform: Box::new(perform),
            resolve: None,
        }
    }

    /// Adds a lookup for writes left in flight.
    pub fn with_resolve(
        mut self,
        resolve: impl Fn(&WriteRecord) -> Resolution + Send + Sync + 'static,
    ) -> Self {
        self.resolve = Some(Box::new(resolve));
        self
    }
}

impl Channel for CallbackChannel {
    fn perform(&self, intent: &WriteIntent, attempt: u32) -> Outcome {
        (self.perform)(intent, attempt)
    }

    fn resolve(&self, record: &WriteRecord) -> Resolution {
        match &self.resolve {
            Some(f) => f(record),
            None => Resolution::RedeliverSameKey,
        }
    }
}

/// Channels by name (`email`, `slack`, host names).
#[derive(Clone, Default)]
pub struct Channels {
    by_name: BTreeMap<String, Arc<dyn Channel>>,
    digests: BTreeSet<String>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_name.keys()).finish()
    }
}

impl Channels {
    /// No channels.
    pub fn new() -> Self {
        Channels::default()
    }

    /// Adds (or replaces) the channel called `name`.
    pub fn with(mut self, name: &str, channel: impl Channel + 'static) -> Self {
        self.by_name.insert(name.to_string(), Arc::new(channel));
        self
    }

    /// Adds a shared channel.
    pub fn with_arc(mut self, name: &str, channel: Arc<dyn Channel>) -> Self {
        self.by_name.insert(name.to_string(), channel);
        self
    }

    /// Adds (or replaces) `name` as a daily digest channel: a follow-up run
    /// gathers the messages for it into one message per day (key
    /// `digest/<name>/<date>`) instead of one per invoice.
    pub fn with_digest(mut self, name: &str, channel: impl Channel + 'static) -> Self {
        self.by_name.insert(name.to_string(), Arc::new(channel));
        self.digests.insert(name.to_string());
        self
    }

    /// Adds a shared digest channel (see [`Channels::with_digest`]).
    pub fn with_digest_arc(mut self, name: &str, channel: Arc<dyn Channel>) -> Self {
        self.by_name.insert(name.to_string(), channel);
        self.digests.insert(name.to_string());
        self
    }

    /// Whether `name` is a daily digest channel.
    pub fn is_digest(&self, name: &str) -> bool {
        self.digests.contains(name)
    }

    /// The channel called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.by_name.get(name)
    }
}
