//! Schema migrations, applied in order inside one transaction and recorded in
//! the `schema_version` table. A new database is created at the latest
//! version in one step ([`latest`]), which a test holds to what the steps
//! leave.

use rusqlite::{Connection, TransactionBehavior};
use tieout_core::EntityKind;

use crate::columns::{TimeColumn, columns_of, has_customer, time_indexed};
use crate::error::SqliteError;

/// Row updates a migration makes in Rust, inside its transaction.
type Backfill = fn(&rusqlite::Transaction<'_>) -> Result<(), SqliteError>;

/// One schema step.
struct Migration {
    /// Version the database is at once this step is applied.
    version: u32,
    /// What the step does, stored with the version row.
    description: &'static str,
    /// The step's SQL (one or more statements).
    sql: fn() -> String,
    /// Row updates the SQL cannot express, run after it in the same
    /// transaction.
    backfill: Option<Backfill>,
}

/// Every migration, oldest first. Append only: never edit an applied step.
/// A new database skips them for [`latest`]: a new step changes that too
/// (a test fails until it does).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "record tables, aliases, checkpoints",
        sql: v1_initial,
        backfill: None,
    },
    Migration {
        version: 2,
        description: "aliases keyed by one joined key column",
        sql: v2_joined_alias_key,
        backfill: None,
    },
    Migration {
        version: 3,
        description: "record data column without NOT NULL (bulk upserts need no statement journal)",
        sql: v3_nullable_data,
        backfill: None,
    },
    Migration {
        version: 4,
        description: "write records and collection cases",
        sql: v4_writes_and_cases,
        backfill: None,
    },
    Migration {
        version: 5,
        description: "credit_note record table",
        sql: v5_credit_notes,
        backfill: None,
    },
    Migration {
        version: 6,
        description: "ledger_export record table (what each export target received, per entry)",
        sql: v6_ledger_exports,
        backfill: None,
    },
    Migration {
        version: 7,
        description: "time columns (created, due, updated) for paged queries, with indexes",
        sql: v7_query_columns,
        backfill: Some(crate::backfill::time_columns),
    },
    Migration {
        version: 8,
        description: "SQL views over the records, version 1 (docs/sql-views.md)",
        sql: v8_views,
        backfill: None,
    },
    Migration {
        version: 9,
        description: "SQL views, version 2: the invoices view shows a write-off by hand (docs/sql-views.md)",
        sql: v9_views,
        backfill: None,
    },
];

/// The schema version this build creates and expects.
pub const SCHEMA_VERSION: u32 = 9;

/// The kinds versions 1 to 3 created tables for (later kinds come with the
/// migration that added them).
const V1_KINDS: &[EntityKind] = &[
    EntityKind::Customer,
    EntityKind::Product,
    EntityKind::Price,
    EntityKind::Invoice,
    EntityKind::Subscription,
    EntityKind::Payment,
    EntityKind::Refund,
    EntityKind::Dispute,
    EntityKind::Allocation,
    EntityKind::BalanceTransaction,
    EntityKind::Payout,
    EntityKind::BankLine,
    EntityKind::ImportRun,
];

/// The kinds version 4 added.
const V4_KINDS: &[EntityKind] = &[EntityKind::WriteRecord, EntityKind::CollectionCase];

/// The kinds version 5 added.
const V5_KINDS: &[EntityKind] = &[EntityKind::CreditNote];

/// The kinds version 6 added.
const V6_KINDS: &[EntityKind] = &[EntityKind::LedgerExport];

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)";

/// Version 1: one table per [`EntityKind`] (id, extracted columns, record JSON),
/// the alias index and the checkpoints.
fn v1_initial() -> String {
    let mut sql = String::new();
    for &kind in V1_KINDS {
        sql.push_str(&record_table(kind, kind.as_str(), "TEXT NOT NULL"));
        sql.push_str(&record_indexes(kind));
    }
    // The primary key's leading four columns are the index on every external
    // id: `resolve` searches it by (system, account, object, external_id).
    // WITHOUT ROWID makes that key the table itself, so no second b-tree.
    sql.push_str(
        "CREATE TABLE aliases (
    system      TEXT NOT NULL,
    account     TEXT NOT NULL,
    object      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    PRIMARY KEY (system, account, object, external_id, id)
) WITHOUT ROWID;
",
    );
    sql.push_str(CHECKPOINTS_TABLE);
    sql
}

