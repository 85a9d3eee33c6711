//! Review and import: one code path; an import only adds the commits.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tieout_core::import::{
    PageOutcome, Planner, Review, ReviewAllocations, ReviewEntries, ReviewRemovals, ReviewSummary,
    WorkState, Workspace,
};
use tieout_core::model::{Counts, ImportRun, RunStatus, derive_id};
use tieout_core::plan::Approval;
use tieout_core::{AccountInfo, CoreError, FetchScope, ImportPlan, Source};

use crate::books::Books;
use crate::error::{Error, Result};
use crate::review_spill::{Builder, Identity, Replay, Reviewed};

use crate::progress::{ImportProgress, Progress};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode<'a> {
    Review,
    Apply(Option<&'a Approval>),
    /// One shard of a shared backfill (see `workers::backfill`): applied
    /// like an import, but its run (counts so far) lives in the checkpoint,
    /// not in the history, so a worker taking the shard over goes on with it.
    Shard(&'a ShardRun),
}

/// The identity of a backfill shard's import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShardRun {
    /// The shard run's id (derived from the backfill and the shard).
    pub(crate) run_id: String,
}

/// Where an interrupted import resumes: stored with every page.
#[derive(Serialize, Deserialize)]
pub(crate) struct Resume {
    pub(crate) run: String,
    pub(crate) position: String,
    /// Set when the page was committed by applying a review's batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reviewed: Option<Reviewed>,
    /// A backfill shard's run so far (committed with its pages, so the
    /// counts stay exact when another worker takes the shard over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shard: Option<Box<ImportRun>>,
}

/// Whether `saved` (a stream's checkpoint) is an unfinished run to resume.
pub(crate) fn resumes(saved: Option<&str>) -> bool {
    saved
        .and_then(|s| serde_json::from_str::<Resume>(s).ok())
        .is_some_and(|r| !r.position.is_empty())
}

pub(crate) fn checkpoint_stream(source: &dyn Source, plan: &ImportPlan) -> String {
    format!("{}#plan:{}", source.stream(), &plan.hash()[..16])
}

/// What the source is asked for: the plan's object scopes in import order
/// ([`tieout_core::ObjectScope::ALL`], whatever order the plan lists them in), its
/// created range and invoice statuses.
fn fetch_scope(plan: &ImportPlan) -> FetchScope {
    let mut objects = plan.objects.clone();
    objects.sort_by_key(|s| s.import_rank());
    objects.dedup();
    FetchScope {
        objects,
        created_gte: plan.created_from.map(|t| t.timestamp()),
        created_lte: plan.created_to.map(|t| t.timestamp()),
        invoice_statuses: plan
            .invoice_statuses
            .iter()
            .map(|s| s.as_str().to_string())
            .filter(|s| s != "partially_paid")
            .collect(),
    }
}

/// Refuses an apply that the plan and approval do not allow.
pub(crate) fn guard(
    plan: &ImportPlan,
    account: &AccountInfo,
    approval: Option<&Approval>,
) -> Result<()> {
    if account.livemode {
        if !plan.allow_live {
            return Err(CoreError::ApprovalRequired(
                "the source is a live account: set allow_live on the plan, review it, and pass the review's approval".into(),
            )
            .into());
        }
        match approval {
            Some(a) if a.covers(plan, account) => {}
            Some(_) => {
                return Err(CoreError::ApprovalRequired(
                    "the approval does not match this plan and account; review the plan again"
                        .into(),
                )
                .into());
            }
            None => {
                return Err(CoreError::ApprovalRequired(
                    "a live import needs the approval of a review of this exact plan".into(),
                )
                .into());
            }
        }
    } else if let Some(a) = approval {
        if !a.covers(plan, account) {
            return Err(CoreError::ApprovalRequired(
                "the approval does not match this plan and account; review the plan again".into(),
            )
            .into());
        }
    }
    Ok(())
}

