//! The SQL text of every statement, built once per store so the prepared
//! statement cache is keyed by stable strings.

use tieout_core::EntityKind;

use crate::columns::{TimeColumn, columns_of, has_customer};

/// Statements of one kind's table.
#[derive(Debug)]
pub(crate) struct KindSql {
    /// `INSERT OR FAIL ... ON CONFLICT(id) DO UPDATE`; binds id, the extracted
    /// columns, the time columns (schema v6), data. `OR FAIL` (a failing row ends the statement and keeps the
    /// rows before it) instead of the default ABORT, with no NOT NULL column
    /// that the update sets (schema v3), spares SQLite a statement journal per
    /// multi-row statement: every commit is one transaction that is rolled
    /// back whole on any error, so half a statement is never kept.
    pub(crate) upsert: String,
    /// [`KindSql::upsert`] for [`UPSERT_ROWS`] rows at once.
    pub(crate) upsert_many: String,
    /// Delete by id.
    pub(crate) delete: String,
    /// Records for a JSON array of ids, in the array's order.
    pub(crate) get: String,
    /// Every record, by id.
    pub(crate) list: String,
    /// Records of one customer, by id (kinds with a `customer_id` column).
    pub(crate) by_customer: Option<String>,
    /// Records of the customers in a JSON array of ids, by id.
    pub(crate) by_customers: Option<String>,
}

/// The statements of every kind, indexed like [`EntityKind::ALL`].
#[derive(Debug)]
pub(crate) struct Statements {
    kinds: Vec<KindSql>,
    /// [`alias_add_many`], built once.
    pub(crate) alias_add_many: String,
}

/// Position of `kind` in [`EntityKind::ALL`].
pub(crate) fn kind_index(kind: EntityKind) -> usize {
    EntityKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

impl Statements {
    /// Builds the SQL of every kind.
    pub(crate) fn new() -> Self {
        let kinds = EntityKind::ALL
            .iter()
            .map(|&kind| {
                let t = kind.as_str();
                KindSql {
                    upsert: upsert(kind, 1, "id"),
                    upsert_many: upsert(kind, UPSERT_ROWS, "id"),
                    delete: format!("DELETE FROM {t} WHERE id = ?1"),
                    get: format!(
                        "SELECT r.data FROM json_each(?1) AS k CROSS JOIN {t} AS r \
                         ON r.id = k.value ORDER BY k.key"
                    ),
                    list: format!("SELECT data FROM {t} ORDER BY id"),
                    by_customer: has_customer(kind).then(|| {
                        format!("SELECT data FROM {t} WHERE customer_id = ?1 ORDER BY id")
                    }),
                    by_customers: has_customer(kind).then(|| {
                        format!(
                            "SELECT data FROM {t} WHERE customer_id IN \
                             (SELECT value FROM json_each(?1)) ORDER BY id"
                        )
                    }),
                }
            })
            .collect();
        Statements {
            kinds,
            alias_add_many: alias_add_many(),
        }
    }

    /// Makes `kind`'s upserts conflict on the unique index over `target`
    /// (columns, comma-separated) instead of the primary key `id`.
    pub(crate) fn conflict_on(&mut self, kind: EntityKind, target: &str) {
        let k = &mut self.kinds[kind_index(kind)];
        k.upsert = upsert(kind, 1, target);
        k.upsert_many = upsert(kind, UPSERT_ROWS, target);
    }

    /// The statements of `kind`.
    pub(crate) fn of(&self, kind: EntityKind) -> &KindSql {
        &self.kinds[kind_index(kind)]
    }
}

/// `INSERT OR FAIL ... ON CONFLICT(target) DO UPDATE` of `rows` rows of
/// `kind` (see [`KindSql::upsert`]).
fn upsert(kind: EntityKind, rows: usize, target: &str) -> String {
    let t = kind.as_str();
    let mut cols: Vec<&str> = columns_of(kind).iter().map(|c| c.name()).collect();
    cols.extend(TimeColumn::ALL.iter().map(|c| c.name()));
    let mut names = vec!["id"];
    names.extend(&cols);
    names.push("data");
    let mut updates: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    updates.push("data = excluded.data".to_string());
    format!(
        "INSERT OR FAIL INTO {t} ({}) VALUES {} ON CONFLICT({target}) DO UPDATE SET {}",
        names.join(", "),
        value_rows(rows, names.len()),
        updates.join(", ")
    )
}

/// Records per multi-row upsert: one statement run writes this many rows,
/// so the per-statement work (bind, step, reset) is paid once per batch.
pub(crate) const UPSERT_ROWS: usize = 16;

/// Aliases per multi-row alias insert.
pub(crate) const ALIAS_ROWS: usize = 32;

/// `(?1, ?2, ...), (...)`: `rows` rows of `width` numbered parameters.
fn value_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let marks: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds an alias (`?1` the joined key, `?2` the id); adding an existing one is a no-op.
pub(crate) const ALIAS_ADD: &str = "INSERT OR IGNORE INTO alias (key, id) VALUES (?1, ?2)";

/// [`ALIAS_ADD`] for [`ALIAS_ROWS`] aliases at once.
pub(crate) fn alias_add_many() -> String {
    format!(
        "INSERT OR IGNORE INTO alias (key, id) VALUES {}",
        value_rows(ALIAS_ROWS, 2)
    )
}

/// Removes one `(key, id)` alias.
pub(crate) const ALIAS_REMOVE: &str = "DELETE FROM alias WHERE key = ?1 AND id = ?2";

/// The ids one joined alias key names, probing the alias primary key (ordered by id).
pub(crate) const RESOLVE_ONE: &str = "SELECT id FROM alias WHERE key = ?1 ORDER BY id";

/// Whether any alias key lies in `[?1, ?2)`: one probe that tells a whole
/// namespace of keys (`system/account/object/`) holds nothing.
pub(crate) const ALIAS_ANY_IN: &str = "SELECT 1 FROM alias WHERE key >= ?1 AND key < ?2 LIMIT 1";

/// Allocations whose payment is in the JSON array `?1` or whose invoice is in `?2`.
pub(crate) const ALLOCATIONS_FOR: &str = "SELECT data FROM allocation \
     WHERE payment_id IN (SELECT value FROM json_each(?1)) \
     OR invoice_id IN (SELECT value FROM json_each(?2)) ORDER BY id";

/// Sets a stream's checkpoint.
pub(crate) const CHECKPOINT_SET: &str = "INSERT INTO checkpoints (stream, position) \
     VALUES (?1, ?2) ON CONFLICT(stream) DO UPDATE SET position = excluded.position, \
     updated_at = excluded.updated_at";

/// Reads a stream's checkpoint.
pub(crate) const CHECKPOINT_GET: &str = "SELECT position FROM checkpoints WHERE stream = ?1";
