use super::*;
use crate::model::{AllocationReason, MatchStrategy};
use chrono::TimeZone;

fn t() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A 100.00 USD Stripe invoice of `acct_1`, `open` in Stripe at import,
/// with `paid` paid in the books.
fn invoice(id: &str, ext: &str, paid: &str) -> Invoice {
    let paid = d(paid);
    let total = d("100.00");
    let status = if paid == total {
        "paid"
    } else if paid > Decimal::ZERO {
        "partially_paid"
    } else {
        "open"
    };
    serde_json::from_value(json!({
        "id": id,
        "source": { "system": "stripe", "account": "acct_1", "object": "invoice",
                    "external_id": ext, "status": "open" },
        "status": status, "currency": "usd",
        "subtotal": "100.00", "discount": "0", "tax": "0", "total": "100.00",
        "amount_due": "100.00", "amount_paid": paid.to_string(),
        "amount_remaining": (total - paid).to_string(), "amount_written_off": "0",
        "source_amount_paid": "0", "payment_refs": {}, "links": {}
    }))
    .expect("an invoice")
}

fn payment(id: &str, system: &str, account: &str, amount: &str) -> Payment {
    serde_json::from_value(json!({
        "id": id,
        "source": { "system": system, "account": account, "object": "payment",
                    "external_id": format!("ref-{id}"), "status": "succeeded" },
        "refs": {}, "links": {}, "status": "succeeded", "amount": amount, "currency": "usd",
        "fee": "0", "refunded": "0", "disputed": "0", "allocated": amount, "unapplied": "0",
        "received_at": "2026-02-20T00:00:00Z", "method": "bank_transfer"
    }))
    .expect("a payment")
}

fn alloc(p: &str, inv: &str, amount: &str) -> Allocation {
    Allocation {
        id: format!("al_{p}_{inv}"),
        payment_id: p.into(),
        invoice_id: inv.into(),
        amount: d(amount),
        currency: crate::money::Currency::USD,
        reason: AllocationReason {
            strategy: MatchStrategy::Manual,
            detail: "bank transfer".into(),
        },
        kind: AllocationKind::Payment,
        allocated_at: None,
    }
}

#[test]
fn the_method_follows_the_api_version() {
    let auto = WriteBackMethod::Auto;
    assert_eq!(
        auto.resolve("2025-03-31.basil"),
        WriteBackMethod::PaidOutOfBand
    );
    assert_eq!(
        auto.resolve("2025-09-30.clover"),
        WriteBackMethod::PaidOutOfBand
    );
    assert_eq!(
        auto.resolve("2025-10-29.clover"),
        WriteBackMethod::PaymentRecord
    );
    assert_eq!(
        auto.resolve("2026-03-25.dahlia"),
        WriteBackMethod::PaymentRecord
    );
    assert_eq!(
        WriteBackMethod::PaidOutOfBand.resolve("2026-03-25.dahlia"),
        WriteBackMethod::PaidOutOfBand
    );
    assert_eq!(
        WriteBackMethod::parse("payment_record"),
        Some(WriteBackMethod::PaymentRecord)
    );
    assert_eq!(WriteBackMethod::parse("x"), None);
}

#[test]
fn only_invoices_paid_outside_stripe_are_written_back_out_of_band() {
    let invoices = vec![
        invoice("inv_a", "in_a", "100.00"), // paid by a bank transfer
        invoice("inv_b", "in_b", "100.00"), // paid by a Stripe charge of acct_1
        invoice("inv_c", "in_c", "40.00"),  // part paid by a bank transfer
        invoice("inv_d", "in_d", "0"),      // nothing paid
    ];
    let payments = vec![
        payment("pay_bank", "books", "manual", "100.00"),
        payment("pay_stripe", "stripe", "acct_1", "100.00"),
        payment("pay_part", "books", "manual", "40.00"),
    ];
    let allocations = vec![
        alloc("pay_bank", "inv_a", "100.00"),
        alloc("pay_stripe", "inv_b", "100.00"),
        alloc("pay_part", "inv_c", "40.00"),
    ];
    let plan = plan_write_back(
        &invoices,
        &allocations,
        &payments,
        "acct_1",
        WriteBackMethod::PaidOutOfBand,
        t(),
    )
    .unwrap();
    assert_eq!(plan.intents.len(), 1, "{plan:?}");
    let i = &plan.intents[0];
    assert_eq!(i.kind, KIND_PAID_OUT_OF_BAND);
    assert_eq!(i.payload["path"], "/v1/invoices/in_a/pay");
    assert_eq!(i.payload["params"], json!({ "paid_out_of_band": true }));
    assert_eq!(i.payload["lookup"]["get"], "/v1/invoices/in_a");
    assert_eq!(i.subject.as_deref(), Some("inv_a"));
    assert_eq!(i.amount.unwrap().amount, d("100.00"));
    assert!(i.purpose.ends_with("/in_a/pay_bank"), "{}", i.purpose);
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].external_id, "in_c");
    assert!(plan.skipped[0].reason.contains("60.00"));

    // The same books give the same key; another payment gives another.
    let again = plan_write_back(
        &invoices,
        &allocations,
        &payments,
        "acct_1",
        WriteBackMethod::PaidOutOfBand,
        t() + chrono::Duration::days(1),
    )
    .unwrap();
    assert_eq!(again.intents[0].key, i.key);
    let other = plan_write_back(
        &invoices,
        &[alloc("pay_part", "inv_a", "100.00")],
        &payments,
        "acct_1",
        WriteBackMethod::PaidOutOfBand,
        t(),
    )
    .unwrap();
    assert_ne!(other.intents[0].key, i.key);

    // Another account's invoices, or ones no longer open in Stripe: nothing.
    assert!(
        plan_write_back(
            &invoices,
            &allocations,
            &payments,
            "acct_2",
            WriteBackMethod::PaidOutOfBand,
            t()
        )
        .unwrap()
        .intents
        .is_empty()
    );
    let mut closed = invoices.clone();
    closed[0].source.status = Some("paid".into());
    assert!(
        plan_write_back(
            &closed,
            &allocations,
            &payments,
            "acct_1",
            WriteBackMethod::PaidOutOfBand,
            t()
        )
        .unwrap()
        .intents
        .is_empty()
    );
}

