//! Adopting a review's staging file: the records and aliases a review
//! committed to a staging SQLite file, copied into empty books by SQL
//! (`ATTACH` + `INSERT ... SELECT` per table) instead of decoding and
//! re-encoding every planned change set.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use tieout_core::{ChangeSet, EntityKind};

use crate::error::SqliteError;
use crate::statements::Statements;
use crate::store::{CACHE_KIB, data_version, write_changes};

/// The schema name the staging file is attached as.
const STAGED: &str = "tieout_staged";

/// `SELECT` answering whether schema `db` holds no alias and no record of
/// `kinds`.
pub(crate) fn empty_query(db: &str, kinds: impl Iterator<Item = EntityKind>) -> String {
    let mut sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {db}.alias)");
    for kind in kinds {
        sql.push_str(&format!(
            " AND NOT EXISTS (SELECT 1 FROM {db}.{})",
            kind.as_str()
        ));
    }
    sql
}

fn schema_version(conn: &Connection, db: &str) -> Result<u32, SqliteError> {
    Ok(conn.query_row(
        &format!("SELECT COALESCE(MAX(version), 0) FROM {db}.schema_version"),
        [],
        |r| r.get(0),
    )?)
}

/// The kinds a staging file holds: every kind but the import runs (the
/// history is the books' own; a review commits no run).
fn staged_kinds() -> impl Iterator<Item = EntityKind> {
    EntityKind::ALL
        .into_iter()
        .filter(|&k| k != EntityKind::ImportRun)
}