pub(crate) fn merge_counts(into: &mut BTreeMap<String, Counts>, from: &BTreeMap<String, Counts>) {
    for (k, v) in from {
        into.entry(k.clone()).or_default().add(v);
    }
}

impl Books {
    /// Runs the whole import without writing anything and returns every planned
    /// change, the allocations it would make, totals, and an approval token.
    pub async fn review(&self, source: &dyn Source, plan: &ImportPlan) -> Result<Review> {
        self.review_with(source, plan, None).await
    }

    /// [`Books::review`] with a progress callback.
    pub async fn review_with(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        progress: Option<Progress<'_>>,
    ) -> Result<Review> {
        // Read before listing, like an import; the import that applies this
        // review keeps it.
        let stream = checkpoint_stream(source, plan);
        let reported = self.balance_before_import(source, plan, &stream).await?;
        match self.run(source, plan, Mode::Review, progress).await? {
            Outcome::Review(r) => {
                if let Some(spill) = self.reviews.get(&r.approval.token) {
                    spill.set_reported(reported);
                }
                Ok(*r)
            }
            Outcome::Run(_) => Err(CoreError::Invalid("review produced a run".into()).into()),
        }
    }

    /// Imports: the same path as [`Books::review`], committing each page with
    /// its checkpoint. A live source needs `plan.allow_live` and the approval of
    /// a review of this exact plan.
    pub async fn import(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        approval: Option<&Approval>,
    ) -> Result<ImportRun> {
        self.import_with(source, plan, approval, None).await
    }

    /// [`Books::import`] with a progress callback.
    pub async fn import_with(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        approval: Option<&Approval>,
        progress: Option<Progress<'_>>,
    ) -> Result<ImportRun> {
        let stream = checkpoint_stream(source, plan);
        // A reviewed import that applies the review keeps what was read
        // before the review listed; one that plans again, what is read now.
        let reviewed = approval
            .and_then(|a| self.reviews.get(&a.token))
            .and_then(|s| s.reported());
        let fresh = self.balance_before_import(source, plan, &stream).await?;
        // One import of a stream at a time, across processes (shared books).
        self.hold_stream(&stream).await?;
        let ran = self
            .run(source, plan, Mode::Apply(approval), progress)
            .await;
        self.let_go_of_stream(&stream);
        match ran? {
            Outcome::Run(mut r) => {
                let replayed = r
                    .notes
                    .iter()
                    .any(|n| n.starts_with(crate::review_spill::REPLAYED));
                let reported = match reviewed {
                    Some(before_review) if replayed => before_review,
                    _ => fresh,
                };
                self.keep_reported_balances(&mut r, reported)?;
                Ok(*r)
            }
            Outcome::Review(_) => Err(CoreError::Invalid("import produced a review".into()).into()),
        }
    }

