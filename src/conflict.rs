//! Planning again after a shared store refused a commit because another
//! process changed the allocations it was derived from (PostgreSQL books):
//! a short pause, growing with each attempt and jittered, so writers that
//! collided do not collide again in lockstep.

use std::time::Duration;

use tieout_core::import::{WorkState, Workspace};
use tieout_core::reconcile::manual::ManualOutcome;
use tieout_core::store::ReadRecord;
use tieout_core::{CoreError, Store};

/// Pauses before attempt `attempt + 1` (the first retry waits about 10 ms,
/// each later one twice as long, at most about 0.6 s), jittered by the
/// clock's sub-second nanoseconds.
pub(crate) fn pause_before_retry(attempt: u32) {
    let base = 5u64 << attempt.min(7);
    let nanos = chrono::Utc::now().timestamp_subsec_nanos();
    let jitter = u64::from(nanos % 1_000) * base / 1_000;
    std::thread::sleep(Duration::from_millis(base + jitter));
}

/// How often a manual allocation or unallocation plans again when another
/// process changed what it read.
pub(crate) const MANUAL_ATTEMPTS: u32 = 8;

/// Plans a manual operation (`plan`, on what the store holds now) and
/// commits it with its audit entry only if the records `reads` lists (read
/// before planning) are still as read; when another writer changed one
/// meanwhile, the store refuses the commit and it is planned again on what
/// is there now, up to [`MANUAL_ATTEMPTS`] times. So two people allocating
/// the same payment to the same invoice at once both land (or the later is
/// refused by the plan, on what is there after the first): neither amount
/// is lost by one commit overwriting the other's allocation.
pub(crate) fn commit_manual(
    store: &mut dyn Store,
    reads: impl Fn(&dyn Store) -> tieout_core::Result<Vec<ReadRecord>>,
    plan: impl Fn(&mut Workspace<'_>) -> tieout_core::Result<ManualOutcome>,
) -> crate::error::Result<ManualOutcome> {
    let mut attempt = 1;
    loop {
        // Before planning: a record changed after this read and before the
        // plan's own read is refused at the commit too (never missed).
        let read = reads(store)?;
        let mut state = WorkState::new();
        let (out, mut cs) = {
            let mut ws = Workspace::new(store, &mut state);
            let out = plan(&mut ws)?;
            (out, ws.take_changes())
        };
        cs.run = Some(out.audit.clone());
        match store.commit_if_unchanged(cs, &read) {
            Err(CoreError::Allocation(_)) if attempt < MANUAL_ATTEMPTS => {
                pause_before_retry(attempt);
                attempt += 1;
            }
            other => {
                other?;
                return Ok(out);
            }
        }
    }
}