/// The checkpoints table as version 1 created it (no step changed it since).
const CHECKPOINTS_TABLE: &str = "CREATE TABLE checkpoints (
    stream     TEXT PRIMARY KEY NOT NULL,
    position   TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
";

/// The alias table as version 2 created it (no step changed it since).
const ALIAS_TABLE: &str = "CREATE TABLE alias (
    key TEXT NOT NULL,
    id  TEXT NOT NULL,
    PRIMARY KEY (key, id)
) WITHOUT ROWID;
";

/// Version 2: the alias index keyed by the joined key text
/// (`system/account/object/external_id`, [`ExternalKey::joined`]) instead of
/// four columns, so every probe and insert compares one string per b-tree
/// step. Existing aliases are carried over.
///
/// [`ExternalKey::joined`]: tieout_core::model::ExternalKey::joined
fn v2_joined_alias_key() -> String {
    ALIAS_TABLE.to_string()
        + "INSERT OR IGNORE INTO alias (key, id)
    SELECT system || '/' || account || '/' || object || '/' || external_id, id FROM aliases;
DROP TABLE aliases;
"
}

/// Version 3: every record table rebuilt with `data TEXT` instead of
/// `data TEXT NOT NULL`; rows and indexes carried over.
///
/// Why: an upsert's `DO UPDATE` checks NOT NULL columns it sets with ABORT
/// semantics, so SQLite gives every multi-row upsert a statement journal (a
/// copy of each page the statement touches, written to a temporary file) to
/// undo half a statement. The store writes with `INSERT OR FAIL` and rolls the
/// whole transaction back on any error, so that journal only cost time: about
/// 2 GB of temporary-file writes per 100k invoices, some 15% of an import.
/// The store never writes a NULL `data` (it refuses a record without JSON) and
/// reading one is an error.
fn v3_nullable_data() -> String {
    let mut sql = String::new();
    for &kind in V1_KINDS {
        let t = kind.as_str();
        let mut names = vec!["id"];
        names.extend(columns_of(kind).iter().map(|c| c.name()));
        names.push("data");
        let names = names.join(", ");
        sql.push_str(&record_table(kind, &format!("{t}_v3"), "TEXT"));
        sql.push_str(&format!(
            "INSERT INTO {t}_v3 ({names}) SELECT {names} FROM {t};\nDROP TABLE {t};\n\
             ALTER TABLE {t}_v3 RENAME TO {t};\n"
        ));
        sql.push_str(&record_indexes(kind));
    }
    sql
}

/// Version 4: the tables of [`EntityKind::WriteRecord`] (writes to the
/// outside, recorded before they are made) and [`EntityKind::CollectionCase`].
fn v4_writes_and_cases() -> String {
    new_record_tables(V4_KINDS)
}

/// Version 5: the credit note table (customer, invoice, status, currency and
/// source columns; indexed by customer and invoice).
fn v5_credit_notes() -> String {
    new_record_tables(V5_KINDS)
}

/// Version 6: the per-entry export log ([`EntityKind::LedgerExport`]): one
/// row per (target, journal entry) with when it was exported and the
/// postings the target holds. Books that kept the log as one checkpoint
/// move it into these rows at their next export.
fn v6_ledger_exports() -> String {
    new_record_tables(V6_KINDS)
}

/// Version 7: the time columns of the paged queries on every record table
/// (`created_at`, `due_at`, `updated_at` as fixed-width UTC text, see
/// [`TimeColumn`]), filled from the records by
/// [`crate::backfill::time_columns`]; `(column, id)` indexes for the
/// queries' orders on the big tables, and `(status, id)` on invoices and
/// payments; the customer indexes become `(customer_id, id)`. Kinds added
/// later must create these columns themselves.
fn v7_query_columns() -> String {
    let mut sql = String::new();
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        for c in TimeColumn::ALL {
            sql.push_str(&format!("ALTER TABLE {t} ADD COLUMN {} TEXT;\n", c.name()));
        }
        sql.push_str(&time_indexes(kind));
    }
    sql.push_str(&status_indexes());
    // A customer's records in id order straight from the index (the paged
    // queries' order; `list_by_customer` uses it too), replacing the
    // customer_id index: still one index per table.
    for (t, _, create) in customer_indexes() {
        sql.push_str(&format!(
            "DROP INDEX IF EXISTS {t}_customer_id;\n{create};\n"
        ));
    }
    sql
}

