//! `SqliteStore`: the books in one SQLite database file.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use rustc_hash::{FxHashMap, FxHashSet};
use tieout_core::model::{ExternalKey, Id};
use tieout_core::store::{ReadRecord, RecordPage, RecordQuery};
use tieout_core::{ChangeSet, Entity, EntityKind, Resolved, Result, Store};

use crate::error::SqliteError;
use crate::rows::RowBuffer;
use crate::statements::{
    ALIAS_ADD, ALIAS_ANY_IN, ALIAS_REMOVE, ALIAS_ROWS, ALLOCATIONS_FOR, CHECKPOINT_GET,
    CHECKPOINT_SET, RESOLVE_ONE, Statements, UPSERT_ROWS, kind_index,
};
use crate::{codec, schema, scratch_allocations, scratch_credit};

/// Page size of new databases, in bytes.
const PAGE_SIZE: i64 = 16_384;

/// Page cache per connection, as SQLite's negative KiB form (32 MiB).
pub(crate) const CACHE_KIB: i64 = -32_768;

/// Page cache of a scratch store (16 MiB): a review's staging file. What it
/// caches is mostly the batch being committed (a few MB) and the B-tree's
/// upper pages; the records read back are spread over a file far larger
/// than any cache (3.5 GB at a million invoices), so they come from the
/// operating system's cache either way, and a review's peak memory carries
/// this cache on top of the books' own.
const SCRATCH_CACHE_KIB: i64 = -16_384;

/// How long a writer waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Durable books in SQLite (WAL mode). Every commit is one `BEGIN IMMEDIATE`
/// transaction: all or nothing.
#[derive(Debug)]
pub struct SqliteStore {
    pub(crate) conn: Connection,
    sql: Statements,
    path: Option<PathBuf>,
    migrated_from: u32,
    fail_next_commit: Option<String>,
    /// How far `PRAGMA data_version` moved for changes of this connection's
    /// own that are not commits (a copy's switch of the journal mode and
    /// back, see `adopt`): [`Store::external_generation`] leaves them out.
    own_versions: i64,
    /// `CREATE INDEX` statements a scratch store put off until something
    /// first reads by customer (see [`SqliteStore::open_scratch`]).
    deferred_indexes: RefCell<Vec<String>>,
    /// A scratch store: its commits go into one transaction, ended by
    /// [`Store::finish`] (or the drop).
    scratch: bool,
    /// A scratch store whose allocations have no index on `id` yet (see
    /// `scratch_allocations.rs`): built before the first read or delete of
    /// an allocation by id.
    allocation_ids_deferred: Cell<bool>,
    /// A scratch store whose customer-credit aliases are logged and not yet
    /// folded into the alias table (see `scratch_credit.rs`): folded before
    /// the first read of one, and when the store finishes.
    credit_log_pending: Cell<bool>,
}

