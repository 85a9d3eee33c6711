//! The store conformance suite: the behaviour every [`Store`] must have.
//!
//! Each `check_*` function takes a fresh, empty store, writes realistic books
//! through [`Store::commit`] and panics with a clear message on the first
//! broken promise. [`run_all`] runs every check, each on a new store from
//! `make`:
//!
//! ```
//! use tieout_core::store::{conformance, MemoryStore, Store};
//!
//! conformance::run_all(&mut || Box::new(MemoryStore::new()) as Box<dyn Store>);
//! ```
//!
//! The atomicity check needs the store's fault hook,
//! [`Store::inject_commit_failure`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{ChangeSet, Store};
use crate::entity::{Entity, EntityKind};
use crate::error::CoreError;
use crate::model::*;
use crate::money::Currency;

mod paged;
pub use paged::check_paged_queries;

/// One conformance check: runs against a fresh, empty store.
pub type Check = fn(&mut dyn Store);

/// How many checks [`run_all`] runs (each on its own fresh store).
pub const CHECKS: usize = 16;

/// Runs every check, each on a fresh store from `make`.
pub fn run_all(make: &mut dyn FnMut() -> Box<dyn Store>) {
    run_where(make, &|_| true);
}

/// The checks that a failed commit leaves nothing behind: a scratch store
/// (a review's staging file, thrown away when anything fails) does not
/// promise it.
pub const ATOMICITY_CHECKS: [&str; 2] = [
    "failed_commit_leaves_nothing",
    "invalid_commit_leaves_nothing",
];

/// Runs the checks whose names `keep` accepts, each on a fresh store from
/// `make`; returns how many ran.
pub fn run_where(make: &mut dyn FnMut() -> Box<dyn Store>, keep: &dyn Fn(&str) -> bool) -> usize {
    let mut ran = 0;
    let checks: [(&str, Check); CHECKS] = [
        ("empty_store", check_empty_store),
        ("create", check_create),
        ("every_kind_round_trips", check_every_kind_round_trips),
        ("update_replaces_same_id", check_update_replaces_same_id),
        ("resolve_external_ids", check_resolve_external_ids),
        ("resolve_many_keys", check_resolve_many_keys),
        ("get_and_list", check_get_and_list),
        ("list_by_customer", check_list_by_customer),
        ("allocations_for", check_allocations_for),
        ("deletes", check_deletes),
        ("alias_removals", check_alias_removals),
        (
            "failed_commit_leaves_nothing",
            check_failed_commit_leaves_nothing,
        ),
        (
            "invalid_commit_leaves_nothing",
            check_invalid_commit_leaves_nothing,
        ),
        ("checkpoint_round_trip", check_checkpoint_round_trip),
        ("import_run_round_trip", check_import_run_round_trip),
        ("paged_queries", check_paged_queries),
    ];
    for (name, check) in checks.into_iter().filter(|(n, _)| keep(n)) {
        let _report = NameOnPanic(name);
        let mut store = make();
        check(store.as_mut());
        ran += 1;
    }
    ran
}

/// Names the failing check when a check panics.
struct NameOnPanic(&'static str);

impl Drop for NameOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("store conformance check `check_{}` failed", self.0);
        }
    }
}

// ---------------------------------------------------------------------------
// Record builders: realistic Stripe-shaped books.

const SYSTEM: &str = "stripe";
const ACCOUNT: &str = "acct_1OqXyZ2eZvKYlo2C";
const OTHER_ACCOUNT: &str = "acct_1PbTq8HkR3mN5sLd";

fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|e| panic!("bad decimal {s:?}: {e}"))
}

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_else(|| panic!("bad timestamp {secs}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

// 2024-03-01T09:30:00Z
const T0: i64 = 1_709_285_400;
const DAY: i64 = 86_400;

fn key(object: &str, external_id: &str) -> ExternalKey {
    ExternalKey::new(SYSTEM, ACCOUNT, object, external_id)
}

fn source(object: &str, external_id: &str, status: Option<&str>) -> SourceRef {
    SourceRef {
        system: SYSTEM.to_string(),
        account: ACCOUNT.to_string(),
        object: object.to_string(),
        external_id: external_id.to_string(),
        status: status.map(str::to_string),
        url: Some(format!(
            "https://dashboard.stripe.com/test/{object}s/{external_id}"
        )),
        updated_at: Some(DateTime::from_timestamp(T0 + DAY, 250_000_000).unwrap_or_default()),
        created_at: Some(ts(T0)),
        livemode: false,
        original_customer: None,
    }
}

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn customer(id: &str, cus: &str, name: &str, email: &str) -> Customer {
    Customer {
        id: id.to_string(),
        source: Some(source("customer", cus, None)),
        kind: CustomerKind::Company,
        name: Some(name.to_string()),
        email: Some(email.to_string()),
        phone: Some("+49 30 901820".to_string()),
        address: Some(Address {
            line1: Some("Friedrichstraße 68".to_string()),
            line2: None,
            city: Some("Berlin".to_string()),
            state: None,
            postal_code: Some("10117".to_string()),
            country: Some("DE".to_string()),
        }),
        deleted: false,
        metadata: meta(&[("crm_id", "0015g00000XyZ12")]),
    }
}

fn line(il: &str, description: &str, quantity: &str, unit: &str, amount: &str) -> InvoiceLine {
    InvoiceLine {
        external_id: Some(il.to_string()),
        description: Some(description.to_string()),
        quantity: dec(quantity),
        unit_amount: Some(dec(unit)),
        amount: dec(amount),
        tax: dec(amount) * dec("0.20"),
        period_start: Some(ts(T0)),
        period_end: Some(ts(T0 + 31 * DAY)),
        price_ref: Some("price_1OqY2bHkR3mN5sLdPro".to_string()),
        product_ref: Some("prod_PfWxYz1234Pro".to_string()),
        subscription_item_ref: Some("si_PfWxYzItem01".to_string()),
        proration: false,
    }
}

/// An EUR invoice: 1000.00 plan + 2 x 50.00 seats, 20% VAT, total 1320.00.
fn invoice(id: &str, in_id: &str, customer_id: Option<&str>, status: InvoiceStatus) -> Invoice {
    let total = dec("1320.00");
    let paid = if status == InvoiceStatus::Paid {
        total
    } else {
        Decimal::ZERO
    };
    Invoice {
        id: id.to_string(),
        source: source(
            "invoice",
            in_id,
            Some(if paid > Decimal::ZERO { "paid" } else { "open" }),
        ),
        customer_id: customer_id.map(str::to_string),
        customer_ref: Some(OriginalCustomer {
            external_id: "cus_PfWxYz12345678".to_string(),
            name: Some("Müller & Söhne GmbH".to_string()),
            email: Some("billing@mueller-soehne.de".to_string()),
        }),
        subscription_id: Some("subs_0a1b2c3d4e5f60718293".to_string()),
        subscription_ref: Some("sub_1OqY3cHkR3mN5sLd".to_string()),
        number: Some(format!("MS-{}", &in_id[in_id.len().saturating_sub(4)..])),
        status,
        currency: Currency::EUR,
        subtotal: dec("1100.00"),
        discount: Decimal::ZERO,
        tax: dec("220.00"),
        total,
        amount_due: total,
        amount_paid: paid,
        amount_remaining: total - paid,
        amount_written_off: Decimal::ZERO,
        source_amount_paid: paid,
        amount_credited: Default::default(),
        source_credited: Default::default(),
        write_off: None,
        lines_complete: true,
        issued_at: Some(ts(T0)),
        due_date: Some(ts(T0 + 14 * DAY)),
        paid_at: (paid > Decimal::ZERO).then(|| ts(T0 + 3 * DAY)),
        lines: vec![
            line(
                "il_1OqY4dHkR3mN5sLdA",
                "Pro plan (Mar 2024)",
                "1",
                "1000.00",
                "1000.00",
            ),
            line(
                "il_1OqY4dHkR3mN5sLdB",
                "Extra seat × 2",
                "2",
                "50.00",
                "100.00",
            ),
        ],
        payment_refs: PaymentRefs {
            charge: Some("ch_3OqY5eHkR3mN5sLd0abc".to_string()),
            payment_intent: Some("pi_3OqY5eHkR3mN5sLd0xyz".to_string()),
            ..PaymentRefs::default()
        },
        metadata: meta(&[("order", "PO-2024-0311")]),
    }
}

/// A card payment of 1320.00 EUR settled in USD, with every source id that names it.
fn payment(id: &str, n: u32, customer_id: Option<&str>) -> Payment {
    let refs = PaymentRefs {
        charge: Some(format!("ch_3OqY5eHkR3mN5sLd{n:04}")),
        payment_intent: Some(format!("pi_3OqY5eHkR3mN5sLd{n:04}")),
        invoice_payments: vec![format!("inpay_1OqY6fHkR3mN5sLd{n:04}")],
        balance_transaction: Some(format!("txn_3OqY5eHkR3mN5sLd{n:04}")),
        checkout_session: Some(format!("cs_test_a1B2c3D4e5F6{n:04}")),
        paid_invoice: None,
    };
    Payment {
        id: id.to_string(),
        source: source(
            "charge",
            refs.charge.as_deref().unwrap_or_default(),
            Some("succeeded"),
        ),
        customer_id: customer_id.map(str::to_string),
        customer_ref: None,
        links: PaymentLinks {
            invoices: vec!["in_1OqY3cHkR3mN5sLd0001".to_string()],
            checkout_invoice: None,
            client_reference_id: Some("order-7781".to_string()),
            invoice_amounts: [("in_1OqY3cHkR3mN5sLd0001".to_string(), dec("1320.00"))]
                .into_iter()
                .collect(),
        },
        refs,
        status: PaymentStatus::Succeeded,
        amount: dec("1320.00"),
        currency: Currency::EUR,
        settlement_amount: Some(dec("1431.41")),
        settlement_currency: Some(Currency::USD),
        fx_rate: Some(dec("1.084402")),
        fee: dec("41.81"),
        fee_details: vec![FeeDetail {
            amount: dec("41.81"),
            currency: Currency::USD,
            kind: "stripe_fee".to_string(),
            description: Some("Stripe processing fees".to_string()),
        }],
        net: Some(dec("1389.60")),
        method: Some("card".to_string()),
        received_at: Some(ts(T0 + 3 * DAY)),
        refunded: Decimal::ZERO,
        disputed: Decimal::ZERO,
        allocated: dec("1320.00"),
        unapplied: Decimal::ZERO,
        unapplied_reasons: Vec::new(),
        refunded_reported: None,
        description: Some("Invoice MS-0001".to_string()),
        metadata: meta(&[("invoice_number", "MS-0001")]),
    }
}

/// A payment's allocation to an invoice for store tests: `amount` in EUR
/// (a decimal string), an explicit link, allocated at the suite's fixed time.
pub fn allocation(id: &str, payment_id: &str, invoice_id: &str, amount: &str) -> Allocation {
    Allocation {
        id: id.to_string(),
        payment_id: payment_id.to_string(),
        invoice_id: invoice_id.to_string(),
        amount: dec(amount),
        currency: Currency::EUR,
        reason: AllocationReason {
            strategy: MatchStrategy::ExplicitLink,
            detail: format!("invoice payment names {invoice_id}"),
        },
        kind: AllocationKind::Payment,
        allocated_at: Some(ts(T0 + 3 * DAY)),
    }
}

fn subscription(id: &str, sub: &str, customer_id: Option<&str>) -> Subscription {
    Subscription {
        id: id.to_string(),
        source: source("subscription", sub, Some("active")),
        customer_id: customer_id.map(str::to_string),
        customer_ref: None,
        status: SubscriptionStatus::Active,
        currency: Currency::EUR,
        amount: dec("1100.00"),
        interval: Interval::Month,
        interval_count: 1,
        start_date: Some(ts(T0 - 60 * DAY)),
        current_period_start: Some(ts(T0)),
        current_period_end: Some(ts(T0 + 31 * DAY)),
        next_billing_date: Some(ts(T0 + 31 * DAY)),
        cancel_at_period_end: false,
        canceled_at: None,
        ended_at: None,
        trial_end: None,
        items: vec![SubscriptionItem {
            external_id: Some("si_PfWxYzItem01".to_string()),
            price_ref: Some("price_1OqY2bHkR3mN5sLdPro".to_string()),
            product_ref: Some("prod_PfWxYz1234Pro".to_string()),
            quantity: dec("1"),
            unit_amount: Some(dec("1100.00")),
            interval: Interval::Month,
            interval_count: 1,
            current_period_start: Some(ts(T0)),
            current_period_end: Some(ts(T0 + 31 * DAY)),
        }],
    }
}

fn import_run(id: &str, status: RunStatus) -> ImportRun {
    let done = status != RunStatus::Running;
    let invoices = Counts {
        created: 120,
        updated: 4,
        unchanged: 3_071,
        skipped: 2,
        failed: u64::from(status == RunStatus::PartiallyFailed),
    };
    let payments = Counts {
        created: 118,
        updated: 1,
        unchanged: 2_990,
        skipped: 0,
        failed: 0,
    };
    let mut totals = Counts::default();
    totals.add(&invoices);
    totals.add(&payments);
    ImportRun {
        id: id.to_string(),
        plan_hash: "9f2c4e1ab37d05c8e6f1a2b3c4d5e6f7".to_string(),
        source: format!("{SYSTEM}/{ACCOUNT}"),
        mode: "test".to_string(),
        started_at: DateTime::from_timestamp(T0, 123_456_789).unwrap_or_default(),
        finished_at: done.then(|| ts(T0 + 95)),
        status,
        totals,
        by_object: [
            ("invoice".to_string(), invoices),
            ("charge".to_string(), payments),
        ]
        .into_iter()
        .collect(),
        failures: if status == RunStatus::PartiallyFailed {
            vec![Failure {
                object: "invoice".to_string(),
                external_id: "in_1OqZ9zHkR3mN5sLdBAD1".to_string(),
                error: "unknown currency \"xts\"".to_string(),
            }]
        } else {
            Vec::new()
        },
        notes: vec!["resumed from checkpoint in_1OqY3cHkR3mN5sLd0001".to_string()],
        error: None,
        summary: None,
    }
}

/// One record of every kind, with the amounts the stores must keep exactly
/// (the diff tests change these records field by field).
pub fn one_of_every_kind() -> Vec<Entity> {
    let cus = "cust_5c0ffee0000000000001";
    let pay = "pay_5c0ffee0000000000001";
    vec![
        Entity::Customer(customer(
            cus,
            "cus_PfWxYz12345678",
            "Müller & Söhne GmbH",
            "billing@mueller-soehne.de",
        )),
        Entity::Product(Product {
            id: "prod_5c0ffee0000000000001".to_string(),
            source: source("product", "prod_PfWxYz1234Pro", None),
            name: "Pro plan".to_string(),
            description: Some("Everything in Team, plus SSO".to_string()),
            active: true,
        }),
        Entity::Price(Price {
            id: "price_5c0ffee000000000001".to_string(),
            source: source("price", "price_1OqY2bHkR3mN5sLdPro", None),
            product_id: Some("prod_5c0ffee0000000000001".to_string()),
            product_ref: Some("prod_PfWxYz1234Pro".to_string()),
            currency: Currency::KWD,
            unit_amount: Some(dec("12.345")),
            recurring: Some(Recurring {
                interval: Interval::Year,
                interval_count: 1,
            }),
            active: true,
            nickname: Some("Pro yearly (KWD)".to_string()),
        }),
        Entity::Invoice(invoice(
            "inv_5c0ffee0000000000001",
            "in_1OqY3cHkR3mN5sLd0001",
            Some(cus),
            InvoiceStatus::Paid,
        )),
        Entity::Subscription(subscription(
            "subs_5c0ffee000000000001",
            "sub_1OqY3cHkR3mN5sLd",
            Some(cus),
        )),
        Entity::Payment(payment(pay, 1, Some(cus))),
        Entity::Refund(Refund {
            id: "rfnd_5c0ffee000000000001".to_string(),
            source: source("refund", "re_3OqY5eHkR3mN5sLd0001", Some("succeeded")),
            payment_id: Some(pay.to_string()),
            payment_refs: PaymentRefs {
                charge: Some("ch_3OqY5eHkR3mN5sLd0001".to_string()),
                ..PaymentRefs::default()
            },
            amount: dec("120.05"),
            currency: Currency::EUR,
            status: "succeeded".to_string(),
            reason: Some("requested_by_customer".to_string()),
            created_at: Some(ts(T0 + 10 * DAY)),
            balance_transaction: Some("txn_3OqY7gHkR3mN5sLdRfnd".to_string()),
        }),
        Entity::Dispute(Dispute {
            id: "disp_5c0ffee000000000001".to_string(),
            source: source("dispute", "du_1OqY8hHkR3mN5sLd0001", Some("needs_response")),
            payment_id: Some(pay.to_string()),
            payment_refs: PaymentRefs {
                charge: Some("ch_3OqY5eHkR3mN5sLd0001".to_string()),
                ..PaymentRefs::default()
            },
            amount: dec("1199.95"),
            currency: Currency::EUR,
            status: DisputeStatus::Other("charge_refunded_partially".to_string()),
            reason: Some("fraudulent".to_string()),
            created_at: Some(ts(T0 + 12 * DAY)),
        }),
        Entity::Allocation(allocation(
            "alloc_5c0ffee00000000001",
            pay,
            "inv_5c0ffee0000000000001",
            "1320.00",
        )),
        Entity::BalanceTransaction(BalanceTransaction {
            id: "btx_5c0ffee000000000001".to_string(),
            source: source("balance_transaction", "txn_3OqY5eHkR3mN5sLd0001", None),
            amount: dec("1431.41"),
            currency: Currency::USD,
            fee: dec("41.81"),
            fee_details: vec![FeeDetail {
                amount: dec("41.81"),
                currency: Currency::USD,
                kind: "stripe_fee".to_string(),
                description: None,
            }],
            net: dec("1389.60"),
            exchange_rate: Some(dec("1.084402")),
            kind: "charge".to_string(),
            reporting_category: Some("charge".to_string()),
            status: Some("available".to_string()),
            available_on: Some(ts(T0 + 5 * DAY)),
            source_object: Some("ch_3OqY5eHkR3mN5sLd0001".to_string()),
            payout_ref: Some("po_1OqYAjHkR3mN5sLd0001".to_string()),
            payment_id: Some(pay.to_string()),
        }),
        Entity::Payout(Payout {
            id: "pout_5c0ffee000000000001".to_string(),
            source: source("payout", "po_1OqYAjHkR3mN5sLd0001", Some("paid")),
            amount: dec("98765432.10"),
            currency: Currency::USD,
            status: "paid".to_string(),
            arrival_date: Some(date(2024, 3, 8)),
            automatic: true,
            method: Some("standard".to_string()),
            statement_descriptor: Some("STRIPE PAYOUT".to_string()),
            balance_transaction_ids: vec![
                "txn_3OqY5eHkR3mN5sLd0001".to_string(),
                "txn_3OqY7gHkR3mN5sLdRfnd".to_string(),
            ],
            deposit_id: Some("bank_5c0ffee000000000001".to_string()),
        }),
        Entity::BankLine(BankLine {
            id: "bank_5c0ffee000000000001".to_string(),
            account: Some("DE89 3704 0044 0532 0130 00".to_string()),
            date: date(2024, 3, 8),
            amount: dec("98765432.10"),
            currency: Currency::USD,
            description: Some("STRIPE PAYOUT po_1OqYAjHkR3mN5sLd0001".to_string()),
            reference: Some("ST-7QX2".to_string()),
            payout_id: Some("pout_5c0ffee000000000001".to_string()),
        }),
        Entity::ImportRun(import_run("run_5c0ffee000000000001", RunStatus::Succeeded)),
        Entity::CreditNote(CreditNote {
            id: "cn_5c0ffee000000000001".to_string(),
            source: source("credit_note", "cn_1OqYCnHkR3mN5sLd0001", Some("issued")),
            invoice_id: Some("inv_5c0ffee000000000001".to_string()),
            invoice_ref: "in_1OqY5dHkR3mN5sLd0001".to_string(),
            customer_id: Some("cust_5c0ffee000000000001".to_string()),
            customer_ref: None,
            number: Some("ST-7QX2-CN-01".to_string()),
            currency: Currency::USD,
            amount: dec("120.50"),
            pre_payment_amount: dec("100.00"),
            post_payment_amount: dec("20.50"),
            refund_amount: dec("20.50"),
            credit_amount: dec("0.00"),
            out_of_band_amount: dec("0.00"),
            refund_refs: vec!["re_3OqY7gHkR3mN5sLd0001".to_string()],
            customer_balance_transaction: None,
            reason: Some("order_change".to_string()),
            memo: Some("One seat removed".to_string()),
            effective_at: Some(ts(T0 + DAY)),
            voided_at: None,
            lines: vec![CreditNoteLine {
                external_id: Some("cnli_1OqYCnHkR3mN5sLd0001".to_string()),
                kind: "invoice_line_item".to_string(),
                description: Some("Seat".to_string()),
                quantity: dec("1"),
                amount: dec("100.00"),
                invoice_line_ref: Some("il_1OqY5dHkR3mN5sLd0001".to_string()),
            }],
        }),
        Entity::WriteRecord(write_record()),
        Entity::CollectionCase(collection_case()),
        Entity::LedgerExport(ledger_export()),
    ]
}

/// A cash entry as a Beancount export received it, adjusted once.
fn ledger_export() -> crate::ledger::ExportedEntry {
    use crate::ledger::{ExportMark, ExportedEntry, Posting, Target};
    ExportedEntry::new(
        Target::Beancount,
        "txn:txn_3OqY7gHkR3mN5sLd0001",
        ExportMark {
            at: ts(T0 + 10 * DAY),
            date: Some(ts(T0 + DAY).date_naive()),
            postings: vec![
                Posting::new("Assets:Stripe:Balance", dec("1199.95"), Currency::EUR).memo("net"),
                Posting::new("Expenses:Stripe:Fees", dec("34.61"), Currency::EUR).memo("fee"),
                Posting::new("Assets:Receivable", dec("-1234.56"), Currency::EUR)
                    .customer(Some("cust_5c0ffee000000000001")),
            ],
            adjustments: 1,
        },
    )
}

/// A write that failed once (retryable) and then succeeded.
fn write_record() -> crate::writes::WriteRecord {
    use crate::writes::{WriteIntent, WriteRecord};
    let t = ts(T0 + 8 * DAY);
    let mut intent = WriteIntent::new(
        "email",
        "follow_up",
        "followup/in_1OqY5eHkR3mN5sLd0001/reminder/v1",
        serde_json::json!({ "to": "ap@example.com", "text": "Open: 1234.56 EUR" }),
        t,
    );
    intent.subject = Some("inv_5c0ffee000000000001".to_string());
    intent.amount = Some(crate::Money::new(dec("1234.56"), Currency::EUR));
    let mut r = WriteRecord::planned(intent, t);
    r.begin_attempt(t);
    r.fail("451 try later", Some(ts(T0 + 9 * DAY)), t);
    r.begin_attempt(ts(T0 + 9 * DAY));
    r.succeed(
        Some("<wk_1@tieout>".to_string()),
        serde_json::json!({ "smtp": "250 OK" }),
        ts(T0 + 9 * DAY),
    );
    r
}

/// An open case whose invoice was partly paid.
fn collection_case() -> crate::collect::CollectionCase {
    use crate::collect::{AgeBasis, CaseEvent, CaseStatus, CollectionCase, Debtor};
    CollectionCase {
        id: "case_5c0ffee000000000001".to_string(),
        invoice_id: "inv_5c0ffee000000000001".to_string(),
        invoice_external_id: "in_1OqY5eHkR3mN5sLd0001".to_string(),
        invoice_number: Some("A1B2-0001".to_string()),
        invoice_url: Some("https://invoice.stripe.com/i/acct_1/in_1".to_string()),
        debtor: Debtor {
            customer_id: "cust_5c0ffee000000000001".to_string(),
            name: "Muster GmbH".to_string(),
            email: "ap@example.com".to_string(),
            address: crate::model::Address {
                line1: Some("Hauptstr. 1".to_string()),
                city: Some("Berlin".to_string()),
                postal_code: Some("10115".to_string()),
                country: Some("DE".to_string()),
                ..Default::default()
            },
        },
        currency: Currency::EUR,
        original_amount: dec("1234.56"),
        open_amount: dec("234.56"),
        age_from: ts(T0 - 29 * DAY),
        age_basis: AgeBasis::DueDate,
        status: CaseStatus::Open,
        close_reason: None,
        history: vec![CaseEvent {
            at: ts(T0 + 8 * DAY),
            status: CaseStatus::Open,
            open_amount: dec("234.56"),
            reason: "opened".to_string(),
        }],
    }
}

/// Every alias of an imported record: its own key, plus every payment source id.
fn aliases_of(e: &Entity) -> Vec<(ExternalKey, Id)> {
    let mut out = Vec::new();
    if let Some(s) = e.source() {
        out.push((s.key(), e.id().to_string()));
    }
    if let Entity::Payment(p) = e {
        for (object, external_id) in p.refs.pairs() {
            out.push((key(object, external_id), p.id.clone()));
        }
    }
    out
}

/// A change set creating `records` with all their aliases.
fn create(records: Vec<Entity>) -> ChangeSet {
    let aliases_add = records.iter().flat_map(aliases_of).collect();
    ChangeSet {
        upserts: records,
        aliases_add,
        ..ChangeSet::default()
    }
}

fn commit(store: &mut dyn Store, changes: &ChangeSet, what: &str) {
    if let Err(e) = store.commit(changes.clone()) {
        panic!("commit of {what} failed: {e}");
    }
}

fn ids(records: &[Entity]) -> Vec<&str> {
    records.iter().map(Entity::id).collect()
}

fn sorted_ids(records: &[Entity]) -> Vec<String> {
    let mut v: Vec<String> = records.iter().map(|e| e.id().to_string()).collect();
    v.sort();
    v
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn get(store: &dyn Store, kind: EntityKind, wanted: &[&str]) -> Vec<Entity> {
    store
        .get(kind, &strings(wanted))
        .unwrap_or_else(|e| panic!("get {} failed: {e}", kind.as_str()))
}

fn list(store: &dyn Store, kind: EntityKind) -> Vec<Entity> {
    store
        .list(kind)
        .unwrap_or_else(|e| panic!("list {} failed: {e}", kind.as_str()))
}

fn by_customer(store: &dyn Store, kind: EntityKind, customer_id: &str) -> Vec<Entity> {
    store
        .list_by_customer(kind, customer_id)
        .unwrap_or_else(|e| panic!("list_by_customer {} failed: {e}", kind.as_str()))
}

fn allocations(store: &dyn Store, payments: &[&str], invoices: &[&str]) -> Vec<Entity> {
    store
        .allocations_for(&strings(payments), &strings(invoices))
        .unwrap_or_else(|e| panic!("allocations_for failed: {e}"))
}

/// Resolves one key; `None` when it names nothing. Ids sorted.
fn resolve_one(store: &dyn Store, k: &ExternalKey) -> Option<Vec<Id>> {
    let mut map = store
        .resolve(std::slice::from_ref(k))
        .unwrap_or_else(|e| panic!("resolve failed: {e}"));
    assert!(
        map.len() <= 1,
        "resolve of one key returned {} keys",
        map.len()
    );
    map.remove(k).map(|mut v| {
        v.sort();
        v
    })
}

fn checkpoint(store: &dyn Store, stream: &str) -> Option<String> {
    store
        .checkpoint(stream)
        .unwrap_or_else(|e| panic!("checkpoint failed: {e}"))
}

/// Everything a store holds that the suite can see, for before/after comparisons.
#[derive(Debug, PartialEq)]
struct Snapshot {
    records: Vec<Vec<Entity>>,
    resolved: Vec<Option<Vec<Id>>>,
    checkpoint: Option<String>,
}

fn snapshot(store: &dyn Store, keys: &[ExternalKey], stream: &str) -> Snapshot {
    Snapshot {
        records: EntityKind::ALL.iter().map(|&k| list(store, k)).collect(),
        resolved: keys.iter().map(|k| resolve_one(store, k)).collect(),
        checkpoint: checkpoint(store, stream),
    }
}

// ---------------------------------------------------------------------------
// Checks.

/// A new store holds nothing, and an empty change set commits.
pub fn check_empty_store(store: &mut dyn Store) {
    for kind in EntityKind::ALL {
        assert!(
            list(store, kind).is_empty(),
            "new store lists {} records",
            kind.as_str()
        );
    }
    assert!(
        get(store, EntityKind::Invoice, &["inv_missing"]).is_empty(),
        "new store returned a record for get"
    );
    assert!(
        get(store, EntityKind::Invoice, &[]).is_empty(),
        "get of no ids returned records"
    );
    let resolved = store
        .resolve(&[key("invoice", "in_missing")])
        .unwrap_or_else(|e| panic!("resolve failed: {e}"));
    assert!(
        resolved.is_empty(),
        "new store resolved a key: {resolved:?}"
    );
    assert!(
        store
            .resolve(&[])
            .unwrap_or_else(|e| panic!("resolve of no keys failed: {e}"))
            .is_empty(),
        "resolve of no keys returned entries"
    );
    assert!(allocations(store, &["pay_x"], &["inv_x"]).is_empty());
    assert!(allocations(store, &[], &[]).is_empty());
    assert_eq!(checkpoint(store, "stripe/invoice"), None);
    commit(store, &ChangeSet::default(), "an empty change set");
    assert!(list(store, EntityKind::Invoice).is_empty());
}

/// Records and aliases committed together can be read back exactly.
pub fn check_create(store: &mut dyn Store) {
    let cus = customer(
        "cust_a1",
        "cus_PfWxYz12345678",
        "Müller & Söhne GmbH",
        "billing@mueller-soehne.de",
    );
    let inv = invoice(
        "inv_a1",
        "in_1OqY3cHkR3mN5sLd0001",
        Some("cust_a1"),
        InvoiceStatus::Paid,
    );
    let pay = payment("pay_a1", 1, Some("cust_a1"));
    let alloc = allocation("alloc_a1", "pay_a1", "inv_a1", "1320.00");
    let mut books_customer = Customer::new(
        "cust_books".to_string(),
        "Stripe Customer",
        CustomerKind::Contact,
    );
    books_customer.email = Some("payments@example.com".to_string());
    let records = vec![
        Entity::Customer(cus.clone()),
        Entity::Customer(books_customer.clone()),
        Entity::Invoice(inv.clone()),
        Entity::Payment(pay.clone()),
        Entity::Allocation(alloc.clone()),
    ];
    commit(store, &create(records), "new records");

    assert_eq!(
        get(store, EntityKind::Invoice, &["inv_a1"]),
        vec![Entity::Invoice(inv.clone())],
        "invoice did not round-trip"
    );
    assert_eq!(
        get(store, EntityKind::Payment, &["pay_a1"]),
        vec![Entity::Payment(pay.clone())],
        "payment did not round-trip"
    );
    assert_eq!(
        list(store, EntityKind::Customer),
        vec![Entity::Customer(cus), Entity::Customer(books_customer)],
        "customers (one imported, one created in the books without a source) not listed by id"
    );
    assert_eq!(
        list(store, EntityKind::Allocation),
        vec![Entity::Allocation(alloc)],
    );
    match get(store, EntityKind::Invoice, &["inv_a1"]).first() {
        Some(Entity::Invoice(i)) => {
            assert_eq!(i.total.to_string(), "1320.00", "amount scale lost");
            assert_eq!(i.lines.len(), 2, "invoice lines lost");
            assert_eq!(i.lines[1].quantity, dec("2"));
        }
        other => panic!("expected the invoice, got {other:?}"),
    }
    assert_eq!(
        resolve_one(store, &key("invoice", "in_1OqY3cHkR3mN5sLd0001")),
        Some(vec!["inv_a1".to_string()]),
        "invoice's own key does not resolve"
    );
    assert_eq!(
        resolve_one(store, &key("customer", "cus_PfWxYz12345678")),
        Some(vec!["cust_a1".to_string()]),
    );
    // Records are stored by kind: an id of one kind is not found under another.
    assert!(get(store, EntityKind::Payment, &["inv_a1"]).is_empty());
}

/// One record of every kind round-trips exactly, amounts and all.
pub fn check_every_kind_round_trips(store: &mut dyn Store) {
    let records = one_of_every_kind();
    assert_eq!(records.len(), EntityKind::ALL.len());
    commit(store, &create(records.clone()), "one record of every kind");
    assert!(
        !store
            .is_empty()
            .unwrap_or_else(|e| panic!("is_empty failed: {e}")),
        "a store holding records says it is empty"
    );
    for e in &records {
        let kind = e.kind();
        assert_eq!(
            list(store, kind),
            vec![e.clone()],
            "{} did not round-trip through list",
            kind.as_str()
        );
        assert_eq!(
            get(store, kind, &[e.id()]),
            vec![e.clone()],
            "{} did not round-trip through get",
            kind.as_str()
        );
    }
    match list(store, EntityKind::Price).first() {
        Some(Entity::Price(p)) => assert_eq!(
            p.unit_amount.map(|d| d.to_string()).as_deref(),
            Some("12.345"),
            "three-decimal KWD amount not kept exactly"
        ),
        other => panic!("expected a price, got {other:?}"),
    }
    match list(store, EntityKind::Payout).first() {
        Some(Entity::Payout(p)) => {
            assert_eq!(
                p.amount.to_string(),
                "98765432.10",
                "large amount not exact"
            )
        }
        other => panic!("expected a payout, got {other:?}"),
    }
}

/// Committing a record with an existing id replaces it, including the
/// customer it is listed under.
pub fn check_update_replaces_same_id(store: &mut dyn Store) {
    let open = invoice(
        "inv_u1",
        "in_1OqY3cHkR3mN5sLdUPD1",
        Some("cust_old"),
        InvoiceStatus::Open,
    );
    commit(
        store,
        &create(vec![Entity::Invoice(open)]),
        "an open invoice",
    );

    let mut paid = invoice(
        "inv_u1",
        "in_1OqY3cHkR3mN5sLdUPD1",
        Some("cust_new"),
        InvoiceStatus::Paid,
    );
    paid.amount_paid = dec("1320.00");
    paid.amount_remaining = dec("0.00");
    paid.lines.pop();
    paid.metadata
        .insert("note".to_string(), "paid by wire".to_string());
    let update = ChangeSet {
        upserts: vec![Entity::Invoice(paid.clone())],
        ..ChangeSet::default()
    };
    commit(store, &update, "the paid invoice");

    assert_eq!(
        list(store, EntityKind::Invoice),
        vec![Entity::Invoice(paid.clone())],
        "update did not replace the record with the same id"
    );
    assert!(
        by_customer(store, EntityKind::Invoice, "cust_old").is_empty(),
        "updated invoice still listed under its old customer"
    );
    assert_eq!(
        ids(&by_customer(store, EntityKind::Invoice, "cust_new")),
        vec!["inv_u1"],
        "updated invoice not listed under its new customer"
    );

    // Upserting twice in one change set: the last one wins.
    let mut void = paid.clone();
    void.status = InvoiceStatus::Void;
    let twice = ChangeSet {
        upserts: vec![Entity::Invoice(paid), Entity::Invoice(void.clone())],
        ..ChangeSet::default()
    };
    commit(store, &twice, "two versions of one invoice");
    assert_eq!(
        get(store, EntityKind::Invoice, &["inv_u1"]),
        vec![Entity::Invoice(void)],
        "the later upsert of one change set must win"
    );

    // The same across many records, versions far apart and out of id order
    // (a store that sorts its writes must keep the order of equal ids).
    let n = 200;
    let first: Vec<Entity> = (0..n)
        .rev()
        .map(|i| {
            let id = format!("inv_w{i:03}");
            Entity::Invoice(invoice(
                &id,
                &format!("in_W{i:03}"),
                None,
                InvoiceStatus::Open,
            ))
        })
        .collect();
    let second: Vec<Entity> = first
        .iter()
        .map(|e| match e {
            Entity::Invoice(i) => Entity::Invoice(Invoice {
                status: InvoiceStatus::Void,
                ..i.clone()
            }),
            other => other.clone(),
        })
        .collect();
    // First versions in descending id order, then second ones ascending.
    let mut upserts = first;
    upserts.extend(second.into_iter().rev());
    commit(
        store,
        &ChangeSet {
            upserts,
            ..ChangeSet::default()
        },
        "two versions of 200 invoices",
    );
    let voided = list(store, EntityKind::Invoice)
        .into_iter()
        .filter(|e| matches!(e, Entity::Invoice(i) if i.id.starts_with("inv_w") && i.status == InvoiceStatus::Void))
        .count();
    assert_eq!(
        voided, n,
        "the later of two upserts of one id must win, for every id"
    );
}

/// Every kind of external id resolves to the record it names: invoice, charge,
/// payment intent, invoice payment, balance transaction, checkout session, and
/// keys naming several records.
pub fn check_resolve_external_ids(store: &mut dyn Store) {
    let inv = invoice(
        "inv_r1",
        "in_1OqY3cHkR3mN5sLd0001",
        Some("cust_r"),
        InvoiceStatus::Paid,
    );
    let p1 = payment("pay_r1", 1, Some("cust_r"));
    let p2 = payment("pay_r2", 2, Some("cust_r"));
    let btx = match &one_of_every_kind()[9] {
        Entity::BalanceTransaction(b) => b.clone(),
        other => panic!("fixture order changed: {other:?}"),
    };
    let mut changes = create(vec![
        Entity::Invoice(inv),
        Entity::Payment(p1.clone()),
        Entity::Payment(p2.clone()),
        Entity::BalanceTransaction(btx.clone()),
    ]);
    // Two payments that both pay one invoice: the key names both.
    let paid_invoice = key("invoice_paid", "in_1OqY3cHkR3mN5sLd0001");
    changes
        .aliases_add
        .push((paid_invoice.clone(), "pay_r2".to_string()));
    changes
        .aliases_add
        .push((paid_invoice.clone(), "pay_r1".to_string()));
    // Adding the same alias twice is harmless.
    changes
        .aliases_add
        .push((paid_invoice.clone(), "pay_r1".to_string()));
    // The same external id in another account is another key.
    let other_account =
        ExternalKey::new(SYSTEM, OTHER_ACCOUNT, "invoice", "in_1OqY3cHkR3mN5sLd0001");
    changes
        .aliases_add
        .push((other_account.clone(), "inv_elsewhere".to_string()));
    commit(store, &changes, "payments with aliases");

    let one = |id: &str| Some(vec![id.to_string()]);
    assert_eq!(
        resolve_one(store, &key("invoice", "in_1OqY3cHkR3mN5sLd0001")),
        one("inv_r1"),
        "invoice id does not resolve"
    );
    assert_eq!(
        resolve_one(store, &other_account),
        one("inv_elsewhere"),
        "account is not part of the key"
    );
    for (p, n) in [(&p1, 1), (&p2, 2)] {
        for (object, external_id) in [
            ("charge", format!("ch_3OqY5eHkR3mN5sLd{n:04}")),
            ("payment_intent", format!("pi_3OqY5eHkR3mN5sLd{n:04}")),
            ("invoice_payment", format!("inpay_1OqY6fHkR3mN5sLd{n:04}")),
        ] {
            assert_eq!(
                resolve_one(store, &key(object, &external_id)),
                one(&p.id),
                "{object} {external_id} does not resolve to {}",
                p.id
            );
        }
        for (object, external_id) in p.refs.pairs() {
            assert_eq!(
                resolve_one(store, &key(object, external_id)),
                one(&p.id),
                "payment ref {object} {external_id} does not resolve to {}",
                p.id
            );
        }
    }
    assert_eq!(
        resolve_one(
            store,
            &key("balance_transaction", "txn_3OqY5eHkR3mN5sLd0001")
        ),
        one(&btx.id),
        "balance transaction id does not resolve"
    );
    assert_eq!(
        resolve_one(store, &paid_invoice),
        Some(vec!["pay_r1".to_string(), "pay_r2".to_string()]),
        "a key naming several payments must resolve to all of them, once each"
    );

    // A batch: found keys map to their ids, unknown keys are absent, a repeated
    // key is answered once.
    let batch = vec![
        key("charge", "ch_3OqY5eHkR3mN5sLd0001"),
        key("charge", "ch_unknown"),
        key("invoice_paid", "in_1OqY3cHkR3mN5sLd0001"),
        key("charge", "ch_3OqY5eHkR3mN5sLd0001"),
        ExternalKey::new("stripe", ACCOUNT, "refund", "ch_3OqY5eHkR3mN5sLd0001"),
    ];
    let map = store
        .resolve(&batch)
        .unwrap_or_else(|e| panic!("batch resolve failed: {e}"));
    assert_eq!(map.len(), 2, "batch resolve returned {map:?}");
    assert_eq!(map.get(&batch[0]), Some(&vec!["pay_r1".to_string()]));
    let mut several = map.get(&batch[2]).cloned().unwrap_or_default();
    several.sort();
    assert_eq!(several, vec!["pay_r1".to_string(), "pay_r2".to_string()]);
    assert!(!map.contains_key(&batch[1]), "unknown key resolved");
    assert!(
        !map.contains_key(&batch[4]),
        "object type is not part of the key"
    );
}

/// Resolve and get answer large batches correctly.
pub fn check_resolve_many_keys(store: &mut dyn Store) {
    const N: usize = 2_500;
    let records: Vec<Entity> = (0..N)
        .map(|i| {
            Entity::Invoice(invoice(
                &format!("inv_m{i:05}"),
                &format!("in_1OqY3cHkR3mN5sLd{i:05}"),
                Some("cust_m"),
                InvoiceStatus::Open,
            ))
        })
        .collect();
    commit(store, &create(records), "2,500 invoices");

    let mut keys: Vec<ExternalKey> = (0..N)
        .rev()
        .map(|i| key("invoice", &format!("in_1OqY3cHkR3mN5sLd{i:05}")))
        .collect();
    keys.extend((0..500).map(|i| key("invoice", &format!("in_missing{i}"))));
    // A key asked twice, and one naming three ids added out of order.
    keys.push(keys[7].clone());
    let shared = key("invoice", "in_shared");
    let cs = ChangeSet {
        aliases_add: ["inv_m00009", "inv_m00002", "inv_m00005"]
            .iter()
            .map(|id| (shared.clone(), id.to_string()))
            .collect(),
        ..Default::default()
    };
    commit(store, &cs, "a shared alias");
    keys.push(shared.clone());
    let map = store
        .resolve(&keys)
        .unwrap_or_else(|e| panic!("resolve of {} keys failed: {e}", keys.len()));
    assert_eq!(
        map.len(),
        N + 1,
        "resolve of many keys lost or invented some"
    );
    assert_eq!(
        map.get(&shared),
        Some(&vec![
            "inv_m00002".to_string(),
            "inv_m00005".to_string(),
            "inv_m00009".to_string()
        ]),
        "a key naming several ids resolved wrongly or out of id order"
    );
    for i in (0..N).step_by(97).chain([N - 1]) {
        let k = key("invoice", &format!("in_1OqY3cHkR3mN5sLd{i:05}"));
        assert_eq!(
            map.get(&k),
            Some(&vec![format!("inv_m{i:05}")]),
            "key {i} of a large batch resolved wrongly"
        );
    }

    let mut wanted: Vec<String> = (0..N).map(|i| format!("inv_m{i:05}")).collect();
    wanted.push("inv_missing".to_string());
    let got = store
        .get(EntityKind::Invoice, &wanted)
        .unwrap_or_else(|e| panic!("get of {} ids failed: {e}", wanted.len()));
    assert_eq!(got.len(), N, "get of many ids lost or invented some");
    let mut expected: Vec<String> = wanted[..N].to_vec();
    expected.sort();
    assert_eq!(sorted_ids(&got), expected);
}

/// `get` skips missing ids; `list` is ordered by id.
pub fn check_get_and_list(store: &mut dyn Store) {
    // Committed out of id order.
    let records: Vec<Entity> = ["inv_c", "inv_a", "inv_d", "inv_b"]
        .iter()
        .enumerate()
        .map(|(n, id)| {
            Entity::Invoice(invoice(
                id,
                &format!("in_1OqY3cHkR3mN5sLdL{n:03}"),
                Some("cust_l"),
                InvoiceStatus::Open,
            ))
        })
        .collect();
    commit(store, &create(records.clone()), "four invoices");

    assert_eq!(
        ids(&list(store, EntityKind::Invoice)),
        vec!["inv_a", "inv_b", "inv_c", "inv_d"],
        "list must be ordered by id"
    );
    let got = get(store, EntityKind::Invoice, &["inv_d", "inv_nope", "inv_a"]);
    assert_eq!(
        sorted_ids(&got),
        strings(&["inv_a", "inv_d"]),
        "get must return the found records and skip missing ids"
    );
    for e in &got {
        let original = records.iter().find(|r| r.id() == e.id());
        assert_eq!(Some(e), original, "get returned a different record");
    }
    assert!(get(store, EntityKind::Invoice, &["inv_nope"]).is_empty());
    assert!(list(store, EntityKind::Payment).is_empty());
}

/// `list_by_customer` returns a customer's invoices, payments and
/// subscriptions, ordered by id, and nothing for other kinds.
pub fn check_list_by_customer(store: &mut dyn Store) {
    let records = vec![
        Entity::Invoice(invoice(
            "inv_k2",
            "in_k2",
            Some("cust_acme"),
            InvoiceStatus::Open,
        )),
        Entity::Invoice(invoice(
            "inv_k1",
            "in_k1",
            Some("cust_acme"),
            InvoiceStatus::Paid,
        )),
        Entity::Invoice(invoice(
            "inv_k3",
            "in_k3",
            Some("cust_globex"),
            InvoiceStatus::Open,
        )),
        Entity::Invoice(invoice("inv_k4", "in_k4", None, InvoiceStatus::Draft)),
        Entity::Payment(payment("pay_k1", 11, Some("cust_acme"))),
        Entity::Payment(payment("pay_k2", 12, Some("cust_globex"))),
        Entity::Subscription(subscription("subs_k1", "sub_k1", Some("cust_acme"))),
        Entity::Allocation(allocation("alloc_k1", "pay_k1", "inv_k1", "1320.00")),
    ];
    commit(store, &create(records), "two customers' records");

    assert_eq!(
        ids(&by_customer(store, EntityKind::Invoice, "cust_acme")),
        vec!["inv_k1", "inv_k2"],
        "invoices of a customer, ordered by id"
    );
    assert_eq!(
        ids(&by_customer(store, EntityKind::Invoice, "cust_globex")),
        vec!["inv_k3"]
    );
    assert_eq!(
        ids(&by_customer(store, EntityKind::Payment, "cust_acme")),
        vec!["pay_k1"]
    );
    assert_eq!(
        ids(&by_customer(store, EntityKind::Subscription, "cust_acme")),
        vec!["subs_k1"]
    );
    assert!(by_customer(store, EntityKind::Subscription, "cust_globex").is_empty());
    assert!(by_customer(store, EntityKind::Invoice, "cust_nobody").is_empty());
    assert!(
        by_customer(store, EntityKind::Allocation, "cust_acme").is_empty(),
        "allocations have no customer"
    );
    assert!(by_customer(store, EntityKind::Invoice, "").is_empty());
}

/// `allocations_for` finds allocations by payment or by invoice, once each.
pub fn check_allocations_for(store: &mut dyn Store) {
    // pay_1 splits over inv_1 and inv_2; pay_2 pays the rest of inv_2 and inv_3.
    let records = vec![
        Entity::Allocation(allocation("alloc_4", "pay_2", "inv_3", "1320.00")),
        Entity::Allocation(allocation("alloc_1", "pay_1", "inv_1", "1320.00")),
        Entity::Allocation(allocation("alloc_2", "pay_1", "inv_2", "500.00")),
        Entity::Allocation(allocation("alloc_3", "pay_2", "inv_2", "820.00")),
    ];
    commit(store, &create(records), "four allocations");

    let sorted = |v: Vec<Entity>| sorted_ids(&v);
    assert_eq!(
        sorted(allocations(store, &["pay_1"], &[])),
        strings(&["alloc_1", "alloc_2"]),
        "allocations by payment"
    );
    assert_eq!(
        sorted(allocations(store, &[], &["inv_2"])),
        strings(&["alloc_2", "alloc_3"]),
        "allocations by invoice"
    );
    assert_eq!(
        sorted(allocations(store, &["pay_1"], &["inv_2", "inv_3"])),
        strings(&["alloc_1", "alloc_2", "alloc_3", "alloc_4"]),
        "allocations by payment or invoice, each once"
    );
    assert!(allocations(store, &["pay_9"], &["inv_9"]).is_empty());
    assert!(allocations(store, &[], &[]).is_empty());
    match allocations(store, &[], &["inv_3"]).as_slice() {
        [Entity::Allocation(a)] => {
            assert_eq!(a.payment_id, "pay_2");
            assert_eq!(a.amount.to_string(), "1320.00");
        }
        other => panic!("expected alloc_4, got {other:?}"),
    }
}

/// Deleted records disappear from every read; deleting a missing id is fine;
/// deletes apply before upserts of the same change set.
pub fn check_deletes(store: &mut dyn Store) {
    let records = vec![
        Entity::Invoice(invoice(
            "inv_d1",
            "in_d1",
            Some("cust_d"),
            InvoiceStatus::Open,
        )),
        Entity::Invoice(invoice(
            "inv_d2",
            "in_d2",
            Some("cust_d"),
            InvoiceStatus::Open,
        )),
        Entity::Payment(payment("pay_d1", 41, Some("cust_d"))),
        Entity::Allocation(allocation("alloc_d1", "pay_d1", "inv_d1", "1320.00")),
    ];
    commit(store, &create(records), "records to delete");

    let deletes = ChangeSet {
        deletes: vec![
            (EntityKind::Invoice, "inv_d1".to_string()),
            (EntityKind::Allocation, "alloc_d1".to_string()),
            (EntityKind::Invoice, "inv_never_existed".to_string()),
            // Wrong kind for this id: deletes nothing.
            (EntityKind::Payment, "inv_d2".to_string()),
        ],
        ..ChangeSet::default()
    };
    commit(store, &deletes, "deletes");
    assert!(get(store, EntityKind::Invoice, &["inv_d1"]).is_empty());
    assert_eq!(ids(&list(store, EntityKind::Invoice)), vec!["inv_d2"]);
    assert_eq!(
        ids(&by_customer(store, EntityKind::Invoice, "cust_d")),
        vec!["inv_d2"],
        "deleted invoice still listed under its customer"
    );
    assert!(list(store, EntityKind::Allocation).is_empty());
    assert!(
        allocations(store, &["pay_d1"], &["inv_d1"]).is_empty(),
        "deleted allocation still found"
    );
    assert_eq!(ids(&list(store, EntityKind::Payment)), vec!["pay_d1"]);

    // Delete and re-create one id in the same change set: the record stays.
    let recreated = invoice("inv_d2", "in_d2", Some("cust_e"), InvoiceStatus::Void);
    let replace = ChangeSet {
        deletes: vec![(EntityKind::Invoice, "inv_d2".to_string())],
        upserts: vec![Entity::Invoice(recreated.clone())],
        ..ChangeSet::default()
    };
    commit(store, &replace, "delete and re-create");
    assert_eq!(
        list(store, EntityKind::Invoice),
        vec![Entity::Invoice(recreated)],
        "deletes must apply before the upserts of the same change set"
    );
    assert!(by_customer(store, EntityKind::Invoice, "cust_d").is_empty());
}

/// Removing an alias stops it resolving to that id only; removing the last one
/// makes the key unknown; remove-then-add in one change set keeps the alias.
pub fn check_alias_removals(store: &mut dyn Store) {
    let shared = key("invoice_paid", "in_1OqY3cHkR3mN5sLdSHRD");
    let mut changes = create(vec![
        Entity::Payment(payment("pay_s1", 51, None)),
        Entity::Payment(payment("pay_s2", 52, None)),
    ]);
    changes
        .aliases_add
        .push((shared.clone(), "pay_s1".to_string()));
    changes
        .aliases_add
        .push((shared.clone(), "pay_s2".to_string()));
    commit(store, &changes, "two payments of one invoice");
    let charge = key("charge", "ch_3OqY5eHkR3mN5sLd0051");
    assert_eq!(
        resolve_one(store, &charge),
        Some(vec!["pay_s1".to_string()])
    );

    let remove = ChangeSet {
        aliases_remove: vec![
            (shared.clone(), "pay_s1".to_string()),
            (charge.clone(), "pay_s1".to_string()),
            (key("charge", "ch_never_added"), "pay_s1".to_string()),
        ],
        ..ChangeSet::default()
    };
    commit(store, &remove, "alias removals");
    assert_eq!(
        resolve_one(store, &shared),
        Some(vec!["pay_s2".to_string()]),
        "removing one id of a key must keep the others"
    );
    assert_eq!(
        resolve_one(store, &charge),
        None,
        "a key with no ids left must be absent from resolve"
    );
    assert_eq!(
        resolve_one(store, &key("payment_intent", "pi_3OqY5eHkR3mN5sLd0051")),
        Some(vec!["pay_s1".to_string()]),
        "removing one alias must not touch the record's other aliases"
    );
    assert_eq!(
        ids(&list(store, EntityKind::Payment)),
        vec!["pay_s1", "pay_s2"],
        "removing aliases must not delete records"
    );

    let readd = ChangeSet {
        aliases_remove: vec![(shared.clone(), "pay_s2".to_string())],
        aliases_add: vec![(shared.clone(), "pay_s2".to_string())],
        ..ChangeSet::default()
    };
    commit(store, &readd, "remove and re-add one alias");
    assert_eq!(
        resolve_one(store, &shared),
        Some(vec!["pay_s2".to_string()]),
        "alias removals must apply before alias additions of the same change set"
    );
}

/// A commit that fails through the store's fault hook leaves nothing behind:
/// no record, alias, deletion, checkpoint or run. The hook fires once.
pub fn check_failed_commit_leaves_nothing(store: &mut dyn Store) {
    let stream = "stripe/acct_1OqXyZ2eZvKYlo2C/invoice";
    let mut base = create(vec![
        Entity::Customer(customer(
            "cust_f1",
            "cus_F1",
            "Initech LLC",
            "ap@initech.example",
        )),
        Entity::Invoice(invoice(
            "inv_f1",
            "in_f1",
            Some("cust_f1"),
            InvoiceStatus::Open,
        )),
        Entity::Payment(payment("pay_f1", 61, Some("cust_f1"))),
    ]);
    base.checkpoint = Some((stream.to_string(), "in_f1".to_string()));
    commit(store, &base, "the books before the failure");

    let keys = vec![
        key("invoice", "in_f1"),
        key("invoice", "in_f2"),
        key("charge", "ch_3OqY5eHkR3mN5sLd0061"),
        key("charge", "ch_3OqY5eHkR3mN5sLd0062"),
        key("invoice_paid", "in_f1"),
    ];
    let before = snapshot(store, &keys, stream);

    let mut paid = invoice("inv_f1", "in_f1", Some("cust_f1"), InvoiceStatus::Paid);
    paid.metadata.insert("paid".to_string(), "yes".to_string());
    let mut changes = create(vec![
        Entity::Invoice(paid),
        Entity::Invoice(invoice(
            "inv_f2",
            "in_f2",
            Some("cust_f1"),
            InvoiceStatus::Open,
        )),
        Entity::Payment(payment("pay_f2", 62, Some("cust_f1"))),
        Entity::Allocation(allocation("alloc_f1", "pay_f1", "inv_f1", "1320.00")),
    ]);
    changes.deletes = vec![(EntityKind::Customer, "cust_f1".to_string())];
    changes.aliases_remove = vec![(
        key("charge", "ch_3OqY5eHkR3mN5sLd0061"),
        "pay_f1".to_string(),
    )];
    changes
        .aliases_add
        .push((key("invoice_paid", "in_f1"), "pay_f1".to_string()));
    changes.checkpoint = Some((stream.to_string(), "in_f2".to_string()));
    changes.run = Some(import_run("run_f1", RunStatus::Succeeded));

    let reason = "disk unplugged mid-commit";
    assert!(
        store.inject_commit_failure(reason),
        "this store has no fault hook: override Store::inject_commit_failure so \
         the atomicity check can run"
    );
    match store.commit(changes.clone()) {
        Err(CoreError::Store(msg)) => assert!(
            msg.contains(reason),
            "failed commit should report the injected reason, got {msg:?}"
        ),
        Err(other) => panic!("injected failure should be a store error, got {other:?}"),
        Ok(()) => panic!("commit succeeded although a failure was injected"),
    }
    assert_eq!(
        snapshot(store, &keys, stream),
        before,
        "a failed commit must leave nothing behind"
    );

    // The hook fires once: the same change set now applies in full.
    commit(store, &changes, "the change set after the failure");
    let after = snapshot(store, &keys, stream);
    assert_ne!(after, before);
    assert!(list(store, EntityKind::Customer).is_empty());
    assert_eq!(
        ids(&list(store, EntityKind::Invoice)),
        vec!["inv_f1", "inv_f2"]
    );
    assert_eq!(ids(&list(store, EntityKind::ImportRun)), vec!["run_f1"]);
    assert_eq!(checkpoint(store, stream).as_deref(), Some("in_f2"));
    assert_eq!(
        resolve_one(store, &key("charge", "ch_3OqY5eHkR3mN5sLd0061")),
        None
    );
    assert_eq!(
        resolve_one(store, &key("invoice_paid", "in_f1")),
        Some(vec!["pay_f1".to_string()])
    );
}

/// A change set the store rejects (a record without an id) writes nothing,
/// not even the deletes and checkpoint that came with it.
pub fn check_invalid_commit_leaves_nothing(store: &mut dyn Store) {
    let stream = "stripe/acct_1OqXyZ2eZvKYlo2C/charge";
    let mut base = create(vec![Entity::Invoice(invoice(
        "inv_v1",
        "in_v1",
        Some("cust_v"),
        InvoiceStatus::Open,
    ))]);
    base.checkpoint = Some((stream.to_string(), "ch_v1".to_string()));
    commit(store, &base, "the books before the invalid commit");
    let keys = vec![key("invoice", "in_v1"), key("invoice", "in_v2")];
    let before = snapshot(store, &keys, stream);

    let mut changes = create(vec![
        Entity::Invoice(invoice(
            "inv_v2",
            "in_v2",
            Some("cust_v"),
            InvoiceStatus::Open,
        )),
        Entity::Payment(payment("", 71, Some("cust_v"))),
    ]);
    changes.deletes = vec![(EntityKind::Invoice, "inv_v1".to_string())];
    changes.checkpoint = Some((stream.to_string(), "ch_v2".to_string()));
    assert!(
        store.commit(changes.clone()).is_err(),
        "a record without an id must be rejected"
    );
    assert_eq!(
        snapshot(store, &keys, stream),
        before,
        "a rejected commit must leave nothing behind"
    );
}

/// Checkpoints round-trip per stream, are replaced by later commits and can be
/// committed alone.
pub fn check_checkpoint_round_trip(store: &mut dyn Store) {
    let invoices = "stripe/acct_1OqXyZ2eZvKYlo2C/invoice";
    let events = "stripe/acct_1OqXyZ2eZvKYlo2C/events";
    assert_eq!(checkpoint(store, invoices), None);

    let mut changes = create(vec![Entity::Invoice(invoice(
        "inv_p1",
        "in_p1",
        None,
        InvoiceStatus::Open,
    ))]);
    changes.checkpoint = Some((invoices.to_string(), "in_1OqY3cHkR3mN5sLd0001".to_string()));
    commit(store, &changes, "records with a checkpoint");
    assert_eq!(
        checkpoint(store, invoices).as_deref(),
        Some("in_1OqY3cHkR3mN5sLd0001")
    );
    assert_eq!(checkpoint(store, events), None, "streams are independent");

    let only = ChangeSet {
        checkpoint: Some((
            events.to_string(),
            "evt_1OqZ0aHkR3mN5sLd|1709285400".to_string(),
        )),
        ..ChangeSet::default()
    };
    commit(store, &only, "a checkpoint alone");
    let later = ChangeSet {
        checkpoint: Some((invoices.to_string(), "in_1OqY3cHkR3mN5sLd0002".to_string())),
        ..ChangeSet::default()
    };
    commit(store, &later, "a later checkpoint");
    assert_eq!(
        checkpoint(store, invoices).as_deref(),
        Some("in_1OqY3cHkR3mN5sLd0002"),
        "a later checkpoint must replace the earlier one"
    );
    assert_eq!(
        checkpoint(store, events).as_deref(),
        Some("evt_1OqZ0aHkR3mN5sLd|1709285400")
    );
    assert_eq!(ids(&list(store, EntityKind::Invoice)), vec!["inv_p1"]);
}

/// The run of a change set is stored as an import run, replaced when the
/// same run id is committed again, and listed by id.
pub fn check_import_run_round_trip(store: &mut dyn Store) {
    let running = import_run("run_0002", RunStatus::Running);
    let changes = ChangeSet {
        upserts: vec![Entity::Invoice(invoice(
            "inv_i1",
            "in_i1",
            None,
            InvoiceStatus::Open,
        ))],
        run: Some(running.clone()),
        ..ChangeSet::default()
    };
    commit(store, &changes, "a running import");
    assert_eq!(
        get(store, EntityKind::ImportRun, &["run_0002"]),
        vec![Entity::ImportRun(running)],
        "the change set's run must be stored as an import run"
    );

    let finished = import_run("run_0002", RunStatus::PartiallyFailed);
    let done = ChangeSet {
        run: Some(finished.clone()),
        ..ChangeSet::default()
    };
    commit(store, &done, "the finished run");
    // An earlier run, committed as a plain record.
    let earlier = import_run("run_0001", RunStatus::Succeeded);
    commit(
        store,
        &ChangeSet {
            upserts: vec![Entity::ImportRun(earlier.clone())],
            ..ChangeSet::default()
        },
        "an earlier run",
    );
    let runs = list(store, EntityKind::ImportRun);
    assert_eq!(
        runs,
        vec![Entity::ImportRun(earlier), Entity::ImportRun(finished)],
        "runs must be listed by id, the re-committed run replaced"
    );
    match runs.last() {
        Some(Entity::ImportRun(r)) => {
            assert_eq!(r.status, RunStatus::PartiallyFailed);
            assert_eq!(r.failures.len(), 1);
            assert_eq!(r.totals.unchanged, 6_061);
            assert_eq!(r.by_object.get("invoice").map(|c| c.failed), Some(1));
            assert_eq!(r.finished_at, Some(ts(T0 + 95)));
        }
        other => panic!("expected an import run, got {other:?}"),
    }
}
