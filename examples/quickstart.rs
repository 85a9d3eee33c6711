//! Quickstart: import the shipped Stripe sample into SQLite books, review the
//! plan, apply it, tie payments to invoices, show that a re-run changes
//! nothing, and end with the sample's journal entries and its Stripe balance
//! statement. Offline; no Stripe account needed.
//!
//! ```text
//! cargo run --example quickstart              # fresh books in a temp dir
//! cargo run --example quickstart -- books.db  # keep the books in books.db
//! ```

use std::path::PathBuf;

use tieout::{Action, Books, CsvMapping, ImportPlan, InvoiceFilter, ReconcilePolicy, StripeFiles};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let db: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("books.db"));
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data");

    let books = Books::open(&db)?;
    let source = StripeFiles::new(&data)?;
    let plan = ImportPlan::default();

    // 1. Review: the whole import, nothing written.
    let review = books.review(&source, &plan).await?;
    println!(
        "Review of {} ({} mode), plan {}",
        review.account.account,
        mode(review.account.livemode),
        &review.plan_hash[..12]
    );
    for (object, c) in &review.counts {
        println!(
            "  {object:<20} create {:>3}  update {:>3}  unchanged {:>3}  skipped {:>3}  failed {:>3}",
            c.created, c.updated, c.unchanged, c.skipped, c.failed
        );
    }
    for (object, per) in &review.totals {
        for (cur, t) in per {
            println!(
                "  total {object:<14} {cur} {:>12} over {} record(s)",
                t.amount, t.count
            );
        }
    }
    println!("  allocations it would make: {}", review.allocations.len());
    for f in &review.failures {
        println!("  would fail: {} {}: {}", f.object, f.external_id, f.error);
    }

    // 2. Apply with the review's approval (required for live accounts).
    let run = books.import(&source, &plan, Some(&review.approval)).await?;
    println!(
        "\nImport {}: {} created, {} updated, {} unchanged, {} skipped, {} failed",
        run.status.as_str(),
        run.totals.created,
        run.totals.updated,
        run.totals.unchanged,
        run.totals.skipped,
        run.totals.failed
    );

    // 3. What the books hold now.
    println!("\nInvoices:");
    for inv in books.invoices(&InvoiceFilter::default())? {
        println!(
            "  {:<24} {:<15} {} {:>10} paid {:>10} open {:>10}",
            inv.number
                .clone()
                .unwrap_or_else(|| inv.source.external_id.clone()),
            inv.status.as_str(),
            inv.currency,
            inv.total,
            inv.amount_paid,
            inv.amount_remaining
        );
    }
    println!("\nPayments:");
    for p in books.payments()? {
        // Fee and net are in the settlement currency, which may differ.
        let sc = p.settlement_currency.unwrap_or(p.currency);
        println!(
            "  {:<28} {} {:>10} fee {:>6} {sc} net {:>10} {sc} refunded {:>8} {} unapplied {:>8} {}",
            p.source.external_id,
            p.currency,
            p.amount,
            p.fee,
            p.net.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            p.refunded,
            p.currency,
            p.unapplied,
            p.currency
        );
    }
    println!("\nAllocations:");
    for a in books.allocations()? {
        // The kind tells payment money from a write-off: both name the payment.
        println!(
            "  {:<9} {} {:>10} -> {}  ({}: {})",
            a.kind.as_str(),
            a.currency,
            a.amount,
            a.invoice_id,
            a.reason.strategy.as_str(),
            a.reason.detail
        );
    }

    // 4. Tie out: match unapplied payments by policy, and payouts to the bank statement.
    let csv = std::fs::read_to_string(data.join("bank_statement.csv"))?;
    let mapping = CsvMapping {
        date: "date".into(),
        amount: "amount".into(),
        currency: Some("currency".into()),
        description: Some("description".into()),
        reference: Some("reference".into()),
        ..CsvMapping::default()
    };
    let lines = books.import_bank_csv(&csv, &mapping)?;
    let report = books.reconcile(&ReconcilePolicy::default())?;
    println!("\nBank statement: {} line(s) imported", lines.len());
    for pair in &report.payouts.pairs {
        println!(
            "  payout {} {} {} arrived {} <- bank line of {}",
            pair.payout_external_id,
            pair.currency,
            pair.amount,
            pair.arrival_date.map(|d| d.to_string()).unwrap_or_default(),
            pair.bank_date
        );
    }
    for u in &report.payouts.unmatched_deposits {
        println!("  unmatched deposit: {u:?}");
    }
    for (cur, t) in &report.totals {
        println!(
            "  {cur}: received {} = allocated {} + unapplied {} + refunded {} + disputed {}; invoiced {} = paid {} + written off {} + open {}; adds up: {}",
            t.payments_received,
            t.allocated,
            t.unapplied,
            t.refunded,
            t.disputed,
            t.invoiced,
            t.paid,
            t.written_off,
            t.open,
            t.adds_up
        );
    }

    // 5. Re-running the same import changes nothing.
    let again = books.review(&source, &plan).await?;
    // Entries are read page by page from the review's spill file.
    let mut changed = 0;
    for e in again.entries.iter() {
        if matches!(e?.action, Action::Create | Action::Update { .. }) {
            changed += 1;
        }
    }
    println!(
        "\nRe-review: {changed} change(s); books at {}",
        db.display()
    );

    // 6. Into the general ledger: the sample's journal entries ...
    let mapping = tieout::LedgerMapping::default();
    let journal = books.journal_entries(&mapping, tieout::Layers::default())?;
    println!("\nJournal entries ({}):", journal.entries.len());
    for e in &journal.entries {
        println!("  {} {:<34} {}", e.date, e.id, e.narration);
        for p in &e.postings {
            println!("      {:<32} {:>12} {}", p.account, p.amount, p.currency);
        }
    }
    if !journal.suspense.is_empty() {
        println!("  in suspense, to review: {:?}", journal.suspense);
    }
    // ... and its Stripe balance as a bank statement, per settlement currency.
    let mut currencies: Vec<_> = books
        .balance_transactions()?
        .iter()
        .map(|t| t.currency)
        .collect();
    currencies.sort();
    currencies.dedup();
    let (from, to) = (
        chrono::DateTime::<chrono::Utc>::MIN_UTC,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    );
    for c in currencies {
        let s = books.stripe_balance(c, from, to)?;
        println!(
            "\nStripe balance {c}: opening {} (available {}, pending {})",
            s.opening(),
            s.opening_available,
            s.opening_pending
        );
        for l in &s.lines {
            println!(
                "  {} {:<28} {:<5} {:<10} {:>12} {:>12}",
                l.date.date_naive(),
                l.transaction_id,
                l.part,
                l.category,
                l.amount,
                l.balance
            );
        }
        println!(
            "  closing {} (available {}, pending {}); tied: {}",
            s.closing(),
            s.closing_available,
            s.closing_pending,
            tied(&s)
        );
    }
    Ok(())
}

/// Whether the statement ties to the balance Stripe reported.
fn tied(s: &tieout::StripeBalance) -> String {
    match (s.unexplained_available, s.unexplained_pending) {
        (None, None) => "not checked (no balance reported by Stripe)".into(),
        _ if s.ties() => "yes, to the balance Stripe reported".into(),
        (a, p) => format!(
            "no, unexplained available {}, pending {}",
            a.unwrap_or_default(),
            p.unwrap_or_default()
        ),
    }
}

fn mode(live: bool) -> &'static str {
    if live { "live" } else { "test" }
}
