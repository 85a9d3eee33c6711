//! The executor: each approved write recorded before it is made, its outcome
//! after; resolved, never redone blindly; retried with backoff.

use chrono::{DateTime, Utc};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::writes::{RetryPolicy, WriteIntent, WriteRecord, WriteStatus};
use tieout_core::{ChangeSet, CoreError};

use super::{Channels, Outcome, Resolution};
use crate::books::Books;
use crate::error::{Error, Result};

/// What to do with a write right before it is made (re-read from the books).
#[derive(Clone, Debug, PartialEq)]
pub enum Prepared {
    /// Make it, with this (possibly re-rendered) intent; the key is kept.
    Send(WriteIntent),
    /// Do not make it, for this reason (e.g. the invoice was paid).
    Cancel(String),
    /// Do not make it: a read right before the call shows it is already
    /// done (e.g. the Stripe invoice is already paid). Recorded as succeeded
    /// with this detail.
    AlreadyDone(serde_json::Value),
}

/// A point where tests make the executor stop as if the process died.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPoint {
    /// The attempt is committed; the channel has not been called.
    Recorded,
    /// The channel accepted it; the outcome is not committed.
    Performed,
}

/// A test hook: returning `true` at a point stops the run there.
pub type FaultHook = Box<dyn Fn(&WriteIntent, FaultPoint) -> bool + Send + Sync>;

/// How a run of writes behaves.
#[derive(Default)]
pub struct WriteOptions {
    /// Retry schedule for failed writes.
    pub retry: RetryPolicy,
    /// Test hook: returning `true` at a point stops the run there with
    /// [`Error::Aborted`], leaving the books as a crash would.
    pub fault: Option<FaultHook>,
}

impl std::fmt::Debug for WriteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteOptions")
            .field("retry", &self.retry)
            .field("fault", &self.fault.is_some())
            .finish()
    }
}

/// What a run of writes did, by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteReport {
    /// Made in this run.
    pub delivered: Vec<String>,
    /// Found made by a lookup of a write left in flight.
    pub resolved: Vec<String>,
    /// Already made before this run.
    pub already_done: Vec<String>,
    /// Not made: the reason went away (paid invoice, ...).
    pub cancelled: Vec<String>,
    /// Failed, to be retried at the recorded time.
    pub retrying: Vec<String>,
    /// Failed for good (not retryable, or out of attempts): reported.
    pub failed: Vec<String>,
    /// Outcome unknown and unresolved: for a person.
    pub unknown: Vec<String>,
}

impl Books {
    pub(crate) fn save_write(&self, record: &WriteRecord) -> Result<()> {
        let mut cs = ChangeSet::default();
        cs.upserts.push(Entity::WriteRecord(record.clone()));
        self.store()?.commit(cs)?;
        Ok(())
    }

    /// The stored record of a write, by its key's record id.
    pub fn write_record(&self, intent: &WriteIntent) -> Result<Option<WriteRecord>> {
        Ok(
            match self.get(EntityKind::WriteRecord, &intent.record_id())? {
                Some(Entity::WriteRecord(r)) => Some(r),
                _ => None,
            },
        )
    }

    /// Records a run of `plan`'s writes at `now` in the history (one entry
    /// listing each write's status; nothing for an empty plan).
    pub(crate) fn record_write_run(
        &self,
        plan: &tieout_core::writes::WritePlan,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if plan.intents.is_empty() {
            return Ok(());
        }
        let mut records = Vec::with_capacity(plan.intents.len());
        for i in &plan.intents {
            if let Some(r) = self.write_record(i)? {
                records.push(r);
            }
        }
        let run = tieout_core::writes::write_run(&records, now, plan.livemode);
        let mut cs = ChangeSet::default();
        cs.upserts.push(Entity::ImportRun(run));
        self.store()?.commit(cs)?;
        Ok(())
    }

    /// Every recorded write (its key, attempts with request ids, outcome), by id.
    pub fn writes(&self) -> Result<Vec<WriteRecord>> {
        Ok(self
            .store()?
            .list(EntityKind::WriteRecord)?
            .into_iter()
            .filter_map(|e| match e {
                Entity::WriteRecord(r) => Some(r),
                _ => None,
            })
            .collect())
    }

