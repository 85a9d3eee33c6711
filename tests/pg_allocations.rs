//! Allocations on shared PostgreSQL books from several connections at once:
//! manual allocations and reconcile runs racing on the same few payments and
//! invoices never over-allocate a payment or an invoice, and a payment's
//! `allocated` is always the sum of its allocations, and so is an invoice's
//! `amount_paid` (the store checks the caps and both sides' derived totals
//! inside the commit's transaction; the loser is refused, or plans again).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use common::*;
use rust_decimal::Decimal;
use tieout::*;

const THREADS: usize = 4;
const PAYMENTS: usize = 3;
const INVOICES: usize = 6;

/// `invoices` open invoices of `due` and `payments` settled charges of
/// `paid`, all of one customer, with nothing matched on import.
fn seed(books: &Books, invoices: usize, due: Decimal, payments: usize, paid: Decimal) {
    let mut items = vec![customer("cus_A", "Acme", "a@example.com")];
    for i in 0..invoices {
        items.push(invoice(
            &format!("in_{i}"),
            "cus_A",
            "open",
            due,
            Decimal::ZERO,
            i as i64,
        ));
    }
    for p in 0..payments {
        items.push(charge(
            &format!("ch_{p}"),
            &format!("pi_{p}"),
            "cus_A",
            paid,
            10 + p as i64,
        ));
    }
    let mut plan = ImportPlan::default();
    plan.policy.match_on_import = false;
    let run = run(books.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
    assert_eq!(run.totals.failed, 0);
}

fn seed_books(books: &Books) {
    seed(books, INVOICES, d("100.00"), PAYMENTS, d("150.00"));
}

/// Every invoice's derived totals count exactly its allocations; the
/// invoices that do not are listed.
fn stale_invoices(books: &Books) -> Vec<String> {
    let mut paid: HashMap<String, Decimal> = HashMap::new();
    for a in books.allocations().unwrap() {
        *paid.entry(a.invoice_id.clone()).or_default() += a.amount;
    }
    books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .filter_map(|i| {
            let sum = paid.get(&i.id).copied().unwrap_or_default();
            (i.amount_paid != sum || i.amount_remaining != i.amount_due - sum).then(|| {
                format!(
                    "invoice {}: paid {} remaining {}, its allocations {sum}",
                    i.id, i.amount_paid, i.amount_remaining
                )
            })
        })
        .collect()
}

#[test]
fn writers_allocating_one_invoice_at_once_never_lose_an_update() {
    let Some(url) = pg_url() else { return };
    let schema = PgSchema::fresh(&url);
    let books = Books::open_in_schema(&url, Some(&schema.name)).unwrap();
    // One invoice with room for every allocation, a payment per thread: only
    // the invoice's derived totals are shared between the writers.
    seed(&books, 1, d("10000.00"), THREADS, d("1000.00"));
    let invoice = books.invoices(&InvoiceFilter::default()).unwrap()[0]
        .id
        .clone();
    let payments: Vec<String> = books
        .payments()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    const ROUNDS: usize = 15;
    let round = Arc::new(Barrier::new(THREADS));
    let (made, refused) = std::thread::scope(|s| {
        let handles: Vec<_> = payments
            .iter()
            .enumerate()
            .map(|(t, p)| {
                let (url, name, invoice, round) =
                    (&url, &schema.name, &invoice, Arc::clone(&round));
                s.spawn(move || {
                    let books = Books::open_in_schema(url, Some(name)).unwrap();
                    let (mut made, mut refused) = (0, 0);
                    for r in 0..ROUNDS {
                        // Every round the writers start together.
                        round.wait();
                        let amount = Decimal::new(100 + (t * 10 + r) as i64, 2);
                        match books.allocate(p, invoice, amount) {
                            Ok(_) => made += 1,
                            Err(e) if e.code() == "ALLOCATION_REJECTED" => refused += 1,
                            Err(e) => panic!("thread {t}: {e}"),
                        }
                    }
                    (made, refused)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    assert!(made >= ROUNDS, "at least one writer per round succeeds");
    let stale = stale_invoices(&books);
    assert!(stale.is_empty(), "lost updates: {stale:#?}");
    let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
    assert_eq!(inv.status, InvoiceStatus::PartiallyPaid);
    println!(
        "{made} allocations made, {refused} refused as conflicts; invoice paid {} \
         (the sum of its allocations)",
        inv.amount_paid
    );
}

#[test]
fn racing_allocations_never_exceed_a_payment_or_an_invoice() {
    let Some(url) = pg_url() else { return };
    let schema = PgSchema::fresh(&url);
    let books = Books::open_in_schema(&url, Some(&schema.name)).unwrap();
    seed_books(&books);
    let payments: Vec<String> = books
        .payments()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let invoices: Vec<String> = books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!((payments.len(), invoices.len()), (PAYMENTS, INVOICES));
    let start = Arc::new(Barrier::new(THREADS + 1));
    let (made, refused) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (url, name, start) = (&url, &schema.name, Arc::clone(&start));
                let (payments, invoices) = (&payments, &invoices);
                s.spawn(move || {
                    let books = Books::open_in_schema(url, Some(name)).unwrap();
                    start.wait();
                    let (mut made, mut refused) = (0, 0);
                    for round in 0..40usize {
                        let p = &payments[(t + round) % PAYMENTS];
                        let i = &invoices[(t * 7 + round * 5) % INVOICES];
                        // Big enough that two of them overfill a payment or an invoice.
                        let amount =
                            Decimal::new(3_000 + ((t * 13 + round * 17) % 5_000) as i64, 2);
                        match books.allocate(p, i, amount) {
                            Ok(_) => made += 1,
                            Err(e) if e.code() == "ALLOCATION_REJECTED" => refused += 1,
                            Err(e) => panic!("thread {t}: {e}"),
                        }
                    }
                    (made, refused)
                })
            })
            .collect();
        // One more connection reconciles meanwhile.
        let reconciler = {
            let (url, name, start) = (&url, &schema.name, Arc::clone(&start));
            s.spawn(move || {
                let books = Books::open_in_schema(url, Some(name)).unwrap();
                start.wait();
                // Once a manual allocation is in (else matching may take every
                // payment before any thread allocates by hand).
                let t0 = std::time::Instant::now();
                while books.allocations().unwrap().is_empty() {
                    assert!(t0.elapsed().as_secs() < 30, "no manual allocation made");
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                for _ in 0..10 {
                    books.reconcile(&ReconcilePolicy::default()).unwrap();
                }
            })
        };
        reconciler.join().unwrap();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    assert!(made > 0, "some allocations were made");
    assert!(
        refused > 0,
        "the payments fill up: some allocations were refused"
    );
    let mut given: HashMap<String, Decimal> = HashMap::new();
    let mut received: HashMap<String, Decimal> = HashMap::new();
    for a in books.allocations().unwrap() {
        *given.entry(a.payment_id.clone()).or_default() += a.amount;
        *received.entry(a.invoice_id.clone()).or_default() += a.amount;
    }
    for p in books.payments().unwrap() {
        let sum = given.get(&p.id).copied().unwrap_or_default();
        assert!(sum <= p.amount, "payment {}: {sum} of {}", p.id, p.amount);
        assert_eq!(p.allocated, sum, "payment {}'s allocated total", p.id);
        assert_eq!(p.unapplied, p.amount - sum, "payment {}'s unapplied", p.id);
    }
    for i in books.invoices(&InvoiceFilter::default()).unwrap() {
        let sum = received.get(&i.id).copied().unwrap_or_default();
        assert!(
            sum <= i.amount_due,
            "invoice {}: {sum} of {}",
            i.id,
            i.amount_due
        );
    }
    // The invoices' derived totals, written by whichever commit touched
    // each last, count every allocation (no writer's update was lost).
    let stale = stale_invoices(&books);
    assert!(stale.is_empty(), "lost updates: {stale:#?}");
    let total: Decimal = given.values().copied().sum();
    println!("{made} allocations made, {refused} refused; {total} allocated of 450.00");
}
