//! Fills the time columns (schema v2) of rows written before they existed,
//! from each record's JSON, with the values the store writes for new rows
//! ([`TimeColumn::key_of`]).

use postgres::Transaction;
use tieout_core::store::columns::TimeColumn;
use tieout_core::{Entity, EntityKind};

use crate::error::PostgresError;

/// Rows read per batch, so the backfill's memory stays bounded.
const BATCH: i64 = 1_000;

/// Sets `created_at`, `due_at` and `updated_at` of every row of every kind
/// in schema `s`.
pub(crate) fn time_columns(tx: &mut Transaction<'_>, s: &str) -> Result<(), PostgresError> {
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        let read = format!("SELECT id, data FROM {s}.{t} WHERE id > $1 ORDER BY id LIMIT $2");
        let write = format!(
            "UPDATE {s}.{t} AS r SET created_at = u.c, due_at = u.d, updated_at = u.u \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(id, c, d, u) \
             WHERE r.id = u.id"
        );
        let mut after = String::new();
        loop {
            let rows = tx.query(&read, &[&after, &BATCH])?;
            let Some(last) = rows.last() else { break };
            after = last.get(0);
            let mut cols: [Vec<Option<String>>; 4] = Default::default();
            for row in &rows {
                let id: String = row.get(0);
                let data: &str = row.get(1);
                let e = serde_json::from_str(data)
                    .and_then(|v| Entity::from_json(kind, v))
                    .map_err(|source| PostgresError::Decode {
                        table: t,
                        id: id.clone(),
                        source,
                    })?;
                cols[0].push(Some(id));
                for (i, c) in TimeColumn::ALL.into_iter().enumerate() {
                    cols[i + 1].push(c.key_of(&e));
                }
            }
            tx.execute(&write, &[&cols[0], &cols[1], &cols[2], &cols[3]])?;
        }
    }
    Ok(())
}