#[test]
fn payment_records_write_back_each_payment_even_partial() {
    let invoices = vec![invoice("inv_c", "in_c", "40.00")];
    let payments = vec![payment("pay_part", "books", "manual", "40.00")];
    let allocations = vec![alloc("pay_part", "inv_c", "40.00")];
    let plan = plan_write_back(
        &invoices,
        &allocations,
        &payments,
        "acct_1",
        WriteBackMethod::PaymentRecord,
        t(),
    )
    .unwrap();
    assert!(plan.skipped.is_empty());
    assert_eq!(plan.intents.len(), 2);
    let (report, attach) = (&plan.intents[0], &plan.intents[1]);
    assert_eq!(report.kind, KIND_PAYMENT_RECORD);
    assert_eq!(report.payload["path"], "/v1/payment_records/report_payment");
    let p = &report.payload["params"];
    assert_eq!(
        p["amount_requested"],
        json!({ "value": 4000, "currency": "usd" })
    );
    assert_eq!(
        p["processor_details"]["custom"]["payment_reference"],
        "ref-pay_part"
    );
    assert_eq!(p["metadata"]["tieout_key"], report.key.as_str());
    assert_eq!(attach.kind, KIND_ATTACH_PAYMENT);
    assert_eq!(attach.payload["path"], "/v1/invoices/in_c/attach_payment");
    assert_eq!(attach.payload["record_from"], report.key.as_str());
    assert_ne!(attach.key, report.key);
}

#[test]
fn changes_in_stripe_are_named_and_paid_is_told_apart() {
    let inv = invoice("inv_a", "in_a", "100.00");
    let same = json!({ "status": "open", "total": 10000, "amount_due": 10000,
                       "amount_paid": 0, "currency": "usd" });
    assert!(
        changed_in_stripe(&inv, &same, Decimal::ZERO)
            .unwrap()
            .is_empty()
    );
    let voided = json!({ "status": "void", "total": 10000, "amount_due": 10000,
                         "amount_paid": 0, "currency": "usd" });
    assert_eq!(
        changed_in_stripe(&inv, &voided, Decimal::ZERO).unwrap(),
        vec!["status open -> void".to_string()]
    );
    let cut = json!({ "status": "open", "total": 10000, "amount_due": 5000,
                      "amount_paid": 0, "currency": "usd" });
    assert_eq!(
        changed_in_stripe(&inv, &cut, Decimal::ZERO).unwrap(),
        vec!["amount_due 10000 -> 5000".to_string()]
    );
    // Our own attached payment records are not a change.
    let attached = json!({ "status": "open", "total": 10000, "amount_due": 10000,
                           "amount_paid": 4000, "currency": "usd" });
    assert!(
        changed_in_stripe(&inv, &attached, d("40.00"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        changed_in_stripe(&inv, &attached, Decimal::ZERO)
            .unwrap()
            .len(),
        1
    );
    assert!(paid_in_stripe(&json!({ "status": "paid" })));
    assert!(!paid_in_stripe(&same));
    assert!(already_paid_refusal(None, "Invoice is already paid"));
    assert!(already_paid_refusal(Some("invoice_already_paid"), ""));
    assert!(!already_paid_refusal(
        Some("resource_missing"),
        "No such invoice"
    ));
}
