//! Read-ahead: a background thread reads and maps the files after the one
//! being paged, so parsing the next files overlaps the planning of the
//! current page (two cores instead of one on the user's path).
//!
//! Bounded: the thread stops once the files it has read and not yet handed
//! over hold [`AHEAD_ITEMS`] items (always at least one file), so memory is
//! a page or two of items, not the export. Files are handed over strictly in
//! order; asking for any other file than the next one (a resumed run, a
//! counting pass) starts a new read-ahead from there.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use tieout_core::SourceItem;

use super::{Index, read_entry};

/// Items read ahead and not yet handed over past which the thread waits.
const AHEAD_ITEMS: usize = 2_000;

/// What the reading thread and the pager share.
#[derive(Default)]
struct Queue {
    /// Files read, in order: (position, items).
    ready: VecDeque<(usize, Arc<Vec<SourceItem>>)>,
    /// Items in `ready`.
    items: usize,
    /// The pager moved on (or was dropped): the thread ends.
    stop: bool,
    /// The thread ended (last file read, stopped, or it panicked).
    ended: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One read-ahead thread, reading files from a position on.
pub(super) struct ReadAhead {
    shared: Arc<Shared>,
    /// The position the next handed-over file must have.
    next: usize,
}

impl ReadAhead {
    /// Starts reading files `from` on (in the index's order) in a thread;
    /// `None` if no thread could be started (the caller reads in place).
    pub(super) fn start(idx: Arc<Index>, label: Option<String>, from: usize) -> Option<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name("tieout-files".into())
            .spawn(move || {
                // A panic while reading ends the thread; the pager then reads
                // the file itself (and meets the same panic in its own thread).
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    read_from(&theirs, &idx, label.as_deref(), from);
                }));
                theirs.lock().ended = true;
                theirs.changed.notify_all();
            });
        spawned.ok().map(|_| ReadAhead { shared, next: from })
    }

    /// The position the next file handed over will have.
    pub(super) fn next(&self) -> usize {
        self.next
    }

    /// File `self.next()`'s items, waiting for the thread to read it;
    /// `None` when the thread ended without it.
    pub(super) fn take(&mut self) -> Option<Arc<Vec<SourceItem>>> {
        let mut q = self.shared.lock();
        loop {
            if let Some((at, items)) = q.ready.pop_front() {
                q.items -= items.len();
                self.shared.changed.notify_all();
                if at != self.next {
                    return None;
                }
                self.next += 1;
                return Some(items);
            }
            if q.ended {
                return None;
            }
            q = self
                .shared
                .changed
                .wait(q)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAhead")
            .field("next", &self.next)
            .finish()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
    }
}

/// The thread: reads files `from` on while the queue has room.
fn read_from(shared: &Shared, idx: &Index, label: Option<&str>, from: usize) {
    for f in from..idx.files.len() {
        {
            let mut q = shared.lock();
            while !q.stop && q.items >= AHEAD_ITEMS && !q.ready.is_empty() {
                q = shared.changed.wait(q).unwrap_or_else(|p| p.into_inner());
            }
            if q.stop {
                return;
            }
        }
        let items = Arc::new(read_entry(idx, f, label));
        let mut q = shared.lock();
        if q.stop {
            return;
        }
        q.items += items.len();
        q.ready.push_back((f, items));
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_stops_once_a_bounded_number_of_items_wait() {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in 0..50 {
            let data: Vec<_> = (f * 100..(f + 1) * 100)
                .map(|i| serde_json::json!({"id": format!("ch_{i:05}"), "object": "charge",
                    "amount": 100, "currency": "usd", "status": "succeeded", "created": 1_700_000_000 + i}))
                .collect();
            let page = serde_json::json!({"object": "list", "data": data});
            std::fs::write(dir.path().join(format!("p{f:03}.json")), page.to_string())
                .expect("write");
        }
        let idx = Arc::new(super::super::index(dir.path(), None));
        let mut ahead = ReadAhead::start(Arc::clone(&idx), None, 0).expect("thread");
        // Wait until the thread has filled its budget and waits.
        let waited = std::time::Instant::now();
        loop {
            let q = ahead.shared.lock();
            if q.items >= AHEAD_ITEMS || q.ended {
                break;
            }
            drop(q);
            assert!(waited.elapsed().as_secs() < 30, "the thread read nothing");
            thread::sleep(std::time::Duration::from_millis(5));
        }
        thread::sleep(std::time::Duration::from_millis(50));
        let queued = ahead.shared.lock().items;
        assert!(
            (AHEAD_ITEMS..AHEAD_ITEMS + 100).contains(&queued),
            "read ahead {queued} items"
        );
        let mut seen = 0;
        for f in 0..50 {
            assert_eq!(ahead.next(), f);
            let items = ahead.take().expect("file");
            assert_eq!(items.len(), 100);
            seen += items.len();
        }
        assert_eq!(seen, 5_000);
        assert!(ahead.take().is_none(), "nothing past the last file");
    }
}
