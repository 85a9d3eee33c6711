//! `ScaledStore`: a store whose records always carry their currency's scale.

use super::{ChangeSet, RecordPage, RecordQuery, Resolved, Store};
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::model::{AtCurrencyScale, ExternalKey, Id};

/// Wraps any [`Store`] so every record it writes and reads has each amount at
/// its currency's scale ([`crate::money::at_scale`]): USD `0.00`, JPY `5000`,
/// KWD `10.500`. Books written before this rule read back the same way.
///
/// This is the one place amounts get their scale; the facade opens every store
/// through it, so records, reports and exports in every language agree.
pub struct ScaledStore {
    inner: Box<dyn Store>,
}

impl ScaledStore {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Store>) -> Self {
        ScaledStore { inner }
    }
}

fn scaled(mut records: Vec<Entity>) -> Vec<Entity> {
    for r in &mut records {
        r.at_currency_scale();
    }
    records
}

impl Store for ScaledStore {
    fn resolve(&self, keys: &[ExternalKey]) -> Result<Resolved> {
        self.inner.resolve(keys)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        self.inner.get(kind, ids).map(scaled)
    }

    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        self.inner.list(kind).map(scaled)
    }

    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        self.inner.list_by_customer(kind, customer_id).map(scaled)
    }

    fn list_by_customers(&self, kind: EntityKind, customer_ids: &[Id]) -> Result<Vec<Entity>> {
        self.inner.list_by_customers(kind, customer_ids).map(scaled)
    }

    fn query(&self, q: &RecordQuery) -> Result<RecordPage> {
        let mut page = self.inner.query(q)?;
        page.records = scaled(page.records);
        Ok(page)
    }

    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>> {
        self.inner
            .allocations_for(payment_ids, invoice_ids)
            .map(scaled)
    }

    fn checkpoint(&self, stream: &str) -> Result<Option<String>> {
        self.inner.checkpoint(stream)
    }

    fn commit(&mut self, mut changes: ChangeSet) -> Result<()> {
        for r in &mut changes.upserts {
            r.at_currency_scale();
        }
        self.inner.commit(changes)
    }

    fn commit_if_unchanged(
        &mut self,
        mut changes: ChangeSet,
        read: &[super::ReadRecord],
    ) -> Result<()> {
        for r in &mut changes.upserts {
            r.at_currency_scale();
        }
        self.inner.commit_if_unchanged(changes, read)
    }

    fn external_generation(&self) -> Result<Option<u64>> {
        self.inner.external_generation()
    }

    fn adopts_staged(&self) -> bool {
        self.inner.adopts_staged()
    }

    /// The staged records were committed through a `ScaledStore` too (a
    /// review stages through one), so they are at their scale already.
    fn adopt_staged(&mut self, staged: &std::path::Path, mut tail: ChangeSet) -> Result<bool> {
        for r in &mut tail.upserts {
            r.at_currency_scale();
        }
        self.inner.adopt_staged(staged, tail)
    }

    fn is_empty(&self) -> Result<bool> {
        self.inner.is_empty()
    }

    fn inject_commit_failure(&mut self, reason: &str) -> bool {
        self.inner.inject_commit_failure(reason)
    }

    fn finish(&mut self) -> Result<()> {
        self.inner.finish()
    }

    fn commit_sequenced(
        &mut self,
        stream: &str,
        build: super::SequencedBuild,
    ) -> Result<Option<String>> {
        let scale: super::SequencedBuild = std::sync::Arc::new(move |last| {
            let mut changes = build(last)?;
            for r in &mut changes.upserts {
                r.at_currency_scale();
            }
            Ok(changes)
        });
        self.inner.commit_sequenced(stream, scale)
    }

    fn claim_stream(
        &mut self,
        stream: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<super::shared::StreamClaim> {
        self.inner.claim_stream(stream, holder, ttl)
    }

    fn release_stream(&mut self, stream: &str, holder: &str) -> Result<()> {
        self.inner.release_stream(stream, holder)
    }

    fn shards_create(&mut self, backfill: &str, shards: &[super::shared::ShardSpec]) -> Result<()> {
        self.inner.shards_create(backfill, shards)
    }

    fn shard_claim(
        &mut self,
        backfill: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<super::shared::ShardClaim> {
        self.inner.shard_claim(backfill, holder, ttl)
    }

    fn shard_finish(
        &mut self,
        backfill: &str,
        index: u32,
        holder: &str,
        result: &str,
    ) -> Result<bool> {
        self.inner.shard_finish(backfill, index, holder, result)
    }

    fn shards(&self, backfill: &str) -> Result<Vec<super::shared::ShardState>> {
        self.inner.shards(backfill)
    }
}
