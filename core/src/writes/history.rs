//! Writes in the history: one [`ImportRun`] entry per run of writes, so a
//! person reading `history()` sees what was planned, sent, failed or left
//! unknown, next to the imports.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{WriteRecord, WriteStatus};
use crate::EntityKind;
use crate::model::{Counts, Failure, ImportRun, RunStatus, derive_id};

/// The `source` of a history entry for a run of writes.
pub const WRITES_SOURCE: &str = "books:writes";

fn count(c: &mut Counts, status: WriteStatus) {
    match status {
        WriteStatus::Succeeded => c.created += 1,
        WriteStatus::Cancelled => c.skipped += 1,
        WriteStatus::Planned | WriteStatus::InFlight => c.unchanged += 1,
        WriteStatus::Failed | WriteStatus::Unknown => c.failed += 1,
    }
}

/// The history entry of one run of writes at `at`, from the records it
/// touched (as stored after the run). Totals: `created` = sent, `skipped` =
/// cancelled, `unchanged` = still planned or in flight, `failed` = failed or
/// unknown; per target channel in `by_object`. Each write is one note
/// (`<status> <target> <purpose> <key>`); failed and unknown writes are also
/// failures with their last error. `livemode` sets the mode.
pub fn write_run(records: &[WriteRecord], at: DateTime<Utc>, livemode: bool) -> ImportRun {
    let mut totals = Counts::default();
    let mut by_object: BTreeMap<String, Counts> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut notes = Vec::with_capacity(records.len());
    for r in records {
        count(&mut totals, r.status);
        count(
            by_object.entry(r.intent.target.clone()).or_default(),
            r.status,
        );
        notes.push(format!(
            "{} {} {} {}",
            r.status.as_str(),
            r.intent.target,
            r.intent.purpose,
            r.key
        ));
        if matches!(r.status, WriteStatus::Failed | WriteStatus::Unknown) {
            let error = r
                .attempts
                .last()
                .and_then(|a| a.error.clone())
                .unwrap_or_default();
            failures.push(Failure {
                object: format!("write:{}", r.intent.target),
                external_id: r.key.clone(),
                error: format!("{}: {error}", r.status.as_str()),
            });
        }
    }
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    ImportRun {
        id: derive_id(
            EntityKind::ImportRun.id_prefix(),
            &format!(
                "writes/{}/{}",
                at.timestamp_nanos_opt().unwrap_or(0),
                keys.join(",")
            ),
        ),
        plan_hash: String::new(),
        source: WRITES_SOURCE.into(),
        mode: if livemode { "live" } else { "test" }.into(),
        started_at: at,
        finished_at: Some(at),
        status: if totals.failed > 0 {
            RunStatus::PartiallyFailed
        } else {
            RunStatus::Succeeded
        },
        totals,
        by_object,
        failures,
        notes,
        error: None,
        summary: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writes::WriteIntent;
    use chrono::TimeZone;

    #[test]
    fn a_run_lists_each_write_and_counts_by_status_and_channel() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let rec = |purpose: &str, target: &str| {
            WriteRecord::planned(
                WriteIntent::new(target, "follow_up", purpose, serde_json::json!({}), t),
                t,
            )
        };
        let mut sent = rec("followup/in_1/due/v1", "email");
        sent.begin_attempt(t);
        sent.succeed(None, serde_json::json!({}), t);
        let mut failed = rec("followup/in_2/due/v1", "slack");
        failed.begin_attempt(t);
        failed.fail("Slack answered 500", None, t);
        let planned = rec("followup/in_3/due/v1", "email");
        let run = write_run(&[sent.clone(), failed.clone(), planned], t, false);
        assert_eq!(run.source, WRITES_SOURCE);
        assert_eq!(run.status, RunStatus::PartiallyFailed);
        assert_eq!(
            (run.totals.created, run.totals.failed, run.totals.unchanged),
            (1, 1, 1)
        );
        assert_eq!(run.by_object["email"].created, 1);
        assert_eq!(run.by_object["slack"].failed, 1);
        assert_eq!(run.notes.len(), 3);
        assert!(run.notes[0].starts_with("succeeded email followup/in_1/due/v1 wk_"));
        assert_eq!(run.failures.len(), 1);
        assert_eq!(run.failures[0].external_id, failed.key);
        assert!(run.failures[0].error.contains("Slack answered 500"));
        let again = write_run(&[sent], t + chrono::Duration::seconds(1), false);
        assert_ne!(again.id, run.id);
    }
}
