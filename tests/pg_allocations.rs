//! Allocations on shared PostgreSQL books from several connections at once:
//! manual allocations and reconcile runs racing on the same few payments and
//! invoices never over-allocate a payment or an invoice, and a payment's
//! `allocated` is always the sum of its allocations (the store checks the
//! caps inside the commit's transaction; the loser is refused, or plans
//! again).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use common::*;
use rust_decimal::Decimal;
use tieout::*;

const THREADS: usize = 4;
const PAYMENTS: usize = 3;
const INVOICES: usize = 6;

fn seed_books(books: &Books) {
    let mut items = vec![customer("cus_A", "Acme", "a@example.com")];
    for i in 0..INVOICES {
        items.push(invoice(
            &format!("in_{i}"),
            "cus_A",
            "open",
            d("100.00"),
            Decimal::ZERO,
            i as i64,
        ));
    }
    for p in 0..PAYMENTS {
        items.push(charge(
            &format!("ch_{p}"),
            &format!("pi_{p}"),
            "cus_A",
            d("150.00"),
            10 + p as i64,
        ));
    }
    let mut plan = ImportPlan::default();
    plan.policy.match_on_import = false;
    let run = run(books.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
    assert_eq!(run.totals.failed, 0);
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
    let total: Decimal = given.values().copied().sum();
    println!("{made} allocations made, {refused} refused; {total} allocated of 450.00");
}
