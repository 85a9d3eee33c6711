use chrono::TimeZone;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

use super::*;

fn d(s: &str) -> Decimal {
    s.parse().expect("a decimal")
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, 12, 0, 0).unwrap()
}

/// An open 100.00 USD invoice with nothing paid.
fn open_invoice() -> Invoice {
    let mut inv: Invoice = serde_json::from_value(json!({
        "id": "inv_1",
        "source": { "system": "stripe", "account": "acct_1", "object": "invoice",
                    "external_id": "in_1", "status": "open" },
        "status": "open", "currency": "usd",
        "subtotal": "100.00", "discount": "0", "tax": "0", "total": "100.00",
        "amount_due": "100.00", "amount_paid": "0", "amount_remaining": "100.00",
        "amount_written_off": "0", "source_amount_paid": "0",
        "payment_refs": {}
    }))
    .expect("an invoice");
    settle_to(&mut inv, Decimal::ZERO);
    inv
}

fn settle_to(inv: &mut Invoice, paid: Decimal) {
    let rules = rules_outside_import(&ReconcilePolicy::default());
    derive_invoice_totals(inv, paid, Decimal::ZERO, &rules);
}

#[test]
fn a_write_off_zeroes_the_open_amount_and_keeps_the_reason() {
    let mut inv = open_invoice();
    settle_to(&mut inv, d("30.00"));
    let plan = plan_write_off(&inv, " customer went bust ", at(5))
        .unwrap()
        .expect("a change");
    let w = plan.invoice.write_off.clone().expect("a write-off");
    assert_eq!(w.amount, d("70.00"));
    assert_eq!(w.reason, "customer went bust");
    assert_eq!(w.at, at(5));
    assert_eq!(w.state(), "written_off");
    assert_eq!(plan.invoice.amount_remaining, Decimal::ZERO);
    assert_eq!(plan.invoice.amount_written_off, d("70.00"));
    assert_eq!(plan.invoice.amount_paid, d("30.00"));
    assert_eq!(plan.invoice.status, InvoiceStatus::Uncollectible);
    assert!(plan.audit.notes[0].contains("customer went bust"));
    assert!(
        plan.audit.notes[0].contains("written off: 70.00"),
        "{}",
        plan.audit.notes[0]
    );
    // Again: nothing changes.
    assert_eq!(plan_write_off(&plan.invoice, "again", at(6)).unwrap(), None);
}

#[test]
fn paid_void_draft_and_reasonless_write_offs_are_refused() {
    let mut paid = open_invoice();
    settle_to(&mut paid, d("100.00"));
    assert!(matches!(
        plan_write_off(&paid, "late", at(5)),
        Err(CoreError::InvoiceSettled(_))
    ));
    let mut void = open_invoice();
    void.source.status = Some("void".into());
    settle_to(&mut void, Decimal::ZERO);
    assert!(matches!(
        plan_write_off(&void, "late", at(5)),
        Err(CoreError::InvoiceSettled(_))
    ));
    let mut draft = open_invoice();
    draft.source.status = Some("draft".into());
    settle_to(&mut draft, Decimal::ZERO);
    assert!(matches!(
        plan_write_off(&draft, "late", at(5)),
        Err(CoreError::Invalid(_))
    ));
    assert!(matches!(
        plan_write_off(&open_invoice(), "  ", at(5)),
        Err(CoreError::Invalid(_))
    ));
}

#[test]
fn a_later_payment_recovers_the_write_off() {
    let inv = open_invoice();
    let mut off = plan_write_off(&inv, "bust", at(5))
        .unwrap()
        .unwrap()
        .invoice;
    settle_to(&mut off, d("40.00"));
    let w = off.write_off.clone().unwrap();
    assert_eq!(w.recovered, d("40.00"));
    assert_eq!(w.state(), "partially_recovered");
    assert_eq!(off.amount_written_off, d("60.00"));
    assert_eq!(off.status, InvoiceStatus::Uncollectible);
    assert_eq!(off.amount_remaining, Decimal::ZERO);
    // Still written off: writing it off again changes nothing.
    assert_eq!(plan_write_off(&off, "again", at(6)).unwrap(), None);
    settle_to(&mut off, d("100.00"));
    let w = off.write_off.clone().unwrap();
    assert_eq!(w.state(), "recovered");
    assert_eq!(off.amount_written_off, Decimal::ZERO);
    assert_eq!(off.status, InvoiceStatus::Paid);
    assert!(matches!(
        plan_write_off(&off, "again", at(6)),
        Err(CoreError::InvoiceSettled(_))
    ));
    // Totals a shared store checks agree with what derived them.
    assert!(crate::reconcile::invoice_totals_agree(
        &off,
        d("100.00"),
        Decimal::ZERO
    ));
}