    async fn run(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        mode: Mode<'_>,
        progress: Option<Progress<'_>>,
    ) -> Result<Outcome> {
        let account = source.verify().await?;
        if let Mode::Apply(approval) = mode {
            guard(plan, &account, approval)?;
        }
        for name in &plan.post_actions {
            if self.action(name).is_none() {
                return Err(CoreError::Invalid(format!(
                    "post-import action {name} is not registered"
                ))
                .into());
            }
        }
        let apply = matches!(mode, Mode::Apply(_) | Mode::Shard(_));
        // A shard's run goes to the history only as part of its backfill's.
        let shard = match mode {
            Mode::Shard(s) => Some(s),
            _ => None,
        };
        // An import keeps counts and failures in its run; only a review lists entries.
        let planner = Planner::new(plan).with_entries(!apply);
        let (cached, aliases) = cache_bound(self.commit_batch());
        let mut state = WorkState::with_cache_bound(cached, aliases);
        {
            let store = self.store()?;
            let mut ws = Workspace::new(store.as_ref(), &mut state);
            tieout_core::import::customers::check_fixed_customer(plan, &mut ws)?;
        }
        let stream = checkpoint_stream(source, plan);
        let scope = fetch_scope(plan);
        let now = Utc::now();
        let mut run = ImportRun {
            id: match shard {
                Some(s) => s.run_id.clone(),
                None => derive_id(
                    "run",
                    &format!("{stream}/{}", now.timestamp_nanos_opt().unwrap_or(0)),
                ),
            },
            plan_hash: plan.hash(),
            source: format!("{}:{}", account.system, account.account),
            mode: if account.livemode { "live" } else { "test" }.into(),
            started_at: now,
            finished_at: None,
            status: RunStatus::Running,
            totals: Counts::default(),
            by_object: BTreeMap::new(),
            failures: Vec::new(),
            notes: Vec::new(),
            error: None,
            summary: Some(ReviewSummary::new(plan, &account)),
        };
        let mut position: Option<String> = None;
        if apply
            && account.system == "stripe"
            && self.default_account()?.is_none()
            && account.account.starts_with("acct_")
        {
            self.set_default_account(&account.account)?;
        }
        let mut replayed = false;
        if let Mode::Apply(Some(approval)) = mode {
            let saved = self.resume_point(&stream)?.and_then(|r| r.reviewed);
            match self.apply_reviewed(approval, &stream, saved.as_ref(), &mut run, progress)? {
                Replay::Done => replayed = true,
                Replay::Plan => {}
            }
        }
        if apply && !replayed {
            if let Some(r) = self.resume_point(&stream)? {
                if let (Some(_), Some(saved)) = (shard, r.shard.filter(|s| s.id == run.id)) {
                    if r.position.is_empty() {
                        // The shard was imported to its end (the worker
                        // died before recording that): its run stands.
                        let mut saved = saved;
                        saved.finished_at = saved.finished_at.or(Some(Utc::now()));
                        saved.status = if saved.totals.failed > 0 {
                            RunStatus::PartiallyFailed
                        } else {
                            RunStatus::Succeeded
                        };
                        return Ok(Outcome::Run(saved));
                    }
                    run.totals = saved.totals;
                    run.by_object = saved.by_object;
                    run.failures = saved.failures;
                    run.started_at = saved.started_at;
                }
                if !r.position.is_empty() {
                    run.notes.push(if source.tails() {
                        format!("continued from the cursor run {} left", r.run)
                    } else {
                        format!("resumed run {} from its last committed page", r.run)
                    });
                    position = Some(r.position);
                }
            }
        }
        // A review commits its batches to a staging store over the books and
        // logs them and its entries (see `review_spill`).
        let mut spill = if apply {
            None
        } else {
            Some(Builder::create()?)
        };
        let generation = {
            let store = self.store()?;
            self.generation(store.as_ref())?
        };
        let mut review = Review {
            account: account.clone(),
            plan_hash: plan.hash(),
            summary: ReviewSummary::new(plan, &account),
            approval: Approval::for_plan(plan, &account),
            entries: ReviewEntries::default(),
            allocations: ReviewAllocations::default(),
            allocations_removed: ReviewRemovals::default(),
            counts: BTreeMap::new(),
            totals: BTreeMap::new(),
            failures: Vec::new(),
            notes: Vec::new(),
            collection_cases: None,
        };
        let mut done: u64 = 0;
        let mut pages: u64 = 0;
        let mut failures: u64 = 0;
        let mut touched = crate::reconcile::Touched::new(position.is_some()); // reconcile: match on import
        // Planned pages not committed yet (see `CommitBatch`).
        let batch = self.commit_batch();
        let mut pending: usize = 0;
        let mut last_commit = Instant::now();
        loop {
            if replayed {
                break; // the reviewed changes are applied: nothing to fetch
            }
            let page = match source.next_page(&scope, position.as_deref()).await {
                Ok(p) => p,
                Err(e) => {
                    if apply {
                        // Keep what was planned: the pages before the failure commit.
                        let mut failure = e.to_string();
                        if pending > 0 {
                            let at = position.clone().unwrap_or_default();
                            if let Err(c) =
                                self.commit_pending(&mut state, &run, &stream, at, shard.is_some())
                            {
                                failure =
                                    format!("{failure}; and the pending pages did not commit: {c}");
                            }
                        }
                        self.fail_in(shard.is_some(), &mut run, &failure);
                    }
                    return Err(e.into());
                }
            };
            done += page.items.len() as u64;
            let records = page.items.len();
            let finished = page.done;
            let notes = page.notes.clone();
            let planned = match spill.as_mut() {
                Some(b) => {
                    let layered = b.layered(&self.store)?;
                    planner.plan_page(&mut Workspace::new(&layered, &mut state), page.items)
                }
                None => {
                    let store = self.store()?;
                    planner.plan_page(&mut Workspace::new(store.as_ref(), &mut state), page.items)
                }
            };
            let mut outcome = match planned {
                Ok(o) => o,
                Err(e) => {
                    if apply {
                        self.fail_in(shard.is_some(), &mut run, &e.to_string());
                    }
                    return Err(e.into());
                }
            };
            pages += 1;
            failures += outcome.failures.len() as u64;
            position = Some(page.checkpoint);
            touched.note(&mut outcome); // reconcile: match on import
            pending += records;
            if apply {
                fold(&mut run, &outcome, &notes);
            } else if let Some(b) = spill.as_mut() {
                if let Some(total) = page.total_hint {
                    b.expect(total);
                }
                b.entries(&std::mem::take(&mut outcome.entries))?;
                let meta = b.pending();
                merge_counts(&mut meta.counts, &outcome.counts);
                meta.failures.extend(outcome.failures.iter().cloned());
                meta.notes.extend(notes.iter().cloned());
                // The planner's own notes (e.g. a truncated line list) too.
                meta.notes.extend(outcome.notes.iter().cloned());
                meta.records += records as u64;
                meta.pages += 1;
                meta.total = page.total_hint;
                // Allocation changes by id, in the spill (pages may change one twice).
                b.allocations(&outcome.settle.upserted, &outcome.settle.removed)?;
                collect(&mut review, outcome, notes);
            }
            let keep_going = match progress {
                Some(p) => {
                    let now = ImportProgress {
                        records: done,
                        total: page.total_hint,
                        pages,
                        failures,
                    };
                    p(&now) || finished
                }
                None => true,
            };
            let due = finished
                || !keep_going
                || pending >= batch.records
                || last_commit.elapsed() >= batch.interval;
            let at = if finished && !source.tails() {
                String::new()
            } else {
                position.clone().unwrap_or_default()
            };
            if let (Some(b), true) = (spill.as_mut(), due) {
                let cs = Workspace::new(&b.layered(&self.store)?, &mut state).take_changes();
                b.cut(&self.store, cs, Some(at))?;
                state.committed();
                pending = 0;
                last_commit = Instant::now();
            } else if apply && due {
                if let Err(e) = self.commit_pending(&mut state, &run, &stream, at, shard.is_some())
                {
                    self.fail_in(shard.is_some(), &mut run, &e.to_string());
                    return Err(e);
                }
                pending = 0;
                last_commit = Instant::now();
            }
            if !keep_going {
                if apply {
                    self.fail_in(shard.is_some(), &mut run, "interrupted");
                }
                return Err(Error::Interrupted { pages });
            }
            if finished {
                break;
            }
        }
        if let Some(b) = spill.as_mut() {
            let layered = b.layered(&self.store)?;
            let mut ws = Workspace::new(&layered, &mut state);
            if let Some(m) = touched.match_unapplied(&layered, &mut ws, plan)? {
                let cs = ws.take_changes();
                if !cs.is_empty() {
                    if !m.upserted.is_empty() {
                        b.pending().notes.push(format!(
                            "policy matching made or changed {} allocation(s)",
                            m.upserted.len()
                        ));
                    }
                    b.cut(&self.store, cs, None)?;
                }
                b.allocations(&m.upserted, &[])?;
            }
            // The cases the `collection_cases` action would open over the
            // books as this import leaves them (the same planning it commits).
            if self.runs_builtin_cases(plan) {
                review.collection_cases = Some(crate::collect::case_opening(
                    &b.layered(&self.store)?,
                    &Default::default(),
                    &Default::default(),
                    now,
                )?);
            }
        }
        // ---- reconcile: policy matching on import (src/reconcile.rs owns this block) ----
        if apply && !replayed {
            let mut store = self.store()?;
            let mut ws = Workspace::new(store.as_ref(), &mut state);
            let matched = touched.match_unapplied(store.as_ref(), &mut ws, plan);
            match matched {
                Ok(Some(m)) if apply => {
                    let cs = ws.take_changes();
                    if let Err(e) = crate::reconcile::commit_if_any(store.as_mut(), cs) {
                        drop(store);
                        self.fail_in(shard.is_some(), &mut run, &e.to_string());
                        return Err(e);
                    }
                    state.committed();
                    if !m.upserted.is_empty() {
                        run.notes.push(format!(
                            "policy matching made or changed {} allocation(s)",
                            m.upserted.len()
                        ));
                    }
                }
                // A review matched above, into its spill.
                Ok(Some(_)) => {}
                Ok(None) => {}
                Err(e) => {
                    drop(store);
                    if apply {
                        self.fail_in(shard.is_some(), &mut run, &e.to_string());
                    }
                    return Err(e);
                }
            }
        }
        // ---- end reconcile block ----
        if !apply {
            if let Some(b) = spill {
                let spilled = b.finish(Identity {
                    token: review.approval.token.clone(),
                    stream: stream.clone(),
                    generation,
                })?;
                self.reviews.register(&spilled);
                review.allocations_removed = ReviewRemovals::Paged(spilled.clone());
                review.allocations = ReviewAllocations::Paged(spilled.clone());
                review.entries = ReviewEntries::Paged(spilled);
            }
            return Ok(Outcome::Review(Box::new(review)));
        }
        run.finished_at = Some(Utc::now());
        run.status = if run.totals.failed > 0 {
            RunStatus::PartiallyFailed
        } else {
            RunStatus::Succeeded
        };
        if shard.is_some() {
            return Ok(Outcome::Run(Box::new(run)));
        }
        self.finish_run(plan, &mut run)?;
        Ok(Outcome::Run(Box::new(run)))
    }

