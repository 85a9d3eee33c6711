//! An event whose commit another writer overtakes is planned again: the
//! webhook applier reads an invoice, and before its commit another process
//! allocates a payment to that invoice (a store wrapper makes that write
//! between the plan and the commit, every time at the same point, no
//! timing involved). PostgreSQL refuses the event's commit (the invoice's
//! totals it derived miss the new allocation), `apply_event` plans again on
//! what is there now and commits: the event's change and the allocation both
//! stand, and the invoice's totals count the allocation.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use rust_decimal::Decimal;
use serde_json::json;
use tieout::core::model::{ExternalKey, Id};
use tieout::core::{ChangeSet, Entity, EntityKind, Store};
use tieout::*;

/// A write another process makes, run once.
type Interloper = Box<dyn FnOnce() + Send>;

/// Forwards everything to `inner`; before the first commit that writes an
/// invoice, runs `before_invoice_commit`; counts the commits that write one.
struct Overtaken {
    inner: Box<dyn Store>,
    before_invoice_commit: Option<Interloper>,
    invoice_commits: Arc<AtomicUsize>,
}

impl Store for Overtaken {
    fn resolve(&self, keys: &[ExternalKey]) -> tieout::core::Result<tieout::core::Resolved> {
        self.inner.resolve(keys)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> tieout::core::Result<Vec<Entity>> {
        self.inner.get(kind, ids)
    }

    fn list(&self, kind: EntityKind) -> tieout::core::Result<Vec<Entity>> {
        self.inner.list(kind)
    }

    fn list_by_customer(
        &self,
        kind: EntityKind,
        customer_id: &str,
    ) -> tieout::core::Result<Vec<Entity>> {
        self.inner.list_by_customer(kind, customer_id)
    }

    fn allocations_for(
        &self,
        payment_ids: &[Id],
        invoice_ids: &[Id],
    ) -> tieout::core::Result<Vec<Entity>> {
        self.inner.allocations_for(payment_ids, invoice_ids)
    }

    fn checkpoint(&self, stream: &str) -> tieout::core::Result<Option<String>> {
        self.inner.checkpoint(stream)
    }

    fn commit(&mut self, changes: ChangeSet) -> tieout::core::Result<()> {
        if changes
            .upserts
            .iter()
            .any(|e| e.kind() == EntityKind::Invoice)
        {
            self.invoice_commits.fetch_add(1, Ordering::SeqCst);
            if let Some(write) = self.before_invoice_commit.take() {
                write();
            }
        }
        self.inner.commit(changes)
    }
}

/// Invoice `in_E1` of 50.00, open, as an `invoice.updated` event at
/// `created` carrying invoice number `number`.
fn invoice_updated(evt: &str, created: i64, number: &str) -> StripeEvent {
    let body = json!({
        "id": evt, "object": "event", "type": "invoice.updated",
        "created": created, "api_version": "2025-03-31.basil", "livemode": false,
        "data": {"object": {
            "id": "in_E1", "object": "invoice", "customer": "cus_E1", "currency": "usd", "status": "open",
            "number": number, "created": 1_740_000_000, "livemode": false, "subtotal": 5000, "total": 5000,
            "amount_due": 5000, "amount_paid": 0, "amount_remaining": 5000, "total_taxes": [],
            "status_transitions": {"finalized_at": 1_740_000_100, "paid_at": null},
            "lines": {"object": "list", "has_more": false, "data": [
                {"id": "il_E1", "object": "line_item", "amount": 5000, "currency": "usd", "quantity": 1, "description": "Plan"}
            ]}
        }}
    });
    StripeEvent::parse(body.to_string().as_bytes()).unwrap()
}

#[test]
fn an_event_overtaken_by_an_allocation_plans_again_and_both_stand() {
    let Some(url) = pg_url() else { return };
    let schema = PgSchema::fresh(&url);
    let name = schema.name.clone();
    let open = || Books::open_in_schema(&url, Some(&name)).unwrap();
    let mut plan = ImportPlan::default();
    plan.policy.match_on_import = false;

    // The invoice (through a first event) and an unapplied 30.00 charge of
    // its customer.
    let setup = open();
    setup.set_default_account(ACCT).unwrap();
    setup
        .apply_event_with(&invoice_updated("evt_1", 1_740_000_200, "EV-1"), &plan)
        .unwrap();
    let run = run(setup.import(
        &RecordsSource::new(ACCT, vec![charge("ch_1", "pi_1", "cus_E1", d("30.00"), 5)]),
        &plan,
        None,
    ))
    .unwrap();
    assert_eq!(run.totals.failed, 0);
    let invoice = setup.invoices(&InvoiceFilter::default()).unwrap()[0].clone();
    let payment = setup.payments().unwrap()[0].id.clone();
    assert_eq!(invoice.amount_paid, Decimal::ZERO);

    // The applier: after it planned the second event from the invoice as it
    // was (nothing paid), another process allocates 30.00 to it.
    let other = open();
    let invoice_id = invoice.id.clone();
    let commits = Arc::new(AtomicUsize::new(0));
    let applier = Books::with_store(Box::new(Overtaken {
        inner: Box::new(PostgresStore::open_in_schema(&url, &name).unwrap()),
        before_invoice_commit: Some(Box::new(move || {
            other.allocate(&payment, &invoice_id, d("30.00")).unwrap();
        })),
        invoice_commits: Arc::clone(&commits),
    }));
    let outcome = applier
        .apply_event_with(&invoice_updated("evt_2", 1_740_000_900, "EV-2"), &plan)
        .unwrap();
    assert_eq!(outcome.status, EventStatus::Applied);
    assert_eq!(
        commits.load(Ordering::SeqCst),
        2,
        "the first commit was refused and the event planned again"
    );

    // Both writes stand, in agreement.
    let books = open();
    let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
    assert_eq!(inv.number.as_deref(), Some("EV-2"), "the event applied");
    let allocations = books.allocations().unwrap();
    assert_eq!(allocations.len(), 1);
    assert_eq!(allocations[0].amount, d("30.00"));
    assert_eq!(
        (inv.amount_paid, inv.amount_remaining, inv.status),
        (d("30.00"), d("20.00"), InvoiceStatus::PartiallyPaid),
        "the invoice's totals count the allocation made meanwhile"
    );
    let p = &books.payments().unwrap()[0];
    assert_eq!((p.allocated, p.unapplied), (d("30.00"), Decimal::ZERO));
    // The event counts once: a redelivery is a duplicate.
    let again = books
        .apply_event_with(&invoice_updated("evt_2", 1_740_000_900, "EV-2"), &plan)
        .unwrap();
    assert_eq!(again.status, EventStatus::Duplicate);
}
