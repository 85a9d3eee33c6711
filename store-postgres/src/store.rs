//! `PostgresStore`: the books in one schema of a PostgreSQL database.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use postgres::Row;
use tieout_core::model::{ExternalKey, Id};
use tieout_core::store::{ReadRecord, RecordPage, RecordQuery};
use tieout_core::store::{ShardClaim, ShardSpec, ShardState, StreamClaim};
use tieout_core::{ChangeSet, Entity, EntityKind, Resolved, Result, Store};

use crate::error::PostgresError;
use crate::schema;
use crate::statements::Statements;
use crate::typed;
use crate::worker::Worker;
use crate::writes::Writes;

/// Schema the books live in unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "tieout";

/// How often a commit that hit a serialization failure or a deadlock is
/// retried (the whole transaction, transparently) before the error is
/// reported.
pub const COMMIT_RETRIES: u32 = 5;

/// Durable books shared by any number of processes through PostgreSQL.
/// Every commit is one transaction: all or nothing. Every table lives in one
/// schema ([`DEFAULT_SCHEMA`] unless [`PostgresStore::open_in_schema`] names
/// another), so the books can sit in the host application's database.
#[derive(Debug)]
pub struct PostgresStore {
    worker: Worker,
    sql: Arc<Statements>,
    schema: String,
    migrated_from: u32,
    fail_next_commit: Option<String>,
    /// Streams this store holds a lease on: holder and lease length (ms).
    leases: HashMap<String, (String, i64)>,
    /// Commits through this store that bumped the books-wide counter.
    own_commits: u64,
}

impl PostgresStore {
    /// Opens the books at `url` (`postgres://` or `postgresql://`, any
    /// libpq-style connection string) in schema [`DEFAULT_SCHEMA`], creating
    /// and migrating the schema as needed.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_in_schema(url, DEFAULT_SCHEMA)
    }

    /// Opens the books at `url` in schema `schema` (a lower-case SQL
    /// identifier), creating and migrating it as needed.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<Self> {
        Ok(Self::init(url, schema)?)
    }

    fn init(url: &str, name: &str) -> Result<Self, PostgresError> {
        schema::check_name(name)?;
        let worker = Worker::connect(url)?;
        let owned = name.to_string();
        let migrated_from = worker.run(move |c| schema::migrate(c, &owned))?;
        Ok(PostgresStore {
            worker,
            sql: Arc::new(Statements::new(name)),
            schema: name.to_string(),
            migrated_from,
            fail_next_commit: None,
            leases: HashMap::new(),
            own_commits: 0,
        })
    }

    /// The schema holding the books.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version recorded in the schema's `schema_version` table.
    pub fn schema_version(&self) -> Result<u32> {
        let sql = format!(
            "SELECT COALESCE(MAX(version), 0) FROM {}.schema_version",
            self.schema
        );
        let v: i32 = self
            .worker
            .run(move |c| Ok(c.query_one(&sql, &[])?.get(0)))?;
        Ok(u32::try_from(v).unwrap_or(0))
    }

    /// The schema version found when this store was opened (0 for a new
    /// schema); equal to [`SCHEMA_VERSION`](crate::SCHEMA_VERSION) when no
    /// migration ran.
    pub fn migrated_from(&self) -> u32 {
        self.migrated_from
    }

    /// Makes the next commit fail with `reason` inside its transaction, after
    /// the records and aliases were written and before the checkpoint, so the
    /// rollback is what keeps the books unchanged (for interruption tests).
    pub fn fail_next_commit(&mut self, reason: &str) {
        self.fail_next_commit = Some(reason.to_string());
    }

    /// Runs `f` with the statements and the connection, on the connection
    /// thread.
    fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut postgres::Client, &Statements) -> Result<R, PostgresError> + Send + 'static,
    ) -> Result<R, PostgresError> {
        let sql = Arc::clone(&self.sql);
        self.worker.run(move |c| f(c, &sql))
    }
}

/// Decodes `(id, data)` rows of `kind`.
pub(crate) fn decode(kind: EntityKind, rows: Vec<Row>) -> Result<Vec<Entity>, PostgresError> {
    rows.into_iter()
        .map(|row| {
            let data: &str = row.get(1);
            serde_json::from_str(data)
                .and_then(|v| Entity::from_json(kind, v))
                .map_err(|source| PostgresError::Decode {
                    table: kind.as_str(),
                    id: row.get(0),
                    source,
                })
        })
        .collect()
}

