//! Schema migrations, applied in order inside one transaction (serialized
//! between processes by a transaction-scoped advisory lock) and recorded in
//! the schema's `schema_version` table.

use postgres::Client;
use tieout_core::EntityKind;
use tieout_core::store::columns::{TimeColumn, columns_of, time_indexed};

use crate::error::PostgresError;

/// Row updates a migration makes in Rust, inside its transaction (with the
/// schema name).
type Backfill = fn(&mut postgres::Transaction<'_>, &str) -> Result<(), PostgresError>;

/// One schema step.
struct Migration {
    /// Version the schema is at once this step is applied.
    version: u32,
    /// What the step does, stored with the version row.
    description: &'static str,
    /// The step's SQL for the (quoted) schema name.
    sql: fn(&str) -> String,
    /// Row updates the SQL cannot express, run after it in the same
    /// transaction (with the schema name).
    backfill: Option<Backfill>,
}

/// Every migration, oldest first. Append only: never edit an applied step.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "record tables, aliases, checkpoints",
        sql: v1_initial,
        backfill: None,
    },
    Migration {
        version: 2,
        description: "ledger_export record table (what each export target received, per entry)",
        sql: v2_ledger_exports,
        backfill: None,
    },
    Migration {
        version: 3,
        description: "time columns (created, due, updated) for paged queries, with indexes",
        sql: v3_query_columns,
        backfill: Some(crate::backfill::time_columns),
    },
    Migration {
        version: 4,
        description: "SQL views over the records, version 1 (docs/sql-views.md)",
        sql: v4_views,
        backfill: None,
    },
    Migration {
        version: 5,
        description: "source snapshot columns, commit counter, stream leases, backfill shards",
        sql: v5_concurrency,
        backfill: None,
    },
    Migration {
        version: 6,
        description: "SQL views, version 2: the invoices view shows a write-off by hand (docs/sql-views.md)",
        sql: v6_views,
        backfill: None,
    },
];

/// The schema version this build creates and expects.
pub const SCHEMA_VERSION: u32 = 6;

/// The kinds later versions added (version 1 made a table for every other kind).
const LATER_KINDS: &[EntityKind] = &[EntityKind::LedgerExport];

/// Checks a schema name: a plain lower-case SQL identifier, so it needs no
/// escaping and names the same schema quoted or not.
pub(crate) fn check_name(name: &str) -> Result<(), PostgresError> {
    let mut chars = name.chars();
    let ok = name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(PostgresError::Invalid(format!(
            "schema name {name:?} must be a lower-case identifier \
             ([a-z_][a-z0-9_]*, at most 63 characters)"
        )))
    }
}

/// Version 1: one table per [`EntityKind`] (id, the extracted columns of the
/// SQLite store, the record JSON, a row version and the time of the last
/// write), the alias index and the checkpoints. Every key column sorts
/// bytewise (`COLLATE "C"`), as the other stores order ids.
fn v1_initial(s: &str) -> String {
    let mut sql = String::new();
    for kind in EntityKind::ALL
        .into_iter()
        .filter(|k| !LATER_KINDS.contains(k))
    {
        sql.push_str(&record_table(s, kind));
    }
    sql.push_str(&format!(
        "CREATE TABLE {s}.alias (
    key text COLLATE \"C\" NOT NULL,
    id  text COLLATE \"C\" NOT NULL,
    PRIMARY KEY (key, id)
);
CREATE TABLE {s}.checkpoints (
    stream     text COLLATE \"C\" PRIMARY KEY,
    position   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"
    ));
    sql
}

/// Version 2: the per-entry export log ([`EntityKind::LedgerExport`]).
fn v2_ledger_exports(s: &str) -> String {
    record_table(s, EntityKind::LedgerExport)
}

/// The table of one kind (id, extracted columns, the record JSON, a row
/// version and the time of the last write) and its indexes. Applied
/// migrations are built from it: never change what it returns.
fn record_table(s: &str, kind: EntityKind) -> String {
    let t = kind.as_str();
    let mut sql = format!("CREATE TABLE {s}.{t} (\n    id text COLLATE \"C\" PRIMARY KEY,\n");
    for c in columns_of(kind) {
        sql.push_str(&format!("    {} text COLLATE \"C\",\n", c.name()));
    }
    sql.push_str(
        "    data text NOT NULL,\n    row_version bigint NOT NULL DEFAULT 1,\n    \
         written_at timestamptz NOT NULL DEFAULT now()\n);\n",
    );
    for c in columns_of(kind).iter().filter(|c| c.indexed()) {
        sql.push_str(&format!(
            "CREATE INDEX {t}_{c} ON {s}.{t} ({c}, id);\n",
            c = c.name()
        ));
    }
    sql
}

