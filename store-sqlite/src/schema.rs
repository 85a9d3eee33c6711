//! Schema migrations, applied in order inside one transaction and recorded in
//! the `schema_version` table.

use rusqlite::{Connection, TransactionBehavior};
use tieout_core::EntityKind;

use crate::columns::columns_of;
use crate::error::SqliteError;

/// One schema step.
struct Migration {
    /// Version the database is at once this step is applied.
    version: u32,
    /// What the step does, stored with the version row.
    description: &'static str,
    /// The step's SQL (one or more statements).
    sql: fn() -> String,
}

/// Every migration, oldest first. Append only: never edit an applied step.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "record tables, aliases, checkpoints",
    sql: v1_initial,
}];

/// The schema version this build creates and expects.
pub const SCHEMA_VERSION: u32 = 1;

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)";

/// Version 1: one table per [`EntityKind`] (id, extracted columns, record JSON),
/// the alias index and the checkpoints.
fn v1_initial() -> String {
    let mut sql = String::new();
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        let cols = columns_of(kind);
        sql.push_str(&format!(
            "CREATE TABLE {t} (\n    id TEXT PRIMARY KEY NOT NULL,\n"
        ));
        for c in cols {
            sql.push_str(&format!("    {} TEXT,\n", c.name()));
        }
        sql.push_str("    data TEXT NOT NULL\n);\n");
        for c in cols.iter().filter(|c| c.indexed()) {
            let c = c.name();
            sql.push_str(&format!("CREATE INDEX {t}_{c} ON {t} ({c});\n"));
        }
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
CREATE TABLE checkpoints (
    stream     TEXT PRIMARY KEY NOT NULL,
    position   TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
",
    );
    sql
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
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(&(m.sql)())?;
        tx.execute(
            "INSERT INTO schema_version (version, description) VALUES (?1, ?2)",
            (m.version, m.description),
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
    fn v1_creates_a_table_per_kind_and_no_float_columns() {
        let sql = v1_initial();
        for kind in EntityKind::ALL {
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
}
