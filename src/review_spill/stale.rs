//! Spill directories of reviews whose process died (killed, crashed, the
//! machine's power cut) before it could remove them. A review's spill holds
//! its staging file and entry log, gigabytes at a million records: left in
//! the temporary directory, every interrupted review would keep its size
//! there until someone noticed.
//!
//! Each spill directory holds [`LOCK_FILE`], locked (an exclusive `flock`)
//! by the process for as long as the spill lives. The kernel releases the
//! lock when the process ends, however it ends, and a lock is seen across
//! processes and PID namespaces on one file system, where a process id is
//! not. The next review's [`sweep`] removes every spill directory whose lock
//! it can take. A directory without the file (one being created right now,
//! or left by a version before the lock) is removed only once it is older
//! than [`UNLOCKED_AGE`].
//!
//! On platforms without `flock` nothing is locked and no directory with a
//! lock file is swept.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Prefix of every spill directory's name.
pub(super) const PREFIX: &str = "tieout-review-";

/// The file a live spill's process keeps locked.
pub(super) const LOCK_FILE: &str = "owner.lock";

/// Age past which a spill directory without a lock file is removed.
pub(super) const UNLOCKED_AGE: Duration = Duration::from_secs(24 * 3600);

/// The lock on a spill directory, held until dropped (with the spill).
#[derive(Debug)]
pub(super) struct OwnerLock {
    _file: File,
}

impl OwnerLock {
    /// Creates `dir/owner.lock`, locked for this process.
    ///
    /// The file is locked under another name and renamed into place (the
    /// lock goes with it): a sweep running meanwhile in another thread or
    /// process sees either no lock file, and keeps the new directory, or a
    /// locked one, never an unlocked `owner.lock` of a live review.
    pub(super) fn take(dir: &Path) -> std::io::Result<OwnerLock> {
        let taking = dir.join(format!("{LOCK_FILE}.new"));
        let file = File::create(&taking)?;
        if !try_lock(&file)? && cfg!(unix) {
            // A directory of this process's own making, locked by another:
            // not possible unless its name was reused.
            return Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("{} is locked by another process", dir.display()),
            ));
        }
        std::fs::rename(&taking, dir.join(LOCK_FILE))?;
        Ok(OwnerLock { _file: file })
    }
}

/// Removes the spill directories in `tmp` whose process is gone (see the
/// module's doc); `now` dates the ones without a lock file. Returns how many
/// it removed. Errors are skipped: a directory it cannot read or remove
/// (another user's) is left as it is.
pub(super) fn sweep(tmp: &Path, now: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let dir = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if abandoned(&dir, now) && std::fs::remove_dir_all(&dir).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether spill directory `dir` belongs to no live process.
fn abandoned(dir: &Path, now: SystemTime) -> bool {
    match File::open(dir.join(LOCK_FILE)) {
        // The lock taken here is released when `file` drops, before the
        // directory goes.
        Ok(file) => try_lock(&file).unwrap_or(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let modified = std::fs::metadata(dir).and_then(|m| m.modified());
            modified.is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age > UNLOCKED_AGE))
        }
        Err(_) => false,
    }
}

/// Takes an exclusive lock on `file` without waiting: whether it took.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// No `flock` here: nothing can be told, so every lock counts as held
/// (nothing with a lock file is swept).
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn spill(tmp: &Path, name: &str) -> std::path::PathBuf {
        let dir = tmp.join(format!("{PREFIX}{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("staging.db"), b"x").unwrap();
        dir
    }

    #[test]
    fn removes_what_no_process_holds_and_keeps_what_one_does() {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        // Held: a live spill of this process.
        let live = spill(tmp.path(), "live");
        let lock = OwnerLock::take(&live).unwrap();
        // Abandoned: its lock file is there and nobody holds it.
        let dead = spill(tmp.path(), "dead");
        drop(OwnerLock::take(&dead).unwrap());
        // Without a lock file, new: perhaps being created right now.
        let fresh = spill(tmp.path(), "fresh");
        // Not a spill directory at all, though unlocked.
        let other = tmp.path().join("something-else");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join(LOCK_FILE), b"").unwrap();

        assert_eq!(sweep(tmp.path(), now), 1);
        assert!(live.exists() && fresh.exists() && other.exists());
        assert!(!dead.exists());

        // A day later the lockless one is old enough to go; the held one
        // stays whatever its age.
        let later = now + UNLOCKED_AGE + Duration::from_secs(60);
        assert_eq!(sweep(tmp.path(), later), 1);
        assert!(!fresh.exists());
        assert!(live.exists());
        drop(lock);
        assert_eq!(sweep(tmp.path(), now), 1, "released with its owner");
        assert!(!live.exists());
        assert!(other.exists());
    }

    #[test]
    fn sweeps_beside_reviews_being_created_never_remove_them() {
        // Threads create spill directories while others sweep: every live
        // one must survive (an unlocked lock file of a live review would be
        // taken for a dead one).
        use std::sync::atomic::{AtomicUsize, Ordering};
        /// Counts a creating thread out when it ends, a failed assertion
        /// included, so the sweeping threads stop either way.
        struct Done<'a>(&'a AtomicUsize);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let tmp = tempfile::tempdir().unwrap();
        let done = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    while done.load(Ordering::SeqCst) < 2 {
                        sweep(tmp.path(), SystemTime::now());
                    }
                });
            }
            for t in 0..2 {
                let (tmp, done) = (tmp.path(), &done);
                s.spawn(move || {
                    let _done = Done(done);
                    for i in 0..3000 {
                        let dir = spill(tmp, &format!("{t}-{i}"));
                        let lock = OwnerLock::take(&dir).unwrap();
                        assert!(dir.join("staging.db").exists(), "{} swept", dir.display());
                        drop(lock);
                    }
                });
            }
        });
    }

    #[test]
    fn a_lock_is_exclusive_while_held() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = spill(tmp.path(), "one");
        let held = OwnerLock::take(&dir).unwrap();
        let again = File::open(dir.join(LOCK_FILE)).unwrap();
        assert!(
            !try_lock(&again).unwrap(),
            "a second lock waits for the first"
        );
        drop(held);
        assert!(try_lock(&again).unwrap());
    }
}
