//! Credit notes: an invoice partly credited shows the right open amount, the report
//! adds up with a credited column, and matching never allocates to a credited part.

mod common;

use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tieout::core::reconcile::report::CurrencyTotals;
use tieout::stripe::map::{MapContext, map_object};
use tieout::*;

/// An open USD invoice of `total` cents; `pre_credited` is what its snapshot says
/// credit notes already took off (Stripe's `amount_due` excludes it).
fn invoice_json(total: i64, pre_credited: i64, status: &str) -> Value {
    let due = total - pre_credited;
    json!({"id": "in_C1", "object": "invoice", "customer": "cus_C1", "currency": "usd",
        "status": status, "number": "CN-TEST-1", "created": 1_700_000_000, "livemode": false,
        "subtotal": total, "total": total, "amount_due": due, "amount_paid": 0,
        "amount_remaining": due, "pre_payment_credit_notes_amount": pre_credited,
        "post_payment_credit_notes_amount": 0, "total_taxes": [],
        "status_transitions": {"finalized_at": 1_700_000_100},
        "lines": {"object": "list", "has_more": false, "data": [
            {"id": "il_C1", "object": "line_item", "amount": total, "currency": "usd", "quantity": 1}]}})
}

fn credit_note_json(id: &str, pre: i64, post: i64, status: &str) -> Value {
    json!({"id": id, "object": "credit_note", "invoice": "in_C1", "customer": "cus_C1",
        "currency": "usd", "amount": pre + post, "pre_payment_amount": pre,
        "post_payment_amount": post, "refund_amount": post, "credit_amount": 0,
        "out_of_band_amount": 0, "status": status, "type": if post > 0 { "post_payment" } else { "pre_payment" },
        "reason": "order_change", "number": format!("CN-{id}"), "created": 1_700_000_500,
        "effective_at": 1_700_000_500, "livemode": false,
        "lines": {"object": "list", "has_more": false, "data": [
            {"id": format!("cnli_{id}"), "object": "credit_note_line_item", "type": "invoice_line_item",
             "invoice_line_item": "il_C1", "amount": pre + post, "quantity": 1}]}})
}

fn charge_json(amount: i64) -> Value {
    json!({"id": "ch_C1", "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": 0, "currency": "usd", "status": "succeeded", "captured": true,
        "paid": true, "customer": "cus_C1", "invoice": "in_C1", "created": 1_700_001_000,
        "livemode": false})
}

fn import_json(books: &Books, objects: &[Value]) {
    for o in objects {
        let items = map_object(o, &MapContext::new(ACCT));
        let run = import_items(books, items, &ImportPlan::default());
        assert!(run.failures.is_empty(), "{:?}", run.failures);
    }
}

fn usd_totals(books: &Books) -> CurrencyTotals {
    let report = books
        .reconcile(&ReconcilePolicy::default())
        .expect("report");
    report.totals[&Currency::USD].clone()
}

#[test]
fn a_credit_note_maps_with_its_lines_links_and_split() {
    let items = map_object(
        &credit_note_json("cn_1", 3000, 0, "issued"),
        &MapContext::new(ACCT),
    );
    let [SourceItem::Record(Record::CreditNote(c))] = items.as_slice() else {
        panic!("{items:?}")
    };
    assert_eq!(c.invoice_ref, "in_C1");
    assert_eq!(c.amount, d("30.00"));
    assert_eq!(c.pre_payment_amount, d("30.00"));
    assert_eq!(c.post_payment_amount, d("0.00"));
    assert_eq!(c.reason.as_deref(), Some("order_change"));
    assert_eq!(c.lines.len(), 1);
    assert_eq!(c.lines[0].invoice_line_ref.as_deref(), Some("il_C1"));
}