/// The `(column, id)` indexes [version 7](v7_query_columns) creates on
/// `kind`'s time-indexed columns for the paged queries' orders.
fn time_indexes(kind: EntityKind) -> String {
    let t = kind.as_str();
    time_indexed(kind)
        .iter()
        .map(|c| format!("CREATE INDEX {t}_{c}_id ON {t} ({c}, id);\n", c = c.name()))
        .collect()
}

/// The `(status, id)` indexes [version 7](v7_query_columns) creates on
/// invoices and payments.
fn status_indexes() -> String {
    ["invoice", "payment"]
        .iter()
        .map(|t| format!("CREATE INDEX {t}_status_id ON {t} (status, id);\n"))
        .collect()
}

/// The `(customer_id, id)` index of every table with a customer column, as
/// [version 7](v7_query_columns) creates it: its table, its name and its
/// `CREATE INDEX` statement (no trailing semicolon). A scratch store builds
/// them only when something first reads by customer.
pub(crate) fn customer_indexes() -> impl Iterator<Item = (&'static str, String, String)> {
    EntityKind::ALL
        .into_iter()
        .filter(|&k| has_customer(k))
        .map(|kind| {
            let t = kind.as_str();
            let name = format!("{t}_customer_id_id");
            let create = format!("CREATE INDEX {name} ON {t} (customer_id, id)");
            (t, name, create)
        })
}

/// The indexes that serve only the paged queries' orders and filters (the
/// time columns' `(column, id)` and the `(status, id)` ones of [version
/// 7](v7_query_columns)): a scratch store drops them, since planning reads
/// by id, alias, customer and allocation only.
pub(crate) fn query_only_indexes() -> Vec<String> {
    let mut names = Vec::new();
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        for c in time_indexed(kind) {
            names.push(format!("{t}_{c}_id", c = c.name()));
        }
    }
    for t in ["invoice", "payment"] {
        names.push(format!("{t}_status_id"));
    }
    names
}

/// Version 8: one read-only view per record kind and per kind of line
/// ([`VIEWS_V1`](tieout_core::store::views::VIEWS_V1): customers, invoices,
/// invoice_lines, payments, allocations, ...), typed columns over the record
/// JSON. A later change to the views is a new migration that drops and
/// recreates them from a new version of the list.
fn v8_views() -> String {
    crate::views::create_views(tieout_core::store::views::VIEWS_V1)
}

/// Version 9: the views of
/// [`VIEWS_V2`](tieout_core::store::views::VIEWS_V2) replace version 1's
/// (the `invoices` view gains the write-off's amount, recovered part,
/// reason and time, appended after its version 1 columns).
fn v9_views() -> String {
    use tieout_core::store::views::{VIEWS_V1, VIEWS_V2};
    crate::views::drop_views(VIEWS_V1) + &crate::views::create_views(VIEWS_V2)
}

/// The tables and indexes of kinds a migration adds (nullable `data`, as v3
/// left every table).
fn new_record_tables(kinds: &[EntityKind]) -> String {
    let mut sql = String::new();
    for &kind in kinds {
        sql.push_str(&record_table(kind, kind.as_str(), "TEXT"));
        sql.push_str(&record_indexes(kind));
    }
    sql
}

/// `CREATE TABLE` of a record table named `table` for `kind`: the id, the
/// kind's extracted columns, and `data` of SQL type `data`. Applied migrations
/// are built from it: never change what it returns.
fn record_table(kind: EntityKind, table: &str, data: &str) -> String {
    record_table_then(kind, table, data, &[])
}

/// [`record_table`] with the `TEXT` columns `after` following `data`.
fn record_table_then(kind: EntityKind, table: &str, data: &str, after: &[&str]) -> String {
    let mut sql = format!("CREATE TABLE {table} (\n    id TEXT PRIMARY KEY NOT NULL,\n");
    for c in columns_of(kind) {
        sql.push_str(&format!("    {} TEXT,\n", c.name()));
    }
    sql.push_str(&format!("    data {data}"));
    for c in after {
        sql.push_str(&format!(",\n    {c} TEXT"));
    }
    sql.push_str("\n);\n");
    sql
}

