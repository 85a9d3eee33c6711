//! A change set turned into the rows one commit writes: per kind, parallel
//! column arrays bound to one `INSERT ... SELECT FROM unnest(...)` per chunk.

use std::borrow::Cow;
use std::collections::BTreeSet;

use postgres::Transaction;
use tieout_core::store::ReadRecord;
use tieout_core::store::columns::{TimeColumn, columns_of, value};
use tieout_core::{ChangeSet, Entity, EntityKind};

use crate::error::PostgresError;
use crate::statements::Statements;
use crate::typed::{self, Param};

/// Rows per upsert statement: bounds the size of one statement's arrays.
pub(crate) const UPSERT_ROWS: usize = 5_000;

/// The rows of one upsert statement, all of one kind, as column arrays.
#[derive(Debug)]
struct KindRows {
    kind: EntityKind,
    ids: Vec<String>,
    columns: Vec<Vec<Option<String>>>,
    data: Vec<String>,
    source_keys: Vec<Option<String>>,
    source_updated: Vec<Option<i64>>,
}

/// Everything one commit writes, ready to bind (owned, so a retried
/// transaction writes it again without re-encoding).
#[derive(Debug, Default)]
pub(crate) struct Writes {
    deletes: Vec<(EntityKind, Vec<String>)>,
    upserts: Vec<KindRows>,
    alias_remove: (Vec<String>, Vec<String>),
    alias_add: (Vec<String>, Vec<String>),
    checkpoint: Option<(String, String)>,
    /// Whether the commit changes records or aliases (and so bumps the
    /// books-wide commit counter).
    pub(crate) changes_books: bool,
    /// The lease this commit renews, checking it is still held: the
    /// checkpoint's stream, its holder and the lease's length in ms.
    pub(crate) lease: Option<(String, String, i64)>,
    /// The payments and invoices the commit's allocations name (their caps
    /// are checked in the transaction).
    capped: (BTreeSet<String>, BTreeSet<String>),
    /// The invoices whose derived totals must still agree with their
    /// allocations after the commit if they did before it: those the commit
    /// writes or its allocations name (and, found in the transaction, those
    /// of the allocations it deletes).
    totals: BTreeSet<String>,
    /// The fault hook's reason: fail after the records, before the checkpoint.
    pub(crate) fail: Option<String>,
    /// Records the writer read before planning: the commit is refused when
    /// one changed since (see `unchanged.rs`).
    pub(crate) read: Vec<ReadRecord>,
}