#[test]
fn an_invoice_partly_credited_shows_the_right_open_amount_in_any_order() {
    let cases: [&[Value]; 2] = [
        &[
            invoice_json(10_000, 0, "open"),
            credit_note_json("cn_1", 3000, 0, "issued"),
        ],
        &[
            credit_note_json("cn_1", 3000, 0, "issued"),
            invoice_json(10_000, 0, "open"),
        ],
    ];
    for objects in cases {
        let books = Books::in_memory();
        import_json(&books, objects);
        let inv = inv_by_ext(&books, "in_C1");
        assert_eq!(inv.amount_credited, d("30.00"));
        assert_eq!(inv.amount_remaining, d("70.00"));
        let [c] = books.credit_notes().unwrap().try_into().unwrap();
        assert_eq!(c.invoice_id.as_deref(), Some(inv.id.as_str()));
        let t = usd_totals(&books);
        assert_eq!(t.invoiced, d("100.00"));
        assert_eq!(t.credited, d("30.00"));
        assert_eq!(t.open, d("70.00"));
        assert!(t.adds_up, "{t:?}");
    }
}

#[test]
fn a_snapshot_that_already_excludes_the_credit_is_not_credited_twice() {
    let books = Books::in_memory();
    import_json(
        &books,
        &[
            invoice_json(10_000, 3000, "open"),
            credit_note_json("cn_1", 3000, 0, "issued"),
        ],
    );
    let inv = inv_by_ext(&books, "in_C1");
    assert_eq!(inv.amount_due, d("70.00"));
    assert_eq!(inv.amount_credited, d("30.00"));
    assert_eq!(inv.amount_remaining, d("70.00"));
    let t = usd_totals(&books);
    assert_eq!(
        (t.invoiced, t.credited, t.open),
        (d("100.00"), d("30.00"), d("70.00"))
    );
    assert!(t.adds_up, "{t:?}");
}

#[test]
fn a_void_credit_note_credits_nothing() {
    let books = Books::in_memory();
    import_json(
        &books,
        &[
            invoice_json(10_000, 0, "open"),
            credit_note_json("cn_1", 3000, 0, "issued"),
        ],
    );
    import_json(&books, &[credit_note_json("cn_1", 3000, 0, "void")]);
    let inv = inv_by_ext(&books, "in_C1");
    assert_eq!(inv.amount_credited, d("0.00"));
    assert_eq!(inv.amount_remaining, d("100.00"));
}

#[test]
fn a_payment_of_the_full_total_fills_only_the_uncredited_part() {
    let books = Books::in_memory();
    import_json(
        &books,
        &[
            invoice_json(10_000, 0, "open"),
            credit_note_json("cn_1", 3000, 0, "issued"),
            charge_json(10_000),
        ],
    );
    let allocated: Decimal = allocs_to(&books, "in_C1").iter().map(|a| a.amount).sum();
    assert_eq!(allocated, d("70.00"));
    let p = pay_by_charge(&books, "ch_C1");
    assert_eq!(p.unapplied, d("30.00"));
    assert_payment_invariant(&books);
    let inv = inv_by_ext(&books, "in_C1");
    assert_eq!(inv.status, InvoiceStatus::Paid);
    assert!(usd_totals(&books).adds_up);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the amounts and arrival order, allocations to an invoice never exceed
    /// its uncredited part, and invoiced = paid + written off + open + credited.
    #[test]
    fn matching_never_allocates_to_a_credited_part(
        total in 100i64..50_000,
        credit_pct in 0i64..=100,
        pay_pct in 0i64..=150,
        order in any::<u64>(),
    ) {
        let credit = total * credit_pct / 100;
        let pay = (total * pay_pct / 100).max(1);
        let mut objects = vec![
            invoice_json(total, 0, "open"),
            credit_note_json("cn_1", credit, 0, "issued"),
            charge_json(pay),
        ];
        let mut seed = order;
        for i in (1..objects.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            objects.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let books = Books::in_memory();
        import_json(&books, &objects);
        let allocated: Decimal = allocs_to(&books, "in_C1").iter().map(|a| a.amount).sum();
        prop_assert!(allocated <= Decimal::new(total - credit, 2));
        let inv = inv_by_ext(&books, "in_C1");
        prop_assert_eq!(inv.amount_credited, Decimal::new(credit, 2));
        assert_payment_invariant(&books);
        let t = usd_totals(&books);
        prop_assert!(t.adds_up, "{:?}", t);
    }
}