/// Runs `write` in a transaction and commits it, retrying the whole
/// transaction on a serialization failure or deadlock up to
/// [`COMMIT_RETRIES`] times with a short, growing pause.
pub(crate) fn in_transaction<R>(
    client: &mut postgres::Client,
    mut write: impl FnMut(&mut postgres::Transaction<'_>) -> Result<R, PostgresError>,
) -> Result<R, PostgresError> {
    let mut attempt = 0;
    loop {
        let result = client
            .transaction()
            .map_err(PostgresError::from)
            .and_then(|mut tx| {
                let out = write(&mut tx)?;
                tx.commit()?;
                Ok(out)
            });
        match result {
            Err(e) if e.is_retryable() && attempt < COMMIT_RETRIES => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(5 << attempt));
            }
            other => return other,
        }
    }
}

impl Store for PostgresStore {
    fn resolve(&self, keys: &[ExternalKey]) -> Result<Resolved> {
        if keys.is_empty() {
            return Ok(Resolved::default());
        }
        let joined: Vec<String> = keys.iter().map(|k| k.joined().to_string()).collect();
        let rows = self.run(move |c, sql| Ok(typed::query(c, &sql.resolve, &[&joined])?))?;
        let by_text: HashMap<&str, &ExternalKey> = keys.iter().map(|k| (k.joined(), k)).collect();
        let mut out = Resolved::default();
        for row in rows {
            let key: &str = row.get(0);
            if let Some(k) = by_text.get(key) {
                out.entry((*k).clone()).or_default().push(row.get(1));
            }
        }
        Ok(out)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = ids.to_vec();
        let rows = self.run(move |c, sql| Ok(typed::query(c, &sql.of(kind).get, &[&ids])?))?;
        Ok(decode(kind, rows)?)
    }

    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        let rows = self.run(move |c, sql| Ok(typed::query(c, &sql.of(kind).list, &[])?))?;
        Ok(decode(kind, rows)?)
    }

    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        let customer = customer_id.to_string();
        let rows = self.run(move |c, sql| match &sql.of(kind).by_customer {
            Some(q) => Ok(typed::query(c, q, &[&customer])?),
            None => Ok(Vec::new()),
        })?;
        Ok(decode(kind, rows)?)
    }

    fn list_by_customers(&self, kind: EntityKind, customer_ids: &[Id]) -> Result<Vec<Entity>> {
        if customer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let customers = customer_ids.to_vec();
        let rows = self.run(move |c, sql| match &sql.of(kind).by_customers {
            Some(q) => Ok(typed::query(c, q, &[&customers])?),
            None => Ok(Vec::new()),
        })?;
        Ok(decode(kind, rows)?)
    }

    fn query(&self, q: &RecordQuery) -> Result<RecordPage> {
        let cursor = q.validate()?;
        let page = crate::query::page_sql(&self.schema, q, cursor.as_ref());
        let rows = self.run(move |c, _| {
            let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                page.params.iter().map(|p| p as _).collect();
            params.push(&page.limit);
            Ok(c.query(&page.sql, &params)?)
        })?;
        Ok(q.page_of_rows(decode(q.kind, rows)?))
    }

    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>> {
        if payment_ids.is_empty() && invoice_ids.is_empty() {
            return Ok(Vec::new());
        }
        let (p, i) = (payment_ids.to_vec(), invoice_ids.to_vec());
        let rows = self.run(move |c, sql| Ok(typed::query(c, &sql.allocations_for, &[&p, &i])?))?;
        Ok(decode(EntityKind::Allocation, rows)?)
    }

    fn checkpoint(&self, stream: &str) -> Result<Option<String>> {
        let stream = stream.to_string();
        let row =
            self.run(move |c, sql| Ok(typed::query_opt(c, &sql.checkpoint_get, &[&stream])?))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        self.commit_if_unchanged(changes, &[])
    }

    fn commit_if_unchanged(&mut self, changes: ChangeSet, read: &[ReadRecord]) -> Result<()> {
        let fail = self.fail_next_commit.take();
        let mut writes = Writes::from_changes(changes)?;
        writes.fail = fail;
        writes.lease = writes.stream().and_then(|stream| {
            self.leases
                .get(stream)
                .map(|(holder, ms)| (stream.to_string(), holder.clone(), *ms))
        });
        writes.read = read.to_vec();
        let counted = writes.changes_books;
        self.run(move |c, sql| in_transaction(c, |tx| writes.write(tx, sql)))?;
        if counted {
            self.own_commits += 1;
        }
        Ok(())
    }

    /// Takes a transaction-scoped advisory lock on the stream (keyed by the
    /// schema and the stream name), reads its position inside the same
    /// transaction, builds and writes the change set, then commits, which
    /// releases the lock: a second process waits at the lock and then reads
    /// the position the first committed.
    fn commit_sequenced(
        &mut self,
        stream: &str,
        build: tieout_core::store::SequencedBuild,
    ) -> Result<Option<String>> {
        let fail = self.fail_next_commit.take();
        let lock_key = format!("tieout/{}/{stream}", self.schema);
        let stream = stream.to_string();
        let last = self.run(move |c, sql| {
            in_transaction(c, |tx| {
                typed::query(
                    tx,
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    &[&lock_key],
                )?;
                let last: Option<String> =
                    typed::query_opt(tx, &sql.checkpoint_get, &[&stream])?.map(|r| r.get(0));
                let changes = build(last.clone()).map_err(PostgresError::Build)?;
                let mut writes = Writes::from_changes(changes)?;
                writes.fail.clone_from(&fail);
                writes.write(tx, sql)?;
                Ok((last, writes.changes_books))
            })
        })?;
        let (last, counted) = last;
        if counted {
            self.own_commits += 1;
        }
        Ok(last)
    }

    /// The books-wide commit counter (bumped by every writer's commit that
    /// changed records or aliases) less this store's own such commits: it
    /// moves exactly when another connection changed the books.
    fn external_generation(&self) -> Result<Option<u64>> {
        let n: i64 = self.run(|c, sql| {
            let row = typed::query_opt(c, &sql.commits_get, &[])?;
            Ok(row.map_or(0, |r| r.get(0)))
        })?;
        Ok(Some((n as u64).wrapping_sub(self.own_commits)))
    }

    fn claim_stream(&mut self, stream: &str, holder: &str, ttl: Duration) -> Result<StreamClaim> {
        let ms = crate::shared::millis(ttl);
        let (st, h) = (stream.to_string(), holder.to_string());
        let claim = self.run(move |c, sql| {
            in_transaction(c, |tx| crate::shared::claim(tx, sql, &st, &h, ms))
        })?;
        if claim == StreamClaim::Held {
            self.leases
                .insert(stream.to_string(), (holder.to_string(), ms));
        }
        Ok(claim)
    }

    fn release_stream(&mut self, stream: &str, holder: &str) -> Result<()> {
        self.leases.remove(stream);
        let (st, h) = (stream.to_string(), holder.to_string());
        self.run(move |c, sql| in_transaction(c, |tx| crate::shared::release(tx, sql, &st, &h)))?;
        Ok(())
    }

    fn shards_create(&mut self, backfill: &str, shards: &[ShardSpec]) -> Result<()> {
        let (b, shards) = (backfill.to_string(), shards.to_vec());
        self.run(move |c, sql| {
            in_transaction(c, |tx| crate::shared::create(tx, sql, &b, &shards))
        })?;
        Ok(())
    }

    fn shard_claim(&mut self, backfill: &str, holder: &str, ttl: Duration) -> Result<ShardClaim> {
        let ms = crate::shared::millis(ttl);
        let (b, h) = (backfill.to_string(), holder.to_string());
        let claim = self.run(move |c, sql| {
            in_transaction(c, |tx| crate::shared::claim_shard(tx, sql, &b, &h, ms))
        })?;
        if let ShardClaim::Claimed(spec) = &claim {
            self.leases
                .insert(spec.stream.clone(), (holder.to_string(), ms));
        }
        Ok(claim)
    }

    fn shard_finish(
        &mut self,
        backfill: &str,
        index: u32,
        holder: &str,
        result: &str,
    ) -> Result<bool> {
        let (b, h, r) = (backfill.to_string(), holder.to_string(), result.to_string());
        let (last, stream) = self.run(move |c, sql| {
            in_transaction(c, |tx| {
                crate::shared::finish_shard(tx, sql, &b, index, &h, &r)
            })
        })?;
        self.leases.remove(&stream);
        Ok(last)
    }

    fn shards(&self, backfill: &str) -> Result<Vec<ShardState>> {
        let b = backfill.to_string();
        Ok(self.run(move |c, sql| crate::shared::list(c, sql, &b))?)
    }

    fn inject_commit_failure(&mut self, reason: &str) -> bool {
        self.fail_next_commit(reason);
        true
    }
}
