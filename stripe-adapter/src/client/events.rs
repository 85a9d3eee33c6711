//! Incremental sync from `/v1/events`, with a backfill when the cursor expired.

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tieout_core::{AccountInfo, FetchScope, Page, Record, Source, SourceItem};

use super::StripeSource;
use super::http::Params;
use super::paginate::{complete_embedded, needs_completion, parse_list};
use crate::error::{Result, StripeError};
use crate::events::{StripeEvent, event_items};

/// Stripe keeps events for 30 days.
pub const EVENT_RETENTION_SECS: i64 = 30 * 24 * 3600;

/// The note a page carries when the cursor outlived Stripe's event retention.
pub const EXPIRED_CURSOR_NOTE: &str =
    "event cursor older than Stripe's 30-day retention; backfilling affected objects";

/// Where an events sync stands.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum EventCursor {
    /// First sync: walking every retained event, newest first.
    Replay {
        #[serde(default)]
        newest_id: Option<String>,
        #[serde(default)]
        newest_created: Option<i64>,
        #[serde(default)]
        after: Option<String>,
    },
    /// Following new events after `last_id`.
    Tail {
        last_id: Option<String>,
        last_created: i64,
    },
    /// Re-reading the affected objects; then tailing from `resume_id`.
    Backfill {
        #[serde(default)]
        inner: Option<String>,
        #[serde(default)]
        resume_id: Option<String>,
        resume_created: i64,
    },
}

/// Id and `created` of a raw event, for cursors.
fn id_created(v: &Value) -> Option<(String, i64)> {
    Some((
        v.get("id")?.as_str()?.to_string(),
        v.get("created")?.as_i64()?,
    ))
}

/// Incremental sync from Stripe's Events API as a [`Source`].
///
/// The checkpoint holds the last event id and its `created`. Without a
/// checkpoint, every retained event is replayed once. Each page maps the
/// `data.object` snapshots of one page of newer events (oldest first, at the
/// event's `api_version`, observed at the event's `created`), keeping records in
/// the fetch scope. When the cursor is older than Stripe's 30-day retention (or
/// Stripe no longer knows it), the page notes [`EXPIRED_CURSOR_NOTE`] and the
/// scope's object types are backfilled in full before tailing resumes.
#[derive(Clone, Debug)]
pub struct StripeEvents {
    source: StripeSource,
    retention_secs: i64,
}

impl StripeEvents {
    /// An events sync over `source`'s client.
    pub fn new(source: StripeSource) -> Self {
        StripeEvents {
            source,
            retention_secs: EVENT_RETENTION_SECS,
        }
    }

    /// Overrides the retention window (seconds) after which a cursor counts as expired.
    pub fn retention_secs(mut self, secs: i64) -> Self {
        self.retention_secs = secs;
        self
    }

    /// A checkpoint that tails events after `event_id` (created at `created`).
    pub fn checkpoint_after(event_id: &str, created: i64) -> String {
        serde_json::to_string(&EventCursor::Tail {
            last_id: Some(event_id.to_string()),
            last_created: created,
        })
        .unwrap_or_default()
    }

    async fn list(&self, extra: &[(&str, &str)]) -> Result<(Vec<Value>, bool)> {
        let mut q: Params = vec![(
            "limit".into(),
            self.source.http().config.page_limit.to_string(),
        )];
        q.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let page = parse_list(
            self.source.http().get("/v1/events", &q).await?,
            "/v1/events",
        )?;
        Ok((page.data, page.has_more))
    }

    async fn newest_event(&self) -> Result<Option<(String, i64)>> {
        let v = self
            .source
            .http()
            .get("/v1/events", &[("limit".into(), "1".into())])
            .await?;
        let page = parse_list(v, "/v1/events")?;
        Ok(page.data.first().and_then(id_created))
    }