/// The columns of table `table` in schema `db`, in their order.
fn columns(conn: &Connection, db: &str, table: &str) -> Result<Vec<String>, SqliteError> {
    let mut st = conn.prepare(&format!("PRAGMA {db}.table_info({table})"))?;
    let names = st
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

/// The secondary indexes of the books' table `table`: (name, its `CREATE
/// INDEX` statement as the schema holds it).
fn secondary_indexes(conn: &Connection, table: &str) -> Result<Vec<(String, String)>, SqliteError> {
    let mut st = conn.prepare(
        "SELECT name, sql FROM main.sqlite_master \
         WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
    )?;
    let rows = st
        .query_map([table], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Copies the staging file at `staged` into the books of `conn` (which must
/// hold no record and no alias, checked under the write lock; earlier runs
/// in the history do not count) and writes
/// `tail` in the same transaction. `Ok(false)`: nothing written (the books
/// are not empty, or the file is of another schema version).
pub(crate) fn adopt(
    conn: &mut Connection,
    sql: &Statements,
    staged: &Path,
    tail: ChangeSet,
    fail: Option<String>,
    own_versions: &mut i64,
) -> Result<bool, SqliteError> {
    let path = staged.to_str().ok_or_else(|| {
        SqliteError::Invalid(format!("staging file {} is not UTF-8", staged.display()))
    })?;
    let journal = RollbackJournal::try_switch(conn, own_versions);
    let attached = conn.execute(&format!("ATTACH DATABASE ?1 AS {STAGED}"), [path]);
    // Once attached, the file is detached and the books' cache restored
    // whatever fails; the WAL comes back in any case.
    let copied = attached.map_err(SqliteError::from).and_then(|_| {
        let copied = copy_caches(conn).and_then(|()| copy(conn, sql, tail, fail));
        let restored = conn.pragma_update(None, "cache_size", CACHE_KIB);
        let detached = conn.execute_batch(&format!("DETACH DATABASE {STAGED}"));
        let copied = copied?;
        restored?;
        detached?;
        Ok(copied)
    });
    journal.restore(conn, own_versions);
    copied
}

/// The books' journal during a copy.
///
/// Through the WAL every copied page is written twice: into the log, and
/// again when the checkpoint moves it into the file (reading it back). Into
/// empty books a rollback journal writes each new page once, straight into
/// the file (pages past the file's end need no journal). Copying a review
/// of a million invoices (a 3.9 GB staging file): 65.9 s, 42.3 s of them in
/// the kernel, through the WAL; 25.1 s and 11.8 s through the journal.
///
/// The switch needs the books to themselves: another connection holding
/// them open makes it fail at once (`database is locked`, no wait), and the
/// copy goes through the WAL as before. Crash safety is the rollback
/// journal's: a copy cut short is rolled back when the books next open,
/// and every open asks for the WAL again.
struct RollbackJournal {
    switched: bool,
}

impl RollbackJournal {
    /// Leaves the WAL for a rollback journal, when the books are in WAL
    /// mode and no other connection has them open.
    fn try_switch(conn: &Connection, own_versions: &mut i64) -> Self {
        let wal = matches!(
            conn.query_row("PRAGMA main.journal_mode", [], |r| r.get::<_, String>(0)),
            Ok(m) if m.eq_ignore_ascii_case("wal")
        );
        let switched = wal && set_mode(conn, "DELETE", own_versions);
        RollbackJournal { switched }
    }

    /// Back to the WAL after the copy. If another process opened the books
    /// in the meantime and keeps them open, the switch cannot happen now;
    /// the books stay correct either way, and the next open asks again.
    fn restore(self, conn: &Connection, own_versions: &mut i64) {
        if self.switched {
            set_mode(conn, "WAL", own_versions);
        }
    }
}

/// Sets the books' journal mode to `mode`; whether it took. A switch moves
/// SQLite's data version as another connection's commit would: what it
/// moved is added to `own_versions`, which the store leaves out of the
/// generation an import compares with its review's (a retry after a failed
/// copy would otherwise plan everything again).
fn set_mode(conn: &Connection, mode: &str, own_versions: &mut i64) -> bool {
    let before = data_version(conn);
    let set = conn.query_row(&format!("PRAGMA main.journal_mode = {mode}"), [], |r| {
        r.get::<_, String>(0)
    });
    if let (Ok(before), Ok(after)) = (before, data_version(conn)) {
        *own_versions += after - before;
    }
    matches!(set, Ok(m) if m.eq_ignore_ascii_case(mode))
}

/// Page cache of the books and of the attached staging file while a copy
/// runs (8 MiB each: 512 pages, a page per review batch up to 2.5 million
/// records; see [`copy_caches`]).
pub(crate) const COPY_CACHE_KIB: i64 = -8_192;

/// Sets the page caches of a copy ([`COPY_CACHE_KIB`]) on the books and on
/// the attached staging file.
///
/// The books: the copy appends rows and builds indexes from sorted keys, so
/// it needs few of their pages cached, and a full cache only adds to the
/// process's peak, which the copy sets (the review's memory is not all back
/// with the system yet).
///
/// The staging file: rows are copied in key order, and each review batch
/// committed its rows in key order, so reading them back interleaves one
/// run per batch (200 at a million invoices). SQLite's default cache for an
/// attached file (2 MB) holds fewer pages than there are runs, and every
/// row then read its page again: 1.2 million reads for a 4 GB file at a
/// million invoices, against one read per page with room for a page per
/// run.
pub(crate) fn copy_caches(conn: &Connection) -> Result<(), SqliteError> {
    conn.pragma_update(None, "cache_size", COPY_CACHE_KIB)?;
    conn.pragma_update(Some(STAGED), "cache_size", COPY_CACHE_KIB)?;
    Ok(())
}

fn copy(
    conn: &mut Connection,
    sql: &Statements,
    tail: ChangeSet,
    fail: Option<String>,
) -> Result<bool, SqliteError> {
    if schema_version(conn, "main")? != schema_version(conn, STAGED)? {
        return Ok(false);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let empty: bool = tx.query_row(&empty_query("main", staged_kinds()), [], |r| r.get(0))?;
    if !empty {
        return Ok(false); // the drop rolls the (empty) transaction back
    }
    let tables = staged_kinds().map(|k| k.as_str()).chain(["alias"]);
    // Indexes kept through the copy (see below).
    let kept = crate::schema::query_only_indexes();
    for table in tables {
        let names = columns(&tx, "main", table)?;
        if names != columns(&tx, STAGED, table)? {
            return Ok(false);
        }
        let names = names.join(", ");
        // The table is empty: its rows go in in key order, and the indexes
        // whose keys would arrive all over (customer, payment and invoice
        // ids) are dropped and built once from the sorted rows after (a
        // B-tree insert per row and index is what copying cost at a million
        // rows). The time and status indexes stay: ids lead with the
        // creation time, so rows in id order reach those at or near their
        // ends, where an insert finds its pages cached, while building each
        // after the copy read the whole table again (invoices five times).
        // Copying a review of a million invoices (3.4 GB staging file, in
        // Python's sqlite3 with the same statements): 15.5-16.3 s wall,
        // 5.6-6.6 s of it in the kernel, against 18.1-21.6 s and 7.7-11.4 s
        // with every index built after; of 100k, 1.1-1.3 s against 1.4-1.5.
        let mut indexes = secondary_indexes(&tx, table)?;
        indexes.retain(|(name, _)| !kept.contains(name));
        for (name, _) in &indexes {
            tx.execute_batch(&format!("DROP INDEX main.{name}"))?;
        }
        tx.execute(
            &format!(
                "INSERT INTO main.{table} ({names}) SELECT {names} FROM {STAGED}.{table} ORDER BY 1"
            ),
            [],
        )?;
        for (_, create) in &indexes {
            tx.execute_batch(create)?;
        }
    }
    write_changes(sql, &tx, tail, fail, None)?;
    tx.commit()?;
    Ok(true)
}
