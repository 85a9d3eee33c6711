//! A scratch store's customer-credit aliases ([`keys::customer_credit`]):
//! logged in the order commits make them while a review writes, and folded
//! into the alias table in key order before anything reads one (and when
//! the store finishes, before an import copies the file).
//!
//! Why: the index is keyed by customer, and a source lists payments by time,
//! not by customer, so every commit adds and removes entries all over it.
//! Read payments before invoices (the import's order), every paid invoice's
//! payment is credit from its charge until its invoice arrives: at a million
//! invoices, 500,000 entries added and 500,000 removed again, over pages that
//! no longer fit a scratch store's cache. Written in place, those two steps
//! took 524,724 of the 633,816 pages the review's commits read back (16.2 s
//! of its commits' 47.7 s; at 100k, 0.4 s, the pages still cached). Logged,
//! they are appended to the end of the file; the fold reads the log once,
//! sorted, and keeps each entry's last change (a paid invoice's payment: no
//! entry at all). Planning only writes these keys; it reads them in policy
//! matching, after a run's records.
//!
//! [`keys::customer_credit`]: tieout_core::import::keys::customer_credit

use rusqlite::Connection;
use tieout_core::import::keys;
use tieout_core::model::{ExternalKey, Id};

use crate::error::SqliteError;
use crate::statements::{ALIAS_ADD, ALIAS_REMOVE};

/// The log: one row per change, in the order made (its rowid).
const CREATE_LOG: &str = "CREATE TABLE IF NOT EXISTS credit_alias_log (
    key   TEXT NOT NULL,
    id    TEXT NOT NULL,
    added INTEGER NOT NULL
)";

/// Appends one change to the log.
const LOG_ONE: &str = "INSERT INTO credit_alias_log (key, id, added) VALUES (?1, ?2, ?3)";

/// Each logged `(key, id)` with its last change (SQLite gives a bare column
/// of an aggregate query with `max()` from the row holding the maximum), in
/// key order.
const LAST_CHANGES: &str = "SELECT key, id, added, max(rowid) FROM credit_alias_log \
     GROUP BY key, id ORDER BY key, id";

/// Whether `key` goes to the log in a scratch store.
pub(crate) fn logged(key: &ExternalKey) -> bool {
    keys::is_customer_credit(key)
}

/// Creates the log in the scratch file of `conn` (kept if there); returns
/// whether it holds changes not folded yet (a file whose store did not
/// finish).
pub(crate) fn open(conn: &Connection) -> Result<bool, SqliteError> {
    conn.execute_batch(CREATE_LOG)?;
    Ok(
        conn.query_row("SELECT EXISTS (SELECT 1 FROM credit_alias_log)", [], |r| {
            r.get(0)
        })?,
    )
}

/// Appends a commit's changes of logged keys, removals before additions
/// (the order `write_changes` applies a commit's aliases in).
pub(crate) fn log(
    tx: &Connection,
    removed: &[&(ExternalKey, Id)],
    added: &[&(ExternalKey, Id)],
) -> Result<(), SqliteError> {
    let mut stmt = tx.prepare_cached(LOG_ONE)?;
    for (changes, flag) in [(removed, false), (added, true)] {
        for (key, id) in changes {
            stmt.execute((key.joined(), id, flag))?;
        }
    }
    Ok(())
}

