//! Builders for Stripe-shaped core records and helpers shared by the facade's tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use tieout::*;

pub const ACCT: &str = "acct_test1";

pub fn ts(day: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_735_689_600 + day * 86_400, 0)
        .single()
        .expect("valid ts")
}

pub fn src(object: &str, id: &str, status: Option<&str>, day: i64) -> SourceRef {
    let mut s = SourceRef::new("stripe", ACCT, object, id);
    s.status = status.map(str::to_string);
    s.created_at = Some(ts(day));
    s.updated_at = Some(ts(day));
    s
}

pub fn cref(id: &str) -> OriginalCustomer {
    OriginalCustomer {
        external_id: id.into(),
        name: Some(format!("Customer {id}")),
        email: Some(format!("{id}@example.com")),
    }
}

pub fn customer(id: &str, name: &str, email: &str) -> SourceItem {
    let mut c = Customer::new(String::new(), name, CustomerKind::Company);
    c.email = Some(email.into());
    c.source = Some(src("customer", id, None, 0));
    SourceItem::Record(Record::Customer(c))
}

pub fn invoice_rec(
    id: &str,
    cus: &str,
    status: &str,
    total: Decimal,
    paid: Decimal,
    cur: Currency,
    day: i64,
) -> Invoice {
    Invoice {
        id: String::new(),
        source: src("invoice", id, Some(status), day),
        customer_id: None,
        customer_ref: Some(cref(cus)),
        subscription_id: None,
        subscription_ref: None,
        number: Some(format!("N-{id}")),
        status: InvoiceStatus::parse(status).unwrap_or(InvoiceStatus::Open),
        currency: cur,
        subtotal: total,
        discount: Decimal::ZERO,
        tax: Decimal::ZERO,
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
        issued_at: Some(ts(day)),
        due_date: Some(ts(day + 30)),
        paid_at: if status == "paid" {
            Some(ts(day + 1))
        } else {
            None
        },
        lines: vec![
            InvoiceLine {
                external_id: Some(format!("il_{id}_1")),
                description: Some("Seat".into()),
                quantity: Decimal::ONE,
                unit_amount: Some(total - Decimal::ONE),
                amount: total - Decimal::ONE,
                tax: Decimal::ZERO,
                period_start: None,
                period_end: None,
                price_ref: Some("price_1".into()),
                product_ref: Some("prod_1".into()),
                subscription_item_ref: None,
                proration: false,
            },
            InvoiceLine {
                external_id: Some(format!("il_{id}_2")),
                description: Some("Setup".into()),
                quantity: Decimal::ONE,
                unit_amount: Some(Decimal::ONE),
                amount: Decimal::ONE,
                tax: Decimal::ZERO,
                period_start: None,
                period_end: None,
                price_ref: None,
                product_ref: None,
                subscription_item_ref: None,
                proration: false,
            },
        ],
        payment_refs: PaymentRefs::default(),
        metadata: BTreeMap::new(),
    }
}

pub fn invoice(
    id: &str,
    cus: &str,
    status: &str,
    total: Decimal,
    paid: Decimal,
    day: i64,
) -> SourceItem {
    SourceItem::Record(Record::Invoice(invoice_rec(
        id,
        cus,
        status,
        total,
        paid,
        Currency::USD,
        day,
    )))
}

pub fn payment_rec(
    object: &str,
    id: &str,
    cus: Option<&str>,
    amount: Decimal,
    day: i64,
) -> Payment {
    Payment {
        customer_ref: cus.map(cref),
        method: Some("card".into()),
        received_at: Some(ts(day)),
        unapplied: Decimal::ZERO,
        ..Payment::received(
            String::new(),
            src(object, id, Some("succeeded"), day),
            Currency::USD,
            amount,
        )
    }
}

/// A charge `ch` of payment intent `pi` (basil: no invoice field).
pub fn charge(ch: &str, pi: &str, cus: &str, amount: Decimal, day: i64) -> SourceItem {
    let mut p = payment_rec("charge", ch, Some(cus), amount, day);
    p.refs.charge = Some(ch.into());
    p.refs.payment_intent = Some(pi.into());
    p.refs.balance_transaction = Some(format!("txn_{ch}"));
    SourceItem::Record(Record::Payment(p))
}

