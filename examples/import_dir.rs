//! Reviews and imports a directory of Stripe exports (list pages, `.jsonl`,
//! events) into SQLite books, and prints how long each step took: the path a
//! finance script takes, in Rust.
//!
//! ```text
//! cargo run --release --example import_dir -- EXPORT_DIR books.db
//! ```
//!
//! With `TIEOUT_MEM_EVERY=N` (Linux) it also prints the process's resident
//! memory every N records and its peak per step (the peak is reset between
//! the review and the import), to see which step grows with the export.

use std::time::Instant;

use tieout::{Books, ImportPlan, ImportProgress, StripeFiles};

/// A field of `/proc/self/status` in MB (Linux; 0 elsewhere).
fn status_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Prints resident memory (now and peak) under `label`.
fn report(label: &str) {
    println!(
        "{label}: rss {} MB (anon {} MB, file {} MB), peak {} MB",
        status_mb("VmRSS:"),
        status_mb("RssAnon:"),
        status_mb("RssFile:") + status_mb("RssShmem:"),
        status_mb("VmHWM:")
    );
}

/// Resets the peak resident memory the kernel reports (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

// The allocator the Python and Node packages use, so the figures match theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(db)) = (args.next(), args.next()) else {
        return Err("usage: import_dir EXPORT_DIR BOOKS_DB".into());
    };
    let every: Option<u64> = std::env::var("TIEOUT_MEM_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0);
    let books = Books::open(&db)?;
    let source = StripeFiles::new(&dir)?;
    let plan = ImportPlan::default();

    let step = std::sync::Mutex::new(("review", 0u64));
    let trace = |p: &ImportProgress| {
        if let (Some(n), Ok(mut s)) = (every, step.lock()) {
            if p.records / n > s.1 {
                s.1 = p.records / n;
                report(&format!("{} {} records", s.0, p.records));
            }
        }
        true
    };
    let progress = every.map(|_| &trace as &(dyn Fn(&ImportProgress) -> bool + Send + Sync));

    let t = Instant::now();
    let review = books.review_with(&source, &plan, progress).await?;
    let reviewed = t.elapsed();
    if every.is_some() {
        report("after review");
        reset_peak();
        if let Ok(mut s) = step.lock() {
            *s = ("import", 0);
        }
    }
    let t = Instant::now();
    let run = books
        .import_with(&source, &plan, Some(&review.approval), progress)
        .await?;
    let imported = t.elapsed();
    if every.is_some() {
        report("after import");
    }

    for (object, c) in &run.by_object {
        println!(
            "{object:<20} created {:>8}  updated {:>8}  unchanged {:>8}  failed {:>6}",
            c.created, c.updated, c.unchanged, c.failed
        );
    }
    println!(
        "review {:.2} s, import {:.2} s, run {} {:?}",
        reviewed.as_secs_f64(),
        imported.as_secs_f64(),
        run.id,
        run.status
    );
    Ok(())
}
