//! The store's SQL, built once per schema name: every table is qualified
//! with the schema (no `search_path`, which is session state a pooled
//! connection would lose).

use tieout_core::EntityKind;
use tieout_core::store::columns::{TimeColumn, columns_of, has_customer};

/// The statements of one kind's table.
#[derive(Debug)]
pub(crate) struct KindSql {
    /// Upserts the rows of parallel arrays: id, each extracted column, each
    /// time column (schema v3), data, source key (`text[]`) and source update
    /// time (`bigint[]`, unix microseconds, schema v5). A changed row gets the
    /// next row version; an older snapshot of the same source object is not
    /// written.
    pub(crate) upsert: String,
    /// Deletes the ids in `$1::text[]`.
    pub(crate) delete: String,
    /// The records of the ids in `$1::text[]`, in the array's order.
    pub(crate) get: String,
    /// Every record, ordered by id.
    pub(crate) list: String,
    /// The records of customer `$1`, ordered by id (kinds with a customer).
    pub(crate) by_customer: Option<String>,
    /// The records of the customers in `$1::text[]`, ordered by id.
    pub(crate) by_customers: Option<String>,
}

/// Every statement of the store.
#[derive(Debug)]
pub(crate) struct Statements {
    kinds: Vec<KindSql>,
    /// The schema name (a checked identifier).
    pub(crate) schema: String,
    /// Leases and backfill shards.
    pub(crate) shared: crate::shared::SharedSql,
    /// `(key, id)` rows of the keys in `$1::text[]`, ordered by key and id.
    pub(crate) resolve: String,
    /// Adds the `(key, id)` pairs of `$1`, `$2`; existing ones are kept.
    pub(crate) alias_add: String,
    /// Removes the `(key, id)` pairs of `$1`, `$2`.
    pub(crate) alias_remove: String,
    /// Allocations whose payment is in `$1` or whose invoice is in `$2`.
    pub(crate) allocations_for: String,
    /// The invoice ids of the allocations in `$1::text[]`.
    pub(crate) allocation_invoices: String,
    /// Sets checkpoint `$1` to `$2`.
    pub(crate) checkpoint_set: String,
    /// Reads checkpoint `$1`.
    pub(crate) checkpoint_get: String,
    /// Counts a commit that changed records or aliases; returns the count.
    pub(crate) commits_bump: String,
    /// The books-wide commit count.
    pub(crate) commits_get: String,
}

impl Statements {
    /// The statements for schema `s` (an identifier checked by
    /// [`crate::schema::check_name`]).
    pub(crate) fn new(s: &str) -> Statements {
        let kinds = EntityKind::ALL
            .into_iter()
            .map(|kind| {
                let t = format!("{s}.{}", kind.as_str());
                let mut cols: Vec<&str> = columns_of(kind).iter().map(|c| c.name()).collect();
                cols.extend(TimeColumn::ALL.iter().map(|c| c.name()));
                let mut names = vec!["id"];
                names.extend(&cols);
                names.push("data");
                names.push("source_key");
                let mut arrays: Vec<String> =
                    (1..=names.len()).map(|i| format!("${i}::text[]")).collect();
                names.push("source_updated_us");
                arrays.push(format!("${}::bigint[]", names.len()));
                let mut updates: Vec<String> =
                    cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                updates.push("data = excluded.data".into());
                updates.push("source_key = excluded.source_key".into());
                updates.push("source_updated_us = excluded.source_updated_us".into());
                updates.push("row_version = r.row_version + 1".into());
                updates.push("written_at = now()".into());
                KindSql {
                    // The out-of-order guard, in the statement: a snapshot of
                    // the same source object older than the stored one does
                    // not replace it, whatever order concurrent writers
                    // commit in (the row is locked while this is decided);
                    // nor does one without a time (a stub a reference
                    // created, e.g. an invoice's customer).
                    upsert: format!(
                        "INSERT INTO {t} AS r ({}) SELECT * FROM unnest({}) \
                         ON CONFLICT (id) DO UPDATE SET {} \
                         WHERE r.source_key IS DISTINCT FROM excluded.source_key \
                         OR r.source_updated_us IS NULL \
                         OR excluded.source_updated_us >= r.source_updated_us",
                        names.join(", "),
                        arrays.join(", "),
                        updates.join(", ")
                    ),
                    delete: format!("DELETE FROM {t} WHERE id = ANY($1::text[])"),
                    get: format!(
                        "SELECT r.id, r.data FROM unnest($1::text[]) WITH ORDINALITY AS k(id, n) \
                         JOIN {t} AS r ON r.id = k.id ORDER BY k.n"
                    ),
                    list: format!("SELECT id, data FROM {t} ORDER BY id"),
                    by_customer: has_customer(kind).then(|| {
                        format!("SELECT id, data FROM {t} WHERE customer_id = $1 ORDER BY id")
                    }),
                    by_customers: has_customer(kind).then(|| {
                        format!(
                            "SELECT id, data FROM {t} WHERE customer_id = ANY($1::text[]) \
                             ORDER BY id"
                        )
                    }),
                }
            })
            .collect();
        Statements {
            kinds,
            schema: s.to_string(),
            shared: crate::shared::SharedSql::new(s),
            resolve: format!(
                "SELECT key, id FROM {s}.alias WHERE key = ANY($1::text[]) ORDER BY key, id"
            ),
            alias_add: format!(
                "INSERT INTO {s}.alias (key, id) SELECT * FROM unnest($1::text[], $2::text[]) \
                 ON CONFLICT DO NOTHING"
            ),
            alias_remove: format!(
                "DELETE FROM {s}.alias AS a USING unnest($1::text[], $2::text[]) AS d(key, id) \
                 WHERE a.key = d.key AND a.id = d.id"
            ),
            allocations_for: format!(
                "SELECT id, data FROM {s}.allocation \
                 WHERE payment_id = ANY($1::text[]) OR invoice_id = ANY($2::text[]) ORDER BY id"
            ),
            allocation_invoices: format!(
                "SELECT DISTINCT invoice_id FROM {s}.allocation WHERE id = ANY($1::text[])"
            ),
            checkpoint_set: format!(
                "INSERT INTO {s}.checkpoints (stream, position) VALUES ($1, $2) \
                 ON CONFLICT (stream) DO UPDATE SET position = excluded.position, \
                 updated_at = now()"
            ),
            checkpoint_get: format!("SELECT position FROM {s}.checkpoints WHERE stream = $1"),
            commits_bump: format!("UPDATE {s}.commits SET n = n + 1 WHERE id = 1 RETURNING n"),
            commits_get: format!("SELECT n FROM {s}.commits WHERE id = 1"),
        }
    }

    /// The statements of `kind`.
    pub(crate) fn of(&self, kind: EntityKind) -> &KindSql {
        &self.kinds[kind.index()]
    }
}
