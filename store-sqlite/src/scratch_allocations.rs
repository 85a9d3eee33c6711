//! A scratch store's allocation table: keyed by `(invoice_id, id)` while a
//! review writes it, its `id` index built only when something first reads or
//! deletes an allocation by id.
//!
//! Why: allocation ids are hashes of their payment, invoice and strategy,
//! so the books' primary key on `id` takes every new allocation at a random
//! place. At a million invoices that index (1,166 pages of 16 KiB, more than
//! a scratch store caches) was written 188 times over: 3.6 GB, a fifth of
//! the pages the review wrote (18.1 GB). Keyed by `(invoice_id, id)` it is
//! written about twice: record ids grow with their creation time and a
//! source lists invoices by time, so a review's allocations go in near the
//! end; planning reads allocations by payment and invoice, not by id. What
//! the review wrote at a million invoices went from 19.5 GB to 15.2 GB.
//!
//! The rows are the books' rows: the same columns in the same order (what
//! the import's copy checks), copied into the books in id order (one sort).
//! One allocation id never comes with two invoices: every allocation id is
//! derived from its invoice's (with the payment's and the strategy for a
//! payment's, alone for a write-off, whose payment may change). If it ever
//! did, the unique id index would fail to build and the copy would fail on
//! the books' primary key: an error, never a doubled allocation.

use rusqlite::Connection;

use crate::error::SqliteError;

/// The columns a scratch store's allocation upserts conflict on.
pub(crate) const CONFLICT_TARGET: &str = "invoice_id, id";

/// The unique index on `id` that a scratch store builds at the first read or
/// delete of an allocation by id.
const ID_INDEX: &str = "CREATE UNIQUE INDEX IF NOT EXISTS allocation_id ON allocation (id)";

/// Whether the allocation table of `conn` has its primary key on `id` (the
/// books' table, not yet rekeyed).
fn keyed_by_id(conn: &Connection) -> Result<bool, SqliteError> {
    let pk: i64 = conn.query_row(
        "SELECT pk FROM pragma_table_info('allocation') WHERE name = 'id'",
        [],
        |r| r.get(0),
    )?;
    Ok(pk > 0)
}

/// Rebuilds the allocation table of `conn` (a scratch store's file) keyed
/// by `(invoice_id, id)` instead of `id`, with the same columns and
/// secondary indexes and the rows it held. Does nothing to a table already
/// rebuilt. Returns whether the `id` index is still to be built.
pub(crate) fn rekey(conn: &Connection) -> Result<bool, SqliteError> {
    if !keyed_by_id(conn)? {
        let built: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'allocation_id')",
            [],
            |r| r.get(0),
        )?;
        return Ok(!built);
    }
    let mut st =
        conn.prepare("SELECT name, type FROM pragma_table_info('allocation') ORDER BY cid")?;
    let columns = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut st = conn.prepare(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'allocation' \
         AND sql IS NOT NULL ORDER BY name",
    )?;
    let indexes = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let columns: Vec<String> = columns
        .iter()
        .map(|(name, ty)| match name.as_str() {
            "id" => "id TEXT NOT NULL".to_string(),
            _ => format!("{name} {ty}"),
        })
        .collect();
    let mut sql = String::from(
        "CREATE TEMP TABLE allocation_kept AS SELECT * FROM main.allocation;\n\
         DROP TABLE main.allocation;\n",
    );
    sql.push_str(&format!(
        "CREATE TABLE main.allocation (\n    {}\n);\n",
        columns.join(",\n    ")
    ));
    sql.push_str("INSERT INTO main.allocation SELECT * FROM temp.allocation_kept;\n");
    sql.push_str("DROP TABLE temp.allocation_kept;\n");
    for create in indexes {
        sql.push_str(&create);
        sql.push_str(";\n");
    }
    sql.push_str(&format!(
        "CREATE UNIQUE INDEX allocation_invoice_key ON allocation ({CONFLICT_TARGET});\n"
    ));
    conn.execute_batch(&sql)?;
    Ok(true)
}