/// A payment intent with its latest charge.
pub fn payment_intent(pi: &str, ch: &str, cus: &str, amount: Decimal, day: i64) -> SourceItem {
    let mut p = payment_rec("payment_intent", pi, Some(cus), amount, day);
    p.refs.payment_intent = Some(pi.into());
    p.refs.charge = Some(ch.into());
    SourceItem::Record(Record::Payment(p))
}

/// An invoice payment linking `inv` and `pi`.
pub fn invoice_payment(id: &str, inv: &str, pi: &str, amount: Decimal, day: i64) -> SourceItem {
    let mut p = payment_rec("invoice_payment", id, None, amount, day);
    p.refs.invoice_payments = vec![id.into()];
    p.refs.payment_intent = Some(pi.into());
    p.links.invoices = vec![inv.into()];
    p.links.invoice_amounts.insert(inv.into(), amount);
    SourceItem::Record(Record::Payment(p))
}

pub fn balance_tx(ch: &str, amount: Decimal, fee: Decimal, day: i64) -> SourceItem {
    SourceItem::Record(Record::BalanceTransaction(BalanceTransaction {
        id: String::new(),
        source: src(
            "balance_transaction",
            &format!("txn_{ch}"),
            Some("available"),
            day,
        ),
        amount,
        currency: Currency::USD,
        fee,
        fee_details: vec![FeeDetail {
            amount: fee,
            currency: Currency::USD,
            kind: "stripe_fee".into(),
            description: Some("Stripe processing fees".into()),
        }],
        net: amount - fee,
        exchange_rate: None,
        kind: "charge".into(),
        reporting_category: Some("charge".into()),
        status: Some("available".into()),
        available_on: Some(ts(day + 2)),
        source_object: Some(ch.into()),
        payout_ref: None,
        payment_id: None,
    }))
}

pub fn refund(id: &str, ch: &str, amount: Decimal, day: i64) -> SourceItem {
    SourceItem::Record(Record::Refund(Refund {
        id: String::new(),
        source: src("refund", id, Some("succeeded"), day),
        payment_id: None,
        payment_refs: PaymentRefs {
            charge: Some(ch.into()),
            ..PaymentRefs::default()
        },
        amount,
        currency: Currency::USD,
        status: "succeeded".into(),
        reason: Some("requested_by_customer".into()),
        created_at: Some(ts(day)),
        balance_transaction: None,
    }))
}

pub fn subscription(id: &str, cus: &str, interval: Interval, count: u32, day: i64) -> SourceItem {
    SourceItem::Record(Record::Subscription(Subscription {
        id: String::new(),
        source: src("subscription", id, Some("active"), day),
        customer_id: None,
        customer_ref: Some(cref(cus)),
        status: SubscriptionStatus::Active,
        currency: Currency::USD,
        amount: Decimal::new(4900, 2),
        interval: interval.clone(),
        interval_count: count,
        start_date: Some(ts(day)),
        current_period_start: Some(ts(day)),
        current_period_end: Some(ts(day + 30)),
        next_billing_date: Some(ts(day + 30)),
        cancel_at_period_end: false,
        canceled_at: None,
        ended_at: None,
        trial_end: None,
        items: vec![SubscriptionItem {
            external_id: Some(format!("si_{id}")),
            price_ref: Some("price_1".into()),
            product_ref: Some("prod_1".into()),
            quantity: Decimal::ONE,
            unit_amount: Some(Decimal::new(4900, 2)),
            interval,
            interval_count: count,
            current_period_start: Some(ts(day)),
            current_period_end: Some(ts(day + 30)),
        }],
    }))
}

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

/// What keeps a test's books alive: a temp dir or a PostgreSQL schema.
pub type Keep = Option<Box<dyn std::any::Any>>;

/// Every store: memory, a SQLite file in a temp dir and, when
/// `TIEOUT_TEST_PG_URL` is set (always in CI), PostgreSQL in a fresh schema.
pub fn all_books() -> Vec<(&'static str, Books, Keep)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = Books::open(dir.path().join("books.db")).expect("open sqlite");
    let mut all: Vec<(&'static str, Books, Keep)> = vec![
        ("memory", Books::in_memory(), None),
        ("sqlite", sqlite, Some(Box::new(dir))),
    ];
    if let Some((books, schema)) = postgres_books() {
        all.push(("postgres", books, Some(Box::new(schema))));
    }
    all
}

