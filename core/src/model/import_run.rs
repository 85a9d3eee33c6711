//! Import history: one entry per import run.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Id;

/// Outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going (or killed before finishing; a new run resumes it).
    Running,
    /// Finished with no failures.
    Succeeded,
    /// Finished; some records failed.
    PartiallyFailed,
    /// Stopped by an error.
    Failed,
}

impl RunStatus {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::PartiallyFailed => "partially_failed",
            Self::Failed => "failed",
        }
    }
}

/// Counters for one object type (or the whole run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Records seen and unchanged.
    pub unchanged: u64,
    /// Records skipped (filters, stale snapshots).
    pub skipped: u64,
    /// Records that failed.
    pub failed: u64,
}

impl Counts {
    /// Adds another set of counts.
    pub fn add(&mut self, o: &Counts) {
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.skipped += o.skipped;
        self.failed += o.failed;
    }
}

/// A record that could not be imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// Source object type (or `"file"` for unreadable input).
    pub object: String,
    /// Source id, or the file path for unreadable input.
    pub external_id: String,
    /// What went wrong.
    pub error: String,
}

/// One import run in the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportRun {
    /// Run id.
    pub id: Id,
    /// Hash of the plan it ran.
    pub plan_hash: String,
    /// Source system and account.
    pub source: String,
    /// `live` or `test`.
    pub mode: String,
    /// Start time.
    #[serde(with = "super::time::one")]
    pub started_at: DateTime<Utc>,
    /// End time.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Status.
    pub status: RunStatus,
    /// Totals.
    pub totals: Counts,
    /// Counts per object type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_object: BTreeMap<String, Counts>,
    /// Failed records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Notes (resumed from a checkpoint, fallback to backfill, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Error that stopped the run, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The plan it ran, as the checklist its review showed (imports only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<crate::import::ReviewSummary>,
}

/// What a change made by hand (not by an import) records in the history.
#[derive(Clone, Debug)]
pub struct ManualEntry<'a> {
    /// Makes the entry's id (with the entity prefix of runs).
    pub key: &'a str,
    /// The run's source (e.g. `books:manual`).
    pub source: &'a str,
    /// The run's mode (e.g. `manual`, `write_off`).
    pub mode: &'a str,
    /// The object type counted as one update.
    pub object: &'a str,
    /// The one note: what was done.
    pub note: String,
}

impl ImportRun {
    /// A finished history entry of one change made by hand at `at`: one
    /// update of `entry.object`, succeeded, with its note.
    pub fn manual(entry: ManualEntry<'_>, at: DateTime<Utc>) -> ImportRun {
        let totals = Counts {
            updated: 1,
            ..Counts::default()
        };
        ImportRun {
            id: super::derive_id(crate::entity::EntityKind::ImportRun.id_prefix(), entry.key),
            plan_hash: String::new(),
            source: entry.source.into(),
            mode: entry.mode.into(),
            started_at: at,
            finished_at: Some(at),
            status: RunStatus::Succeeded,
            totals: totals.clone(),
            by_object: BTreeMap::from([(entry.object.to_string(), totals)]),
            failures: Vec::new(),
            notes: vec![entry.note],
            error: None,
            summary: None,
        }
    }
}