/// Builds the `id` index of a rekeyed allocation table.
pub(crate) fn build_id_index(conn: &Connection) -> Result<(), SqliteError> {
    conn.execute_batch(ID_INDEX)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use tieout_core::store::conformance;
    use tieout_core::{ChangeSet, Entity, EntityKind, Store};

    use crate::SqliteStore;
    use crate::tests::{indexes, int};

    /// Allocation `id` of `payment` to `invoice`, `cents` hundredths.
    fn allocation(id: &str, invoice: &str, payment: &str, cents: i64) -> Entity {
        let amount = Decimal::new(cents, 2).to_string();
        Entity::Allocation(conformance::allocation(id, payment, invoice, &amount))
    }

    fn upsert(store: &mut SqliteStore, records: Vec<Entity>) {
        store
            .commit(ChangeSet {
                upserts: records,
                ..ChangeSet::default()
            })
            .unwrap();
    }

    fn has_index(store: &SqliteStore, name: &str) -> bool {
        indexes(&store.conn).iter().any(|(n, _)| n == name)
    }

    fn amounts(store: &SqliteStore, invoice: &str) -> Vec<(String, Decimal)> {
        store
            .allocations_for(&[], &[invoice.to_string()])
            .unwrap()
            .into_iter()
            .map(|e| match e {
                Entity::Allocation(a) => (a.id, a.amount),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// Upserts keep one row per id without the id index; the index comes at
    /// the first read by id (or delete), and is unique; a write-off whose
    /// payment changes stays one row (its key is the invoice's).
    #[test]
    fn scratch_allocations_are_keyed_by_invoice_until_something_reads_them_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = SqliteStore::open_scratch(dir.path().join("stage.db")).unwrap();
        assert!(has_index(&staged, "allocation_invoice_key"));
        assert!(has_index(&staged, "allocation_payment_id"));
        assert!(!has_index(&staged, "allocation_id"));
        upsert(&mut staged, vec![allocation("al_1", "inv_1", "pay_1", 100)]);
        upsert(
            &mut staged,
            vec![
                allocation("al_1", "inv_1", "pay_1", 250),
                allocation("al_2", "inv_1", "pay_2", 50),
            ],
        );
        // A write-off's payment is the one whose shortfall it wrote off: it may change.
        upsert(&mut staged, vec![allocation("wo_1", "inv_1", "pay_1", 3)]);
        upsert(&mut staged, vec![allocation("wo_1", "inv_1", "pay_2", 4)]);
        let d = |c| Decimal::new(c, 2);
        let want = vec![
            ("al_1".to_string(), d(250)),
            ("al_2".to_string(), d(50)),
            ("wo_1".to_string(), d(4)),
        ];
        assert_eq!(amounts(&staged, "inv_1"), want);
        assert!(!has_index(&staged, "allocation_id"), "no read by id yet");
        // Rows as the books hold them: one per id.
        assert_eq!(int(&staged.conn, "SELECT count(*) FROM allocation"), 3);

        let got = staged
            .get(EntityKind::Allocation, &["al_2".to_string()])
            .unwrap();
        assert_eq!(got.len(), 1);
        assert!(has_index(&staged, "allocation_id"), "built for the read");
        let unique = "SELECT \"unique\" FROM pragma_index_list('allocation') \
                      WHERE name = 'allocation_id'";
        assert_eq!(int(&staged.conn, unique), 1);
        upsert(&mut staged, vec![allocation("al_2", "inv_1", "pay_2", 75)]);
        staged
            .commit(ChangeSet {
                deletes: vec![(EntityKind::Allocation, "al_1".to_string())],
                ..ChangeSet::default()
            })
            .unwrap();
        assert_eq!(
            amounts(&staged, "inv_1"),
            vec![("al_2".to_string(), d(75)), ("wo_1".to_string(), d(4))]
        );
    }

    /// A delete by id builds the index first (it would scan the table
    /// otherwise); a file with allocations keyed by id keeps its rows when
    /// rebuilt, and reopening a rebuilt file keeps its rows and key.
    #[test]
    fn a_delete_builds_the_id_index_and_rebuilt_or_reopened_files_keep_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stage.db");
        let mut books = SqliteStore::open(&path).unwrap();
        upsert(&mut books, vec![allocation("al_0", "inv_0", "pay_0", 10)]);
        drop(books);
        let mut staged = SqliteStore::open_scratch(&path).unwrap();
        assert!(has_index(&staged, "allocation_invoice_key"));
        assert_eq!(
            amounts(&staged, "inv_0"),
            vec![("al_0".to_string(), Decimal::new(10, 2))]
        );
        upsert(
            &mut staged,
            vec![
                allocation("al_1", "inv_1", "pay_1", 100),
                allocation("al_2", "inv_2", "pay_1", 200),
            ],
        );
        staged
            .commit(ChangeSet {
                deletes: vec![(EntityKind::Allocation, "al_1".to_string())],
                ..ChangeSet::default()
            })
            .unwrap();
        assert!(has_index(&staged, "allocation_id"));
        staged.finish().unwrap();
        drop(staged);
        let reopened = SqliteStore::open_scratch(&path).unwrap();
        assert!(has_index(&reopened, "allocation_invoice_key"));
        assert!(has_index(&reopened, "allocation_id"));
        assert_eq!(
            amounts(&reopened, "inv_2"),
            vec![("al_2".to_string(), Decimal::new(200, 2))]
        );
        assert!(amounts(&reopened, "inv_1").is_empty());
    }
}
