//! Scaling: the same import (and the same review) at n and 4n invoices, from a
//! generated Stripe export through `StripeFiles`, must cost no more than about
//! 6x (linear work gives ~4x; the quadratic path this guards against gave ~9x
//! per doubling of 2, ~16x here). Measured as a ratio in one process, in CPU
//! time of the test's thread where the system reports it (so other processes
//! on a busy machine do not count), else in wall time; each size runs five
//! times, the two sizes taking turns, and its fastest run counts (what
//! another process took from the caches or the core is noise, not work).

#[path = "scaling/export.rs"]
mod export;

use std::time::{Duration, Instant};

use tieout::{Books, CommitBatch, ImportPlan, RunStatus, StripeFiles};

const SMALL: usize = 1_000;
const RATIO: f64 = 6.0;
const RUNS: usize = 5;

/// CPU time of the calling thread: the nanoseconds it ran, from
/// `/proc/thread-self/schedstat`, else user + system time from
/// `/proc/thread-self/stat` (in 10 ms ticks: too coarse for the import of
/// the small export, some 20 ms).
fn thread_cpu() -> Option<Duration> {
    if let Some(ns) = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
    {
        return Some(Duration::from_nanos(ns));
    }
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux configuration Rust targets.
    Some(Duration::from_millis(ticks * 10))
}

/// Measures `f` in thread CPU time where available, else wall time.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let out = f();
    let spent = match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => b - a,
        _ => wall.elapsed(),
    };
    (out, spent)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Times a review, then an import with its approval, into fresh SQLite books.
fn review_and_import(invoices: usize) -> (Duration, Duration) {
    let data = tempfile::tempdir().expect("tempdir");
    export::write_export(data.path(), invoices);
    let books_dir = tempfile::tempdir().expect("tempdir");
    // Commits by record count only: the default also commits every second,
    // which in a slow debug build would make the number of commits depend on
    // the machine's speed rather than on the work.
    let books = Books::open(books_dir.path().join("books.db"))
        .expect("books")
        .with_commit_batch(CommitBatch {
            records: 1_000,
            interval: Duration::from_secs(3_600),
        });
    let source = StripeFiles::new(data.path()).expect("files");
    let plan = ImportPlan::default();
    let (review, review_time) = timed(|| block(books.review(&source, &plan)).expect("review"));
    assert_eq!(review.counts["invoice"].created, invoices as u64);
    assert_eq!(review.failures.len(), 0, "{:?}", &review.failures[..1]);
    let (run, import_time) =
        timed(|| block(books.import(&source, &plan, Some(&review.approval))).expect("import"));
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.by_object["invoice"].created, invoices as u64);
    (review_time, import_time)
}

/// The fastest review and the fastest import of [`RUNS`] at `small`
/// invoices and at 4 x `small`, the two sizes taking turns: a slow spell
/// of the machine then falls on both sizes, not on all the runs of one.
fn fastest(small: usize) -> [(Duration, Duration); 2] {
    let mut best = [(Duration::MAX, Duration::MAX); 2];
    for _ in 0..RUNS {
        for (b, n) in best.iter_mut().zip([small, 4 * small]) {
            let (r, i) = review_and_import(n);
            *b = (b.0.min(r), b.1.min(i));
        }
    }
    best
}

#[test]
fn review_and_import_scale_linearly() {
    // Warm-up: the first run pays one-off costs (page cache, allocator growth).
    review_and_import(SMALL / 4);
    let [(r1, i1), (r4, i4)] = fastest(SMALL);
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64().max(1e-6);
    let (rr, ir) = (ratio(r1, r4), ratio(i1, i4));
    eprintln!(
        "review {r1:?} -> {r4:?} (x{rr:.2}), import {i1:?} -> {i4:?} (x{ir:.2}) for {SMALL} -> {} invoices",
        4 * SMALL
    );
    assert!(
        rr <= RATIO,
        "review at 4n took x{rr:.2} the time at n (budget x{RATIO})"
    );
    assert!(
        ir <= RATIO,
        "import at 4n took x{ir:.2} the time at n (budget x{RATIO})"
    );
}