impl Writes {
    /// Encodes a change set. Refuses a record without an id. Records of one
    /// kind and id later in `upserts` win over earlier ones; rows are written
    /// grouped by kind in id order, so concurrent commits lock rows in one
    /// order (no deadlock between two bulk upserts).
    pub(crate) fn from_changes(c: ChangeSet) -> Result<Writes, PostgresError> {
        let ChangeSet {
            upserts,
            deletes,
            aliases_add,
            aliases_remove,
            checkpoint,
            run,
        } = c;
        let changes_books = !(upserts.is_empty()
            && deletes.is_empty()
            && aliases_add.is_empty()
            && aliases_remove.is_empty());
        let mut records: Vec<Entity> = upserts
            .into_iter()
            .chain(run.map(Entity::ImportRun))
            .collect();
        if let Some(e) = records.iter().find(|e| e.id().is_empty()) {
            return Err(PostgresError::Invalid(format!(
                "{} without id",
                e.kind().as_str()
            )));
        }
        // Stable: of equal (kind, id) the later upsert stays last.
        records.sort_by(|a, b| (a.kind().index(), a.id()).cmp(&(b.kind().index(), b.id())));
        let mut last: Vec<Entity> = Vec::with_capacity(records.len());
        for e in records {
            match last.last_mut() {
                Some(prev) if prev.kind() == e.kind() && prev.id() == e.id() => *prev = e,
                _ => last.push(e),
            }
        }
        let mut capped = (BTreeSet::new(), BTreeSet::new());
        let mut totals = BTreeSet::new();
        for e in &last {
            match e {
                Entity::Allocation(a) => {
                    if !a.payment_id.is_empty() {
                        capped.0.insert(a.payment_id.clone());
                    }
                    if !a.invoice_id.is_empty() {
                        capped.1.insert(a.invoice_id.clone());
                        totals.insert(a.invoice_id.clone());
                    }
                }
                Entity::Invoice(inv) => {
                    totals.insert(inv.id.clone());
                }
                _ => {}
            }
        }
        let mut upserts: Vec<KindRows> = Vec::new();
        for e in &last {
            let kind = e.kind();
            let open = upserts
                .last()
                .is_some_and(|r| r.kind == kind && r.ids.len() < UPSERT_ROWS);
            if !open {
                upserts.push(KindRows {
                    kind,
                    ids: Vec::new(),
                    columns: vec![Vec::new(); columns_of(kind).len() + TimeColumn::ALL.len()],
                    data: Vec::new(),
                    source_keys: Vec::new(),
                    source_updated: Vec::new(),
                });
            }
            let rows = upserts.last_mut().expect("pushed above");
            rows.ids.push(e.id().to_string());
            let cols = columns_of(kind);
            for (i, &c) in cols.iter().enumerate() {
                rows.columns[i].push(value(e, c).map(str::to_string));
            }
            for (i, c) in TimeColumn::ALL.into_iter().enumerate() {
                rows.columns[cols.len() + i].push(c.key_of(e));
            }
            rows.data.push(serde_json::to_string(&e.record())?);
            let source = e.source();
            rows.source_keys
                .push(source.map(|s| s.key().joined().to_string()));
            rows.source_updated.push(
                source
                    .and_then(|s| s.updated_at)
                    .map(|t| t.timestamp_micros()),
            );
        }
        let mut by_kind: Vec<(EntityKind, Vec<String>)> = Vec::new();
        for (kind, id) in deletes {
            match by_kind.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, ids)) => ids.push(id),
                None => by_kind.push((kind, vec![id])),
            }
        }
        let split = |pairs: Vec<(tieout_core::model::ExternalKey, String)>| {
            let mut pairs: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, id)| (k.joined().to_string(), id))
                .collect();
            pairs.sort_unstable();
            pairs.into_iter().unzip()
        };
        Ok(Writes {
            deletes: by_kind,
            upserts,
            alias_remove: split(aliases_remove),
            alias_add: split(aliases_add),
            checkpoint,
            changes_books,
            lease: None,
            capped,
            totals,
            fail: None,
            read: Vec::new(),
        })
    }

    /// The stream of the checkpoint this commit writes, if any.
    pub(crate) fn stream(&self) -> Option<&str> {
        self.checkpoint.as_ref().map(|(s, _)| s.as_str())
    }

    /// Writes everything inside `tx` (the caller commits): the lease check,
    /// deletions, upserts, aliases, the checkpoint and the commit counter.
    pub(crate) fn write(
        &self,
        tx: &mut Transaction<'_>,
        sql: &Statements,
    ) -> Result<(), PostgresError> {
        // First, so a commit of a stream taken over writes nothing, and the
        // lease row stays locked (nobody takes it over) until this commits.
        if let Some((stream, holder, ttl_ms)) = &self.lease {
            crate::shared::renew(tx, sql, stream, holder, *ttl_ms)?;
        }
        // The invoices of the allocations this commit deletes, then every
        // invoice whose totals it may change, locked before anything is
        // written (their allocations and totals as the last commit left them).
        let mut totals = Cow::Borrowed(&self.totals);
        for (kind, ids) in &self.deletes {
            if *kind == EntityKind::Allocation {
                for row in typed::query(tx, &sql.allocation_invoices, &[ids])? {
                    let invoice: Option<String> = row.get(0);
                    totals.to_mut().extend(invoice.filter(|i| !i.is_empty()));
                }
            }
        }
        // The invoices of the allocations read before planning too: locked
        // first, like every writer of their allocations locks them.
        for r in &self.read {
            if let Some(Entity::Allocation(a)) = &r.record {
                if !a.invoice_id.is_empty() && !totals.contains(&a.invoice_id) {
                    totals.to_mut().insert(a.invoice_id.clone());
                }
            }
        }
        let agreed = crate::caps::agreeing(tx, sql, &totals)?;
        crate::unchanged::check(tx, sql, &self.read)?;
        for (kind, ids) in &self.deletes {
            typed::query(tx, &sql.of(*kind).delete, &[ids])?;
        }
        for rows in &self.upserts {
            let mut params: Vec<&dyn Param> = Vec::with_capacity(rows.columns.len() + 4);
            params.push(&rows.ids);
            for c in &rows.columns {
                params.push(c);
            }
            params.push(&rows.data);
            params.push(&rows.source_keys);
            params.push(&rows.source_updated);
            typed::query(tx, &sql.of(rows.kind).upsert, &params)?;
        }
        if !self.alias_remove.0.is_empty() {
            typed::query(
                tx,
                &sql.alias_remove,
                &[&self.alias_remove.0, &self.alias_remove.1],
            )?;
        }
        if !self.alias_add.0.is_empty() {
            typed::query(tx, &sql.alias_add, &[&self.alias_add.0, &self.alias_add.1])?;
        }
        crate::caps::check(tx, sql, &self.capped.0, &self.capped.1, &agreed)?;
        if let Some(reason) = &self.fail {
            return Err(PostgresError::Injected(reason.clone()));
        }
        if let Some((stream, position)) = &self.checkpoint {
            typed::query(tx, &sql.checkpoint_set, &[stream, position])?;
        }
        // Last, so the counter row is locked only while this commits.
        if self.changes_books {
            typed::query(tx, &sql.commits_bump, &[])?;
        }
        Ok(())
    }
}
