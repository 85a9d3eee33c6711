//! Import from a real Stripe account: verify the key, review the plan, ask a
//! person to approve, then import with the approval.
//!
//! ```text
//! STRIPE_API_KEY=rk_live_... cargo run --example live_import -- books.db
//! ```
//! A restricted key with read access is enough. With a live key nothing is
//! written until you type `yes` at the prompt.

use std::io::Write;

use tieout::{Books, ImportPlan, StripeSource};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("STRIPE_API_KEY").map_err(|_| "set STRIPE_API_KEY (sk_ or rk_ key)")?;
    let db = std::env::args().nth(1).unwrap_or_else(|| "books.db".into());
    let source = StripeSource::new(&key)?;
    let account = source.verify().await?;
    println!(
        "Stripe account {} ({} mode, {} key)",
        account.account,
        if account.livemode { "LIVE" } else { "test" },
        account.key_kind
    );
    let books = Books::open(&db)?;
    let plan = ImportPlan::default().allow_live(account.livemode);
    let review = books
        .review_with(
            &source,
            &plan,
            Some(&|p: &tieout::ImportProgress| {
                eprint!("\rreviewed {} records, {} failed", p.records, p.failures);
                true
            }),
        )
        .await?;
    eprintln!();
    for (object, c) in &review.counts {
        println!(
            "  {object:<20} +{} ~{} ={} skip {} fail {}",
            c.created, c.updated, c.unchanged, c.skipped, c.failed
        );
    }
    for f in review.failures.iter().take(20) {
        println!("  failure: {} {}: {}", f.object, f.external_id, f.error);
    }
    print!("Apply this plan to {db}? Type yes: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        println!("Nothing written.");
        return Ok(());
    }
    let run = books.import(&source, &plan, Some(&review.approval)).await?;
    println!(
        "{}: {} created, {} updated, {} unchanged, {} failed",
        run.status.as_str(),
        run.totals.created,
        run.totals.updated,
        run.totals.unchanged,
        run.totals.failed
    );
    Ok(())
}