    /// Saves a finished run to the history, brings the collection cases up
    /// to date and runs the plan's post-import actions.
    pub(crate) fn finish_run(&self, plan: &ImportPlan, run: &mut ImportRun) -> Result<()> {
        self.save_run(run)?;
        self.sync_collection_cases(Utc::now())?;
        for name in &plan.post_actions {
            if let Some(action) = self.action(name) {
                if let Err(reason) = action(self, run) {
                    run.notes
                        .push(format!("post-import action {name} failed: {reason}"));
                    self.save_run(run)?;
                    return Err(Error::Action {
                        name: name.clone(),
                        reason,
                    });
                }
                run.notes.push(format!("post-import action {name} ran"));
            }
        }
        if !plan.post_actions.is_empty() {
            self.save_run(run)?;
        }
        Ok(())
    }

    /// Imports one shard of a shared backfill: `plan` is the shard's part of
    /// the backfill's plan (approved as a whole by the caller); its stream's
    /// lease was claimed with the shard.
    pub(crate) async fn import_shard(
        &self,
        source: &dyn Source,
        plan: &ImportPlan,
        shard: &ShardRun,
    ) -> Result<ImportRun> {
        match self.run(source, plan, Mode::Shard(shard), None).await? {
            Outcome::Run(r) => Ok(*r),
            Outcome::Review(_) => {
                Err(CoreError::Invalid("a shard produced a review".into()).into())
            }
        }
    }