/// The secondary indexes of `kind`'s table (see [`record_table`]).
fn record_indexes(kind: EntityKind) -> String {
    let t = kind.as_str();
    columns_of(kind)
        .iter()
        .filter(|c| c.indexed())
        .map(|c| format!("CREATE INDEX {t}_{c} ON {t} ({c});\n", c = c.name()))
        .collect()
}

/// Brings the database to [`SCHEMA_VERSION`], applying the missing steps in one
/// `BEGIN IMMEDIATE` transaction. Returns the version found before migrating.
/// Refuses a database written by a newer version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(VERSION_TABLE)?;
    let current: u32 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if current > SCHEMA_VERSION {
        return Err(SqliteError::Schema(format!(
            "database is at schema version {current}, newer than this build's {SCHEMA_VERSION}"
        )));
    }
    if current == 0 && holds_nothing(&tx)? {
        tx.execute_batch(&latest())?;
        for m in MIGRATIONS {
            record_version(&tx, m)?;
        }
    } else {
        apply_steps(&tx, current)?;
    }
    tx.commit()?;
    Ok(current)
}

/// Applies the migrations past version `current`, in order, each recorded
/// in `schema_version`.
fn apply_steps(tx: &rusqlite::Transaction<'_>, current: u32) -> Result<(), SqliteError> {
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(&(m.sql)())?;
        if let Some(backfill) = m.backfill {
            backfill(tx)?;
        }
        record_version(tx, m)?;
    }
    Ok(())
}

/// Records that step `m` is applied.
fn record_version(tx: &rusqlite::Transaction<'_>, m: &Migration) -> Result<(), SqliteError> {
    tx.execute(
        "INSERT INTO schema_version (version, description) VALUES (?1, ?2)",
        (m.version, m.description),
    )?;
    Ok(())
}

/// Whether the database holds nothing but the version table (a new file):
/// it then gets [`latest`] instead of every step.
fn holds_nothing(conn: &Connection) -> Result<bool, SqliteError> {
    Ok(conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master \
         WHERE name <> 'schema_version' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\')",
        [],
        |r| r.get(0),
    )?)
}