/// Version 3: the time columns of the paged queries on every record table
/// (`created_at`, `due_at`, `updated_at`, fixed-width UTC text sorting
/// bytewise, see [`TimeColumn`]), filled from the records by
/// [`crate::backfill::time_columns`]; `(column, id)` indexes for the
/// queries' orders on the big tables and `(status, id)` on invoices and
/// payments, as in the SQLite store.
fn v3_query_columns(s: &str) -> String {
    let mut sql = String::new();
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        let adds: Vec<String> = TimeColumn::ALL
            .iter()
            .map(|c| format!("ADD COLUMN {} text COLLATE \"C\"", c.name()))
            .collect();
        sql.push_str(&format!("ALTER TABLE {s}.{t} {};\n", adds.join(", ")));
        for c in time_indexed(kind) {
            sql.push_str(&format!(
                "CREATE INDEX {t}_{c}_id ON {s}.{t} ({c}, id);\n",
                c = c.name()
            ));
        }
    }
    for t in ["invoice", "payment"] {
        sql.push_str(&format!(
            "CREATE INDEX {t}_status_id ON {s}.{t} (status, id);\n"
        ));
    }
    sql
}

/// Version 4: one read-only view per record kind and per kind of line
/// ([`VIEWS_V1`](tieout_core::store::views::VIEWS_V1)), typed columns
/// (`numeric`, `timestamptz`, `date`, `bigint`, `boolean`) over the record
/// JSON, the same columns as the SQLite store's views.
fn v4_views(s: &str) -> String {
    crate::views::create_views(s, tieout_core::store::views::VIEWS_V1)
}

/// Version 6: the views of
/// [`VIEWS_V2`](tieout_core::store::views::VIEWS_V2) replace version 1's
/// (the `invoices` view gains the write-off's amount, recovered part,
/// reason and time, appended after its version 1 columns).
fn v6_views(s: &str) -> String {
    use tieout_core::store::views::{VIEWS_V1, VIEWS_V2};
    crate::views::drop_views(s, VIEWS_V1) + &crate::views::create_views(s, VIEWS_V2)
}

/// Version 5, what several writers need:
/// - per record table, the source key and the source's update time (unix
///   microseconds) of the stored snapshot, so the upsert itself refuses an
///   older snapshot of the same object (the out-of-order guard, inside the
///   transaction);
/// - `commits`: one row counting the commits that changed records or
///   aliases, bumped by every writer (a review's change detection);
/// - `leases`: who holds an import stream until when (transaction-scoped
///   rows, nothing on the session: PgBouncer-safe);
/// - `backfills` and `backfill_shards`: a backfill split between workers.
fn v5_concurrency(s: &str) -> String {
    let mut sql = String::new();
    for kind in EntityKind::ALL {
        sql.push_str(&format!(
            "ALTER TABLE {s}.{t} ADD COLUMN source_key text COLLATE \"C\", \
             ADD COLUMN source_updated_us bigint;\n",
            t = kind.as_str()
        ));
    }
    sql.push_str(&format!(
        "CREATE TABLE {s}.commits (
    id smallint PRIMARY KEY CHECK (id = 1),
    n  bigint NOT NULL
);
INSERT INTO {s}.commits (id, n) VALUES (1, 0);
CREATE TABLE {s}.leases (
    stream      text COLLATE \"C\" PRIMARY KEY,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.backfills (
    id         text COLLATE \"C\" PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE TABLE {s}.backfill_shards (
    backfill text COLLATE \"C\" NOT NULL REFERENCES {s}.backfills (id),
    idx      integer NOT NULL,
    stream   text COLLATE \"C\" NOT NULL,
    spec     text NOT NULL,
    done     boolean NOT NULL DEFAULT false,
    holder   text,
    result   text,
    PRIMARY KEY (backfill, idx)
);
"
    ));
    sql
}

