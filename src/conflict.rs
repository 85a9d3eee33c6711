//! Planning again after a shared store refused a commit because another
//! process changed the allocations it was derived from (PostgreSQL books):
//! a short pause, growing with each attempt and jittered, so writers that
//! collided do not collide again in lockstep.

use std::time::Duration;

/// Pauses before attempt `attempt + 1` (the first retry waits about 10 ms,
/// each later one twice as long, at most about 0.6 s), jittered by the
/// clock's sub-second nanoseconds.
pub(crate) fn pause_before_retry(attempt: u32) {
    let base = 5u64 << attempt.min(7);
    let nanos = chrono::Utc::now().timestamp_subsec_nanos();
    let jitter = u64::from(nanos % 1_000) * base / 1_000;
    std::thread::sleep(Duration::from_millis(base + jitter));
}
