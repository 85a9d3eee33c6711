//! Applying a review: an import with a review's approval commits the change
//! sets that review planned, batch by batch with a checkpoint, instead of
//! fetching and planning again, when the books did not change since.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tieout_core::model::ImportRun;
use tieout_core::plan::Approval;
use tieout_core::{ChangeSet, CoreError};

use super::Spill;
use super::log::BatchMeta;
use crate::books::Books;
use crate::error::{Error, Result};
use crate::generation::Generation;
use crate::import::Resume;
use crate::progress::{ImportProgress, Progress};

/// The reviewed batch an import's checkpoint was committed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reviewed {
    /// The spill's id.
    pub spill: String,
    /// The batch.
    pub batch: u64,
}

/// What [`Books::apply_reviewed`] did.
pub(crate) enum Replay {
    /// Every reviewed batch is committed.
    Done,
    /// Plan from the source as usual, from the checkpoint (after the
    /// batches applied, if any were before the books changed).
    Plan,
}

fn fold_meta(run: &mut ImportRun, meta: &BatchMeta) {
    for (k, v) in &meta.counts {
        run.by_object.entry(k.clone()).or_default().add(v);
        run.totals.add(v);
    }
    run.failures.extend(meta.failures.iter().cloned());
    for n in &meta.notes {
        if !run.notes.contains(n) {
            run.notes.push(n.clone());
        }
    }
}

/// How the run's note of a successful replay starts.
pub(crate) const REPLAYED: &str = "applied the reviewed changes";

impl Books {
    /// Commits the batches the review of `approval` planned, when that review
    /// is alive in this process, was of this `stream`, and the books are at
    /// the generation it saw (or at the one the previous, interrupted apply
    /// of it left, given the checkpoint's `saved` batch). Says in the run's
    /// notes what it did or why it plans again.
    pub(crate) fn apply_reviewed(
        &self,
        approval: &Approval,
        stream: &str,
        saved: Option<&Reviewed>,
        run: &mut ImportRun,
        progress: Option<Progress<'_>>,
    ) -> Result<Replay> {
        let Some(spill) = self.reviews.get(&approval.token) else {
            run.notes.push(
                "planned again: the review of this approval is not held by these books any more (a review's planned changes live as long as its Review object)"
                    .into(),
            );
            return Ok(Replay::Plan);
        };
        if spill.identity.stream != stream {
            run.notes
                .push("planned again: the review was of another source".into());
            return Ok(Replay::Plan);
        }
        let now = {
            let store = self.store()?;
            self.generation(store.as_ref())?
        };
        let mut next = 0;
        let mut expected = spill.identity.generation;
        match (saved, spill.applied()) {
            (Some(r), Some((batch, generation)))
                if r.spill == spill.id && r.batch == batch && generation == now =>
            {
                next = batch + 1;
                expected = generation;
                run.notes.push(format!(
                    "resumed applying the reviewed changes after batch {} of {}",
                    batch + 1,
                    spill.batches
                ));
            }
            _ if now != expected => {
                run.notes
                    .push("planned again: the books changed since the review".into());
                return Ok(Replay::Plan);
            }
            _ => {}
        }
        if let (0, Some(staged)) = (next, spill.staged()) {
            if spill.batches > 0 {
                return self.adopt_reviewed(&spill, staged, stream, expected, run, progress);
            }
        }
        let (mut done, mut pages) = (0u64, 0u64);
        let mut seq = next;
        while let Some((meta, cs)) = spill.batch(seq)? {
            let Some(mut cs) = cs else {
                // A staging file's batches are applied whole, or planned again.
                run.notes.push(
                    "planned again: the review's changes are held for empty books only".into(),
                );
                return Ok(Replay::Plan);
            };
            let mut store = self.store()?;
            if self.generation(store.as_ref())? != expected {
                drop(store);
                run.notes.push(format!(
                    "the books changed while the review was applied: planned again after {seq} of {} batches",
                    spill.batches
                ));
                return Ok(Replay::Plan);
            }
            fold_meta(run, &meta);
            if let Some(p) = &meta.position {
                let resume = Resume {
                    run: run.id.clone(),
                    position: p.clone(),
                    reviewed: Some(Reviewed {
                        spill: spill.id.clone(),
                        batch: seq,
                    }),
                    shard: None,
                };
                cs.checkpoint = Some((
                    stream.to_string(),
                    serde_json::to_string(&resume).unwrap_or_default(),
                ));
            }
            cs.run = Some(run.clone());
            if let Err(e) = store.commit(cs) {
                drop(store);
                self.fail_run(run, &e.to_string());
                return Err(e.into());
            }
            expected = self.generation(store.as_ref())?;
            drop(store);
            spill.set_applied(seq, expected);
            done += meta.records;
            pages += meta.pages;
            seq += 1;
            if let Some(p) = progress {
                let now = ImportProgress {
                    records: done,
                    total: meta.total,
                    pages,
                    failures: run.failures.len() as u64,
                };
                if !p(&now) && seq < spill.batches {
                    self.fail_run(run, "interrupted");
                    return Err(Error::Interrupted { pages });
                }
            }
        }
        run.notes.push(format!(
            "{REPLAYED} ({} batch(es)); nothing was fetched or planned again",
            spill.batches
        ));
        Ok(Replay::Done)
    }