impl SqliteStore {
    /// Opens (creating if needed) the books at `path` and migrates the schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(SqliteError::from)?;
        Ok(Self::init(conn, Some(path.to_path_buf()))?)
    }

    /// Opens (creating) a scratch store at `path`: a file nothing needs
    /// after a crash (a review's staging file), so it keeps no rollback
    /// journal or write-ahead log, never syncs (each page is written once) and
    /// holds its file lock while open: no other connection may open it then.
    /// A failed commit may leave it half written: throw it away then. It has
    /// no indexes for the paged queries' time and status orders (those
    /// queries still answer, by scanning), builds its `(customer_id, id)`
    /// indexes only when something first reads by customer, and keys its
    /// allocations by `(invoice_id, id)`, their `id` index built only when
    /// something first reads or deletes one by id (see
    /// `scratch_allocations.rs`: allocation ids are hashes). Its
    /// customer-credit aliases go to a log, folded into the alias table in
    /// key order before the first read of one and when it finishes (see
    /// `scratch_credit.rs`: that index is keyed by customer).
    ///
    /// Its commits are not transactions of their own: the first opens one
    /// transaction that stays open until [`Store::finish`] (or the drop), so
    /// a page that many commits touch is written when SQLite's cache lets it
    /// go (or at the end), not once per commit; reads see every commit. A
    /// review of 100k invoices wrote 0.69 GB instead of 0.99 GB; of a million
    /// 25.6 GB instead of 28.5 GB, since what is touched all over at that size
    /// no longer fits the cache (the allocations' id index, whose keys are
    /// hashes, is 19 MB there).
    ///
    /// Why the customer indexes wait: records arrive in the source's order,
    /// which is not their customers' order, so every batch inserts into pages
    /// all over those indexes, and each commit writes every page it touched.
    /// At a million invoices that was most of the 66 GB a review wrote for a
    /// 3.9 GB file. Built once, after the inserts, an index is one sorted
    /// pass; planning reads by customer only in policy matching, at the end.
    pub fn open_scratch(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(SqliteError::from)?;
        let mut store = Self::init_as(conn, Some(path.to_path_buf()), true)?;
        // Nothing pages through a scratch store by time or status: the
        // indexes for those orders would only cost every insert.
        let mut drops: String = crate::schema::query_only_indexes()
            .iter()
            .map(|name| format!("DROP INDEX IF EXISTS {name};\n"))
            .collect();
        let mut deferred = Vec::new();
        for (_, name, create) in crate::schema::customer_indexes() {
            drops.push_str(&format!("DROP INDEX IF EXISTS {name};\n"));
            deferred.push(format!("{create};\n"));
        }
        store
            .conn
            .execute_batch(&drops)
            .map_err(SqliteError::from)?;
        *store.deferred_indexes.borrow_mut() = deferred;
        let ids_deferred = scratch_allocations::rekey(&store.conn)?;
        store.allocation_ids_deferred.set(ids_deferred);
        store
            .sql
            .conflict_on(EntityKind::Allocation, scratch_allocations::CONFLICT_TARGET);
        let pending = scratch_credit::open(&store.conn)?;
        store.credit_log_pending.set(pending);
        Ok(store)
    }

    /// Builds the allocations' `id` index that a scratch store put off, once,
    /// before the first read or delete of an allocation by id.
    fn build_allocation_id_index(&self) -> Result<(), SqliteError> {
        if self.allocation_ids_deferred.get() {
            scratch_allocations::build_id_index(&self.conn)?;
            self.allocation_ids_deferred.set(false);
        }
        Ok(())
    }

    /// Folds a scratch store's logged customer-credit aliases into the alias
    /// table, if it logged any since the last fold (see `scratch_credit.rs`).
    fn fold_credit_log(&self) -> Result<(), SqliteError> {
        if self.credit_log_pending.get() {
            scratch_credit::fold(&self.conn)?;
            self.credit_log_pending.set(false);
        }
        Ok(())
    }

    /// Builds the indexes [`SqliteStore::open_scratch`] put off, once, before
    /// the first read that uses them. If building fails, reads by customer
    /// still answer (by scanning) and the error is returned.
    fn build_deferred_indexes(&self) -> Result<(), SqliteError> {
        let pending = std::mem::take(&mut *self.deferred_indexes.borrow_mut());
        if pending.is_empty() {
            return Ok(());
        }
        self.conn.execute_batch(&pending.concat())?;
        Ok(())
    }

    /// Fresh books in memory (lost on drop), for tests and previews.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(SqliteError::from)?;
        Ok(Self::init(conn, None)?)
    }

    fn init(conn: Connection, path: Option<PathBuf>) -> Result<Self, SqliteError> {
        Self::init_as(conn, path, false)
    }

    /// Sets up the connection (a scratch store's when `scratch`: see
    /// [`SqliteStore::open_scratch`]) and migrates its schema.
    fn init_as(
        mut conn: Connection,
        path: Option<PathBuf>,
        scratch: bool,
    ) -> Result<Self, SqliteError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Only takes effect on a new database (before the first table exists):
        // 16 KiB pages hold a dozen ~1.2 KB record rows each: importing 100k
        // invoices runs about a quarter faster than with 4 KiB pages (and 10%
        // faster at 1M, though 4 KiB pages write fewer bytes there).
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        if scratch {
            // Set before the schema is written: creating it through a
            // journal, then leaving the journal, synced the file nine times
            // for every review (its staging file), for nothing a crash
            // would need.
            let _mode: String = conn.query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))?;
            conn.pragma_update(None, "synchronous", "OFF")?;
            conn.pragma_update(None, "cache_size", SCRATCH_CACHE_KIB)?;
            // Only this connection uses the file while it is open: holding
            // its lock spares each transaction taking the file lock again
            // and looking for a hot journal (two system calls a read, before).
            let _locking: String =
                conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0))?;
        } else {
            // In-memory databases answer "memory"; files switch to write-ahead logging.
            let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Plans that do not depend on bound values: without it, the bundled
        // SQLite (built with STAT4) marks a statement's parameters as plan
        // inputs, and every reuse of a cached statement compiles it again
        // (rusqlite clears the bindings when it caches a statement).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.set_prepared_statement_cache_capacity(64);
        let migrated_from = schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn,
            sql: Statements::new(),
            path,
            migrated_from,
            fail_next_commit: None,
            own_versions: 0,
            deferred_indexes: RefCell::new(Vec::new()),
            scratch,
            allocation_ids_deferred: Cell::new(false),
            credit_log_pending: Cell::new(false),
        })
    }

    /// The database file, or `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version recorded in the database's `schema_version` table.
    pub fn schema_version(&self) -> Result<u32> {
        let v = self
            .conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .map_err(SqliteError::from)?;
        Ok(v)
    }

    /// The schema version found when this store was opened (0 for a new
    /// database); equal to [`schema::SCHEMA_VERSION`](crate::SCHEMA_VERSION)
    /// when no migration ran.
    pub fn migrated_from(&self) -> u32 {
        self.migrated_from
    }

    /// Makes the next commit fail with `reason` inside its transaction, after
    /// the records and aliases were written and before the checkpoint, so the
    /// rollback is what keeps the books unchanged (for interruption tests).
    pub fn fail_next_commit(&mut self, reason: &str) {
        self.fail_next_commit = Some(reason.to_string());
    }

    /// Runs `f` inside one read transaction (unless a transaction is already
    /// open), so a batch of lookups takes SQLite's file and WAL locks once
    /// instead of once per statement, and reads one consistent snapshot.
    fn snapshot<T>(&self, f: impl FnOnce() -> Result<T, SqliteError>) -> Result<T, SqliteError> {
        if !self.conn.is_autocommit() {
            return f();
        }
        // Cached statements: a planner reads in many small snapshots.
        self.conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
        let out = f();
        // A read transaction has nothing to keep: end it whatever `f` returned.
        let end = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut st| st.execute([]));
        let out = out?;
        end?;
        Ok(out)
    }

    fn read_records(
        &self,
        kind: EntityKind,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Entity>, SqliteError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let data = row.get_ref(0)?.as_str().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
            })?;
            out.push(codec::decode(kind, data).map_err(|e| SqliteError::Decode {
                table: kind.as_str(),
                source: e,
            })?);
        }
        Ok(out)
    }

    fn commit_inner(&mut self, c: ChangeSet, read: &[ReadRecord]) -> Result<(), SqliteError> {
        self.commit_guarded(c, None, read).map(|_| ())
    }

    /// Commits `c`; with `guard = (stream, position)`, only while the stream
    /// is still at `position` when the write lock is held (else nothing is
    /// written and `false` is returned); and only while the records of
    /// `read` are stored as they were read (else a conflict).
    fn commit_guarded(
        &mut self,
        c: ChangeSet,
        guard: Option<(&str, Option<&str>)>,
        read: &[ReadRecord],
    ) -> Result<bool, SqliteError> {
        let fail = self.fail_next_commit.take();
        let mut c = c;
        if let Some(e) = c.upserts.iter().find(|e| e.id().is_empty()) {
            return Err(SqliteError::Invalid(format!(
                "{} without id",
                e.kind().as_str()
            )));
        }
        in_write_order(&mut c.upserts);
        // Deleting or checking an allocation by id needs its id index.
        let mut kinds_by_id = c
            .deletes
            .iter()
            .map(|(k, _)| *k)
            .chain(read.iter().map(|r| r.kind));
        if kinds_by_id.any(|k| k == EntityKind::Allocation) {
            self.build_allocation_id_index()?;
        }
        let sql = &self.sql;
        let credit_log = self.scratch.then_some(&self.credit_log_pending);
        let apply = |tx: &Connection| -> Result<bool, SqliteError> {
            if let Some((stream, expected)) = guard {
                let now: Option<String> = tx
                    .prepare_cached(CHECKPOINT_GET)?
                    .query_row([stream], |r| r.get(0))
                    .optional()?;
                if now.as_deref() != expected {
                    // Another writer moved it: nothing written (the caller
                    // ends the transaction).
                    return Ok(false);
                }
            }
            crate::unchanged::check(sql, tx, read)?;
            write_changes(sql, tx, c, fail, credit_log)?;
            Ok(true)
        };
        if self.scratch {
            // One transaction for the scratch file's whole life (see
            // `open_scratch`); `finish` or the drop ends it.
            if self.conn.is_autocommit() {
                self.conn.execute_batch("BEGIN IMMEDIATE")?;
            }
            return apply(&self.conn);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let written = apply(&tx)?;
        if written {
            tx.commit()?;
        }
        Ok(written)
    }

    /// Ends a scratch store's transaction: everything committed to it is in
    /// its file (a scratch store keeps one transaction open from its first
    /// commit, see [`SqliteStore::open_scratch`]). Nothing to do for books.
    fn finish_scratch(&mut self) -> Result<(), SqliteError> {
        if self.scratch && !self.conn.is_autocommit() {
            self.fold_credit_log()?;
            self.conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }
}

/// Sorts `upserts` as a commit writes them: grouped by kind, each group in
/// id order (index inserts in key order). The import hands records over that
/// way; anything else is sorted here, stably, so a later upsert of one id
/// still wins.
pub(crate) fn in_write_order(upserts: &mut [Entity]) {
    if !upserts.is_sorted_by(|a, b| write_order(a) <= write_order(b)) {
        upserts.sort_by(|a, b| write_order(a).cmp(&write_order(b)));
    }
}

/// Writes `c` (its upserts [`in_write_order`]) inside the transaction open on
/// `tx`: deletions, upserts (and the run), alias removals and additions, then
/// the checkpoint; with `fail`, fails before the checkpoint (the caller's
/// rollback keeps the books unchanged). With `credit_log` (a scratch
/// store's), customer-credit aliases go to the log instead (see
/// `scratch_credit.rs`), and the flag is set when any did.
pub(crate) fn write_changes(
    sql: &Statements,
    tx: &Connection,
    c: ChangeSet,
    fail: Option<String>,
    credit_log: Option<&Cell<bool>>,
) -> Result<(), SqliteError> {
    let ChangeSet {
        upserts,
        deletes,
        aliases_add,
        aliases_remove,
        checkpoint,
        run,
    } = c;
    for (kind, id) in &deletes {
        tx.prepare_cached(&sql.of(*kind).delete)?.execute([id])?;
    }
    // Each run of one kind through its upsert statements; each record
    // is freed as soon as its row is written.
    let mut rows = RowBuffer::default();
    let mut records = upserts
        .into_iter()
        .chain(run.map(Entity::ImportRun))
        .peekable();
    while let Some(kind) = records.peek().map(Entity::kind) {
        let kind_sql = sql.of(kind);
        in_chunks(
            tx,
            (&kind_sql.upsert_many, UPSERT_ROWS),
            &kind_sql.upsert,
            std::iter::from_fn(|| records.next_if(|e| e.kind() == kind)),
            |stmt, chunk| rows.write(stmt, kind, chunk),
        )?;
    }
    let to_log = |(k, _): &&(ExternalKey, Id)| credit_log.is_some() && scratch_credit::logged(k);
    let (removed_later, aliases_remove): (Vec<_>, Vec<_>) = aliases_remove.iter().partition(to_log);
    let (added_later, aliases_add): (Vec<_>, Vec<_>) = aliases_add.iter().partition(to_log);
    if let Some(pending) = credit_log
        && !(removed_later.is_empty() && added_later.is_empty())
    {
        scratch_credit::log(tx, &removed_later, &added_later)?;
        pending.set(true);
    }
    if !aliases_remove.is_empty() {
        let mut stmt = tx.prepare_cached(ALIAS_REMOVE)?;
        for (k, id) in &aliases_remove {
            stmt.execute((k.joined(), id))?;
        }
    }
    if !aliases_add.is_empty() {
        // In key order, ALIAS_ROWS to a statement.
        let mut adds: Vec<(&str, &str)> = aliases_add
            .iter()
            .map(|(k, id)| (k.joined(), id.as_str()))
            .collect();
        adds.sort_unstable();
        in_chunks(
            tx,
            (&sql.alias_add_many, ALIAS_ROWS),
            ALIAS_ADD,
            adds.into_iter(),
            |stmt, chunk| {
                stmt.execute(rusqlite::params_from_iter(
                    chunk.iter().flat_map(|(k, id)| [*k, *id]),
                ))?;
                Ok(())
            },
        )?;
    }
    if let Some(reason) = fail {
        // Dropping `tx` on this early return rolls every write above back.
        return Err(SqliteError::Injected(reason));
    }
    if let Some((stream, position)) = &checkpoint {
        tx.prepare_cached(CHECKPOINT_SET)?
            .execute((stream, position))?;
    }
    Ok(())
}

/// Where a record goes in a commit's writes: by kind, then id.
fn write_order(e: &Entity) -> (usize, &str) {
    (kind_index(e.kind()), e.id())
}

/// Runs `write` over `items`, taken in order, in chunks of `many.1` with the
/// multi-row statement `many.0`, then over the remainder one at a time with
/// `one` (the same statement for a single row). Each chunk is dropped once
/// written.
fn in_chunks<T>(
    tx: &Connection,
    many: (&str, usize),
    one: &str,
    items: impl Iterator<Item = T>,
    mut write: impl FnMut(&mut rusqlite::Statement<'_>, &[T]) -> Result<(), SqliteError>,
) -> Result<(), SqliteError> {
    let mut chunk: Vec<T> = Vec::with_capacity(many.1);
    let mut stmt = None;
    for item in items {
        chunk.push(item);
        if chunk.len() == many.1 {
            let stmt = match &mut stmt {
                Some(s) => s,
                None => stmt.insert(tx.prepare_cached(many.0)?),
            };
            write(stmt, &chunk)?;
            chunk.clear();
        }
    }
    drop(stmt);
    if !chunk.is_empty() {
        let mut stmt = tx.prepare_cached(one)?;
        for row in chunk.chunks(1) {
            write(&mut stmt, row)?;
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn resolve(&self, keys: &[ExternalKey]) -> Result<Resolved> {
        if keys.is_empty() {
            return Ok(Resolved::default());
        }
        if self.credit_log_pending.get() && keys.iter().any(scratch_credit::logged) {
            self.fold_credit_log()?;
        }
        Ok(self.snapshot(|| {
            let mut out = Resolved::default();
            let empty = empty_namespaces(&self.conn, keys)?;
            // One cached statement probing the alias primary key per key:
            // cheaper than unpacking a JSON array of keys inside SQLite.
            let mut stmt = self.conn.prepare_cached(RESOLVE_ONE)?;
            for key in keys {
                if (!out.is_empty() && out.contains_key(key))
                    || (!empty.is_empty() && empty.contains(namespace(key)))
                {
                    continue;
                }
                let mut rows = stmt.query([key.joined()])?;
                let mut ids: Vec<Id> = Vec::new();
                while let Some(row) = rows.next()? {
                    ids.push(row.get(0)?);
                }
                if !ids.is_empty() {
                    out.insert(key.clone(), ids);
                }
            }
            Ok(out)
        })?)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if kind == EntityKind::Allocation {
            self.build_allocation_id_index()?;
        }
        let arg = serde_json::to_string(ids).map_err(SqliteError::from)?;
        Ok(self.read_records(kind, &self.sql.of(kind).get, [arg])?)
    }

    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        Ok(self.read_records(kind, &self.sql.of(kind).list, [])?)
    }

    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        self.build_deferred_indexes()?;
        match &self.sql.of(kind).by_customer {
            Some(sql) => Ok(self.read_records(kind, sql, [customer_id])?),
            None => Ok(Vec::new()),
        }
    }

    fn list_by_customers(&self, kind: EntityKind, customer_ids: &[Id]) -> Result<Vec<Entity>> {
        self.build_deferred_indexes()?;
        match &self.sql.of(kind).by_customers {
            Some(sql) if !customer_ids.is_empty() => {
                let arg = serde_json::to_string(customer_ids).map_err(SqliteError::from)?;
                Ok(self.read_records(kind, sql, [arg])?)
            }
            _ => Ok(Vec::new()),
        }
    }

    fn query(&self, q: &RecordQuery) -> Result<RecordPage> {
        let cursor = q.validate()?;
        if q.customer_id.is_some() {
            self.build_deferred_indexes()?;
        }
        let page = crate::query::page_sql(q, cursor.as_ref());
        let rows = self.read_records(q.kind, &page.sql, rusqlite::params_from_iter(page.params))?;
        Ok(q.page_of_rows(rows))
    }

    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>> {
        if payment_ids.is_empty() && invoice_ids.is_empty() {
            return Ok(Vec::new());
        }
        let p = serde_json::to_string(payment_ids).map_err(SqliteError::from)?;
        let i = serde_json::to_string(invoice_ids).map_err(SqliteError::from)?;
        Ok(self.read_records(EntityKind::Allocation, ALLOCATIONS_FOR, [p, i])?)
    }

    fn checkpoint(&self, stream: &str) -> Result<Option<String>> {
        let pos = self
            .conn
            .prepare_cached(CHECKPOINT_GET)
            .and_then(|mut s| s.query_row([stream], |r| r.get(0)).optional())
            .map_err(SqliteError::from)?;
        Ok(pos)
    }

    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        Ok(self.commit_inner(changes, &[])?)
    }

    fn commit_if_unchanged(&mut self, changes: ChangeSet, read: &[ReadRecord]) -> Result<()> {
        Ok(self.commit_inner(changes, read)?)
    }

    /// Optimistic: reads the position, builds, and commits only if the
    /// stream did not move meanwhile (checked under SQLite's write lock);
    /// otherwise builds again from the new position.
    fn commit_sequenced(
        &mut self,
        stream: &str,
        build: tieout_core::store::SequencedBuild,
    ) -> Result<Option<String>> {
        loop {
            let last = self.checkpoint(stream)?;
            let changes = build(last.clone())?;
            if self.commit_guarded(changes, Some((stream, last.as_deref())), &[])? {
                return Ok(last);
            }
        }
    }

    fn external_generation(&self) -> Result<Option<u64>> {
        Ok(Some((data_version(&self.conn)? - self.own_versions) as u64))
    }

    fn is_empty(&self) -> Result<bool> {
        self.fold_credit_log()?;
        let empty: bool = self
            .conn
            .query_row(
                &crate::adopt::empty_query("main", EntityKind::ALL.into_iter()),
                [],
                |r| r.get(0),
            )
            .map_err(SqliteError::from)?;
        Ok(empty)
    }

    fn adopts_staged(&self) -> bool {
        self.path.is_some()
    }

    fn adopt_staged(&mut self, staged: &Path, mut tail: ChangeSet) -> Result<bool> {
        let fail = self.fail_next_commit.take();
        in_write_order(&mut tail.upserts);
        Ok(crate::adopt::adopt(
            &mut self.conn,
            &self.sql,
            staged,
            tail,
            fail,
            &mut self.own_versions,
        )?)
    }

    fn inject_commit_failure(&mut self, reason: &str) -> bool {
        self.fail_next_commit(reason);
        true
    }

    fn finish(&mut self) -> Result<()> {
        Ok(self.finish_scratch()?)
    }
}

impl Drop for SqliteStore {
    /// A scratch store dropped without [`Store::finish`] still ends its
    /// transaction (an error then is lost: call `finish` to see it).
    fn drop(&mut self) {
        let _ = self.finish_scratch();
    }
}

/// SQLite's `PRAGMA data_version` of `conn`: it moves when another
/// connection commits (and when this one switches the journal mode).
pub(crate) fn data_version(conn: &Connection) -> Result<i64, SqliteError> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

/// A key's namespace: its joined text up to its external id
/// (`system/account/object/`).
fn namespace(key: &ExternalKey) -> &str {
    let joined = key.joined();
    &joined[..joined.len() - key.external_id().len()]
}

/// The namespaces of `keys` that hold no alias at all, each learned with one
/// range probe, so their keys need none. Most of an import's lookups are for
/// what may have arrived earlier (a payment waiting for its invoice, a credit
/// note for an invoice): on a first import whole namespaces are empty, and
/// one probe per page replaces one per record. Namespaces asked for by a
/// single key are probed directly instead.
fn empty_namespaces<'k>(
    conn: &Connection,
    keys: &'k [ExternalKey],
) -> Result<FxHashSet<&'k str>, SqliteError> {
    let mut asked: FxHashMap<&str, usize> = FxHashMap::default();
    for key in keys {
        *asked.entry(namespace(key)).or_default() += 1;
    }
    let mut empty = FxHashSet::default();
    let mut stmt = conn.prepare_cached(ALIAS_ANY_IN)?;
    for (space, n) in asked {
        if n < 2 {
            continue;
        }
        // Every key starting with `space` (which ends in '/') sorts at or
        // after it and before the same text ending in '0', the next byte.
        let end = format!("{}0", &space[..space.len() - 1]);
        if !stmt.exists([space, end.as_str()])? {
            empty.insert(space);
        }
    }
    Ok(empty)
}
