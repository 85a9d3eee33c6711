//! What several processes coordinate through: leases on import streams and
//! the shards of a backfill split between workers.
//!
//! Both are rows, changed in short transactions: nothing lives on the
//! session (no session advisory lock), so a transaction-pooling PgBouncer can
//! hand every statement another server connection. A lease is a `leases`
//! row `(stream, holder, expires_at)`; a holder renews it with every commit
//! of the stream, and that commit's first statement checks it still holds it
//! (so a worker that was presumed dead and taken over cannot write). A shard
//! is claimed with `SELECT ... FOR UPDATE SKIP LOCKED` over the shards whose
//! stream has no live lease, and the lease is taken in the same transaction.

use std::time::Duration;

use postgres::Transaction;
use tieout_core::store::{ShardClaim, ShardSpec, ShardState, StreamClaim};

use crate::error::PostgresError;
use crate::statements::Statements;

/// The statements of leases and shards for one schema.
#[derive(Debug)]
pub(crate) struct SharedSql {
    /// Takes or renews lease `$1` for `$2` for `$3` ms, unless another
    /// holder's lease on it is live; returns the holder when taken.
    claim: String,
    /// The holder of lease `$1` and the ms its lease still runs.
    holder: String,
    /// Renews `$2`'s lease `$1` for `$3` ms; returns no row when it holds
    /// none.
    renew: String,
    /// Drops `$2`'s lease `$1`.
    release: String,
    /// Records backfill `$1` unless it exists; returns a row when new.
    backfill_create: String,
    /// Records shards `$2`, `$3`, `$4` (index, stream, spec) of backfill `$1`.
    shards_insert: String,
    /// The first unfinished shard of `$1` whose stream no live lease of
    /// another holder than `$2` holds, locked, skipping locked ones.
    claimable: String,
    /// The first lease to run out of an unfinished shard of `$1`.
    next_expiry: String,
    /// Marks shard `$2` of `$1` done by `$3` with result `$4`.
    finish: String,
    /// Locks backfill `$1` and marks it finished when every shard is done
    /// and it was not finished before; returns a row when it did.
    complete: String,
    /// The shards of `$1` in order, with their live holder.
    list: String,
}

impl SharedSql {
    /// The statements for schema `s`.
    pub(crate) fn new(s: &str) -> SharedSql {
        let ms = "($3::bigint * interval '1 millisecond')";
        let left_ms = "GREATEST(0, (EXTRACT(EPOCH FROM (l.expires_at - now())) * 1000))::bigint";
        SharedSql {
            claim: format!(
                "INSERT INTO {s}.leases AS l (stream, holder, expires_at) \
                 VALUES ($1, $2, now() + {ms}) \
                 ON CONFLICT (stream) DO UPDATE SET holder = excluded.holder, \
                 expires_at = excluded.expires_at, \
                 acquired_at = CASE WHEN l.holder = excluded.holder \
                 THEN l.acquired_at ELSE now() END \
                 WHERE l.holder = excluded.holder OR l.expires_at < now() \
                 RETURNING holder"
            ),
            holder: format!("SELECT l.holder, {left_ms} FROM {s}.leases AS l WHERE l.stream = $1"),
            renew: format!(
                "UPDATE {s}.leases SET expires_at = now() + {ms} \
                 WHERE stream = $1 AND holder = $2 RETURNING stream"
            ),
            release: format!("DELETE FROM {s}.leases WHERE stream = $1 AND holder = $2"),
            backfill_create: format!(
                "INSERT INTO {s}.backfills (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id"
            ),
            shards_insert: format!(
                "INSERT INTO {s}.backfill_shards (backfill, idx, stream, spec) \
                 SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::text[])"
            ),
            claimable: format!(
                "SELECT s.idx, s.stream, s.spec FROM {s}.backfill_shards AS s \
                 LEFT JOIN {s}.leases AS l ON l.stream = s.stream \
                 WHERE s.backfill = $1 AND NOT s.done \
                 AND (l.stream IS NULL OR l.expires_at < now() OR l.holder = $2) \
                 ORDER BY s.idx LIMIT 1 FOR UPDATE OF s SKIP LOCKED"
            ),
            next_expiry: format!(
                "SELECT COALESCE(l.holder, ''), COALESCE({left_ms}, 0) \
                 FROM {s}.backfill_shards AS s \
                 LEFT JOIN {s}.leases AS l ON l.stream = s.stream \
                 WHERE s.backfill = $1 AND NOT s.done \
                 ORDER BY l.expires_at NULLS FIRST LIMIT 1"
            ),
            finish: format!(
                "UPDATE {s}.backfill_shards SET done = true, holder = $3, result = $4 \
                 WHERE backfill = $1 AND idx = $2 AND NOT done"
            ),
            complete: format!(
                "UPDATE {s}.backfills AS b SET finished_at = now() \
                 WHERE b.id = $1 AND b.finished_at IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM {s}.backfill_shards AS s WHERE s.backfill = $1 AND NOT s.done) \
                 RETURNING b.id"
            ),
            list: format!(
                "SELECT s.idx, s.stream, s.spec, s.done, s.result, \
                 COALESCE(s.holder, l.holder) FROM {s}.backfill_shards AS s \
                 LEFT JOIN {s}.leases AS l ON l.stream = s.stream AND l.expires_at >= now() \
                 WHERE s.backfill = $1 ORDER BY s.idx"
            ),
        }
    }
}

