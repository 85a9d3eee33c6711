//! The review log: a SQLite file holding a review's entries, the allocations
//! it would make or remove and its planned change sets, batch by batch,
//! written as the review goes and read back page by page (entries,
//! allocations) or batch by batch (an import applying them).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use tieout_core::import::ReviewEntry;
use tieout_core::model::{Allocation, Counts, Failure};
use tieout_core::{ChangeSet, CoreError, Result};

/// What one planned batch adds to an import's run besides its changes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct BatchMeta {
    /// Source records in the batch's pages.
    pub records: u64,
    /// Source pages in the batch.
    pub pages: u64,
    /// The total the source announced with the batch's last page, if any
    /// (an apply reports progress as the review saw it).
    #[serde(default)]
    pub total: Option<u64>,
    /// Counts per object type.
    pub counts: BTreeMap<String, Counts>,
    /// Failed records.
    pub failures: Vec<Failure>,
    /// Source notes of its pages, and the run notes the batch adds.
    pub notes: Vec<String>,
    /// The source position after the batch (the import's checkpoint), or
    /// `None` when the batch sets no checkpoint (policy matching at the end).
    pub position: Option<String>,
}

fn sql(e: rusqlite::Error) -> CoreError {
    CoreError::Store(format!("review spill: {e}"))
}

fn json(e: serde_json::Error) -> CoreError {
    CoreError::Store(format!("review spill: {e}"))
}

/// The log file.
pub(crate) struct Log {
    conn: Connection,
}

