//! The daily digest: follow-ups for a digest channel (see
//! [`Channels::with_digest`]) go out as one message per channel per day,
//! written once under the key `digest/<name>/<date>`.
//!
//! Order, so nothing is lost or doubled: each listed follow-up is recorded
//! (planned) first; then the digest is made through the executor (recorded
//! before, outcome after, an in-flight one resolved under the same key); only
//! once the digest succeeded are the follow-ups it lists (its payload's
//! `keys`) marked sent with the digest's key as request id. A follow-up that
//! became due after today's digest went waits for tomorrow's.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::writes::{WriteIntent, WriteRecord, WriteStatus};

use crate::books::Books;
use crate::channels::SlackDigest;
use crate::error::Result;
use crate::writes::{Channels, Prepared, WriteOptions, WriteReport};

impl Books {
    fn stored_write(&self, key: &str) -> Result<Option<WriteRecord>> {
        let id = tieout_core::model::derive_id(EntityKind::WriteRecord.id_prefix(), key);
        Ok(match self.get(EntityKind::WriteRecord, &id)? {
            Some(Entity::WriteRecord(r)) => Some(r),
            _ => None,
        })
    }

    /// Sends today's digest for channel `name` listing `items` (each
    /// re-checked by `prepare`: paid invoices are cancelled, partial payments
    /// re-rendered), then marks the listed items sent.
    pub(crate) fn run_digest(
        &self,
        name: &str,
        items: &[WriteIntent],
        channels: &Channels,
        prepare: &dyn Fn(&WriteIntent) -> Result<Prepared>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        let mut report = WriteReport::default();
        let probe = SlackDigest::intent(name, &[], now);
        let digest = match self.write_record(&probe)? {
            // Today's digest exists: make sure it is made (or resolved), and
            // list only what it listed.
            Some(stored) => stored.intent,
            None => {
                let mut listed = Vec::new();
                for item in items {
                    if self
                        .stored_write(&item.key)?
                        .is_some_and(|r| r.status == WriteStatus::Succeeded)
                    {
                        continue;
                    }
                    match prepare(item)? {
                        Prepared::Cancel(reason) => {
                            let mut rec = self
                                .stored_write(&item.key)?
                                .unwrap_or_else(|| WriteRecord::planned(item.clone(), now));
                            rec.cancel(&reason, now);
                            self.save_write(&rec)?;
                            report.cancelled.push(item.key.clone());
                        }
                        Prepared::AlreadyDone(detail) => {
                            let mut rec = self
                                .stored_write(&item.key)?
                                .unwrap_or_else(|| WriteRecord::planned(item.clone(), now));
                            rec.begin_attempt(now);
                            rec.succeed(None, detail, now);
                            self.save_write(&rec)?;
                            report.already_done.push(item.key.clone());
                        }
                        Prepared::Send(mut fresh) => {
                            fresh.key = item.key.clone();
                            if self.stored_write(&fresh.key)?.is_none() {
                                self.save_write(&WriteRecord::planned(fresh.clone(), now))?;
                            }
                            listed.push(fresh);
                        }
                    }
                }
                if listed.is_empty() {
                    return Ok(report);
                }
                let mut d = SlackDigest::intent(name, &listed, now);
                if let Some(o) = d.payload.as_object_mut() {
                    o.insert(
                        "keys".into(),
                        listed.iter().map(|i| i.key.clone()).collect(),
                    );
                    o.insert(
                        "invoices".into(),
                        listed
                            .iter()
                            .filter_map(|i| i.payload.get("invoice_external_id").cloned())
                            .collect(),
                    );
                }
                d
            }
        };
        let keep = |i: &WriteIntent| Ok(Prepared::Send(i.clone()));
        let sent =
            self.perform_writes(std::slice::from_ref(&digest), channels, &keep, now, options)?;
        merge(&mut report, sent);
        let Some(done) = self.write_record(&digest)? else {
            return Ok(report);
        };
        if done.status != WriteStatus::Succeeded {
            return Ok(report);
        }
        let by_key: HashMap<&str, &WriteIntent> =
            items.iter().map(|i| (i.key.as_str(), i)).collect();
        let keys: Vec<String> = done
            .intent
            .payload
            .get("keys")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for key in keys {
            let mut rec = match self.stored_write(&key)? {
                Some(r) => r,
                None => match by_key.get(key.as_str()) {
                    Some(i) => WriteRecord::planned((*i).clone(), now),
                    None => continue,
                },
            };
            if matches!(rec.status, WriteStatus::Succeeded | WriteStatus::Cancelled) {
                continue;
            }
            rec.begin_attempt(now);
            rec.succeed(
                Some(done.key.clone()),
                serde_json::json!({ "digest": done.key }),
                now,
            );
            self.save_write(&rec)?;
            report.delivered.push(key);
        }
        Ok(report)
    }
}

/// Adds `o`'s keys to `r`.
pub(crate) fn merge(r: &mut WriteReport, o: WriteReport) {
    r.delivered.extend(o.delivered);
    r.resolved.extend(o.resolved);
    r.already_done.extend(o.already_done);
    r.cancelled.extend(o.cancelled);
    r.retrying.extend(o.retrying);
    r.failed.extend(o.failed);
    r.unknown.extend(o.unknown);
}