#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg_support;

/// The test PostgreSQL's URL; `None` outside CI when it is not set, a
/// failure under `CI=true` (CI runs every PostgreSQL test).
pub use pg_support::pg_url;

/// A PostgreSQL schema no other test uses, dropped with the value; its
/// `name` through `Deref`.
pub struct PgSchema(pg_support::Schema);

impl PgSchema {
    /// A fresh schema name on the test server.
    pub fn fresh(url: &str) -> PgSchema {
        PgSchema(pg_support::Schema::fresh(url, "facade"))
    }
}

impl std::ops::Deref for PgSchema {
    type Target = pg_support::Schema;

    fn deref(&self) -> &pg_support::Schema {
        &self.0
    }
}

/// Books in a fresh PostgreSQL schema, when a test server is configured.
pub fn postgres_books() -> Option<(Books, PgSchema)> {
    let url = pg_url()?;
    let schema = PgSchema::fresh(&url);
    let books = Books::open_in_schema(&url, Some(&schema.name)).expect("open postgres");
    Some((books, schema))
}

/// A canonical dump of the books that does not depend on internal ids of
/// payments (which follow the first object seen) or on run timestamps.
pub fn fingerprint(books: &Books) -> String {
    let payments = books.payments().expect("payments");
    let mut rename: HashMap<String, String> = HashMap::new();
    for p in &payments {
        let mut pairs: Vec<String> = p
            .refs
            .pairs()
            .iter()
            .map(|(o, e)| format!("{o}:{e}"))
            .collect();
        pairs.sort();
        rename.insert(p.id.clone(), format!("PAY[{}]", pairs.join(",")));
    }
    let allocs = books.allocations().expect("allocations");
    let mut lines: Vec<String> = Vec::new();
    let mut push = |v: serde_json::Value| {
        lines.push(rename_payments(&v.to_string(), &rename));
    };
    for c in books.customers().expect("customers") {
        push(serde_json::to_value(c).expect("json"));
    }
    for p in books.prices().expect("prices") {
        push(serde_json::to_value(p).expect("json"));
    }
    for i in books.invoices(&InvoiceFilter::default()).expect("invoices") {
        push(serde_json::to_value(i).expect("json"));
    }
    for mut p in payments {
        p.source.updated_at = None;
        p.unapplied_reasons.clear();
        push(serde_json::to_value(p).expect("json"));
    }
    for mut a in allocs {
        a.id = String::new();
        push(serde_json::to_value(a).expect("json"));
    }
    for r in books.refunds().expect("refunds") {
        push(serde_json::to_value(r).expect("json"));
    }
    for b in books.balance_transactions().expect("bts") {
        push(serde_json::to_value(b).expect("json"));
    }
    for s in books.subscriptions().expect("subs") {
        push(serde_json::to_value(s).expect("json"));
    }
    lines.sort();
    lines.join("\n")
}