impl Log {
    /// Creates the log at `path`. Nothing here must survive a crash (a new
    /// review starts over), so the file skips the journal and fsyncs.
    pub(crate) fn create(path: &Path) -> Result<Log> {
        let conn = Connection::open(path).map_err(sql)?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
             CREATE TABLE entries (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL);
             CREATE TABLE batches (seq INTEGER PRIMARY KEY, meta TEXT NOT NULL, changes TEXT NOT NULL);
             -- Allocation changes as pages make them, appended (the last
             -- of an id wins; NULL: removed), then the kept ones numbered in
             -- id order. Appending keeps the writes sequential: an index by
             -- id took a random page per change, and reading the rows back
             -- in id order another, at a million invoices.
             CREATE TABLE allocations (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, allocation TEXT);
             CREATE TABLE allocation_list (seq INTEGER PRIMARY KEY, allocation TEXT NOT NULL);
             CREATE TABLE removed_list (seq INTEGER PRIMARY KEY, id TEXT NOT NULL);",
        )
        .map_err(sql)?;
        Ok(Log { conn })
    }

    /// Appends entries numbered from `first` on.
    pub(crate) fn append_entries(&mut self, first: u64, entries: &[ReviewEntry]) -> Result<()> {
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut st = tx
                .prepare_cached("INSERT INTO entries (seq, entry) VALUES (?1, ?2)")
                .map_err(sql)?;
            for (i, e) in entries.iter().enumerate() {
                let text = serde_json::to_string(e).map_err(json)?;
                st.execute(params![(first + i as u64) as i64, text])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// The text column of up to `limit` rows of `select` (its `?1` the
    /// offset, `?2` the limit).
    fn texts(&self, select: &str, offset: u64, limit: u64) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(select).map_err(sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = st
            .query_map(params![offset, limit], |r| r.get::<_, String>(0))
            .map_err(sql)?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(sql)
    }

    /// Up to `limit` entries from `offset` on.
    pub(crate) fn entries(&self, offset: u64, limit: u64) -> Result<Vec<ReviewEntry>> {
        decoded(self.texts(
            "SELECT entry FROM entries WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
            offset,
            limit,
        )?)
    }

    /// Records a page's allocation changes: `upserted` made or changed,
    /// then `removed` (a later change of the same id replaces an earlier).
    pub(crate) fn put_allocations(
        &mut self,
        upserted: &[Allocation],
        removed: &[String],
    ) -> Result<()> {
        if upserted.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut st = tx
                .prepare_cached("INSERT INTO allocations (id, allocation) VALUES (?1, ?2)")
                .map_err(sql)?;
            for a in upserted {
                let text = serde_json::to_string(a).map_err(json)?;
                st.execute(params![a.id, text]).map_err(sql)?;
            }
            for id in removed {
                st.execute(params![id, Option::<String>::None])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Ends the allocation changes: numbers the kept allocations and the
    /// removed ids, each in id order, for paging; returns their counts.
    pub(crate) fn seal_allocations(&mut self) -> Result<(u64, u64)> {
        let tx = self.conn.transaction().map_err(sql)?;
        // The last change of each id, in id order: one sort of the appended
        // changes (SQLite takes a bare column of an aggregate query with
        // `max()` from the row holding the maximum).
        tx.execute_batch(
            "CREATE TEMP TABLE last_change AS
             SELECT id, allocation, max(seq) AS seq FROM allocations GROUP BY id ORDER BY id",
        )
        .map_err(sql)?;
        let kept = tx
            .execute(
                "INSERT INTO allocation_list (allocation)
                 SELECT allocation FROM temp.last_change WHERE allocation IS NOT NULL ORDER BY rowid",
                [],
            )
            .map_err(sql)?;
        let removed = tx
            .execute(
                "INSERT INTO removed_list (id)
                 SELECT id FROM temp.last_change WHERE allocation IS NULL ORDER BY rowid",
                [],
            )
            .map_err(sql)?;
        tx.execute("DROP TABLE temp.last_change", []).map_err(sql)?;
        tx.execute("DELETE FROM allocations", []).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok((kept as u64, removed as u64))
    }

    /// Up to `limit` allocations from `offset` on, in id order (after
    /// [`Log::seal_allocations`]).
    pub(crate) fn allocations(&self, offset: u64, limit: u64) -> Result<Vec<Allocation>> {
        decoded(self.texts(
            "SELECT allocation FROM allocation_list WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            offset,
            limit,
        )?)
    }

    /// Up to `limit` removed allocation ids from `offset` on, in id order
    /// (after [`Log::seal_allocations`]).
    pub(crate) fn removed(&self, offset: u64, limit: u64) -> Result<Vec<String>> {
        self.texts(
            "SELECT id FROM removed_list WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            offset,
            limit,
        )
    }

    /// Appends batch `seq`; without its change set when `cs` is `None` (the
    /// review's staging file holds the changes, see [`super::Spill`]).
    pub(crate) fn append_batch(
        &mut self,
        seq: u64,
        meta: &BatchMeta,
        cs: Option<&ChangeSet>,
    ) -> Result<()> {
        let meta = serde_json::to_string(meta).map_err(json)?;
        let changes = match cs {
            Some(cs) => serde_json::to_string(cs).map_err(json)?,
            None => String::new(),
        };
        self.conn
            .execute(
                "INSERT INTO batches (seq, meta, changes) VALUES (?1, ?2, ?3)",
                params![seq as i64, meta, changes],
            )
            .map_err(sql)?;
        Ok(())
    }

    /// What batch `seq` adds to a run besides its changes, if there is one.
    pub(crate) fn meta(&self, seq: u64) -> Result<Option<BatchMeta>> {
        let meta: Option<String> = self
            .conn
            .query_row(
                "SELECT meta FROM batches WHERE seq = ?1",
                [seq as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        meta.map(|m| serde_json::from_str(&m).map_err(json))
            .transpose()
    }

    /// Batch `seq`, if there is one; its change set `None` when it was not
    /// logged.
    pub(crate) fn batch(&self, seq: u64) -> Result<Option<(BatchMeta, Option<ChangeSet>)>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT meta, changes FROM batches WHERE seq = ?1",
                [seq as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql)?;
        let Some((meta, changes)) = row else {
            return Ok(None);
        };
        let changes = if changes.is_empty() {
            None
        } else {
            Some(serde_json::from_str(&changes).map_err(json)?)
        };
        Ok(Some((serde_json::from_str(&meta).map_err(json)?, changes)))
    }
}

/// Each text decoded from JSON.
fn decoded<T: serde::de::DeserializeOwned>(texts: Vec<String>) -> Result<Vec<T>> {
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(json))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use tieout_core::model::{AllocationKind, AllocationReason, MatchStrategy};
    use tieout_core::money::Currency;

    fn alloc(id: &str, cents: i64) -> Allocation {
        Allocation {
            id: id.into(),
            payment_id: format!("pay_{id}"),
            invoice_id: format!("inv_{id}"),
            amount: Decimal::new(cents, 2),
            currency: Currency::USD,
            reason: AllocationReason {
                strategy: MatchStrategy::ExplicitLink,
                detail: "test".into(),
            },
            kind: AllocationKind::Payment,
            allocated_at: Some(chrono::DateTime::UNIX_EPOCH),
        }
    }

    #[test]
    fn allocations_keep_the_last_change_of_an_id_and_read_in_id_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::create(&dir.path().join("review.db")).unwrap();
        // Page 1 makes c, a, b; page 2 changes a and removes b; page 3 makes
        // b again and removes d (never made here: a record in the books).
        log.put_allocations(&[alloc("c", 300), alloc("a", 100), alloc("b", 200)], &[])
            .unwrap();
        log.put_allocations(&[alloc("a", 150)], &["b".to_string()])
            .unwrap();
        log.put_allocations(&[alloc("b", 250), alloc("e", 500)], &["d".to_string()])
            .unwrap();
        log.put_allocations(&[], &["e".to_string()]).unwrap();
        let (kept, removed) = log.seal_allocations().unwrap();
        assert_eq!((kept, removed), (3, 2));
        assert_eq!(
            log.removed(0, 10).unwrap(),
            vec!["d".to_string(), "e".to_string()]
        );
        assert_eq!(log.removed(1, 10).unwrap(), vec!["e".to_string()]);
        let all = log.allocations(0, 100).unwrap();
        assert_eq!(all, vec![alloc("a", 150), alloc("b", 250), alloc("c", 300)]);
        assert_eq!(log.allocations(1, 1).unwrap(), vec![alloc("b", 250)]);
        assert_eq!(log.allocations(2, 5).unwrap(), vec![alloc("c", 300)]);
        assert!(log.allocations(3, 5).unwrap().is_empty());
    }
}
