//! The books' generation: a store wrapper that counts the commits that change
//! records or aliases, so an import can tell the books did not change since
//! a review.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{ExternalKey, Id};
use tieout_core::{ChangeSet, Store};

/// Which state of the books a review saw: the commits made through this
/// `Books` that changed records or aliases, and the store's own counter of
/// other connections' commits (SQLite's `data_version`; `None` when the
/// store has none, e.g. PostgreSQL, where writers elsewhere go unseen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Generation {
    local: u64,
    external: Option<u64>,
}

/// A [`Store`] that bumps a counter on every commit that changes records or
/// aliases (checkpoint- and run-only commits do not change what a plan sees).
pub(crate) struct CountedStore {
    inner: Box<dyn Store>,
    local: Arc<AtomicU64>,
}

impl CountedStore {
    /// Wraps `inner`, counting into `local`.
    pub(crate) fn wrap(inner: Box<dyn Store>, local: Arc<AtomicU64>) -> Box<dyn Store> {
        Box::new(CountedStore { inner, local })
    }
}

/// The generation of `store` (a [`CountedStore`] counting into `local`).
pub(crate) fn generation(store: &dyn Store, local: &AtomicU64) -> tieout_core::Result<Generation> {
    Ok(Generation {
        local: local.load(Ordering::SeqCst),
        external: store.external_generation()?,
    })
}

/// Whether `c` changes records or aliases (what a plan sees).
fn changes_books(c: &ChangeSet) -> bool {
    !(c.upserts.is_empty()
        && c.deletes.is_empty()
        && c.aliases_add.is_empty()
        && c.aliases_remove.is_empty())
}

impl Store for CountedStore {
    fn resolve(&self, keys: &[ExternalKey]) -> tieout_core::Result<tieout_core::Resolved> {
        self.inner.resolve(keys)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> tieout_core::Result<Vec<Entity>> {
        self.inner.get(kind, ids)
    }

    fn list(&self, kind: EntityKind) -> tieout_core::Result<Vec<Entity>> {
        self.inner.list(kind)
    }

    fn list_by_customer(
        &self,
        kind: EntityKind,
        customer_id: &str,
    ) -> tieout_core::Result<Vec<Entity>> {
        self.inner.list_by_customer(kind, customer_id)
    }

    fn list_by_customers(
        &self,
        kind: EntityKind,
        customer_ids: &[Id],
    ) -> tieout_core::Result<Vec<Entity>> {
        self.inner.list_by_customers(kind, customer_ids)
    }

    fn query(
        &self,
        q: &tieout_core::store::RecordQuery,
    ) -> tieout_core::Result<tieout_core::store::RecordPage> {
        self.inner.query(q)
    }

    fn allocations_for(
        &self,
        payment_ids: &[Id],
        invoice_ids: &[Id],
    ) -> tieout_core::Result<Vec<Entity>> {
        self.inner.allocations_for(payment_ids, invoice_ids)
    }

    fn checkpoint(&self, stream: &str) -> tieout_core::Result<Option<String>> {
        self.inner.checkpoint(stream)
    }

    fn commit(&mut self, changes: ChangeSet) -> tieout_core::Result<()> {
        let changes_books = changes_books(&changes);
        self.inner.commit(changes)?;
        if changes_books {
            self.local.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    fn commit_if_unchanged(
        &mut self,
        changes: ChangeSet,
        read: &[tieout_core::store::ReadRecord],
    ) -> tieout_core::Result<()> {
        let changes_books = changes_books(&changes);
        self.inner.commit_if_unchanged(changes, read)?;
        if changes_books {
            self.local.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    fn inject_commit_failure(&mut self, reason: &str) -> bool {
        self.inner.inject_commit_failure(reason)
    }

    fn finish(&mut self) -> tieout_core::Result<()> {
        self.inner.finish()
    }

    fn external_generation(&self) -> tieout_core::Result<Option<u64>> {
        self.inner.external_generation()
    }

    fn is_empty(&self) -> tieout_core::Result<bool> {
        self.inner.is_empty()
    }

    fn adopts_staged(&self) -> bool {
        self.inner.adopts_staged()
    }

    fn adopt_staged(
        &mut self,
        staged: &std::path::Path,
        tail: ChangeSet,
    ) -> tieout_core::Result<bool> {
        let adopted = self.inner.adopt_staged(staged, tail)?;
        if adopted {
            self.local.fetch_add(1, Ordering::SeqCst);
        }
        Ok(adopted)
    }

    fn claim_stream(
        &mut self,
        stream: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> tieout_core::Result<tieout_core::store::shared::StreamClaim> {
        self.inner.claim_stream(stream, holder, ttl)
    }

    fn release_stream(&mut self, stream: &str, holder: &str) -> tieout_core::Result<()> {
        self.inner.release_stream(stream, holder)
    }

    fn shards_create(
        &mut self,
        backfill: &str,
        shards: &[tieout_core::store::shared::ShardSpec],
    ) -> tieout_core::Result<()> {
        self.inner.shards_create(backfill, shards)
    }

    fn shard_claim(
        &mut self,
        backfill: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> tieout_core::Result<tieout_core::store::shared::ShardClaim> {
        self.inner.shard_claim(backfill, holder, ttl)
    }

    fn shard_finish(
        &mut self,
        backfill: &str,
        index: u32,
        holder: &str,
        result: &str,
    ) -> tieout_core::Result<bool> {
        self.inner.shard_finish(backfill, index, holder, result)
    }

    fn shards(
        &self,
        backfill: &str,
    ) -> tieout_core::Result<Vec<tieout_core::store::shared::ShardState>> {
        self.inner.shards(backfill)
    }

    fn commit_sequenced(
        &mut self,
        stream: &str,
        build: tieout_core::store::SequencedBuild,
    ) -> tieout_core::Result<Option<String>> {
        let last = self.inner.commit_sequenced(stream, build)?;
        // A sequenced commit numbers a record: it changes the books.
        self.local.fetch_add(1, Ordering::SeqCst);
        Ok(last)
    }
}
