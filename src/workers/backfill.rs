//! One backfill, many workers: `Books::backfill_worker` in any number of
//! processes pointed at the same shared books splits the plan's created
//! range into shards recorded in the books, claims them one at a time under
//! a lease, imports each through its own checkpoint stream (pages commit
//! with their checkpoint and renew the lease), takes over a shard whose
//! worker died once its lease ran out, and ends the backfill once, with one
//! history entry holding every shard's counts.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use tieout_core::import::ReviewSummary;
use tieout_core::model::{ImportRun, RunStatus, derive_id};
use tieout_core::plan::Approval;
use tieout_core::store::{ShardClaim, ShardSpec};
use tieout_core::{AccountInfo, CoreError, Entity, EntityKind, ImportPlan, Source};

use super::shards::{Range, split};
use crate::books::Books;
use crate::error::Result;
use crate::import::{ShardRun, checkpoint_stream, guard, merge_counts};

/// Where a backfill without `created_from` starts: 2010-01-01, before any
/// Stripe object was created.
const EARLIEST: i64 = 1_262_304_000;

/// How a backfill is split and named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerOptions {
    /// How many created-date shards the first worker of a backfill splits
    /// the range into (default 16); the others use the split it recorded.
    pub shards: u32,
    /// Tells this backfill from an earlier one of the same plan, which is
    /// recorded as finished: its workers return its run and import nothing
    /// (default: none).
    pub name: Option<String>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            shards: 16,
            name: None,
        }
    }
}

/// What one worker did, and the backfill's run.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerReport {
    /// The worker (see [`Books::holder`]).
    pub worker: String,
    /// The shards this worker imported to their end, by index.
    pub shards: Vec<u32>,
    /// How many shards the backfill has.
    pub shards_total: u32,
    /// The backfill's one history entry: every shard's counts and failures.
    pub run: ImportRun,
}

/// The plan of one shard: the backfill's plan over the shard's range.
fn shard_plan(plan: &ImportPlan, r: Range) -> Result<ImportPlan> {
    let at = |t: i64| -> Result<DateTime<Utc>> {
        Utc.timestamp_opt(t, 0)
            .single()
            .ok_or_else(|| CoreError::Invalid(format!("created time {t} out of range")).into())
    };
    let mut sub = plan.clone();
    sub.created_from = Some(at(r.gte)?);
    sub.created_to = Some(at(r.lte)?);
    Ok(sub)
}

impl Books {
    /// Works on the shared backfill of `plan` from `source` with the default
    /// [`WorkerOptions`]; see [`Books::backfill_worker_with`].
    pub async fn backfill_worker(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        approval: Option<&Approval>,
    ) -> Result<WorkerReport> {
        self.backfill_worker_with(source, plan, approval, &WorkerOptions::default())
            .await
    }

