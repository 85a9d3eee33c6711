//! A review's spill: its entries, allocations and planned change sets on disk, so a review
//! of a million records holds no more in memory than an import does, and an
//! import with that review's approval applies exactly what was reviewed.
//!
//! A review commits each batch of planned pages to a staging SQLite store
//! layered over the books ([`layered`]) and appends the batch's change set
//! and its entries to a log ([`log`]). The staging store goes when the review
//! ends; the log lives in a temporary directory as long as the [`Review`]
//! (its entries read from it), and is removed when the review is dropped.
//! [`Registry`] lets an import find the spill of an approval.
//!
//! [`Review`]: tieout_core::import::Review

mod filter;
pub(crate) mod layered;
pub(crate) mod log;
mod replay;
mod stale;
mod tombstones;

pub(crate) use replay::{REPLAYED, Replay, Reviewed};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tieout_core::import::{Pages, ReviewEntry};
use tieout_core::model::Allocation;
use tieout_core::{ChangeSet, CoreError, Result, Store as _};

use crate::generation::Generation;
use layered::{Layered, Stage};
use log::{BatchMeta, Log};

/// A temporary directory, removed on drop; locked by this process while it
/// lives, so that a review whose process died leaves a directory the next
/// review removes ([`stale`]).
struct SpillDir {
    path: PathBuf,
    lock: Option<stale::OwnerLock>,
}

impl SpillDir {
    fn create() -> Result<SpillDir> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let tmp = std::env::temp_dir();
        let now = std::time::SystemTime::now();
        stale::sweep(&tmp, now);
        let nanos = now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = tmp.join(format!(
            "{}{}-{nanos}-{}",
            stale::PREFIX,
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let cannot = |path: &std::path::Path, e: std::io::Error| {
            CoreError::Store(format!(
                "review spill: cannot create {}: {e}",
                path.display()
            ))
        };
        std::fs::create_dir_all(&path).map_err(|e| cannot(&path, e))?;
        let mut dir = SpillDir { path, lock: None };
        let lock = stale::OwnerLock::take(&dir.path).map_err(|e| cannot(&dir.path, e))?;
        dir.lock = Some(lock);
        Ok(dir)
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        // The lock file is closed first: some platforms remove no open file.
        self.lock.take();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Who a spill was reviewed for: an import applies it only for the same.
pub(crate) struct Identity {
    /// The approval token of the review.
    pub token: String,
    /// The checkpoint stream (source and plan).
    pub stream: String,
    /// The books' generation when the review started.
    pub generation: Generation,
}

/// A finished review's spill.
pub(crate) struct Spill {
    log: Mutex<Log>,
    /// Unique id (recorded in the import's checkpoint to resume the apply).
    pub id: String,
    /// Who it was reviewed for.
    pub identity: Identity,
    entries: u64,
    allocations: u64,
    removed: u64,
    /// Planned batches.
    pub batches: u64,
    /// The review's staging file, kept when the books were empty and can
    /// adopt it: an import copies it into them instead of committing the
    /// batches one by one (their change sets are then not logged).
    staged: Option<PathBuf>,
    /// The last batch an import applied and the books' generation after it.
    applied: Mutex<Option<(u64, Generation)>>,
    /// What the source reported as the balance before the review listed
    /// anything (kept by the import that applies this review).
    reported: Mutex<Option<crate::reported_balance::Reported>>,
    // Last: the directory goes after the log is closed.
    _dir: SpillDir,
}

impl Spill {
    /// Batch `seq` (its change set `None` when the staging file holds it).
    pub(crate) fn batch(&self, seq: u64) -> Result<Option<(BatchMeta, Option<ChangeSet>)>> {
        self.log
            .lock()
            .map_err(|_| CoreError::Store("review spill lock poisoned".into()))?
            .batch(seq)
    }

    /// What batch `seq` adds to a run besides its changes.
    pub(crate) fn meta(&self, seq: u64) -> Result<Option<BatchMeta>> {
        self.log
            .lock()
            .map_err(|_| CoreError::Store("review spill lock poisoned".into()))?
            .meta(seq)
    }

    /// The review's staging file, when empty books can adopt it.
    pub(crate) fn staged(&self) -> Option<&std::path::Path> {
        self.staged.as_deref()
    }

    /// The last batch an import applied and the generation after it.
    pub(crate) fn applied(&self) -> Option<(u64, Generation)> {
        self.applied.lock().ok().and_then(|a| *a)
    }

    /// Keeps the balance the source reported before the review listed.
    pub(crate) fn set_reported(&self, reported: crate::reported_balance::Reported) {
        if let Ok(mut r) = self.reported.lock() {
            *r = Some(reported);
        }
    }

    /// The balance the source reported before the review listed, if read.
    pub(crate) fn reported(&self) -> Option<crate::reported_balance::Reported> {
        self.reported.lock().ok().and_then(|r| r.clone())
    }

    fn set_applied(&self, seq: u64, generation: Generation) {
        if let Ok(mut a) = self.applied.lock() {
            *a = Some((seq, generation));
        }
    }
}

impl Pages<ReviewEntry> for Spill {
    fn count(&self) -> u64 {
        self.entries
    }

    fn page(&self, offset: u64, limit: u64) -> Result<Vec<ReviewEntry>> {
        self.log
            .lock()
            .map_err(|_| CoreError::Store("review spill lock poisoned".into()))?
            .entries(offset, limit)
    }
}

impl Pages<String> for Spill {
    fn count(&self) -> u64 {
        self.removed
    }

    fn page(&self, offset: u64, limit: u64) -> Result<Vec<String>> {
        self.log
            .lock()
            .map_err(|_| CoreError::Store("review spill lock poisoned".into()))?
            .removed(offset, limit)
    }
}

impl Pages<Allocation> for Spill {
    fn count(&self) -> u64 {
        self.allocations
    }

    fn page(&self, offset: u64, limit: u64) -> Result<Vec<Allocation>> {
        self.log
            .lock()
            .map_err(|_| CoreError::Store("review spill lock poisoned".into()))?
            .allocations(offset, limit)
    }
}

/// Spills of the reviews alive in this process, by approval token (the
/// latest review of a plan wins).
#[derive(Default)]
pub(crate) struct Registry(Mutex<HashMap<String, Weak<Spill>>>);

impl Registry {
    /// Registers `spill` under its approval token.
    pub(crate) fn register(&self, spill: &Arc<Spill>) {
        if let Ok(mut m) = self.0.lock() {
            m.retain(|_, w| w.strong_count() > 0);
            m.insert(spill.identity.token.clone(), Arc::downgrade(spill));
        }
    }

    /// The live spill of an approval token.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<Spill>> {
        self.0.lock().ok()?.get(token)?.upgrade()
    }
}

/// A spill being written by a running review.
pub(crate) struct Builder {
    stage: Stage,
    log: Log,
    entries: u64,
    batches: u64,
    pending: BatchMeta,
    dir: SpillDir,
}

impl Builder {
    /// A new spill in a fresh temporary directory.
    pub(crate) fn create() -> Result<Builder> {
        let dir = SpillDir::create()?;
        Ok(Builder {
            stage: Stage::open(&dir.path.join("stage.db"))?,
            log: Log::create(&dir.path.join("review.db"))?,
            entries: 0,
            batches: 0,
            pending: BatchMeta::default(),
            dir,
        })
    }

    /// The books as the review sees them: `base` with the planned batches.
    pub(crate) fn layered<'a>(
        &'a mut self,
        base: &'a Mutex<Box<dyn tieout_core::Store>>,
    ) -> Result<Layered<'a>> {
        Layered::new(base, &mut self.stage)
    }