/// Applies the log to the alias table, each `(key, id)` by its last change,
/// in key order, and empties it.
pub(crate) fn fold(conn: &Connection) -> Result<(), SqliteError> {
    let mut last = conn.prepare(LAST_CHANGES)?;
    let mut add = conn.prepare_cached(ALIAS_ADD)?;
    let mut remove = conn.prepare_cached(ALIAS_REMOVE)?;
    let mut rows = last.query([])?;
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let id: String = row.get(1)?;
        if row.get::<_, bool>(2)? {
            add.execute((key, id))?;
        } else {
            remove.execute((key, id))?;
        }
    }
    conn.execute("DELETE FROM credit_alias_log", [])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tieout_core::import::keys;
    use tieout_core::model::{ExternalKey, Id};
    use tieout_core::{ChangeSet, Store};

    use crate::SqliteStore;
    use crate::tests::int;

    /// The alias table's rows, in key order.
    fn aliases(store: &SqliteStore) -> Vec<(String, String)> {
        let mut st = store
            .conn
            .prepare("SELECT key, id FROM alias ORDER BY key, id")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn credit(customer: u8, payment: u8) -> (ExternalKey, Id) {
        (
            keys::customer_credit(&format!("cust_{customer}")),
            format!("pay_{payment}"),
        )
    }

    fn other(n: u8) -> (ExternalKey, Id) {
        (
            ExternalKey::new("stripe", "acct_1", "charge", &format!("ch_{n}")),
            format!("pay_{n}"),
        )
    }

    fn aliases_change(add: Vec<(ExternalKey, Id)>, remove: Vec<(ExternalKey, Id)>) -> ChangeSet {
        ChangeSet {
            aliases_add: add,
            aliases_remove: remove,
            ..ChangeSet::default()
        }
    }

    /// A scratch store logs customer-credit aliases (other aliases are
    /// written in place) and folds them at the first read of one: what a
    /// read answers, and what the file holds once finished, is what writing
    /// them in place gives; the log is empty then.
    #[test]
    fn credit_aliases_wait_in_the_log_until_read_or_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stage.db");
        let mut staged = SqliteStore::open_scratch(&path).unwrap();
        staged
            .commit(aliases_change(
                vec![credit(1, 1), credit(1, 2), other(1)],
                vec![],
            ))
            .unwrap();
        // Removed in a later commit, and removed then added in one commit
        // (a commit applies removals first).
        staged
            .commit(aliases_change(
                vec![credit(2, 3), credit(1, 2)],
                vec![credit(1, 1), credit(1, 2)],
            ))
            .unwrap();
        let logged = "SELECT count(*) FROM credit_alias_log";
        assert_eq!(int(&staged.conn, logged), 6);
        assert_eq!(
            aliases(&staged),
            vec![(other(1).0.joined().to_string(), "pay_1".to_string())],
            "only the charge's alias is in place"
        );
        // A read of other keys leaves the log be.
        let charge = staged.resolve(&[other(1).0]).unwrap();
        assert_eq!(charge.get(&other(1).0).unwrap(), &vec!["pay_1".to_string()]);
        assert_eq!(int(&staged.conn, logged), 6);

        let (c1, c2) = (credit(1, 0).0, credit(2, 0).0);
        let got = staged.resolve(&[c1.clone(), c2.clone()]).unwrap();
        assert_eq!(got.get(&c1).unwrap(), &vec!["pay_2".to_string()]);
        assert_eq!(got.get(&c2).unwrap(), &vec!["pay_3".to_string()]);
        assert_eq!(int(&staged.conn, logged), 0, "folded by the read");

        staged
            .commit(aliases_change(vec![credit(3, 4)], vec![credit(2, 3)]))
            .unwrap();
        assert_eq!(int(&staged.conn, logged), 2);
        staged.finish().unwrap();
        drop(staged);
        let reopened = SqliteStore::open_scratch(&path).unwrap();
        assert_eq!(
            int(&reopened.conn, logged),
            0,
            "folded before the file closed"
        );
        let want: Vec<(String, String)> = [credit(1, 2), credit(3, 4), other(1)]
            .iter()
            .map(|(k, id)| (k.joined().to_string(), id.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(aliases(&reopened), want);
    }

    /// Books write every alias in place: no log there.
    #[test]
    fn books_write_credit_aliases_in_place() {
        let mut books = SqliteStore::open_in_memory().unwrap();
        books
            .commit(aliases_change(vec![credit(1, 1)], vec![]))
            .unwrap();
        assert_eq!(aliases(&books).len(), 1);
        let logs = "SELECT count(*) FROM sqlite_master WHERE name = 'credit_alias_log'";
        assert_eq!(int(&books.conn, logs), 0);
    }

    /// One commit's credit aliases: (customer, payment, added).
    fn commits() -> impl Strategy<Value = Vec<Vec<(u8, u8, bool)>>> {
        prop::collection::vec(
            prop::collection::vec((0u8..4, 0u8..6, any::<bool>()), 0..8),
            1..12,
        )
    }

    proptest! {
        /// Whatever the commits add and remove, and wherever reads come
        /// between them, a scratch store ends with the alias rows books that
        /// wrote each commit in place hold, and reads answer alike.
        #[test]
        fn a_scratch_store_ends_with_the_aliases_books_hold(
            commits in commits(),
            reads in prop::collection::vec(any::<bool>(), 12),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut staged = SqliteStore::open_scratch(dir.path().join("stage.db")).unwrap();
            let mut books = SqliteStore::open_in_memory().unwrap();
            let every: Vec<ExternalKey> = (0..4).map(|c| credit(c, 0).0).collect();
            for (i, commit) in commits.iter().enumerate() {
                let (mut add, mut remove) = (Vec::new(), Vec::new());
                for &(c, p, added) in commit {
                    if added { add.push(credit(c, p)) } else { remove.push(credit(c, p)) }
                }
                add.push(other(i as u8));
                for store in [&mut staged, &mut books] {
                    store.commit(aliases_change(add.clone(), remove.clone())).unwrap();
                }
                if reads[i] {
                    prop_assert_eq!(staged.resolve(&every).unwrap(), books.resolve(&every).unwrap());
                }
            }
            staged.finish().unwrap();
            prop_assert_eq!(aliases(&staged), aliases(&books));
        }
    }
}
