//! The records a writer read before planning, checked again inside its
//! commit ([`Store::commit_if_unchanged`]): under SQLite's write lock (the
//! commit's `BEGIN IMMEDIATE` transaction) no other connection writes, so
//! what is read here stays until the commit ends.
//!
//! [`Store::commit_if_unchanged`]: tieout_core::Store::commit_if_unchanged

use tieout_core::CoreError;
use tieout_core::store::ReadRecord;
use tieout_core::store::unchanged::first_changed;

use crate::codec;
use crate::error::SqliteError;
use crate::statements::Statements;

/// Refuses (an allocation conflict) when a record of `read` is not stored
/// as it was read.
pub(crate) fn check(
    sql: &Statements,
    tx: &rusqlite::Connection,
    read: &[ReadRecord],
) -> Result<(), SqliteError> {
    let mut failure = None;
    let changed = first_changed(read, |kind, id| {
        let stored = (|| -> Result<Option<_>, SqliteError> {
            let arg = serde_json::to_string(&[id])?;
            let mut stmt = tx.prepare_cached(&sql.of(kind).get)?;
            let mut rows = stmt.query([arg])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            let data: String = row.get(0)?;
            codec::decode(kind, &data)
                .map(Some)
                .map_err(|source| SqliteError::Decode {
                    table: kind.as_str(),
                    source,
                })
        })();
        stored.unwrap_or_else(|e| {
            failure.get_or_insert(e);
            None
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match changed {
        Some(CoreError::Allocation(m)) => Err(SqliteError::Conflict(m)),
        Some(other) => Err(SqliteError::Invalid(other.to_string())),
        None => Ok(()),
    }
}