/// `s` with every payment id (`pay_` and its alphanumeric rest) that
/// `rename` names replaced: one pass, whatever the number of payments.
fn rename_payments(s: &str, rename: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("pay_") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail[4..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(tail.len(), |n| n + 4);
        let token = &tail[..end];
        out.push_str(rename.get(token).map_or(token, String::as_str));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

pub fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Asserts two fingerprints are equal, showing only the first differing lines.
pub fn assert_same(a: &str, b: &str, ctx: &str) {
    if a == b {
        return;
    }
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    let only_a: Vec<&&str> = la.iter().filter(|l| !lb.contains(l)).take(2).collect();
    let only_b: Vec<&&str> = lb.iter().filter(|l| !la.contains(l)).take(2).collect();
    panic!(
        "{ctx}: books differ ({} vs {} records)\nonly in left:  {only_a:?}\nonly in right: {only_b:?}",
        la.len(),
        lb.len()
    );
}

// ---- reconcile builders (additions) ----

/// An invoice item in any currency.
pub fn invoice_in(
    id: &str,
    cus: &str,
    status: &str,
    total: Decimal,
    cur: Currency,
    day: i64,
) -> SourceItem {
    SourceItem::Record(Record::Invoice(invoice_rec(
        id,
        cus,
        status,
        total,
        Decimal::ZERO,
        cur,
        day,
    )))
}

/// An unlinked card payment (charge without payment intent or invoice).
pub fn loose_payment(ch: &str, cus: &str, amount: Decimal, cur: Currency, day: i64) -> Payment {
    let mut p = payment_rec("charge", ch, Some(cus), amount, day);
    p.refs.charge = Some(ch.into());
    p.currency = cur;
    p
}

/// Wraps a payment record.
pub fn pay_item(p: Payment) -> SourceItem {
    SourceItem::Record(Record::Payment(p))
}

/// A dispute of charge `ch` in a status, snapshot of `day`.
pub fn dispute(id: &str, ch: &str, amount: Decimal, status: &str, day: i64) -> SourceItem {
    SourceItem::Record(Record::Dispute(Dispute {
        id: String::new(),
        source: src("dispute", id, Some(status), day),
        payment_id: None,
        payment_refs: PaymentRefs {
            charge: Some(ch.into()),
            ..PaymentRefs::default()
        },
        amount,
        currency: Currency::USD,
        status: DisputeStatus::parse(status),
        reason: Some("fraudulent".into()),
        created_at: Some(ts(day)),
    }))
}

/// A calendar date `day` days after 2025-01-01 (a Wednesday).
pub fn date(day: i64) -> chrono::NaiveDate {
    ts(day).date_naive()
}

/// A paid payout arriving on `arrival_day`.
pub fn payout(
    id: &str,
    amount: Decimal,
    arrival_day: i64,
    descriptor: Option<&str>,
    bts: &[&str],
) -> SourceItem {
    SourceItem::Record(Record::Payout(Payout {
        id: String::new(),
        source: src("payout", id, Some("paid"), arrival_day - 2),
        amount,
        currency: Currency::USD,
        status: "paid".into(),
        arrival_date: Some(date(arrival_day)),
        automatic: true,
        method: Some("standard".into()),
        statement_descriptor: descriptor.map(str::to_string),
        balance_transaction_ids: bts.iter().map(|s| s.to_string()).collect(),
        deposit_id: None,
    }))
}

/// A charge balance transaction settled by payout `po`.
pub fn balance_tx_paid_out(
    ch: &str,
    amount: Decimal,
    fee: Decimal,
    day: i64,
    po: &str,
) -> SourceItem {
    let mut item = balance_tx(ch, amount, fee, day);
    if let SourceItem::Record(Record::BalanceTransaction(b)) = &mut item {
        b.payout_ref = Some(po.into());
    }
    item
}

/// Imports items into books with the default plan (or `plan`).
pub fn import_items(books: &Books, items: Vec<SourceItem>, plan: &ImportPlan) -> ImportRun {
    run(books.import(&RecordsSource::new(ACCT, items), plan, None)).expect("import")
}

/// The invoice with this source id.
pub fn inv_by_ext(books: &Books, ext: &str) -> Invoice {
    books
        .invoices(&InvoiceFilter::default())
        .expect("invoices")
        .into_iter()
        .find(|i| i.source.external_id == ext)
        .unwrap_or_else(|| panic!("invoice {ext}"))
}

/// The payment naming this charge.
pub fn pay_by_charge(books: &Books, ch: &str) -> Payment {
    books
        .payments()
        .expect("payments")
        .into_iter()
        .find(|p| p.refs.charge.as_deref() == Some(ch))
        .unwrap_or_else(|| panic!("payment {ch}"))
}

/// Allocations to the invoice with this source id (payment money only).
pub fn allocs_to(books: &Books, ext: &str) -> Vec<Allocation> {
    let inv = inv_by_ext(books, ext);
    books
        .allocations()
        .expect("allocations")
        .into_iter()
        .filter(|a| a.invoice_id == inv.id && a.kind == AllocationKind::Payment)
        .collect()
}

/// Asserts the payment invariant on every payment.
pub fn assert_payment_invariant(books: &Books) {
    for p in books.payments().expect("payments") {
        if p.is_settled() {
            assert_eq!(
                p.amount,
                p.allocated + p.unapplied + p.refunded + p.disputed,
                "payment {}",
                p.source.external_id
            );
        }
    }
}
