//! The `Store` trait: where the books live, and the in-memory implementation.

mod changeset;
pub mod columns;
pub mod conformance;
mod memory;
pub mod page_filter;
pub mod query;
mod scaled;
pub mod shared;
pub mod unchanged;
pub mod views;

pub use changeset::ChangeSet;
pub use memory::{MemoryStore, customer_of};
pub use query::{QueryOrder, RecordPage, RecordQuery, TimeRange};
pub use scaled::ScaledStore;
pub use shared::{ShardClaim, ShardSpec, ShardState, StreamClaim};
pub use unchanged::ReadRecord;

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::entity::{Entity, EntityKind};
use std::time::Duration;

use crate::error::{CoreError, Result};
use crate::model::{ExternalKey, Id};

/// Builds the change set of [`Store::commit_sequenced`] from a stream's
/// committed position (`None` before the first).
pub type SequencedBuild = Arc<dyn Fn(Option<String>) -> Result<ChangeSet> + Send + Sync>;

/// What [`Store::resolve`] answers: each alias key that names records, with
/// their ids. Hashed with FxHash, as the import's workspace hashes the same
/// keys: they are ids Stripe issues and keys the books derive from them, and
/// SipHash's resistance to chosen keys cost a resolve more than its lookups.
pub type Resolved = FxHashMap<ExternalKey, Vec<Id>>;

/// Persistent books.
///
/// Reads are batched; `commit` applies a whole [`ChangeSet`] (records, aliases,
/// the source checkpoint and the run entry) atomically: all or nothing.
/// Implementations: [`MemoryStore`] here, `SqliteStore` in `tieout-sqlite`.
pub trait Store: Send {
    /// Resolves alias keys to the ids of the records they name. A key may name
    /// several records (e.g. every payment that links one invoice); keys naming
    /// nothing are absent from the map.
    fn resolve(&self, keys: &[ExternalKey]) -> Result<Resolved>;

    /// Loads records of one kind by id; missing ids are skipped.
    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>>;

    /// Every record of a kind, ordered by id.
    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>>;

    /// Every record of a kind whose `customer_id` is `customer_id`, ordered by id
    /// (invoices, payments, subscriptions).
    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>>;

    /// Every record of a kind whose `customer_id` is any of `customer_ids`,
    /// ordered by id: [`Store::list_by_customer`] for many customers in one
    /// read (an import's policy matching reads every customer holding
    /// credit). The default asks once per customer; the SQL stores answer
    /// with one query.
    fn list_by_customers(&self, kind: EntityKind, customer_ids: &[Id]) -> Result<Vec<Entity>> {
        let mut out = Vec::new();
        for c in customer_ids {
            out.extend(self.list_by_customer(kind, c)?);
        }
        out.sort_by(|a, b| a.id().cmp(b.id()));
        out.dedup_by(|a, b| a.id() == b.id());
        Ok(out)
    }

    /// One page of a filtered query (see [the query module](crate::store::query)
    /// for the filters, the order and the cursor). The default runs [`RecordQuery::page_of`]
    /// over [`Store::list`]; the SQL stores answer from their indexes,
    /// reading one page.
    fn query(&self, q: &RecordQuery) -> Result<RecordPage> {
        q.validate()?;
        q.page_of(self.list(q.kind)?)
    }

    /// Allocations touching any of these payment or invoice ids.
    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>>;

    /// The committed checkpoint of a stream.
    fn checkpoint(&self, stream: &str) -> Result<Option<String>>;

    /// Applies a change set atomically. Takes it by value, so a store can
    /// keep the records it writes without copying them (a bulk commit holds
    /// thousands).
    /// Records of one kind and id later in `upserts` win over earlier ones.
    fn commit(&mut self, changes: ChangeSet) -> Result<()>;

    /// Commits `changes` only if every record of `read` is still stored as
    /// it was read before planning them (absent ones still absent), checked
    /// inside the commit's transaction; otherwise writes nothing and refuses
    /// with [`CoreError::Allocation`] ("changed meanwhile": plan again). A
    /// store shared by several connections checks under its write lock
    /// (SQLite: the `BEGIN IMMEDIATE` transaction; PostgreSQL: the rows and
    /// the invoices of the allocations involved, locked `FOR UPDATE`), so
    /// two writers that read the same record cannot both overwrite it. The
    /// default reads, compares and commits: enough for one connection.
    fn commit_if_unchanged(&mut self, changes: ChangeSet, read: &[ReadRecord]) -> Result<()> {
        if let Some(e) = unchanged::first_changed(read, |kind, id| {
            self.get(kind, &[id.to_string()])
                .ok()
                .and_then(|v| v.into_iter().next())
        }) {
            return Err(e);
        }
        self.commit(changes)
    }

