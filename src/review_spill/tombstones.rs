//! What a review removed from the books below its staging store: deleted
//! records and removed aliases, which reads through the layered store must
//! hide. They grow with the review (a payment that replaces the one a paid
//! invoice implied removes that one), so they live in a SQLite file next to
//! the staging store, with a Bloom filter in front: a read asks the file
//! only about what may have been removed.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use tieout_core::entity::EntityKind;
use tieout_core::model::{ExternalKey, Id};
use tieout_core::{ChangeSet, CoreError, Result};

use super::filter::Seen;

/// [`Seen`] tags: removed alias keys; deleted ids, one tag per kind.
const UNALIASED: u8 = 0;

fn deleted_tag(kind: EntityKind) -> u8 {
    1 + u8::try_from(kind.index()).unwrap_or(u8::MAX - 1)
}

fn sql(e: rusqlite::Error) -> CoreError {
    CoreError::Store(format!("review spill: {e}"))
}

/// Deletions and alias removals, opened on the first one.
pub(crate) struct Tombstones {
    path: PathBuf,
    conn: Option<Connection>,
    seen: Seen,
    /// Whether any record was deleted / any alias removed (and not undone).
    deleted: bool,
    unaliased: bool,
}

impl Tombstones {
    /// Tombstones to be kept in a SQLite file at `path` (created on the
    /// first removal; nothing in it must survive a crash).
    pub(crate) fn at(path: &Path) -> Tombstones {
        Tombstones {
            path: path.to_path_buf(),
            conn: None,
            seen: Seen::default(),
            deleted: false,
            unaliased: false,
        }
    }

    fn conn(&mut self) -> Result<&Connection> {
        if self.conn.is_none() {
            let conn = Connection::open(&self.path).map_err(sql)?;
            conn.execute_batch(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
                 CREATE TABLE IF NOT EXISTS deleted (kind INTEGER NOT NULL, id TEXT NOT NULL,
                     PRIMARY KEY (kind, id)) WITHOUT ROWID;
                 CREATE TABLE IF NOT EXISTS unaliased (key TEXT NOT NULL, id TEXT NOT NULL,
                     PRIMARY KEY (key, id)) WITHOUT ROWID;",
            )
            .map_err(sql)?;
            self.conn = Some(conn);
        }
        self.conn
            .as_ref()
            .ok_or_else(|| CoreError::Store("review spill: tombstones not open".into()))
    }

