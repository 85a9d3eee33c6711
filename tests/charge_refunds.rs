//! A charge's own `amount_refunded` is authoritative for the total refunded; refund
//! records add detail without double counting, whatever order they arrive in.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use tieout::stripe::map::{MapContext, map_object};
use tieout::*;

fn charge_json(amount_refunded: i64) -> Value {
    json!({"id": "ch_R1", "object": "charge", "amount": 1500, "amount_captured": 1500,
        "amount_refunded": amount_refunded, "currency": "usd", "status": "succeeded",
        "captured": true, "paid": true, "refunded": amount_refunded == 1500,
        "customer": "cus_R1", "created": 1_700_000_000, "livemode": false})
}

fn refund_json(id: &str, amount: i64, charge: &str, day: i64) -> Value {
    json!({"id": id, "object": "refund", "amount": amount, "currency": "usd",
        "status": "succeeded", "charge": charge, "created": 1_700_000_000 + day * 86_400})
}

fn items(v: &Value) -> Vec<SourceItem> {
    let items = map_object(v, &MapContext::new(ACCT));
    assert!(
        items.iter().all(|i| matches!(i, SourceItem::Record(_))),
        "{items:?}"
    );
    items
}

fn import_each(books: &Books, objects: &[Value]) {
    for o in objects {
        let run = import_items(books, items(o), &ImportPlan::default());
        assert!(run.failures.is_empty(), "{:?}", run.failures);
    }
}

#[test]
fn charge_alone_says_what_was_refunded() {
    let books = Books::in_memory();
    import_each(&books, &[charge_json(500)]);
    let p = pay_by_charge(&books, "ch_R1");
    assert_eq!(p.refunded, d("5.00"));
    assert_eq!(p.unapplied, d("10.00"));
    assert_payment_invariant(&books);
}

#[test]
fn refunds_naming_another_charge_do_not_count_and_the_charge_summary_stays() {
    let books = Books::in_memory();
    import_each(
        &books,
        &[charge_json(500), refund_json("re_X", 700, "ch_OTHER", 2)],
    );
    assert_eq!(pay_by_charge(&books, "ch_R1").refunded, d("5.00"));
    assert_payment_invariant(&books);
}

#[test]
fn a_refund_newer_than_the_charge_snapshot_still_counts() {
    let books = Books::in_memory();
    import_each(
        &books,
        &[charge_json(0), refund_json("re_1", 300, "ch_R1", 3)],
    );
    assert_eq!(pay_by_charge(&books, "ch_R1").refunded, d("3.00"));
    assert_payment_invariant(&books);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever order the charge (stating the total) and its refunds arrive in, the
    /// payment's refunded is the charge's total once (even when some refunds never arrive),
    /// and the invariant holds at every step.
    #[test]
    fn refunded_is_counted_once_in_any_arrival_order(
        parts in proptest::collection::vec((1i64..=400, any::<bool>()), 0..4),
        order in any::<u64>(),
    ) {
        // Every refund is in the charge's total; only some reach the books.
        let total: i64 = parts.iter().map(|(a, _)| a).sum();
        let mut objects = vec![charge_json(total)];
        for (i, (a, arrives)) in parts.iter().enumerate() {
            if *arrives {
                objects.push(refund_json(&format!("re_{i}"), *a, "ch_R1", i as i64 + 1));
            }
        }
        let arrived = objects.len() - 1;
        // A deterministic shuffle from the drawn seed.
        let mut seed = order;
        for i in (1..objects.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            objects.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let books = Books::in_memory();
        for o in &objects {
            import_each(&books, std::slice::from_ref(o));
            assert_payment_invariant(&books);
        }
        let p = pay_by_charge(&books, "ch_R1");
        prop_assert_eq!(p.refunded, rust_decimal::Decimal::new(total, 2));
        prop_assert_eq!(p.amount, p.allocated + p.unapplied + p.refunded + p.disputed);
        prop_assert_eq!(books.refunds().unwrap().len(), arrived);
    }
}
