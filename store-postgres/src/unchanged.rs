//! The records a writer read before planning, checked again inside its
//! commit's transaction ([`Store::commit_if_unchanged`]): each is locked
//! (`FOR UPDATE`, in id order) and compared with what was read. The
//! invoices of the allocations involved are locked before this (see
//! `caps::agreeing`), and every commit that writes or deletes an allocation
//! locks its invoice first, so an allocation row absent when read cannot be
//! inserted by another writer between this check and the commit.
//!
//! [`Store::commit_if_unchanged`]: tieout_core::Store::commit_if_unchanged

use std::collections::HashMap;

use postgres::Transaction;
use tieout_core::store::ReadRecord;
use tieout_core::store::unchanged::first_changed;
use tieout_core::{CoreError, Entity, EntityKind};

use crate::error::PostgresError;
use crate::statements::Statements;
use crate::store::decode;
use crate::typed;

/// Refuses (an allocation conflict) when a record of `read` is not stored
/// as it was read; locks the rows it finds until the transaction ends.
pub(crate) fn check(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    read: &[ReadRecord],
) -> Result<(), PostgresError> {
    if read.is_empty() {
        return Ok(());
    }
    let mut stored: HashMap<(EntityKind, String), Entity> = HashMap::new();
    for kind in EntityKind::ALL {
        let mut ids: Vec<&str> = read
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        ids.sort_unstable();
        let q = format!(
            "SELECT id, data FROM {}.{} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
            sql.schema,
            kind.as_str()
        );
        for e in decode(kind, typed::query(tx, &q, &[&ids])?)? {
            stored.insert((kind, e.id().to_string()), e);
        }
    }
    match first_changed(read, |kind, id| {
        stored.get(&(kind, id.to_string())).cloned()
    }) {
        Some(CoreError::Allocation(m)) => Err(PostgresError::Allocation(m)),
        Some(other) => Err(PostgresError::Invalid(other.to_string())),
        None => Ok(()),
    }
}
