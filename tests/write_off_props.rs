//! Property: payments, write-offs by hand and unallocations (money taken
//! back) on one invoice, in random order, through the facade: what is paid
//! plus what stays written off never exceeds the invoice, and with what is
//! open it is exactly the invoice; every cent of every payment is allocated
//! or unapplied; a write-off is recovered by what is paid after it.

mod common;

use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tieout::*;

#[derive(Clone, Debug)]
enum Step {
    Pay(i64),
    WriteOff,
    Unallocate(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1i64..9_000).prop_map(Step::Pay),
        2 => Just(Step::WriteOff),
        1 => (0usize..8).prop_map(Step::Unallocate),
    ]
}

fn invoice(books: &Books, id: &str) -> Invoice {
    match books.get(EntityKind::Invoice, id).unwrap() {
        Some(Entity::Invoice(i)) => i,
        other => panic!("invoice {id}: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn payments_write_offs_and_reversals_in_any_order_keep_every_cent(
        steps in prop::collection::vec(step(), 1..14)
    ) {
        let books = Books::in_memory();
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let draft = InvoiceDraft::new(&c.id, Currency::USD)
            .line(DraftLine::item("Work", d("1"), d("100.00")))
            .due(ts(30));
        let inv = books.create_invoice(&draft, None, ts(1)).unwrap();
        let inv = books.issue_invoice(&inv.id, ts(1)).unwrap();
        let total = inv.total;
        let mut written_off_once = false;
        for (n, s) in steps.iter().enumerate() {
            let at = ts(2 + n as i64);
            match s {
                Step::Pay(cents) => {
                    let amount = Decimal::new(*cents, 2);
                    let p = books
                        .record_payment(&ManualPayment {
                            reference: format!("bank-{n}"),
                            customer_id: Some(c.id.clone()),
                            amount,
                            currency: Currency::USD,
                            received_at: at,
                            method: None,
                            description: None,
                        })
                        .unwrap();
                    // Room for payments: what payments have not filled (a
                    // write-off by hand takes none).
                    let now = invoice(&books, &inv.id);
                    let room = now.collectible() - now.amount_paid;
                    let put = amount.min(room);
                    if put > Decimal::ZERO {
                        books.allocate(&p.id, &inv.id, put).unwrap();
                    }
                }
                Step::WriteOff => {
                    let before = invoice(&books, &inv.id);
                    match books.write_off(&inv.id, "gone", at) {
                        Ok(after) => {
                            written_off_once = true;
                            prop_assert_eq!(after.amount_remaining, Decimal::ZERO);
                            prop_assert_eq!(after.status, InvoiceStatus::Uncollectible);
                        }
                        Err(e) => {
                            prop_assert_eq!(e.code(), "INVOICE_SETTLED");
                            prop_assert_eq!(before.amount_remaining, Decimal::ZERO);
                        }
                    }
                }
                Step::Unallocate(k) => {
                    let allocs: Vec<Allocation> = books
                        .allocations()
                        .unwrap()
                        .into_iter()
                        .filter(|a| a.invoice_id == inv.id)
                        .collect();
                    if !allocs.is_empty() {
                        books.unallocate(&allocs[k % allocs.len()].id).unwrap();
                    }
                }
            }
            let now = invoice(&books, &inv.id);
            let allocated: Decimal = books
                .allocations()
                .unwrap()
                .iter()
                .filter(|a| a.invoice_id == inv.id && a.kind == AllocationKind::Payment)
                .map(|a| a.amount)
                .sum();
            prop_assert_eq!(now.amount_paid, allocated);
            prop_assert!(now.amount_paid + now.amount_written_off <= total);
            prop_assert_eq!(now.amount_paid + now.amount_written_off + now.amount_remaining, total);
            if let Some(w) = &now.write_off {
                prop_assert!(written_off_once);
                prop_assert_eq!(w.recovered + w.outstanding(), w.amount);
                prop_assert_eq!(w.outstanding(), now.amount_written_off);
                // Recovered: what was paid beyond what was paid when it was written off.
                prop_assert_eq!(w.recovered, (now.amount_paid - (total - w.amount)).max(Decimal::ZERO));
                prop_assert_eq!(now.status == InvoiceStatus::Uncollectible, w.outstanding() > Decimal::ZERO);
            }
            for p in books.payments().unwrap() {
                prop_assert_eq!(p.amount, p.allocated + p.unapplied + p.refunded + p.disputed);
            }
        }
    }
}
