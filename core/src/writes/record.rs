//! `WriteRecord`: what the books store about one write, before and after it
//! is made.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::WriteIntent;
use crate::model::Id;

/// Where a write stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    /// Recorded, never attempted.
    Planned,
    /// An attempt was recorded and handed to the target; its outcome is not
    /// committed yet (a crash here leaves it so; the next run resolves it).
    InFlight,
    /// The target confirmed it.
    Succeeded,
    /// The target refused it (see the last attempt's `retryable`).
    Failed,
    /// The target's answer was lost (timeout, connection reset): resolved with
    /// the same key or a lookup before anything is retried.
    Unknown,
    /// Not made: the reason it was planned went away before the send (e.g. the
    /// invoice was paid).
    Cancelled,
}

impl WriteStatus {
    /// snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            WriteStatus::Planned => "planned",
            WriteStatus::InFlight => "in_flight",
            WriteStatus::Succeeded => "succeeded",
            WriteStatus::Failed => "failed",
            WriteStatus::Unknown => "unknown",
            WriteStatus::Cancelled => "cancelled",
        }
    }
}

/// One attempt at a write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteAttempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// When it was recorded (just before it was handed to the target).
    pub started_at: DateTime<Utc>,
    /// When its outcome was committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The target's id for it (SMTP `Message-ID`, Slack response, Stripe request id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The error, for a failed or unknown attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether a failure may be retried.
    #[serde(default)]
    pub retryable: bool,
    /// Earliest time of the next attempt, for a retryable failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<DateTime<Utc>>,
}

/// A write as the books record it: its intent, status, attempts and outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// The books' own id ([`WriteIntent::record_id`]).
    pub id: Id,
    /// The idempotency key.
    pub key: String,
    /// What is written.
    pub intent: WriteIntent,
    /// Where it stands.
    pub status: WriteStatus,
    /// Every attempt, oldest first.
    #[serde(default)]
    pub attempts: Vec<WriteAttempt>,
    /// What the target answered (or why it was cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<serde_json::Value>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl WriteRecord {
    /// A planned record of `intent`.
    pub fn planned(intent: WriteIntent, now: DateTime<Utc>) -> WriteRecord {
        WriteRecord {
            id: intent.record_id(),
            key: intent.key.clone(),
            intent,
            status: WriteStatus::Planned,
            attempts: Vec::new(),
            outcome: None,
            updated_at: now,
        }
    }

    /// Records a new attempt, in flight from `now`. Returns its number.
    pub fn begin_attempt(&mut self, now: DateTime<Utc>) -> u32 {
        let number = self.attempts.len() as u32 + 1;
        self.attempts.push(WriteAttempt {
            number,
            started_at: now,
            finished_at: None,
            request_id: None,
            error: None,
            retryable: false,
            next_retry_at: None,
        });
        self.status = WriteStatus::InFlight;
        self.updated_at = now;
        number
    }

    fn last(&mut self, now: DateTime<Utc>) -> Option<&mut WriteAttempt> {
        self.updated_at = now;
        let a = self.attempts.last_mut()?;
        a.finished_at = Some(now);
        Some(a)
    }

    /// The last attempt succeeded.
    pub fn succeed(
        &mut self,
        request_id: Option<String>,
        outcome: serde_json::Value,
        now: DateTime<Utc>,
    ) {
        if let Some(a) = self.last(now) {
            a.request_id = request_id;
            a.error = None;
        }
        self.status = WriteStatus::Succeeded;
        self.outcome = Some(outcome);
    }

    /// The last attempt failed; a retryable failure may be tried again from
    /// `next_retry_at`.
    pub fn fail(&mut self, error: &str, next_retry_at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        if let Some(a) = self.last(now) {
            a.error = Some(error.to_string());
            a.retryable = next_retry_at.is_some();
            a.next_retry_at = next_retry_at;
        }
        self.status = WriteStatus::Failed;
    }

    /// The last attempt's outcome is not known.
    pub fn unknown(&mut self, error: &str, now: DateTime<Utc>) {
        if let Some(a) = self.last(now) {
            a.error = Some(error.to_string());
        }
        self.status = WriteStatus::Unknown;
    }

    /// Not made, for `reason`.
    pub fn cancel(&mut self, reason: &str, now: DateTime<Utc>) {
        self.status = WriteStatus::Cancelled;
        self.outcome = Some(serde_json::json!({ "cancelled": reason }));
        self.updated_at = now;
    }

    /// Whether a failed write may be attempted at `now`.
    pub fn retry_due(&self, now: DateTime<Utc>) -> bool {
        self.status == WriteStatus::Failed
            && self
                .attempts
                .last()
                .is_some_and(|a| a.retryable && a.next_retry_at.is_none_or(|t| t <= now))
    }

    /// The request id of the last attempt.
    pub fn request_id(&self) -> Option<&str> {
        self.attempts.last().and_then(|a| a.request_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn attempts_move_the_status() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let i = WriteIntent::new("email", "follow_up", "p", serde_json::json!({}), t);
        let mut r = WriteRecord::planned(i, t);
        assert_eq!(r.status, WriteStatus::Planned);
        assert_eq!(r.begin_attempt(t), 1);
        assert_eq!(r.status, WriteStatus::InFlight);
        r.fail("450 busy", Some(t + chrono::Duration::minutes(5)), t);
        assert!(!r.retry_due(t));
        assert!(r.retry_due(t + chrono::Duration::minutes(5)));
        assert_eq!(r.begin_attempt(t), 2);
        r.succeed(Some("<m@x>".into()), serde_json::json!({"ok": true}), t);
        assert_eq!(r.status, WriteStatus::Succeeded);
        assert_eq!(r.request_id(), Some("<m@x>"));
        assert!(!r.retry_due(t + chrono::Duration::days(1)));
    }
}