    /// Commits the planned changes of the pending pages with the checkpoint
    /// after the last of them and the run so far, in one transaction. After
    /// a failure nothing of them is written and the planned state is dropped.
    fn commit_pending(
        &self,
        state: &mut WorkState,
        run: &ImportRun,
        stream: &str,
        position: String,
        shard: bool,
    ) -> Result<()> {
        let mut store = self.store()?;
        let mut cs = Workspace::new(store.as_ref(), state).take_changes();
        let resume = Resume {
            run: run.id.clone(),
            position,
            reviewed: None,
            shard: shard.then(|| Box::new(run.clone())),
        };
        cs.checkpoint = Some((
            stream.to_string(),
            serde_json::to_string(&resume).unwrap_or_default(),
        ));
        if !shard {
            cs.run = Some(run.clone());
        }
        if let Err(e) = store.commit(cs) {
            state.discard();
            return Err(e.into());
        }
        state.committed();
        Ok(())
    }

    /// The checkpoint of `stream` as an interrupted import left it.
    fn resume_point(&self, stream: &str) -> Result<Option<Resume>> {
        Ok(self
            .store()?
            .checkpoint(stream)?
            .and_then(|saved| serde_json::from_str::<Resume>(saved.as_str()).ok()))
    }

    /// Writes a run entry to the history on its own.
    fn save_run(&self, run: &ImportRun) -> Result<()> {
        let cs = tieout_core::ChangeSet {
            run: Some(run.clone()),
            ..tieout_core::ChangeSet::default()
        };
        self.store()?.commit(cs)?;
        Ok(())
    }