    /// One worker of a backfill shared by any number of processes on books
    /// shared through PostgreSQL. The first worker splits the plan's created
    /// range (`created_from`, else 2010, to `created_to`, else now) into
    /// `options.shards` shards recorded in the books. Each worker claims the
    /// next unfinished shard no live worker holds (`FOR UPDATE SKIP LOCKED`,
    /// with a lease: [`Books::with_leases`]), imports it like
    /// [`Books::import`] (pages commit with their checkpoint and renew the
    /// lease; a resumed shard goes on after its last committed page, with the
    /// counts so far), and claims the next. A shard whose worker died is
    /// taken over once its lease ran out; a worker whose lease was taken over
    /// cannot commit any more. Every worker returns once every shard is
    /// done, with the backfill's one history entry; the worker that finished
    /// the last shard writes it and runs the plan's post-import actions.
    ///
    /// A live source needs `plan.allow_live` and the approval of a review of
    /// this plan, as an import does. Books that live in one process (SQLite,
    /// memory) refuse: import them with [`Books::import`].
    pub async fn backfill_worker_with(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        approval: Option<&Approval>,
        options: &WorkerOptions,
    ) -> Result<WorkerReport> {
        let account = source.verify().await?;
        guard(plan, &account, approval)?;
        let key = format!(
            "{}#backfill:{}{}",
            source.stream(),
            &plan.hash()[..16],
            options
                .name
                .as_deref()
                .map(|n| format!(":{n}"))
                .unwrap_or_default()
        );
        let gte = plan.created_from.map_or(EARLIEST, |t| t.timestamp());
        let lte = plan
            .created_to
            .map_or_else(|| Utc::now().timestamp(), |t| t.timestamp());
        let mut specs = Vec::new();
        for (i, r) in split(gte, lte, options.shards).into_iter().enumerate() {
            specs.push(ShardSpec {
                index: i as u32,
                stream: checkpoint_stream(source, &shard_plan(plan, r)?),
                spec: serde_json::to_string(&r).unwrap_or_default(),
            });
        }
        if specs.is_empty() {
            return Err(CoreError::Invalid(format!(
                "the plan's created range is empty ({gte} > {lte})"
            ))
            .into());
        }
        self.store()?.shards_create(&key, &specs)?;
        let holder = self.sharing.holder.clone();
        let lease = self.sharing.options.lease;
        let mut mine = Vec::new();
        loop {
            let claim = self.store()?.shard_claim(&key, &holder, lease)?;
            let spec = match claim {
                ShardClaim::Claimed(spec) => spec,
                ShardClaim::Wait { expires_in, .. } => {
                    tokio::time::sleep(super::pause(expires_in, lease)).await;
                    continue;
                }
                ShardClaim::Done => break,
            };
            let range: Range = serde_json::from_str(&spec.spec).map_err(|e| {
                CoreError::Store(format!("backfill {key} shard {}: {e}", spec.index))
            })?;
            let shard = ShardRun {
                run_id: derive_id("run", &format!("{key}/shard {}", spec.index)),
            };
            let ran = self
                .import_shard(source, &shard_plan(plan, range)?, &shard)
                .await;
            let run = match ran {
                Ok(run) => run,
                // This worker stalled past its lease and another took the
                // shard over (its commits were refused): on to the next.
                Err(crate::Error::Core(CoreError::Busy { .. })) => continue,
                Err(e) => {
                    // Another worker (or a rerun) goes on from the last
                    // committed page.
                    self.let_go_of_stream(&spec.stream);
                    return Err(e);
                }
            };
            let result = serde_json::to_string(&run)
                .map_err(|e| CoreError::Store(format!("shard run: {e}")))?;
            let last = self
                .store()?
                .shard_finish(&key, spec.index, &holder, &result)?;
            mine.push(spec.index);
            if last {
                let mut run = self.backfill_run(&key, plan, &account)?;
                self.finish_run(plan, &mut run)?;
            }
        }
        let run = match self.get(EntityKind::ImportRun, &backfill_run_id(&key))? {
            Some(Entity::ImportRun(r)) => r,
            _ => {
                // The worker that finished the last shard died before it
                // wrote the run (or is writing it now): the same run.
                let run = self.backfill_run(&key, plan, &account)?;
                self.with_store_mut(|s| {
                    s.commit(tieout_core::ChangeSet {
                        run: Some(run.clone()),
                        ..Default::default()
                    })
                })??;
                run
            }
        };
        Ok(WorkerReport {
            worker: holder,
            shards: mine,
            shards_total: specs.len() as u32,
            run,
        })
    }

    /// The backfill's run: every shard's counts, failures and notes.
    fn backfill_run(
        &self,
        key: &str,
        plan: &ImportPlan,
        account: &AccountInfo,
    ) -> Result<ImportRun> {
        let shards = self.store()?.shards(key)?;
        let mut runs = Vec::with_capacity(shards.len());
        let mut workers = BTreeSet::new();
        for s in &shards {
            let text = s.result.as_deref().ok_or_else(|| {
                CoreError::Store(format!("backfill {key} shard {} is not done", s.spec.index))
            })?;
            let run: ImportRun = serde_json::from_str(text).map_err(|e| {
                CoreError::Store(format!("backfill {key} shard {}: {e}", s.spec.index))
            })?;
            if let Some(h) = &s.holder {
                workers.insert(h.clone());
            }
            runs.push(run);
        }
        let first = runs
            .first()
            .ok_or_else(|| CoreError::NotFound(format!("backfill {key}")))?;
        let mut run = ImportRun {
            id: backfill_run_id(key),
            plan_hash: plan.hash(),
            source: first.source.clone(),
            mode: first.mode.clone(),
            started_at: runs
                .iter()
                .map(|r| r.started_at)
                .min()
                .unwrap_or_else(Utc::now),
            finished_at: Some(Utc::now()),
            status: RunStatus::Succeeded,
            totals: Default::default(),
            by_object: Default::default(),
            failures: Vec::new(),
            notes: vec![format!(
                "backfill of {} created-date shards by {} worker(s): {}",
                runs.len(),
                workers.len(),
                workers.into_iter().collect::<Vec<_>>().join(", ")
            )],
            error: None,
            summary: Some(ReviewSummary::new(plan, account)),
        };
        for r in &runs {
            run.totals.add(&r.totals);
            merge_counts(&mut run.by_object, &r.by_object);
            run.failures.extend(r.failures.iter().cloned());
            for n in &r.notes {
                if !run.notes.contains(n) {
                    run.notes.push(n.clone());
                }
            }
        }
        if run.totals.failed > 0 {
            run.status = RunStatus::PartiallyFailed;
        }
        Ok(run)
    }
}

/// The id of a backfill's history entry.
fn backfill_run_id(key: &str) -> String {
    derive_id("run", &format!("{key}/backfill"))
}