    /// Commits the change set `build` makes from the committed checkpoint
    /// of `stream` (a gap-free sequence such as an invoice number), and
    /// returns the position `build` saw. A store shared by several processes
    /// holds a lock on the stream from the read to the commit (PostgreSQL:
    /// a transaction-scoped advisory lock), so two writers never take the
    /// same next position; `build` may then run more than once (a retried
    /// transaction) and must be a pure function of the position. The
    /// default reads, builds and commits: enough for one process.
    fn commit_sequenced(&mut self, stream: &str, build: SequencedBuild) -> Result<Option<String>> {
        let last = self.checkpoint(stream)?;
        let changes = build(last.clone())?;
        self.commit(changes)?;
        Ok(last)
    }

    /// A number that changes when another connection or process commits to
    /// these books (SQLite's `data_version`); `None` when the store cannot
    /// tell (the default). A review compares it, with the commits made
    /// through its own `Books`, to know the books did not change before it
    /// applies what it reviewed.
    fn external_generation(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Whether the store certainly holds no record and no alias (new books).
    /// Stores that cannot tell cheaply answer `false` (the default). A
    /// review over empty books reads only what it planned itself.
    fn is_empty(&self) -> Result<bool> {
        Ok(false)
    }

    /// Whether [`Store::adopt_staged`] can copy a review's staging file into
    /// these books (`false`, the default, for stores of another kind).
    fn adopts_staged(&self) -> bool {
        false
    }

    /// Copies every record and alias of `staged`, a store file of this
    /// store's own kind that a review committed its planned batches to, into
    /// these books, then commits `tail` (the run and the checkpoint), all in
    /// one transaction. Only into books that hold no record and no alias:
    /// then the copy is exactly what committing the review's batches one by
    /// one would leave. Returns `false`, having written nothing, when the
    /// books are not empty or the store cannot adopt (the default).
    fn adopt_staged(&mut self, _staged: &std::path::Path, _tail: ChangeSet) -> Result<bool> {
        Ok(false)
    }

    /// Ends the transaction a store keeps open across its commits, if it
    /// keeps one (a review's scratch file does, see the SQLite store's
    /// `open_scratch`): a reader of its file after this sees every commit,
    /// and an error here means they may not all be there. Nothing to do for
    /// stores whose commits are each a transaction (the default).
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }

    /// Arms a test fault hook: the next `commit` fails (and must leave nothing
    /// behind). Returns `false` when the store has no such hook (the default).
    fn inject_commit_failure(&mut self, _reason: &str) -> bool {
        false
    }

    /// Claims the import stream `stream` for `holder` for `ttl` (a lease
    /// that every commit with the stream's checkpoint renews, and that fails
    /// such a commit once another holder took the stream over). A holder
    /// that has it already renews it. Stores that live in one process hold
    /// every stream at once (the default).
    fn claim_stream(
        &mut self,
        _stream: &str,
        _holder: &str,
        _ttl: Duration,
    ) -> Result<StreamClaim> {
        Ok(StreamClaim::Held)
    }

    /// Gives up `holder`'s lease on `stream` (nothing when it holds none).
    fn release_stream(&mut self, _stream: &str, _holder: &str) -> Result<()> {
        Ok(())
    }

    /// Records the shards of the shared backfill `backfill`, unless they are
    /// recorded already (the first worker's split stands).
    fn shards_create(&mut self, _backfill: &str, _shards: &[ShardSpec]) -> Result<()> {
        Err(CoreError::Invalid(
            "backfill workers need books shared between processes (PostgreSQL)".into(),
        ))
    }

    /// Claims the first unfinished shard of `backfill` whose stream no live
    /// lease holds (a shard whose worker died is taken over once its lease
    /// ran out), for `holder` for `ttl`.
    fn shard_claim(
        &mut self,
        _backfill: &str,
        _holder: &str,
        _ttl: Duration,
    ) -> Result<ShardClaim> {
        Err(CoreError::Invalid(
            "backfill workers need books shared between processes (PostgreSQL)".into(),
        ))
    }

    /// Marks shard `index` of `backfill` done with its `result`, provided
    /// `holder` still holds its lease (else a [`CoreError::Busy`]), and
    /// releases the lease. Returns `true` for the one call that finished the
    /// last shard.
    fn shard_finish(
        &mut self,
        _backfill: &str,
        _index: u32,
        _holder: &str,
        _result: &str,
    ) -> Result<bool> {
        Err(CoreError::Invalid(
            "backfill workers need books shared between processes (PostgreSQL)".into(),
        ))
    }

    /// The shards of `backfill`, in order (none when it is not recorded).
    fn shards(&self, _backfill: &str) -> Result<Vec<ShardState>> {
        Ok(Vec::new())
    }
}