/// The schema [`MIGRATIONS`] leave, written as it stands at
/// [`SCHEMA_VERSION`]: what a new database is created with.
///
/// Why: replaying every step on a new file rebuilt the version 1 tables
/// (version 3) and added three columns to every table one `ALTER TABLE` at
/// a time (version 7), each of which makes SQLite parse the whole schema
/// again: about 120 million instructions, some 30 ms, on every new file,
/// and a review creates one (its staging file) each time it runs. The
/// tables, columns (in the order the steps leave them: id, the kind's
/// columns, data, the time columns), indexes and views are the same as the
/// steps', which a test holds it to; a new step must change this too.
fn latest() -> String {
    let mut sql = String::new();
    let time: Vec<&str> = TimeColumn::ALL.iter().map(|c| c.name()).collect();
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        sql.push_str(&record_table_then(kind, t, "TEXT", &time));
        // Version 7 replaced the customer index by `(customer_id, id)`.
        let replaced = format!("CREATE INDEX {t}_customer_id ");
        for index in record_indexes(kind).lines() {
            if !(has_customer(kind) && index.starts_with(&replaced)) {
                sql.push_str(index);
                sql.push('\n');
            }
        }
        sql.push_str(&time_indexes(kind));
    }
    sql.push_str(&status_indexes());
    for (_, _, create) in customer_indexes() {
        sql.push_str(&format!("{create};\n"));
    }
    sql.push_str(ALIAS_TABLE);
    sql.push_str(CHECKPOINTS_TABLE);
    sql.push_str(&crate::views::create_views(
        tieout_core::store::views::VIEWS_V2,
    ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a database's schema is made of, comparable between two
    /// databases: each table's columns (name, type, not null, default,
    /// primary key position) and whether it has row ids, each index's
    /// table, uniqueness and columns in order, each view's SQL and columns,
    /// and the versions recorded.
    fn shape(conn: &Connection) -> Vec<String> {
        let rows = |of: &str, sql: &str| -> Vec<String> {
            let mut st = conn.prepare(sql).unwrap();
            let n = st.column_count();
            st.query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| format!("  {of}: {}", v.join(" | ")))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let mut out = Vec::new();
        let objects: Vec<(String, String, String, Option<String>)> = {
            let mut st = conn
                .prepare(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master \
                     WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
                )
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        for (kind, name, table, sql) in objects {
            out.push(format!("{kind} {name} on {table}"));
            let sql = sql.unwrap_or_default();
            match kind.as_str() {
                "table" => {
                    out.push(format!(
                        "  without rowid: {}",
                        sql.contains("WITHOUT ROWID")
                    ));
                    out.extend(rows(
                        &name,
                        &format!("SELECT * FROM pragma_table_xinfo('{name}')"),
                    ));
                }
                "index" => {
                    out.extend(rows(
                        &name,
                        &format!(
                            "SELECT \"unique\", origin, partial FROM pragma_index_list('{table}') \
                         WHERE name = '{name}'"
                        ),
                    ));
                    out.extend(rows(
                        &name,
                        &format!("SELECT * FROM pragma_index_xinfo('{name}')"),
                    ));
                }
                "view" => {
                    out.push(sql);
                    out.extend(rows(
                        &name,
                        &format!("SELECT * FROM pragma_table_xinfo('{name}')"),
                    ));
                }
                _ => out.push(sql),
            }
        }
        out.extend(rows(
            "schema_version",
            "SELECT version, description FROM schema_version ORDER BY version",
        ));
        out
    }

    /// A database brought to the current version by every step, one at a time.
    fn stepped() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(VERSION_TABLE).unwrap();
        apply_steps(&tx, 0).unwrap();
        tx.commit().unwrap();
        conn
    }

    #[test]
    fn a_new_database_gets_the_schema_the_steps_leave() {
        let mut new = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut new).unwrap(), 0);
        let (new, stepped) = (shape(&new), shape(&stepped()));
        // Every table, index, view and version is there (not two empty lists).
        let count = |s: &[String], what: &str| s.iter().filter(|l| l.starts_with(what)).count();
        assert_eq!(count(&stepped, "table "), EntityKind::ALL.len() + 3);
        assert!(count(&stepped, "index ") > EntityKind::ALL.len());
        assert_eq!(
            count(&stepped, "view "),
            tieout_core::store::views::VIEWS_V2.len()
        );
        for (i, (a, b)) in new.iter().zip(&stepped).enumerate() {
            assert_eq!(a, b, "line {i} of the schema differs");
        }
        assert_eq!(new.len(), stepped.len());
    }

    #[test]
    fn a_new_database_is_created_in_one_step_and_an_old_one_migrates_step_by_step() {
        let table_sql = |conn: &Connection| -> String {
            conn.query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'invoice'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        let mut new = Connection::open_in_memory().unwrap();
        migrate(&mut new).unwrap();
        // Created with its time columns, not given them by `ALTER TABLE`.
        assert!(table_sql(&new).contains("data TEXT,\n    created_at TEXT"));
        assert_ne!(table_sql(&new), table_sql(&stepped()));
        // A database with tables and no version is not new: it takes the
        // steps (and here fails on the table it already holds).
        let mut foreign = Connection::open_in_memory().unwrap();
        foreign
            .execute_batch("CREATE TABLE customer (id TEXT PRIMARY KEY)")
            .unwrap();
        assert!(migrate(&mut foreign).is_err());
        // An old one takes the steps after its version.
        let mut old = Connection::open_in_memory().unwrap();
        let tx = old.transaction().unwrap();
        tx.execute_batch(VERSION_TABLE).unwrap();
        tx.execute_batch(&v1_initial()).unwrap();
        record_version(&tx, &MIGRATIONS[0]).unwrap();
        tx.commit().unwrap();
        assert_eq!(migrate(&mut old).unwrap(), 1);
        assert_eq!(shape(&old), shape(&stepped()));
    }

    #[test]
    fn migrations_are_numbered_in_order_up_to_the_current_version() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<u32> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }

    #[test]
    fn v1_creates_a_table_per_kind_and_no_float_columns() {
        let sql = v1_initial();
        for &kind in V1_KINDS {
            assert!(
                sql.contains(&format!("CREATE TABLE {} (", kind.as_str())),
                "no table for {}",
                kind.as_str()
            );
        }
        assert!(
            !sql.contains("REAL"),
            "amounts must never be stored as REAL"
        );
        assert!(sql.contains("CREATE INDEX invoice_customer_id ON invoice (customer_id)"));
        assert!(sql.contains("CREATE INDEX allocation_payment_id ON allocation (payment_id)"));
        assert!(sql.contains("CREATE INDEX allocation_invoice_id ON allocation (invoice_id)"));
    }

    #[test]
    fn v2_carries_v1_aliases_over_to_the_joined_key() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&v1_initial()).unwrap();
        conn.execute(
            "INSERT INTO aliases VALUES ('stripe', 'acct_1', 'invoice', 'in_1', 'inv_a')",
            [],
        )
        .unwrap();
        conn.execute_batch(&v2_joined_alias_key()).unwrap();
        let (key, id): (String, String) = conn
            .query_row("SELECT key, id FROM alias", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(key, "stripe/acct_1/invoice/in_1");
        assert_eq!(id, "inv_a");
        let key = tieout_core::model::ExternalKey::new("stripe", "acct_1", "invoice", "in_1");
        assert_eq!(key.joined(), "stripe/acct_1/invoice/in_1");
    }

    #[test]
    fn v4_adds_the_credit_note_table_to_a_v3_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(VERSION_TABLE).unwrap();
        for sql in [v1_initial(), v2_joined_alias_key(), v3_nullable_data()] {
            conn.execute_batch(&sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO schema_version (version, description) VALUES (1, 'v1'), (2, 'v2'), (3, 'v3')",
        )
        .unwrap();
        let tables = |c: &Connection| -> i64 {
            c.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'credit_note'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(tables(&conn), 0);
        assert_eq!(migrate(&mut conn).unwrap(), 3);
        assert_eq!(tables(&conn), 1);
        let idx: i64 = conn
            .query_row(
                // (v6 turned the customer index into (customer_id, id))
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN \
                 ('credit_note_customer_id_id', 'credit_note_invoice_id')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(idx, 2);
    }

    #[test]
    fn v3_keeps_rows_and_indexes_and_drops_only_the_data_not_null() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&v1_initial()).unwrap();
        conn.execute_batch(&v2_joined_alias_key()).unwrap();
        conn.execute(
            "INSERT INTO invoice (id, customer_id, status, currency, account, object, external_id, data) \
             VALUES ('inv_a', 'cust_a', 'open', 'USD', 'acct_1', 'invoice', 'in_1', '{\"id\":\"inv_a\"}')",
            [],
        )
        .unwrap();
        let tables = |c: &Connection| -> Vec<String> {
            c.prepare("SELECT name FROM sqlite_schema ORDER BY name")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let before = tables(&conn);
        conn.execute_batch(&v3_nullable_data()).unwrap();
        assert_eq!(
            tables(&conn),
            before,
            "same tables and indexes after the rebuild"
        );
        let row: (String, String, String) = conn
            .query_row(
                "SELECT customer_id, external_id, data FROM invoice WHERE id = 'inv_a'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            ("cust_a".into(), "in_1".into(), "{\"id\":\"inv_a\"}".into())
        );
        for &kind in V1_KINDS {
            let not_null: Vec<(String, bool)> = conn
                .prepare("SELECT name, \"notnull\" FROM pragma_table_info(?1) ORDER BY cid")
                .unwrap()
                .query_map([kind.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(not_null.first(), Some(&("id".to_string(), true)));
            assert_eq!(not_null.last(), Some(&("data".to_string(), false)));
        }
        let plan: String = conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT data FROM invoice WHERE customer_id = 'x'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("invoice_customer_id"), "{plan}");
    }

    #[test]
    fn a_v2_database_with_every_kind_opens_at_v3_with_its_records() {
        // Records of every kind, written by the current store.
        let mut current = crate::SqliteStore::open_in_memory().unwrap();
        tieout_core::store::conformance::check_every_kind_round_trips(&mut current);
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("v2.db");
        let dump = dir.path().join("current.db");
        // A database as version 2 left it, holding the same rows.
        {
            let conn = Connection::open(&old).unwrap();
            conn.execute_batch(VERSION_TABLE).unwrap();
            conn.execute_batch(&v1_initial()).unwrap();
            conn.execute_batch(&v2_joined_alias_key()).unwrap();
            conn.execute_batch(
                "INSERT INTO schema_version (version, description) VALUES (1, 'v1'), (2, 'v2')",
            )
            .unwrap();
            current
                .conn
                .execute("VACUUM INTO ?1", [dump.to_str().unwrap()])
                .unwrap();
            conn.execute("ATTACH ?1 AS cur", [dump.to_str().unwrap()])
                .unwrap();
            for &kind in V1_KINDS {
                let t = kind.as_str();
                // The columns version 2 had (the current tables have more).
                let mut names = vec!["id"];
                names.extend(columns_of(kind).iter().map(|c| c.name()));
                names.push("data");
                let names = names.join(", ");
                conn.execute_batch(&format!(
                    "INSERT INTO {t} ({names}) SELECT {names} FROM cur.{t}"
                ))
                .unwrap();
            }
            conn.execute_batch("INSERT INTO alias SELECT * FROM cur.alias; DETACH cur")
                .unwrap();
        }
        let migrated = crate::SqliteStore::open(&old).unwrap();
        assert_eq!(migrated.migrated_from(), 2);
        assert_eq!(migrated.schema_version().unwrap(), SCHEMA_VERSION);
        for &kind in V4_KINDS.iter().chain(V5_KINDS) {
            use tieout_core::Store;
            assert!(migrated.list(kind).unwrap().is_empty(), "{}", kind.as_str());
        }
        // Version 6 filled the time columns from the records, as the store
        // writes them for new rows.
        migrated
            .conn
            .execute("ATTACH ?1 AS cur", [dump.to_str().unwrap()])
            .unwrap();
        for &kind in V1_KINDS {
            let t = kind.as_str();
            let sql = format!(
                "SELECT count(*) FROM {t} AS m JOIN cur.{t} AS c USING (id) \
                 WHERE m.created_at IS c.created_at AND m.due_at IS c.due_at \
                 AND m.updated_at IS c.updated_at"
            );
            let same: i64 = migrated
                .conn
                .query_row(&sql, [], |r| r.get(0))
                .unwrap_or(-1);
            let all: i64 = current
                .conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(same, all, "{t}: time columns backfilled");
        }
        for &kind in V1_KINDS {
            use tieout_core::Store;
            let want = current.list(kind).unwrap();
            assert!(!want.is_empty(), "no {} written", kind.as_str());
            assert_eq!(migrated.list(kind).unwrap(), want, "{}", kind.as_str());
        }
    }

    /// A database at version 8 (views version 1) gets version 2's views.
    #[test]
    fn v9_replaces_the_views_of_a_v8_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(VERSION_TABLE).unwrap();
        for m in MIGRATIONS.iter().filter(|m| m.version <= 8) {
            let tx = conn.transaction().unwrap();
            tx.execute_batch(&(m.sql)()).unwrap();
            if let Some(backfill) = m.backfill {
                backfill(&tx).unwrap();
            }
            tx.execute(
                "INSERT INTO schema_version (version, description) VALUES (?1, ?2)",
                (m.version, m.description),
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let columns = |c: &Connection| -> Vec<String> {
            let mut st = c
                .prepare("SELECT name FROM pragma_table_info('invoices')")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        let names = |views: &[tieout_core::store::views::View]| -> Vec<String> {
            let v = views.iter().find(|v| v.name == "invoices").unwrap();
            v.columns.iter().map(|c| c.name.to_string()).collect()
        };
        use tieout_core::store::views::{VIEWS_V1, VIEWS_V2};
        assert_eq!(columns(&conn), names(VIEWS_V1));
        assert_eq!(migrate(&mut conn).unwrap(), 8);
        assert_eq!(columns(&conn), names(VIEWS_V2));
        assert!(columns(&conn).contains(&"write_off_reason".to_string()));
    }
}