    /// Makes each write once, in order, through the channel its `target`
    /// names. `prepare` runs right before each send and may re-render the
    /// intent or cancel it. See [`crate::writes`] for the guarantees. Callers
    /// check approval first (this is the shared apply step).
    pub fn perform_writes(
        &self,
        intents: &[WriteIntent],
        channels: &Channels,
        prepare: &dyn Fn(&WriteIntent) -> Result<Prepared>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        let mut report = WriteReport::default();
        for intent in intents {
            let channel = channels.get(&intent.target).ok_or_else(|| {
                Error::Core(CoreError::Invalid(format!(
                    "no channel named {:?} for write {}",
                    intent.target, intent.key
                )))
            })?;
            let mut rec = match self.write_record(intent)? {
                Some(r) => r,
                None => WriteRecord::planned(intent.clone(), now),
            };
            let key = rec.key.clone();
            match rec.status {
                WriteStatus::Succeeded => {
                    report.already_done.push(key);
                    continue;
                }
                WriteStatus::Cancelled => {
                    report.cancelled.push(key);
                    continue;
                }
                WriteStatus::Failed if !rec.retry_due(now) => {
                    let retryable = rec.attempts.last().is_some_and(|a| a.retryable);
                    if retryable {
                        report.retrying.push(key);
                    } else {
                        report.failed.push(key);
                    }
                    continue;
                }
                WriteStatus::InFlight | WriteStatus::Unknown => match channel.resolve(&rec) {
                    Resolution::Delivered { request_id } => {
                        rec.succeed(request_id, serde_json::json!({ "resolved": true }), now);
                        self.save_write(&rec)?;
                        report.resolved.push(key);
                        continue;
                    }
                    Resolution::Found { request_id, detail } => {
                        rec.succeed(request_id, detail, now);
                        self.save_write(&rec)?;
                        report.resolved.push(key);
                        continue;
                    }
                    Resolution::Unknown => {
                        rec.unknown("outcome unknown after lookup", now);
                        self.save_write(&rec)?;
                        report.unknown.push(key);
                        continue;
                    }
                    Resolution::NotDelivered | Resolution::RedeliverSameKey => {}
                },
                WriteStatus::Planned | WriteStatus::Failed => {}
            }
            match prepare(&rec.intent)? {
                Prepared::Cancel(reason) => {
                    rec.cancel(&reason, now);
                    self.save_write(&rec)?;
                    report.cancelled.push(key);
                    continue;
                }
                Prepared::AlreadyDone(detail) => {
                    if rec.attempts.is_empty() {
                        rec.begin_attempt(now);
                    }
                    rec.succeed(None, detail, now);
                    self.save_write(&rec)?;
                    report.already_done.push(key);
                    continue;
                }
                Prepared::Send(mut fresh) => {
                    fresh.key = rec.key.clone();
                    rec.intent = fresh;
                }
            }
            let attempt = rec.begin_attempt(now);
            self.save_write(&rec)?;
            let crash = |point| {
                options
                    .fault
                    .as_ref()
                    .is_some_and(|f| f(&rec.intent, point))
            };
            if crash(FaultPoint::Recorded) {
                return Err(Error::Aborted {
                    key,
                    point: "recorded",
                });
            }
            let outcome = channel.perform(&rec.intent, attempt);
            if crash(FaultPoint::Performed) {
                return Err(Error::Aborted {
                    key,
                    point: "performed",
                });
            }
            match outcome {
                Outcome::Delivered { request_id, detail } => {
                    rec.succeed(request_id, detail, now);
                    report.delivered.push(key);
                }
                Outcome::Failed { error, retryable } => {
                    let next = if retryable {
                        options.retry.next_retry(attempt, now)
                    } else {
                        None
                    };
                    rec.fail(&error, next, now);
                    if next.is_some() {
                        report.retrying.push(key);
                    } else {
                        report.failed.push(key);
                    }
                }
                Outcome::Refused {
                    error,
                    retryable,
                    detail,
                } => {
                    let next = if retryable {
                        options.retry.next_retry(attempt, now)
                    } else {
                        None
                    };
                    rec.fail(&error, next, now);
                    rec.outcome = Some(detail);
                    if next.is_some() {
                        report.retrying.push(key);
                    } else {
                        report.failed.push(key);
                    }
                }
                Outcome::Unknown { error } => {
                    rec.unknown(&error, now);
                    report.unknown.push(key);
                }
            }
            self.save_write(&rec)?;
        }
        Ok(report)
    }
}