    /// Appends a page's entries.
    pub(crate) fn entries(&mut self, entries: &[ReviewEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.log.append_entries(self.entries, entries)?;
        self.entries += entries.len() as u64;
        Ok(())
    }

    /// Records a page's allocation changes (made or changed, then removed;
    /// the last change of an id wins).
    pub(crate) fn allocations(
        &mut self,
        upserted: &[Allocation],
        removed: &[String],
    ) -> Result<()> {
        self.log.put_allocations(upserted, removed)
    }

    /// The source's size in records, as a page tells it: sizes what the
    /// staging store keeps in memory of what it holds.
    pub(crate) fn expect(&mut self, records: u64) {
        self.stage.expect(records);
    }

    /// The batch being gathered (counts, failures, notes of its pages).
    pub(crate) fn pending(&mut self) -> &mut BatchMeta {
        &mut self.pending
    }

    /// Ends the pending batch with `cs`: logs it, then commits it to the
    /// staging store so later pages see it.
    pub(crate) fn cut(
        &mut self,
        base: &Mutex<Box<dyn tieout_core::Store>>,
        cs: ChangeSet,
        position: Option<String>,
    ) -> Result<()> {
        let mut meta = std::mem::take(&mut self.pending);
        meta.position = position;
        // Knows, once made, whether the books below can adopt the staging file.
        Layered::new(base, &mut self.stage)?;
        let logged = (!self.stage.adoptable()).then_some(&cs);
        self.log.append_batch(self.batches, &meta, logged)?;
        self.batches += 1;
        self.layered(base)?.commit(cs)
    }

    /// The finished spill (the staging store is removed).
    pub(crate) fn finish(self, identity: Identity) -> Result<Arc<Spill>> {
        let Builder {
            mut stage,
            mut log,
            entries,
            batches,
            dir,
            ..
        } = self;
        let (allocations, removed) = log.seal_allocations()?;
        let adoptable = stage.adoptable();
        if adoptable {
            // Its one transaction ended: everything committed is in the file.
            stage.finish()?;
        }
        // Closed: the staging file is complete (it keeps no journal).
        drop(stage);
        let staged = dir.path.join("stage.db");
        if !adoptable {
            for f in ["stage.db", "stage.db-wal", "stage.db-shm"] {
                let _ = std::fs::remove_file(dir.path.join(f));
            }
        }
        let id = dir
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spill = Arc::new(Spill {
            log: Mutex::new(log),
            id,
            identity,
            entries,
            allocations,
            removed,
            reported: Mutex::new(None),
            batches,
            applied: Mutex::new(None),
            staged: adoptable.then_some(staged),
            _dir: dir,
        });
        Ok(spill)
    }
}
