//! Reviews and imports a directory of Stripe exports (list pages, `.jsonl`,
//! events) into SQLite books, and prints how long each step took: the path a
//! finance script takes, in Rust.
//!
//! ```text
//! cargo run --release --example import_dir -- EXPORT_DIR books.db
//! ```

use std::time::Instant;

use tieout::{Books, ImportPlan, StripeFiles};

// The allocator the Python and Node packages use, so the figures match theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(db)) = (args.next(), args.next()) else {
        return Err("usage: import_dir EXPORT_DIR BOOKS_DB".into());
    };
    let books = Books::open(&db)?;
    let source = StripeFiles::new(&dir)?;
    let plan = ImportPlan::default();

    let t = Instant::now();
    let review = books.review(&source, &plan).await?;
    let reviewed = t.elapsed();
    let t = Instant::now();
    let run = books.import(&source, &plan, Some(&review.approval)).await?;
    let imported = t.elapsed();

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