    /// Records what `changes` remove, and forgets removals its upserts and
    /// alias additions undo, in the order a store applies a change set:
    /// deletions, then upserts; alias removals, then additions.
    pub(crate) fn record(&mut self, changes: &ChangeSet) -> Result<()> {
        let removes = !changes.deletes.is_empty() || !changes.aliases_remove.is_empty();
        if !removes && !self.deleted && !self.unaliased {
            return Ok(());
        }
        for (kind, id) in &changes.deletes {
            self.seen.insert(deleted_tag(*kind), id);
        }
        for (k, _) in &changes.aliases_remove {
            self.seen.insert(UNALIASED, k.joined());
        }
        self.deleted |= !changes.deletes.is_empty();
        self.unaliased |= !changes.aliases_remove.is_empty();
        // Only rows the filter may hold are deleted again.
        let undeleted: Vec<(EntityKind, &str)> = if self.deleted {
            changes
                .upserts
                .iter()
                .map(|e| (e.kind(), e.id()))
                .filter(|(k, id)| self.seen.may_contain(deleted_tag(*k), id))
                .collect()
        } else {
            Vec::new()
        };
        let realiased: Vec<&(ExternalKey, Id)> = if self.unaliased {
            changes
                .aliases_add
                .iter()
                .filter(|(k, _)| self.seen.may_contain(UNALIASED, k.joined()))
                .collect()
        } else {
            Vec::new()
        };
        if !removes && undeleted.is_empty() && realiased.is_empty() {
            return Ok(());
        }
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction().map_err(sql)?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR IGNORE INTO deleted (kind, id) VALUES (?1, ?2)")
                .map_err(sql)?;
            for (kind, id) in &changes.deletes {
                st.execute(params![kind.index() as i64, id]).map_err(sql)?;
            }
            let mut st = tx
                .prepare_cached("DELETE FROM deleted WHERE kind = ?1 AND id = ?2")
                .map_err(sql)?;
            for (kind, id) in &undeleted {
                st.execute(params![kind.index() as i64, id]).map_err(sql)?;
            }
            let mut st = tx
                .prepare_cached("INSERT OR IGNORE INTO unaliased (key, id) VALUES (?1, ?2)")
                .map_err(sql)?;
            for (k, id) in &changes.aliases_remove {
                st.execute(params![k.joined(), id]).map_err(sql)?;
            }
            let mut st = tx
                .prepare_cached("DELETE FROM unaliased WHERE key = ?1 AND id = ?2")
                .map_err(sql)?;
            for (k, id) in &realiased {
                st.execute(params![k.joined(), id]).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Whether the review deleted this record.
    pub(crate) fn is_deleted(&self, kind: EntityKind, id: &str) -> Result<bool> {
        let Some(conn) = self.conn.as_ref() else {
            return Ok(false);
        };
        if !self.deleted || !self.seen.may_contain(deleted_tag(kind), id) {
            return Ok(false);
        }
        conn.prepare_cached("SELECT 1 FROM deleted WHERE kind = ?1 AND id = ?2")
            .map_err(sql)?
            .query_row(params![kind.index() as i64, id], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(sql)
    }

    /// Whether nothing was recorded (no deletion, no alias removal).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        !self.deleted && !self.unaliased
    }

    /// Whether the review removed any alias (else [`Tombstones::unaliased`]
    /// answers nothing for every key).
    pub(crate) fn any_unaliased(&self) -> bool {
        self.unaliased
    }

    /// The ids the review removed from alias key `key`.
    pub(crate) fn unaliased(&self, key: &ExternalKey) -> Result<Vec<Id>> {
        let Some(conn) = self.conn.as_ref() else {
            return Ok(Vec::new());
        };
        if !self.unaliased || !self.seen.may_contain(UNALIASED, key.joined()) {
            return Ok(Vec::new());
        }
        let mut st = conn
            .prepare_cached("SELECT id FROM unaliased WHERE key = ?1")
            .map_err(sql)?;
        let rows = st
            .query_map([key.joined()], |r| r.get::<_, String>(0))
            .map_err(sql)?;
        rows.collect::<rusqlite::Result<Vec<Id>>>().map_err(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ext: &str) -> ExternalKey {
        ExternalKey::new("stripe", "acct_t", "charge", ext)
    }

    #[test]
    fn removals_are_kept_until_undone() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tombstones::at(&dir.path().join("tombstones.db"));
        assert!(!t.is_deleted(EntityKind::Payment, "pay_1").unwrap());
        assert!(t.unaliased(&key("ch_1")).unwrap().is_empty());
        let removed = ChangeSet {
            deletes: vec![
                (EntityKind::Payment, "pay_1".to_string()),
                (EntityKind::Payment, "pay_2".to_string()),
            ],
            aliases_remove: vec![
                (key("ch_1"), "pay_1".to_string()),
                (key("ch_1"), "pay_3".to_string()),
            ],
            ..ChangeSet::default()
        };
        t.record(&removed).unwrap();
        assert!(t.is_deleted(EntityKind::Payment, "pay_1").unwrap());
        assert!(t.is_deleted(EntityKind::Payment, "pay_2").unwrap());
        // Another kind with the same id, another id: not deleted.
        assert!(!t.is_deleted(EntityKind::Invoice, "pay_1").unwrap());
        assert!(!t.is_deleted(EntityKind::Payment, "pay_9").unwrap());
        let mut gone = t.unaliased(&key("ch_1")).unwrap();
        gone.sort();
        assert_eq!(gone, ["pay_1", "pay_3"]);
        assert!(t.any_unaliased());
        // An alias added back and a record written again are not removed any more.
        let restored = ChangeSet {
            aliases_add: vec![(key("ch_1"), "pay_3".to_string())],
            ..ChangeSet::default()
        };
        t.record(&restored).unwrap();
        assert_eq!(t.unaliased(&key("ch_1")).unwrap(), ["pay_1"]);
        assert!(t.unaliased(&key("ch_2")).unwrap().is_empty());
    }
}
