//! What was exported where: the export log, and the entries an export with
//! `since_last` emits (new entries, and one adjusting entry for each exported
//! entry whose postings changed since; never an edit of an exported entry).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{JournalEntry, Layer, Posting};
use crate::error::{CoreError, Result};

/// An export target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Beancount (`bean-check`).
    Beancount,
    /// hledger journal (`hledger check`).
    Hledger,
    /// QuickBooks Online `JournalEntry` JSON.
    Qbo,
    /// NetSuite journal CSV.
    Netsuite,
    /// Xero `ManualJournal` JSON.
    Xero,
    /// Generic CSV, one row per posting.
    Csv,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 6] = [
        Target::Beancount,
        Target::Hledger,
        Target::Qbo,
        Target::Netsuite,
        Target::Xero,
        Target::Csv,
    ];

    /// The name (`"beancount"`, `"qbo"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Target::Beancount => "beancount",
            Target::Hledger => "hledger",
            Target::Qbo => "qbo",
            Target::Netsuite => "netsuite",
            Target::Xero => "xero",
            Target::Csv => "csv",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Result<Target> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "unknown export target {s:?} (beancount, hledger, qbo, netsuite, xero, csv)"
                ))
            })
    }

    /// The checkpoint stream its export log is kept under.
    pub fn stream(&self) -> String {
        format!("ledger_export/{}", self.as_str())
    }
}

/// One exported entry: when, and the postings as exported (net of adjustments).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportMark {
    /// When it was exported.
    pub at: DateTime<Utc>,
    /// The entry's date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// The postings the target holds for this id so far.
    pub postings: Vec<Posting>,
    /// Adjusting entries emitted for it.
    #[serde(default)]
    pub adjustments: u32,
}

/// One journal entry as one target received it: the books' per-entry export
/// log (target, entry id, when, and the postings the target holds), one
/// record per target and entry, written in the commit that records the
/// export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedEntry {
    /// Books id: [`ExportedEntry::id_for`] the target and entry.
    pub id: String,
    /// Where it was exported.
    pub target: Target,
    /// The journal entry's stable id.
    pub entry_id: String,
    /// When, the entry's date, and the postings the target holds so far.
    #[serde(flatten)]
    pub mark: ExportMark,
}

impl ExportedEntry {
    /// The books id of `entry_id`'s record for `target`.
    pub fn id_for(target: Target, entry_id: &str) -> String {
        format!("lx:{}:{entry_id}", target.as_str())
    }

    /// The record of `entry_id` exported to `target` as `mark`.
    pub fn new(target: Target, entry_id: &str, mark: ExportMark) -> ExportedEntry {
        ExportedEntry {
            id: ExportedEntry::id_for(target, entry_id),
            target,
            entry_id: entry_id.to_string(),
            mark,
        }
    }
}

/// What one target has received, by entry id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportLog {
    /// Exported entries by id.
    pub entries: BTreeMap<String, ExportMark>,
}

impl ExportLog {
    /// Reads a log from its JSON text (empty text: an empty log).
    pub fn from_json(text: Option<&str>) -> Result<ExportLog> {
        match text {
            None | Some("") => Ok(ExportLog::default()),
            Some(t) => {
                serde_json::from_str(t).map_err(|e| CoreError::Invalid(format!("export log: {e}")))
            }
        }
    }