    async fn map_events(
        &self,
        scope: &FetchScope,
        account: &str,
        events: Vec<Value>,
    ) -> Result<Vec<SourceItem>> {
        let mut items = Vec::new();
        for raw in events {
            let mut ev = match StripeEvent::from_value(raw) {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a malformed event");
                    continue;
                }
            };
            if needs_completion(&ev.object) {
                complete_embedded(self.source.http(), &mut ev.object, true).await?;
            }
            if ev.api_version.is_none() {
                ev.api_version = Some(self.source.configured_api_version().to_string());
            }
            tracing::debug!(event = %ev.id, kind = %ev.event_type, "mapping event");
            items.extend(event_items(&ev, account).into_iter().filter(|i| match i {
                SourceItem::Record(r) => in_scope(scope, r),
                SourceItem::Failed(_) => true,
            }));
        }
        Ok(items)
    }

    async fn page(&self, scope: &FetchScope, checkpoint: Option<&str>) -> Result<Page> {
        let account = self.source.account_info().await?.account;
        let mut cur = match checkpoint {
            Some(s) if !s.trim().is_empty() => serde_json::from_str(s)
                .map_err(|e| StripeError::Decode(format!("invalid events checkpoint: {e}")))?,
            _ => EventCursor::Replay {
                newest_id: None,
                newest_created: None,
                after: None,
            },
        };
        let mut notes = Vec::new();
        let now = Utc::now().timestamp();
        loop {
            match cur {
                EventCursor::Replay {
                    newest_id,
                    newest_created,
                    after,
                } => {
                    let extra: Vec<(&str, &str)> = after
                        .as_deref()
                        .map(|a| vec![("starting_after", a)])
                        .unwrap_or_default();
                    let (data, has_more) = self.list(&extra).await?;
                    let first = data.first().and_then(id_created);
                    let newest_id = newest_id.or_else(|| first.as_ref().map(|e| e.0.clone()));
                    let newest_created = newest_created.or(first.as_ref().map(|e| e.1));
                    let last = data
                        .last()
                        .and_then(|v| v.get("id"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    let finished = !has_more || last.is_none() || last == after;
                    let next = if finished {
                        EventCursor::Tail {
                            last_id: newest_id,
                            last_created: newest_created.unwrap_or(now),
                        }
                    } else {
                        EventCursor::Replay {
                            newest_id,
                            newest_created,
                            after: last,
                        }
                    };
                    let items = self.map_events(scope, &account, data).await?;
                    return Ok(page(items, &next, finished, notes));
                }
                EventCursor::Tail {
                    last_id,
                    last_created,
                } => {
                    let Some(last) = last_id else {
                        cur = EventCursor::Replay {
                            newest_id: None,
                            newest_created: None,
                            after: None,
                        };
                        continue;
                    };
                    if now - last_created > self.retention_secs {
                        cur = self.start_backfill(&mut notes, now).await?;
                        continue;
                    }
                    let (data, has_more) = match self.list(&[("ending_before", &last)]).await {
                        Ok(r) => r,
                        Err(StripeError::Api {
                            status: 400 | 404, ..
                        }) => {
                            tracing::warn!(event = %last, "Stripe no longer knows the event cursor");
                            cur = self.start_backfill(&mut notes, now).await?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    // Newest first: the newest of this page is the next cursor.
                    let next = match data.first().and_then(id_created) {
                        Some((id, created)) => EventCursor::Tail {
                            last_id: Some(id),
                            last_created: created,
                        },
                        None => EventCursor::Tail {
                            last_id: Some(last),
                            last_created,
                        },
                    };
                    let done = !has_more || data.is_empty();
                    let mut data = data;
                    data.reverse();
                    let items = self.map_events(scope, &account, data).await?;
                    return Ok(page(items, &next, done, notes));
                }
                EventCursor::Backfill {
                    inner,
                    resume_id,
                    resume_created,
                } => {
                    let backfill = FetchScope {
                        objects: scope.objects.clone(),
                        created_gte: None,
                        created_lte: None,
                        invoice_statuses: scope.invoice_statuses.clone(),
                    };
                    let p = self.source.mapped_page(&backfill, inner.as_deref()).await?;
                    notes.extend(p.notes);
                    let next = if p.done {
                        EventCursor::Tail {
                            last_id: resume_id,
                            last_created: resume_created,
                        }
                    } else {
                        EventCursor::Backfill {
                            inner: Some(p.checkpoint),
                            resume_id,
                            resume_created,
                        }
                    };
                    // Not done after the backfill: the events since it began follow.
                    return Ok(page(p.items, &next, false, notes));
                }
            }
        }
    }

    async fn start_backfill(&self, notes: &mut Vec<String>, now: i64) -> Result<EventCursor> {
        notes.push(EXPIRED_CURSOR_NOTE.to_string());
        tracing::warn!("{EXPIRED_CURSOR_NOTE}");
        let newest = self.newest_event().await?;
        Ok(EventCursor::Backfill {
            inner: None,
            resume_created: newest.as_ref().map(|n| n.1).unwrap_or(now),
            resume_id: newest.map(|n| n.0),
        })
    }
}

fn in_scope(scope: &FetchScope, r: &Record) -> bool {
    scope.objects.is_empty() || scope.objects.contains(&r.scope())
}

fn page(items: Vec<SourceItem>, cur: &EventCursor, done: bool, notes: Vec<String>) -> Page {
    Page {
        items,
        checkpoint: serde_json::to_string(cur).unwrap_or_default(),
        done,
        notes,
        total_hint: None,
    }
}

#[async_trait]
impl Source for StripeEvents {
    async fn verify(&self) -> tieout_core::Result<AccountInfo> {
        Ok(self.source.verify().await?)
    }

    async fn next_page(
        &self,
        scope: &FetchScope,
        checkpoint: Option<&str>,
    ) -> tieout_core::Result<Page> {
        Ok(self.page(scope, checkpoint).await?)
    }

    fn stream(&self) -> String {
        format!("stripe:{}:events", self.source.label())
    }

    fn tails(&self) -> bool {
        true
    }
}