    /// Copies the review's staging file into the empty books with the run
    /// and the checkpoint of its last batch, in one commit: what committing
    /// its batches one by one would leave, without decoding and writing
    /// every record again. Plans again when the books cannot take it.
    fn adopt_reviewed(
        &self,
        spill: &Spill,
        staged: &Path,
        stream: &str,
        expected: Generation,
        run: &mut ImportRun,
        progress: Option<Progress<'_>>,
    ) -> Result<Replay> {
        let (mut records, mut pages, mut total) = (0u64, 0u64, None);
        let mut position = None;
        for seq in 0..spill.batches {
            let meta = spill.meta(seq)?.ok_or_else(|| {
                Error::from(CoreError::Store(format!(
                    "review spill: batch {seq} of {} is missing",
                    spill.batches
                )))
            })?;
            fold_meta(run, &meta);
            records += meta.records;
            pages += meta.pages;
            total = meta.total.or(total);
            if meta.position.is_some() {
                position = meta.position;
            }
        }
        let last = spill.batches - 1;
        let mut tail = ChangeSet::default();
        if let Some(position) = position {
            let resume = Resume {
                run: run.id.clone(),
                position,
                reviewed: Some(Reviewed {
                    spill: spill.id.clone(),
                    batch: last,
                }),
                shard: None,
            };
            tail.checkpoint = Some((
                stream.to_string(),
                serde_json::to_string(&resume).unwrap_or_default(),
            ));
        }
        tail.run = Some(run.clone());
        let mut store = self.store()?;
        if self.generation(store.as_ref())? != expected {
            run.notes
                .push("planned again: the books changed since the review".into());
            return Ok(Replay::Plan);
        }
        match store.adopt_staged(staged, tail) {
            Ok(true) => {}
            Ok(false) => {
                run.notes.push(
                    "planned again: the books were not empty any more when the review's records were copied".into(),
                );
                return Ok(Replay::Plan);
            }
            Err(e) => {
                drop(store);
                self.fail_run(run, &e.to_string());
                return Err(e.into());
            }
        }
        let generation = self.generation(store.as_ref())?;
        drop(store);
        spill.set_applied(last, generation);
        if let Some(p) = progress {
            // Everything is committed: the answer cannot stop anything.
            let _ = p(&ImportProgress {
                records,
                total,
                pages,
                failures: run.failures.len() as u64,
            });
        }
        run.notes.push(format!(
            "{REPLAYED} ({} batch(es)) by copying the records the review staged into the empty books; nothing was fetched or planned again",
            spill.batches
        ));
        Ok(Replay::Done)
    }
}