    /// The log of `target` from its per-entry records (records of other
    /// targets are skipped).
    pub fn of_target<'a>(
        target: Target,
        records: impl IntoIterator<Item = &'a ExportedEntry>,
    ) -> ExportLog {
        ExportLog {
            entries: records
                .into_iter()
                .filter(|r| r.target == target)
                .map(|r| (r.entry_id.clone(), r.mark.clone()))
                .collect(),
        }
    }

    /// The per-entry records to write so the books hold `next` for
    /// `target`, given they hold `self`: only the marks that changed.
    pub fn records_to_write(&self, next: &ExportLog, target: Target) -> Vec<ExportedEntry> {
        next.entries
            .iter()
            .filter(|(id, m)| self.entries.get(*id) != Some(*m))
            .map(|(id, m)| ExportedEntry::new(target, id, m.clone()))
            .collect()
    }

    /// The latest date of an exported entry.
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.entries.values().filter_map(|m| m.date).max()
    }

    /// The log as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The entries to emit: with `since_last`, those not exported yet and an
    /// adjusting entry (`<id>~adj<n>`, the difference) for each exported entry
    /// whose postings changed; otherwise all of them. Returns them with the
    /// log as it will be once they are delivered.
    pub fn plan(
        &self,
        entries: &[JournalEntry],
        since_last: bool,
        now: DateTime<Utc>,
    ) -> (Vec<JournalEntry>, ExportLog) {
        let mut next = self.clone();
        let mut out = Vec::new();
        for e in entries {
            match self.entries.get(&e.id) {
                Some(mark) if since_last => {
                    if same_postings(&mark.postings, &e.postings) {
                        continue;
                    }
                    let n = mark.adjustments + 1;
                    let mut adj = e.clone();
                    adj.id = format!("{}~adj{n}", e.id);
                    adj.adjusts = Some(e.id.clone());
                    adj.narration = format!("Adjusts {}: {}", e.id, e.narration);
                    adj.postings = mark
                        .postings
                        .iter()
                        .map(|p| Posting {
                            amount: -p.amount,
                            ..p.clone()
                        })
                        .chain(e.postings.iter().cloned())
                        .collect();
                    let adj = adj.tidy();
                    next.entries.insert(
                        e.id.clone(),
                        ExportMark {
                            at: now,
                            date: Some(e.date),
                            postings: e.postings.clone(),
                            adjustments: n,
                        },
                    );
                    if !adj.postings.is_empty() {
                        out.push(adj);
                    }
                }
                _ => {
                    next.entries.insert(
                        e.id.clone(),
                        ExportMark {
                            at: now,
                            date: Some(e.date),
                            postings: e.postings.clone(),
                            adjustments: 0,
                        },
                    );
                    out.push(e.clone());
                }
            }
        }
        (out, next)
    }
}

impl ExportLog {
    /// Reversing entries for what this target received under ids the
    /// journal no longer has: one adjusting entry (`<id>~adj<n>`, dated as
    /// the exported entry) taking out everything the target holds for each
    /// such id for which `gone(id, date)` says it left the journal (and is
    /// not merely outside what `present` covers), and `next` updated to hold
    /// nothing for it. A revenue recognition slice that a late void or
    /// credit note cancelled is such an id: the target keeps it until this
    /// reverses it, so an export never silently drops what was sent.
    pub fn reverse_vanished(
        &self,
        next: &mut ExportLog,
        present: &[JournalEntry],
        gone: impl Fn(&str, NaiveDate) -> bool,
        now: DateTime<Utc>,
    ) -> Vec<JournalEntry> {
        let ids: std::collections::HashSet<&str> = present.iter().map(|e| e.id.as_str()).collect();
        let mut out = Vec::new();
        for (id, mark) in &self.entries {
            let Some(date) = mark.date else { continue };
            if mark.postings.is_empty() || ids.contains(id.as_str()) || !gone(id, date) {
                continue;
            }
            let n = mark.adjustments + 1;
            let reversal = JournalEntry {
                id: format!("{id}~adj{n}"),
                layer: Layer::Accrual,
                date,
                narration: format!("Reverses {id}: no longer in the journal"),
                links: Vec::new(),
                source_id: id.clone(),
                category: "reversed".to_string(),
                customer_id: mark.postings.iter().find_map(|p| p.customer_id.clone()),
                adjusts: Some(id.clone()),
                postings: mark
                    .postings
                    .iter()
                    .map(|p| Posting {
                        amount: -p.amount,
                        ..p.clone()
                    })
                    .collect(),
            }
            .tidy();
            next.entries.insert(
                id.clone(),
                ExportMark {
                    at: now,
                    date: Some(date),
                    postings: Vec::new(),
                    adjustments: n,
                },
            );
            if !reversal.postings.is_empty() {
                out.push(reversal);
            }
        }
        out
    }
}

/// Whether two posting lists post the same amounts to the same places.
fn same_postings(a: &[Posting], b: &[Posting]) -> bool {
    let key = |ps: &[Posting]| {
        let mut v: Vec<_> = ps
            .iter()
            .map(|p| {
                (
                    p.account.clone(),
                    p.currency,
                    p.customer_id.clone(),
                    p.memo.clone(),
                    p.amount.normalize(),
                )
            })
            .collect();
        v.sort();
        v
    };
    key(a) == key(b)
}
