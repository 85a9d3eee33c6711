//! Fills the time columns (schema v6) of rows written before they existed,
//! from each record's JSON, with the same values the store writes for new
//! rows ([`TimeColumn::key_of`]).

use rusqlite::Transaction;
use tieout_core::EntityKind;

use crate::codec;
use crate::columns::TimeColumn;
use crate::error::SqliteError;

/// Rows read per batch, so the backfill's memory stays bounded.
const BATCH: i64 = 1_000;

/// Sets `created_at`, `due_at` and `updated_at` of every row of every kind.
pub(crate) fn time_columns(tx: &Transaction<'_>) -> Result<(), SqliteError> {
    for kind in EntityKind::ALL {
        let t = kind.as_str();
        let mut read = tx.prepare(&format!(
            "SELECT id, data FROM {t} WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let mut write = tx.prepare(&format!(
            "UPDATE {t} SET created_at = ?2, due_at = ?3, updated_at = ?4 WHERE id = ?1"
        ))?;
        let mut after = String::new();
        loop {
            let rows: Vec<(String, Option<String>)> = read
                .query_map((&after, BATCH), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let Some((last, _)) = rows.last() else { break };
            after = last.clone();
            for (id, data) in rows {
                let Some(data) = data else { continue };
                let e = codec::decode(kind, &data)
                    .map_err(|source| SqliteError::Decode { table: t, source })?;
                let [c, d, u] = TimeColumn::ALL.map(|c| c.key_of(&e));
                write.execute((&id, c, d, u))?;
            }
        }
    }
    Ok(())
}
