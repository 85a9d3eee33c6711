//! Two people allocating the same payment to the same invoice at the same
//! moment, from separate connections (SQLite: two handles on one file;
//! PostgreSQL: two sessions): both amounts land. Each commit checks that the
//! payment, the invoice and their manual allocation are still as it read
//! them before planning; the one that finds them changed is refused and
//! planned again on what is there now, so it grows the allocation the other
//! wrote instead of overwriting it. (Before, the second commit replaced the
//! manual allocation with its own stale sum and one amount was lost, while
//! every derived total still agreed with the allocations.)

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use rust_decimal::Decimal;
use tieout::*;

const WRITERS: usize = 4;
const ROUNDS: usize = 12;

/// One open invoice of 10,000.00 and one settled 10,000.00 charge of one
/// customer, nothing matched on import: room for every allocation.
fn seed(books: &Books) -> (String, String) {
    let items = vec![
        customer("cus_A", "Acme", "a@example.com"),
        invoice("in_1", "cus_A", "open", d("10000.00"), Decimal::ZERO, 1),
        charge("ch_1", "pi_1", "cus_A", d("10000.00"), 2),
    ];
    let mut plan = ImportPlan::default();
    plan.policy.match_on_import = false;
    let run = run(books.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
    assert_eq!(run.totals.failed, 0);
    let payment = books.payments().unwrap()[0].id.clone();
    let invoice = books.invoices(&InvoiceFilter::default()).unwrap()[0]
        .id
        .clone();
    (payment, invoice)
}

/// `WRITERS` connections allocate the one payment to the one invoice,
/// `ROUNDS` times each, every round started together; returns the sum of
/// the amounts whose `allocate` succeeded and the count refused.
fn race(open: &(dyn Fn() -> Books + Sync), payment: &str, invoice: &str) -> (Decimal, usize) {
    let round = Arc::new(Barrier::new(WRITERS));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let round = Arc::clone(&round);
                s.spawn(move || {
                    let books = open();
                    let (mut made, mut refused) = (Decimal::ZERO, 0);
                    for r in 0..ROUNDS {
                        round.wait();
                        // Distinct amounts, so a lost one shows in the sum.
                        let amount = Decimal::new(100 + (w * 1_000 + r * 7) as i64, 2);
                        match books.allocate(payment, invoice, amount) {
                            Ok(a) => {
                                assert_eq!(a.payment_id, payment);
                                made += amount;
                            }
                            Err(e) if e.code() == "ALLOCATION_REJECTED" => refused += 1,
                            Err(e) => panic!("writer {w}: {e}"),
                        }
                    }
                    (made, refused)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold((Decimal::ZERO, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

/// Every allocated amount is in the books: the manual allocation holds the
/// sum of the calls that succeeded, and the payment's and invoice's totals
/// count it.
fn assert_nothing_lost(books: &Books, made: Decimal, refused: usize) {
    assert!(made > Decimal::ZERO, "some allocations were made");
    let allocations = books.allocations().unwrap();
    assert_eq!(
        allocations.len(),
        1,
        "one manual allocation: {allocations:#?}"
    );
    assert_eq!(
        allocations[0].amount, made,
        "the manual allocation holds every amount allocated ({refused} calls refused)"
    );
    let p = &books.payments().unwrap()[0];
    assert_eq!((p.allocated, p.unapplied), (made, p.amount - made));
    let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
    assert_eq!(
        (inv.amount_paid, inv.amount_remaining),
        (made, inv.amount_due - made)
    );
    println!("{made} allocated by {WRITERS} writers, {refused} calls refused");
}

#[test]
fn sqlite_writers_allocating_one_payment_to_one_invoice_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.db");
    let books = Books::open(&path).unwrap();
    let (payment, invoice) = seed(&books);
    let (made, refused) = race(&|| Books::open(&path).unwrap(), &payment, &invoice);
    assert_nothing_lost(&books, made, refused);
}

#[test]
fn postgres_writers_allocating_one_payment_to_one_invoice_lose_nothing() {
    let Some(url) = pg_url() else { return };
    let schema = PgSchema::fresh(&url);
    let books = Books::open_in_schema(&url, Some(&schema.name)).unwrap();
    let (payment, invoice) = seed(&books);
    let name = schema.name.clone();
    let (made, refused) = race(
        &|| Books::open_in_schema(&url, Some(&name)).unwrap(),
        &payment,
        &invoice,
    );
    assert_nothing_lost(&books, made, refused);
}