    /// Records a run's failure in the history (best effort: the store may be
    /// the problem); a backfill shard's only in the run it returns (its
    /// backfill goes on with another worker).
    fn fail_in(&self, shard: bool, run: &mut ImportRun, error: &str) {
        if shard {
            run.status = RunStatus::Failed;
            run.error = Some(error.to_string());
        } else {
            self.fail_run(run, error);
        }
    }

    /// Records a run's failure in the history (best effort: the store may be the problem).
    pub(crate) fn fail_run(&self, run: &mut ImportRun, error: &str) {
        run.status = RunStatus::Failed;
        run.error = Some(error.to_string());
        run.finished_at = Some(Utc::now());
        let _ = self.save_run(run);
    }
}

/// Records and alias keys an import's planner keeps cached across commits:
/// a few batches' worth (8,000 and 32,000 with the default batch of 2,000
/// records; never under 1,000 and 4,000), so what a run holds is bounded by
/// its batch, not by the export. At about 2 KB a cached record (an invoice
/// with its lines) and 250 bytes an alias key, the default is some 24 MB.
fn cache_bound(batch: crate::CommitBatch) -> (usize, usize) {
    let records = batch.records.clamp(250, 1_000_000);
    (4 * records, 16 * records)
}

enum Outcome {
    Review(Box<Review>),
    Run(Box<ImportRun>),
}

fn fold(run: &mut ImportRun, o: &PageOutcome, notes: &[String]) {
    merge_counts(&mut run.by_object, &o.counts);
    for c in o.counts.values() {
        run.totals.add(c);
    }
    run.failures.extend(o.failures.iter().cloned());
    for n in notes.iter().chain(&o.notes) {
        if !run.notes.contains(n) {
            run.notes.push(n.clone());
        }
    }
}

fn collect(review: &mut Review, o: PageOutcome, notes: Vec<String>) {
    merge_counts(&mut review.counts, &o.counts);
    for (obj, per) in o.totals {
        let slot = review.totals.entry(obj).or_default();
        for (cur, t) in per {
            let s = slot.entry(cur).or_default();
            s.count += t.count;
            s.amount += t.amount;
        }
    }
    review.failures.extend(o.failures);
    for n in o.notes {
        if !review.notes.contains(&n) {
            review.notes.push(n);
        }
    }
    for n in notes {
        if !review.notes.contains(&n) {
            review.notes.push(n);
        }
    }
}
