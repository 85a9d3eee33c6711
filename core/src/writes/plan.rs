//! `WritePlan`: the writes a person reviews, with a stable hash and an
//! approval bound to an account and mode; and the retry schedule.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::WriteIntent;

/// The writes of one review, for one account and mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WritePlan {
    /// The account the writes act for (e.g. a Stripe `acct_...`).
    pub account: String,
    /// Live mode: a run needs this plan's approval.
    pub livemode: bool,
    /// The writes, in the order they will be made.
    pub intents: Vec<WriteIntent>,
}

impl WritePlan {
    /// A stable hash of the plan: the account, mode, and each intent's key,
    /// target and payload, in order.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"tieout-write-plan/v1\n");
        h.update(self.account.as_bytes());
        h.update(if self.livemode {
            b"\nlive\n"
        } else {
            b"\ntest\n"
        });
        for i in &self.intents {
            h.update(i.key.as_bytes());
            h.update(b"\n");
            h.update(i.target.as_bytes());
            h.update(b"\n");
            h.update(i.payload.to_string().as_bytes());
            h.update(b"\n");
        }
        hex::encode(h.finalize())
    }

    /// The approval a review of this plan produces.
    pub fn approval(&self) -> WriteApproval {
        WriteApproval {
            token: format!("wapv_{}", self.hash()),
        }
    }
}

/// Proof that a person reviewed this exact write plan for this account and
/// mode; any change to a write, the account or the mode invalidates it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WriteApproval {
    /// The token.
    pub token: String,
}

impl WriteApproval {
    /// Whether this approval covers `plan`.
    pub fn covers(&self, plan: &WritePlan) -> bool {
        plan.approval().token == self.token
    }
}

/// How failed writes are retried: up to `max_attempts`, the wait doubling from
/// `base` (attempt 1 failed: wait `base`; attempt 2: `2 * base`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts before a failure is final and reported.
    pub max_attempts: u32,
    /// The first wait, in seconds.
    pub base_seconds: i64,
}

impl Default for RetryPolicy {
    /// Four attempts, waiting 5, 10 and 20 minutes.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_seconds: 300,
        }
    }
}

impl RetryPolicy {
    /// When attempt `attempt` (1-based) failed at `now`, the time of the next
    /// one, or `None` when it was the last.
    pub fn next_retry(&self, attempt: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempt >= self.max_attempts {
            return None;
        }
        let factor = 1i64 << (attempt.saturating_sub(1)).min(20);
        Some(now + Duration::seconds(self.base_seconds.saturating_mul(factor)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn plan(live: bool, text: &str) -> WritePlan {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        WritePlan {
            account: "acct_1".into(),
            livemode: live,
            intents: vec![WriteIntent::new(
                "email",
                "follow_up",
                "followup/in_1/a/v1",
                serde_json::json!({ "text": text }),
                t,
            )],
        }
    }

    #[test]
    fn approval_binds_writes_account_and_mode() {
        let a = plan(true, "hello").approval();
        assert!(a.covers(&plan(true, "hello")));
        assert!(!a.covers(&plan(false, "hello")));
        assert!(!a.covers(&plan(true, "hello!")));
        let mut other = plan(true, "hello");
        other.account = "acct_2".into();
        assert!(!a.covers(&other));
    }

    #[test]
    fn backoff_doubles_then_stops() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let p = RetryPolicy::default();
        assert_eq!(p.next_retry(1, t), Some(t + Duration::seconds(300)));
        assert_eq!(p.next_retry(2, t), Some(t + Duration::seconds(600)));
        assert_eq!(p.next_retry(3, t), Some(t + Duration::seconds(1200)));
        assert_eq!(p.next_retry(4, t), None);
    }
}