/// A lease's length in whole milliseconds (at least one).
pub(crate) fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// Who holds `stream` now and for how long (an empty holder when nobody).
fn holder_of(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    stream: &str,
) -> Result<(String, Duration), PostgresError> {
    Ok(match tx.query_opt(&sql.shared.holder, &[&stream])? {
        Some(row) => (
            row.get(0),
            Duration::from_millis(u64::try_from(row.get::<_, i64>(1)).unwrap_or(0)),
        ),
        None => (String::new(), Duration::ZERO),
    })
}

/// Takes or renews the lease on `stream` for `holder`.
pub(crate) fn claim(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    stream: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<StreamClaim, PostgresError> {
    if tx
        .query_opt(&sql.shared.claim, &[&stream, &holder, &ttl_ms])?
        .is_some()
    {
        return Ok(StreamClaim::Held);
    }
    let (holder, expires_in) = holder_of(tx, sql, stream)?;
    Ok(StreamClaim::Busy { holder, expires_in })
}

/// Renews `holder`'s lease on `stream`, or fails with
/// [`PostgresError::Busy`] naming who holds it now.
pub(crate) fn renew(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    stream: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<(), PostgresError> {
    if crate::typed::query_opt(tx, &sql.shared.renew, &[&stream, &holder, &ttl_ms])?.is_some() {
        return Ok(());
    }
    let (now, _) = holder_of(tx, sql, stream)?;
    Err(PostgresError::Busy {
        what: format!("import stream {stream} (this process's lease on it ran out)"),
        holder: if now.is_empty() {
            "nobody (the lease expired)".into()
        } else {
            now
        },
    })
}

/// Drops `holder`'s lease on `stream`.
pub(crate) fn release(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    stream: &str,
    holder: &str,
) -> Result<(), PostgresError> {
    tx.execute(&sql.shared.release, &[&stream, &holder])?;
    Ok(())
}

/// Records `backfill` and its shards unless it is recorded already.
pub(crate) fn create(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    backfill: &str,
    shards: &[ShardSpec],
) -> Result<(), PostgresError> {
    if tx
        .query_opt(&sql.shared.backfill_create, &[&backfill])?
        .is_none()
    {
        return Ok(());
    }
    let idx: Vec<i32> = shards
        .iter()
        .map(|s| i32::try_from(s.index).unwrap_or(i32::MAX))
        .collect();
    let streams: Vec<&str> = shards.iter().map(|s| s.stream.as_str()).collect();
    let specs: Vec<&str> = shards.iter().map(|s| s.spec.as_str()).collect();
    tx.execute(
        &sql.shared.shards_insert,
        &[&backfill, &idx, &streams, &specs],
    )?;
    Ok(())
}

/// Claims the next shard of `backfill` for `holder` (see
/// [`tieout_core::Store::shard_claim`]).
pub(crate) fn claim_shard(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    backfill: &str,
    holder: &str,
    ttl_ms: i64,
) -> Result<ShardClaim, PostgresError> {
    if let Some(row) = tx.query_opt(&sql.shared.claimable, &[&backfill, &holder])? {
        let spec = ShardSpec {
            index: u32::try_from(row.get::<_, i32>(0)).unwrap_or(0),
            stream: row.get(1),
            spec: row.get(2),
        };
        // The shard row is locked: a concurrent claimer skips it. The lease
        // can still be live if another holder renewed it since the select.
        return Ok(match claim(tx, sql, &spec.stream, holder, ttl_ms)? {
            StreamClaim::Held => ShardClaim::Claimed(spec),
            StreamClaim::Busy { holder, expires_in } => ShardClaim::Wait { holder, expires_in },
        });
    }
    Ok(match tx.query_opt(&sql.shared.next_expiry, &[&backfill])? {
        None => ShardClaim::Done,
        Some(row) => {
            let holder: String = row.get(0);
            ShardClaim::Wait {
                holder: if holder.is_empty() {
                    "a worker claiming it now".into()
                } else {
                    holder
                },
                expires_in: Duration::from_millis(u64::try_from(row.get::<_, i64>(1)).unwrap_or(0)),
            }
        }
    })
}

/// Marks shard `index` done (checking `holder` still holds it), releases its
/// lease and says whether this finished the whole backfill (and the shard's
/// stream).
pub(crate) fn finish_shard(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    backfill: &str,
    index: u32,
    holder: &str,
    result: &str,
) -> Result<(bool, String), PostgresError> {
    let idx = i32::try_from(index).unwrap_or(i32::MAX);
    let stream: Option<String> = tx
        .query_opt(
            &format!(
                "SELECT stream FROM {}.backfill_shards WHERE backfill = $1 AND idx = $2",
                sql.schema
            ),
            &[&backfill, &idx],
        )?
        .map(|r| r.get(0));
    let Some(stream) = stream else {
        return Err(PostgresError::Invalid(format!(
            "backfill {backfill} has no shard {index}"
        )));
    };
    renew(tx, sql, &stream, holder, 1)?;
    tx.execute(&sql.shared.finish, &[&backfill, &idx, &holder, &result])?;
    release(tx, sql, &stream, holder)?;
    // Lock the backfill row: of two workers finishing the last two shards at
    // once, the second to get here sees the first's shard done.
    tx.execute(
        &format!(
            "SELECT 1 FROM {}.backfills WHERE id = $1 FOR UPDATE",
            sql.schema
        ),
        &[&backfill],
    )?;
    let last = tx.query_opt(&sql.shared.complete, &[&backfill])?.is_some();
    Ok((last, stream))
}

/// The shards of `backfill`, in order.
pub(crate) fn list(
    client: &mut postgres::Client,
    sql: &Statements,
    backfill: &str,
) -> Result<Vec<ShardState>, PostgresError> {
    Ok(client
        .query(&sql.shared.list, &[&backfill])?
        .into_iter()
        .map(|row| ShardState {
            spec: ShardSpec {
                index: u32::try_from(row.get::<_, i32>(0)).unwrap_or(0),
                stream: row.get(1),
                spec: row.get(2),
            },
            done: row.get(3),
            result: row.get(4),
            holder: row.get(5),
        })
        .collect())
}
