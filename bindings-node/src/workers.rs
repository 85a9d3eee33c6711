//! `Books#backfillWorker`: one worker of a backfill shared by many processes.

use napi::Env;
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi_derive::napi;

use crate::books::Books;
use crate::plan::{ImportPlanOptions, plan_of};
use crate::records::ImportRun;
use crate::sources::{StripeFiles, StripeSource, source_of};
use crate::task::{rejected, spawn};

/// Options of `Books#backfillWorker`.
#[napi(object, object_to_js = false)]
pub struct BackfillWorkerOptions {
    /// The `approval` token of a review of this plan (live sources).
    pub approval: Option<String>,
    /// Shards the first worker splits the created range into (default 16).
    pub shards: Option<u32>,
    /// Tells a new backfill of the same plan from a finished one.
    pub name: Option<String>,
}

/// What one backfill worker did, and the backfill's run.
#[napi(object, object_from_js = false)]
pub struct WorkerReport {
    /// The worker (host, process and books instance).
    pub worker: String,
    /// The shards this worker imported to their end, by index.
    pub shards: Vec<u32>,
    /// How many shards the backfill has.
    pub shards_total: u32,
    /// The backfill's one history entry: every shard's counts and failures.
    pub run: ImportRun,
}

#[napi]
impl Books {
    /// How these books name themselves as the holder of a stream or shard.
    #[napi(getter)]
    pub fn holder(&self) -> String {
        self.inner.holder().to_string()
    }

    /// One worker of a backfill shared by any number of processes on shared
    /// (PostgreSQL) books: claims the plan's created-date shards one at a
    /// time under a lease, imports each (pages commit with their
    /// checkpoint), takes over a shard whose worker died once its lease ran
    /// out, and resolves once every shard is done, with the backfill's one
    /// history entry. SQLite books reject with `INVALID_ARGUMENT`.
    #[napi(ts_return_type = "Promise<WorkerReport>")]
    pub fn backfill_worker<'env>(
        &self,
        env: &'env Env,
        source: Either<&StripeSource, &StripeFiles>,
        plan: Option<ImportPlanOptions>,
        options: Option<BackfillWorkerOptions>,
    ) -> napi::Result<PromiseRaw<'env, WorkerReport>> {
        let plan = match plan_of(plan.as_ref()) {
            Ok(p) => p,
            Err(e) => return rejected(env, e),
        };
        let books = self.inner.clone();
        let source = source_of(&source);
        let (approval, worker) = match options {
            Some(o) => (
                o.approval.map(|token| tieout::Approval { token }),
                tieout::WorkerOptions {
                    shards: o.shards.unwrap_or(16),
                    name: o.name,
                },
            ),
            None => (None, tieout::WorkerOptions::default()),
        };
        spawn(env, async move {
            let r = books
                .backfill_worker_with(source.as_ref(), &plan, approval.as_ref(), &worker)
                .await?;
            Ok(WorkerReport {
                worker: r.worker.clone(),
                shards: r.shards.clone(),
                shards_total: r.shards_total,
                run: ImportRun::from(&r.run),
            })
        })
    }
}