#[test]
fn money_taken_back_after_a_write_off_is_written_off_again_on_request() {
    let mut inv = open_invoice();
    settle_to(&mut inv, d("0.01"));
    let mut off = plan_write_off(&inv, "bust", at(5))
        .unwrap()
        .unwrap()
        .invoice;
    // The 0.01 is taken back: 0.01 open again beside the write-off.
    settle_to(&mut off, Decimal::ZERO);
    assert_eq!(off.amount_remaining, d("0.01"));
    assert_eq!(off.write_off.as_ref().unwrap().recovered, Decimal::ZERO);
    let again = plan_write_off(&off, "bust", at(6)).unwrap().unwrap();
    let w = again.invoice.write_off.clone().unwrap();
    assert_eq!(
        (w.amount, w.at, w.reason.as_str()),
        (d("100.00"), at(5), "bust")
    );
    assert_eq!(again.invoice.amount_remaining, Decimal::ZERO);
    assert_eq!(again.invoice.amount_written_off, d("100.00"));
    assert!(again.audit.notes[0].contains("extended by 0.01"));
    assert_eq!(plan_write_off(&again.invoice, "bust", at(7)).unwrap(), None);
}

#[derive(Clone, Debug)]
enum Step {
    Pay(i64),
    WriteOff,
    Refund(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..6_000).prop_map(Step::Pay),
        Just(Step::WriteOff),
        (1i64..6_000).prop_map(Step::Refund),
    ]
}

proptest! {
    /// Payments, refunds (taking allocations back) and write-offs in any
    /// order: payments and what stays written off never exceed the invoice,
    /// every cent of a payment is allocated or unapplied, and what is
    /// recovered plus what stays written off is what was written off.
    #[test]
    fn allocations_and_write_offs_never_exceed_the_invoice(steps in prop::collection::vec(step(), 1..24)) {
        let mut inv = open_invoice();
        let due = inv.collectible();
        let mut paid = Decimal::ZERO;
        for (n, s) in steps.iter().enumerate() {
            match s {
                Step::Pay(cents) => {
                    let amount = Decimal::new(*cents, 2);
                    // Settling's room: the collectible amount less payment
                    // allocations (a write-off by hand takes no room).
                    let room = (due - paid).max(Decimal::ZERO);
                    let allocated = amount.min(room);
                    let unapplied = amount - allocated;
                    prop_assert_eq!(allocated + unapplied, amount);
                    paid += allocated;
                }
                Step::Refund(cents) => {
                    paid = (paid - Decimal::new(*cents, 2)).max(Decimal::ZERO);
                }
                Step::WriteOff => {
                    let before = inv.clone();
                    match plan_write_off(&inv, "bust", at(1 + (n as u32 % 27))) {
                        Ok(Some(p)) => inv = p.invoice,
                        Ok(None) => prop_assert!(
                            written_off_by_hand(&before) > Decimal::ZERO
                                && before.amount_remaining.is_zero()
                        ),
                        Err(CoreError::InvoiceSettled(_)) => prop_assert!(before.amount_remaining.is_zero()),
                        Err(e) => prop_assert!(false, "unexpected {e}"),
                    }
                }
            }
            settle_to(&mut inv, paid);
            prop_assert!(inv.amount_paid + inv.amount_written_off <= inv.total);
            prop_assert_eq!(inv.amount_paid + inv.amount_written_off + inv.amount_remaining, due);
            if let Some(w) = &inv.write_off {
                prop_assert!(w.recovered >= Decimal::ZERO && w.recovered <= w.amount);
                prop_assert_eq!(w.outstanding() + w.recovered, w.amount);
                prop_assert_eq!(inv.amount_written_off, w.outstanding());
                prop_assert_eq!(inv.status == InvoiceStatus::Uncollectible, w.outstanding() > Decimal::ZERO);
            }
        }
    }
}

/// Sum of one entry's postings per currency is zero.
fn balanced(e: &crate::ledger::JournalEntry) -> bool {
    e.postings
        .iter()
        .map(|p| p.amount)
        .sum::<Decimal>()
        .is_zero()
}

#[test]
fn the_accrual_ledger_books_the_write_off_and_the_recovery_apart() {
    use crate::ledger::LedgerMapping;
    use crate::ledger::accrual::invoice_entries;
    let m = LedgerMapping::default();
    let mut inv = open_invoice();
    inv.issued_at = Some(at(1));
    let mut off = plan_write_off(&inv, "bust", at(5))
        .unwrap()
        .unwrap()
        .invoice;
    let entries = invoice_entries(&off, &m);
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["inv:in_1:issued", "inv:in_1:written_off"]);
    let w = &entries[1];
    assert!(balanced(w));
    assert_eq!(w.date, at(5).date_naive());
    let bad_debt: Decimal = w
        .postings
        .iter()
        .filter(|p| p.account == m.bad_debt)
        .map(|p| p.amount)
        .sum();
    assert_eq!(bad_debt, d("100.00"));
    // A payment of 40 recovers 40: the write-off entry is unchanged, the
    // recovery is its own entry taking 40 back out of bad debt.
    settle_to(&mut off, d("40.00"));
    let after = invoice_entries(&off, &m);
    assert_eq!(after[1], entries[1]);
    let r = after
        .iter()
        .find(|e| e.id == "inv:in_1:recovered")
        .expect("a recovery entry");
    assert!(balanced(r));
    let back: Decimal = r
        .postings
        .iter()
        .filter(|p| p.account == m.bad_debt)
        .map(|p| p.amount)
        .sum();
    assert_eq!(back, d("-40.00"));
    // No tolerance write-off or uncollectible entry doubles the bad debt.
    assert!(
        after
            .iter()
            .all(|e| !e.id.ends_with(":write_off") && !e.id.ends_with(":uncollectible"))
    );
}
