//! Pushing journal entries to an accounting system's API (QuickBooks Online,
//! Xero) as writes to the outside: one [`WriteIntent`] per document to
//! create, its key derived from the target, the company and the entry id, so
//! an entry is posted once whatever happens between runs.
//!
//! What was pushed is read back from the succeeded writes themselves: each
//! intent carries the entry's [`ExportMark`] (postings, date, adjustments),
//! and an entry counts as pushed once every part of it succeeded. A later
//! change to a pushed entry is pushed as an adjusting entry, never as an edit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::JournalEntry;
use super::export::{ExportLog, ExportMark, Target};
use super::render::{RenderOptions, qbo_documents, xero_documents};
use crate::error::{CoreError, Result};
use crate::writes::{WriteIntent, WriteRecord, WriteStatus};

/// The `kind` of a ledger push write.
pub const LEDGER_POST: &str = "ledger_post";

/// What a push write carries besides the document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushPayload {
    /// The company (QuickBooks realm id, Xero tenant id).
    pub account: String,
    /// The id of the document part (`<entry id>` or `<entry id>#<CUR>`).
    pub id: String,
    /// The entry the log keeps it under (an adjusting entry: the entry it adjusts).
    pub log_id: String,
    /// How many writes the entry takes (QuickBooks: one per currency).
    pub parts: usize,
    /// The entry's mark once pushed.
    pub mark: ExportMark,
    /// What a lookup searches for: the `DocNumber` (QuickBooks) or the
    /// narration's `[tieout <id>]` tag (Xero).
    pub lookup: String,
    /// QuickBooks' `requestid` (empty for Xero, which takes the write key).
    #[serde(default)]
    pub request_id: String,
    /// The document, as exact JSON text.
    pub body: String,
}

impl PushPayload {
    /// Reads the payload of a push intent.
    pub fn of(intent: &WriteIntent) -> Result<PushPayload> {
        serde_json::from_value(intent.payload.clone())
            .map_err(|e| CoreError::Invalid(format!("ledger push write {}: {e}", intent.key)))
    }
}

/// The targets with a push client.
pub fn can_push(target: Target) -> bool {
    matches!(target, Target::Qbo | Target::Xero)
}

/// What was pushed to `target` for `account`, read from the write records:
/// an entry is in the log once all its parts succeeded.
pub fn pushed_log(target: Target, account: &str, writes: &[WriteRecord]) -> ExportLog {
    let mut parts: BTreeMap<(String, u32), (usize, usize, Option<ExportMark>)> = BTreeMap::new();
    for w in writes
        .iter()
        .filter(|w| w.intent.kind == LEDGER_POST && w.intent.target == target.as_str())
    {
        let Ok(p) = PushPayload::of(&w.intent) else {
            continue;
        };
        if p.account != account {
            continue;
        }
        let slot = parts
            .entry((p.log_id.clone(), p.mark.adjustments))
            .or_insert((p.parts, 0, None));
        if w.status == WriteStatus::Succeeded {
            slot.1 += 1;
            slot.2 = Some(p.mark);
        }
    }
    let mut log = ExportLog::default();
    for ((id, _), (want, done, mark)) in parts {
        if let Some(mark) = mark.filter(|_| done >= want) {
            match log.entries.get(&id) {
                Some(m) if m.adjustments > mark.adjustments => {}
                _ => {
                    log.entries.insert(id, mark);
                }
            }
        }
    }
    log
}

/// The writes that push `entries` (new ones and adjustments of pushed ones,
/// per `log`) to `target` for `account`, in entry order, then the reversals
/// of pushed entries that left the journal for which `gone(id, date)` holds
/// (see [`ExportLog::reverse_vanished`]).
pub fn push_intents(
    target: Target,
    account: &str,
    entries: &[JournalEntry],
    log: &ExportLog,
    opts: &RenderOptions,
    gone: impl Fn(&str, chrono::NaiveDate) -> bool,
    now: DateTime<Utc>,
) -> Result<(Vec<JournalEntry>, Vec<WriteIntent>)> {
    if !can_push(target) {
        return Err(CoreError::Invalid(format!(
            "there is no push client for {}: export the file instead (qbo and xero can be pushed)",
            target.as_str()
        )));
    }
    if account.is_empty() {
        return Err(CoreError::Invalid(
            "a ledger push needs the company it posts to (QuickBooks realm id, Xero tenant id)"
                .into(),
        ));
    }
    let (mut todo, mut next) = log.plan(entries, true, now);
    todo.extend(log.reverse_vanished(&mut next, entries, gone, now));
    let mut intents = Vec::new();
    for e in &todo {
        let log_id = e.adjusts.clone().unwrap_or_else(|| e.id.clone());
        let mark =
            next.entries.get(&log_id).cloned().ok_or_else(|| {
                CoreError::Invalid(format!("entry {log_id} missing from the plan"))
            })?;
        let one = std::slice::from_ref(e);
        let docs: Vec<(String, String, String, String)> = match target {
            Target::Qbo => qbo_documents(one, opts)
                .into_iter()
                .map(|d| (d.id, d.doc_number, d.request_id, d.body))
                .collect(),
            _ => xero_documents(one, opts)?
                .into_iter()
                .map(|d| {
                    (
                        d.id.clone(),
                        format!("[tieout {}]", d.id),
                        String::new(),
                        d.body,
                    )
                })
                .collect(),
        };
        let parts = docs.len();
        for (id, lookup, request_id, body) in docs {
            let payload = PushPayload {
                account: account.to_string(),
                id: id.clone(),
                log_id: log_id.clone(),
                parts,
                mark: mark.clone(),
                lookup,
                request_id,
                body,
            };
            let value = serde_json::to_value(&payload)
                .map_err(|e| CoreError::Invalid(format!("ledger push payload: {e}")))?;
            intents.push(WriteIntent::new(
                target.as_str(),
                LEDGER_POST,
                &format!("ledger/{}/{account}/{id}", target.as_str()),
                value,
                now,
            ));
        }
    }
    Ok((todo, intents))
}