/// Brings the schema `name` to [`SCHEMA_VERSION`], creating it if needed, in
/// one transaction. Concurrent openers wait for each other on a
/// transaction-scoped advisory lock (nothing is left on the session, so this
/// works through a transaction-pooling PgBouncer). Returns the version found
/// before migrating; refuses a schema written by a newer version.
pub(crate) fn migrate(client: &mut Client, name: &str) -> Result<u32, PostgresError> {
    let s = name;
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('tieout migrate ' || $1, 0))",
        &[&name],
    )?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {s};
         CREATE TABLE IF NOT EXISTS {s}.schema_version (
             version     integer PRIMARY KEY,
             description text NOT NULL,
             applied_at  timestamptz NOT NULL DEFAULT now()
         );"
    ))?;
    let current: i32 = tx
        .query_one(
            &format!("SELECT COALESCE(MAX(version), 0) FROM {s}.schema_version"),
            &[],
        )?
        .get(0);
    let current = u32::try_from(current).unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(PostgresError::Schema(format!(
            "schema {s} is at version {current}, newer than this build's {SCHEMA_VERSION}"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(&(m.sql)(s))?;
        if let Some(backfill) = m.backfill {
            backfill(&mut tx, s)?;
        }
        tx.execute(
            &format!("INSERT INTO {s}.schema_version (version, description) VALUES ($1, $2)"),
            &[&(m.version as i32), &m.description],
        )?;
    }
    tx.commit()?;
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_up_to_the_current_version() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<u32> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["tieout", "_books", "t1_books"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Tieout",
            "1x",
            "a-b",
            "a;drop",
            "\"x\"",
            &"a".repeat(64),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    /// A schema written by version 1 opens at the current version with its
    /// time columns filled as the store writes them, and its views answer.
    #[test]
    fn a_v1_schema_migrates_with_its_time_columns_filled() {
        let url = match std::env::var("TIEOUT_TEST_PG_URL") {
            Ok(u) if !u.is_empty() => u,
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI needs TIEOUT_TEST_PG_URL"
                );
                return;
            }
        };
        let old = format!("t_v1_{}", std::process::id());
        let cur = format!("t_cur_{}", std::process::id());
        let mut c = Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {old} CASCADE; DROP SCHEMA IF EXISTS {cur} CASCADE;"
        ))
        .unwrap();
        // Records of every kind, written by the current store.
        let mut current = crate::PostgresStore::open_in_schema(&url, &cur).unwrap();
        tieout_core::store::conformance::check_every_kind_round_trips(&mut current);
        // The same rows in a schema as version 1 left it.
        c.batch_execute(&format!(
            "CREATE SCHEMA {old}; CREATE TABLE {old}.schema_version (version integer PRIMARY KEY, \
             description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); \
             INSERT INTO {old}.schema_version (version, description) VALUES (1, 'v1');"
        ))
        .unwrap();
        c.batch_execute(&v1_initial(&old)).unwrap();
        // Kinds whose tables came later start empty: only version 1's rows migrate.
        let v1_kinds = || {
            EntityKind::ALL
                .into_iter()
                .filter(|k| !LATER_KINDS.contains(k))
        };
        for kind in v1_kinds() {
            let t = kind.as_str();
            let mut names = vec!["id"];
            names.extend(columns_of(kind).iter().map(|c| c.name()));
            names.push("data");
            let names = names.join(", ");
            c.batch_execute(&format!(
                "INSERT INTO {old}.{t} ({names}) SELECT {names} FROM {cur}.{t}"
            ))
            .unwrap();
        }
        let migrated = crate::PostgresStore::open_in_schema(&url, &old).unwrap();
        assert_eq!(migrated.migrated_from(), 1);
        for kind in v1_kinds() {
            let t = kind.as_str();
            let differ: i64 = c
                .query_one(
                    &format!(
                        "SELECT count(*) FROM {old}.{t} AS m FULL JOIN {cur}.{t} AS n USING (id) \
                         WHERE m.created_at IS DISTINCT FROM n.created_at \
                         OR m.due_at IS DISTINCT FROM n.due_at \
                         OR m.updated_at IS DISTINCT FROM n.updated_at"
                    ),
                    &[],
                )
                .unwrap()
                .get(0);
            assert_eq!(differ, 0, "{t}: time columns as the store writes them");
        }
        let filled: i64 = c
            .query_one(
                &format!("SELECT count(*) FROM {old}.invoice WHERE created_at IS NOT NULL"),
                &[],
            )
            .unwrap()
            .get(0);
        assert!(filled > 0);
        let views: i64 = c
            .query_one(&format!("SELECT count(*) FROM {old}.invoices"), &[])
            .unwrap()
            .get(0);
        let rows: i64 = c
            .query_one(&format!("SELECT count(*) FROM {old}.invoice"), &[])
            .unwrap()
            .get(0);
        assert_eq!(views, rows, "one view row per invoice");
        // Version 2 of the views replaced version 1's: the write-off's
        // columns come after version 1's.
        let columns: Vec<String> = c
            .query(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = $1 AND table_name = 'invoices' ORDER BY ordinal_position",
                &[&old],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let want: Vec<&str> = tieout_core::store::views::view("invoices")
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(columns, want);
        assert_eq!(columns.last().map(String::as_str), Some("write_off_at"));
        drop((migrated, current));
        c.batch_execute(&format!(
            "DROP SCHEMA {old} CASCADE; DROP SCHEMA {cur} CASCADE;"
        ))
        .unwrap();
    }

    #[test]
    fn v1_has_a_table_per_kind_and_no_float_columns() {
        let sql = format!("{}{}", v1_initial("tieout"), v2_ledger_exports("tieout"));
        for kind in EntityKind::ALL {
            assert!(sql.contains(&format!("CREATE TABLE tieout.{} (", kind.as_str())));
        }
        assert!(!sql.contains("real") && !sql.contains("double"));
        assert!(
            sql.contains("CREATE INDEX invoice_customer_id ON tieout.invoice (customer_id, id)")
        );
    }

    #[test]
    fn v2_adds_the_snapshot_columns_to_every_record_table() {
        let sql = v5_concurrency("tieout");
        for kind in EntityKind::ALL {
            assert!(sql.contains(&format!(
                "ALTER TABLE tieout.{} ADD COLUMN source_key",
                kind.as_str()
            )));
        }
        for table in ["commits", "leases", "backfills", "backfill_shards"] {
            assert!(
                sql.contains(&format!("CREATE TABLE tieout.{table} (")),
                "{table}"
            );
        }
    }
}
