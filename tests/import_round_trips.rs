//! An import reads the books once per page, not once per record: the store's
//! read calls (each one a round trip to PostgreSQL) are counted by a wrapper
//! for imports of n and 4n units of new records (customers, invoices naming
//! them or customers the books do not have yet, charges, their balance
//! transactions and refunds, subscriptions). Four times the records in four
//! times the pages may cost four times the reads; one lookup per record
//! would cost thousands more. And a webhook event reads each thing once.

mod common;
#[path = "scaling/export.rs"]
mod export;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tieout::core::model::{ExternalKey, Id};
use tieout::core::store::{
    ReadRecord, SequencedBuild, ShardClaim, ShardSpec, ShardState, StreamClaim,
};
use tieout::core::{ChangeSet, Entity, EntityKind, Store};
use tieout::*;

/// Read calls by method (and kind, where the call names one).
type Calls = Arc<Mutex<BTreeMap<String, u64>>>;

/// Forwards every call to `inner`, counting the reads (and, apart, the
/// records its commits delete, by kind).
struct Counting {
    inner: Box<dyn Store>,
    calls: Calls,
    deleted: Calls,
}

impl Counting {
    fn note(&self, what: String) {
        *self.calls.lock().unwrap().entry(what).or_default() += 1;
    }

    fn count_deletes(&self, changes: &ChangeSet) {
        let mut deleted = self.deleted.lock().unwrap();
        for (kind, _) in &changes.deletes {
            *deleted.entry(kind.as_str().to_string()).or_default() += 1;
        }
    }
}

impl Store for Counting {
    fn resolve(&self, keys: &[ExternalKey]) -> tieout::core::Result<tieout::core::Resolved> {
        self.note("resolve".into());
        self.inner.resolve(keys)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> tieout::core::Result<Vec<Entity>> {
        self.note(format!("get {}", kind.as_str()));
        self.inner.get(kind, ids)
    }

    fn list(&self, kind: EntityKind) -> tieout::core::Result<Vec<Entity>> {
        self.note(format!("list {}", kind.as_str()));
        self.inner.list(kind)
    }

    fn list_by_customer(
        &self,
        kind: EntityKind,
        customer_id: &str,
    ) -> tieout::core::Result<Vec<Entity>> {
        self.note(format!("list_by_customer {}", kind.as_str()));
        self.inner.list_by_customer(kind, customer_id)
    }

    fn list_by_customers(
        &self,
        kind: EntityKind,
        customer_ids: &[Id],
    ) -> tieout::core::Result<Vec<Entity>> {
        self.note(format!("list_by_customers {}", kind.as_str()));
        self.inner.list_by_customers(kind, customer_ids)
    }

    fn query(&self, q: &RecordQuery) -> tieout::core::Result<RecordPage> {
        self.note(format!("query {}", q.kind.as_str()));
        self.inner.query(q)
    }

    fn allocations_for(
        &self,
        payment_ids: &[Id],
        invoice_ids: &[Id],
    ) -> tieout::core::Result<Vec<Entity>> {
        self.note("allocations_for".into());
        self.inner.allocations_for(payment_ids, invoice_ids)
    }

    fn checkpoint(&self, stream: &str) -> tieout::core::Result<Option<String>> {
        self.note("checkpoint".into());
        self.inner.checkpoint(stream)
    }

    fn commit(&mut self, changes: ChangeSet) -> tieout::core::Result<()> {
        self.note("commit".into());
        self.count_deletes(&changes);
        self.inner.commit(changes)
    }

    fn commit_if_unchanged(
        &mut self,
        changes: ChangeSet,
        read: &[ReadRecord],
    ) -> tieout::core::Result<()> {
        self.note("commit".into());
        self.count_deletes(&changes);
        self.inner.commit_if_unchanged(changes, read)
    }

    fn commit_sequenced(
        &mut self,
        stream: &str,
        build: SequencedBuild,
    ) -> tieout::core::Result<Option<String>> {
        self.inner.commit_sequenced(stream, build)
    }

    fn external_generation(&self) -> tieout::core::Result<Option<u64>> {
        self.note("external_generation".into());
        self.inner.external_generation()
    }

    fn is_empty(&self) -> tieout::core::Result<bool> {
        self.note("is_empty".into());
        self.inner.is_empty()
    }

    fn adopts_staged(&self) -> bool {
        self.inner.adopts_staged()
    }

    fn adopt_staged(
        &mut self,
        staged: &std::path::Path,
        tail: ChangeSet,
    ) -> tieout::core::Result<bool> {
        self.inner.adopt_staged(staged, tail)
    }

    fn claim_stream(
        &mut self,
        stream: &str,
        holder: &str,
        ttl: Duration,
    ) -> tieout::core::Result<StreamClaim> {
        self.inner.claim_stream(stream, holder, ttl)
    }

    fn release_stream(&mut self, stream: &str, holder: &str) -> tieout::core::Result<()> {
        self.inner.release_stream(stream, holder)
    }

    fn shards_create(&mut self, backfill: &str, shards: &[ShardSpec]) -> tieout::core::Result<()> {
        self.inner.shards_create(backfill, shards)
    }

    fn shard_claim(
        &mut self,
        backfill: &str,
        holder: &str,
        ttl: Duration,
    ) -> tieout::core::Result<ShardClaim> {
        self.inner.shard_claim(backfill, holder, ttl)
    }

    fn shard_finish(
        &mut self,
        backfill: &str,
        index: u32,
        holder: &str,
        result: &str,
    ) -> tieout::core::Result<bool> {
        self.inner.shard_finish(backfill, index, holder, result)
    }

    fn shards(&self, backfill: &str) -> tieout::core::Result<Vec<ShardState>> {
        self.note("shards".into());
        self.inner.shards(backfill)
    }
}

/// Records in one unit of [`units`].
const UNIT: usize = 10;

/// Records of new customers and what names them: unit `u` is customer
/// `cus_u`, an open invoice of it, a charge of it (and its payment intent)
/// with its balance transaction, paid out by a payout, a partial refund and a
/// dispute, a subscription of it, and an invoice of `cus_new_u`, a customer
/// the source does not list (created on demand).
fn units(n: usize) -> Vec<SourceItem> {
    let mut items = Vec::with_capacity(n * UNIT);
    for u in 0..n {
        let (cus, ch) = (format!("cus_{u:05}"), format!("ch_{u:05}"));
        let day = u as i64 % 300;
        items.push(numbered_customer(&cus, u));
        items.push(invoice(
            &format!("in_{u:05}"),
            &cus,
            "open",
            d("100.00"),
            d("0"),
            day,
        ));
        let (pi, po) = (format!("pi_{u:05}"), format!("po_{u:05}"));
        items.push(charge(&ch, &pi, &cus, d("40.00"), day));
        items.push(payment_intent(&pi, &ch, &cus, d("40.00"), day));
        items.push(balance_tx_paid_out(&ch, d("40.00"), d("1.46"), day, &po));
        items.push(refund(&format!("re_{u:05}"), &ch, d("5.00"), day + 1));
        items.push(dispute(
            &format!("dp_{u:05}"),
            &ch,
            d("3.00"),
            "won",
            day + 2,
        ));
        let txn = format!("txn_{ch}");
        items.push(payout(&po, d("38.54"), day + 4, None, &[txn.as_str()]));
        items.push(subscription(
            &format!("sub_{u:05}"),
            &cus,
            Interval::Month,
            1,
            day,
        ));
        let other = format!("cus_new_{u:05}");
        items.push(invoice(
            &format!("in_new_{u:05}"),
            &other,
            "open",
            d("20.00"),
            d("0"),
            day,
        ));
    }
    items
}

/// Imports `items` into books over `store` wrapped in the counting store,
/// 100 records a page, every page its own commit, with no failed record.
/// Returns the books, the run, the read calls and the number of pages.
fn counted_import(store: Box<dyn Store>, items: Vec<SourceItem>) -> (Books, ImportRun, Calls, u64) {
    let calls: Calls = Arc::default();
    let books = Books::with_store(Box::new(Counting {
        inner: store,
        calls: calls.clone(),
        deleted: Calls::default(),
    }))
    .with_commit_batch(CommitBatch::every_page());
    let pages = items.len().div_ceil(100) as u64;
    let run = run(books.import(
        &RecordsSource::new(ACCT, items),
        &ImportPlan::default(),
        None,
    ))
    .expect("import");
    assert_eq!(run.totals.failed, 0, "{:?}", run.failures);
    (books, run, calls, pages)
}

/// Imports `n` units into fresh books made by `open` (over the counting
/// wrapper), 100 records a page, every page its own commit. Returns the read
/// calls and the number of pages.
fn import_counted(open: &dyn Fn() -> Box<dyn Store>, n: usize) -> (BTreeMap<String, u64>, u64) {
    let (books, run, calls, pages) = counted_import(open(), units(n));
    assert_eq!(run.by_object["customer"].created as usize, 2 * n, "{run:?}");
    assert_eq!(run.by_object["invoice"].created as usize, 2 * n, "{run:?}");
    // Policy matching placed every charge's credit on its customer's invoice.
    assert_eq!(books.allocations().unwrap().len(), n, "{run:?}");
    let counted = calls.lock().unwrap().clone();
    (counted, pages)
}

/// The counts of `small` and `large` (n and 4n units), asserting that the
/// extra reads of the larger import are bounded by its extra pages.
fn check(store: &str, open: &dyn Fn() -> Box<dyn Store>) {
    let n = 60;
    let (small, small_pages) = import_counted(open, n);
    let (large, large_pages) = import_counted(open, 4 * n);
    let total = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
    let (extra_reads, extra_pages) = (total(&large) - total(&small), large_pages - small_pages);
    let extra_records = (UNIT * 3 * n) as u64;
    println!(
        "{store}: {} reads over {small_pages} pages, {} over {large_pages} pages\n  n:  {small:?}\n  4n: {large:?}",
        total(&small),
        total(&large)
    );
    // Each method's extra reads too, so one per-record lookup cannot hide
    // behind a saving elsewhere.
    for (what, &count) in &large {
        let before = small.get(what).copied().unwrap_or(0);
        assert!(
            count - before.min(count) <= PER_PAGE * extra_pages,
            "{store}: `{what}` read {before} times for {n} units and {count} for {} units: \
             it grows with the records ({extra_records} more), not the pages ({extra_pages} more)",
            4 * n
        );
    }
    assert!(
        extra_reads <= PER_PAGE * extra_pages,
        "{store}: {extra_reads} more reads for {extra_pages} more pages ({extra_records} more records)"
    );
}

/// Reads one page may cost per method (resolve, then each kind's records,
/// allocations, checkpoints): a constant, whatever the page holds.
const PER_PAGE: u64 = 4;

#[test]
fn an_import_reads_the_books_once_per_page_not_once_per_record() {
    check("memory", &|| Box::new(MemoryStore::new()));
    let dir = tempfile::tempdir().unwrap();
    let next = std::sync::atomic::AtomicU32::new(0);
    check("sqlite", &|| {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::new(SqliteStore::open(dir.path().join(format!("books{i}.db"))).unwrap())
    });
    let Some(url) = pg_url() else { return };
    let schemas = Mutex::new(Vec::new());
    check("postgres", &|| {
        let schema = PgSchema::fresh(&url);
        let store = PostgresStore::open_in_schema(&url, &schema.name).unwrap();
        schemas.lock().unwrap().push(schema);
        Box::new(store)
    });
}

/// An `invoice.paid` event for invoice `in_new_{u:05}` of [`units`].
fn paid_event(u: usize) -> StripeEvent {
    let body = serde_json::json!({
        "id": format!("evt_{u:05}"), "object": "event", "type": "invoice.paid",
        "created": 1_900_000_000 + u as i64, "api_version": "2025-03-31.basil", "livemode": false,
        "data": {"object": {
            "id": format!("in_new_{u:05}"), "object": "invoice", "customer": format!("cus_new_{u:05}"),
            "currency": "usd", "status": "paid", "number": format!("N-in_new_{u:05}"),
            "created": 1_735_689_600, "livemode": false, "subtotal": 2000, "total": 2000,
            "amount_due": 2000, "amount_paid": 2000, "amount_remaining": 0, "total_taxes": [],
            "status_transitions": {"finalized_at": 1_735_689_600, "paid_at": 1_900_000_000},
            "lines": {"object": "list", "has_more": false, "data": [
                {"id": format!("il_{u:05}"), "object": "line_item", "amount": 2000,
                 "currency": "usd", "quantity": 1, "description": "Plan"}
            ]}
        }}
    });
    StripeEvent::parse(body.to_string().as_bytes()).unwrap()
}

/// A paid event on an invoice the books hold (as a webhook applier races a
/// backfill): every read at most once per event, the event's duplicate check
/// in the same read as its page's keys.
#[test]
fn an_event_reads_the_books_a_fixed_number_of_times() {
    let Some(url) = pg_url() else { return };
    let schema = PgSchema::fresh(&url);
    let calls: Calls = Arc::default();
    let books = Books::with_store(Box::new(Counting {
        inner: Box::new(PostgresStore::open_in_schema(&url, &schema.name).unwrap()),
        calls: calls.clone(),
        deleted: Calls::default(),
    }));
    books.set_default_account(ACCT).unwrap();
    let run = run(books.import(
        &RecordsSource::new(ACCT, units(20)),
        &ImportPlan::default(),
        None,
    ))
    .expect("import");
    assert_eq!(run.totals.failed, 0);
    calls.lock().unwrap().clear();
    let events = 10;
    for u in 0..events {
        let outcome = books.apply_event(&paid_event(u)).unwrap();
        assert_eq!(outcome.status, EventStatus::Applied);
    }
    let counted = calls.lock().unwrap().clone();
    println!("{events} events: {counted:?}");
    assert_eq!(
        books
            .invoices(&InvoiceFilter {
                status: Some(InvoiceStatus::Paid),
                customer_id: None,
            })
            .unwrap()
            .len(),
        events
    );
    // Each read at most once an event: its keys (the duplicate check's
    // with the page's) in one read, each kind's records in one, ...
    for (what, &n) in &counted {
        assert!(
            n <= events as u64,
            "`{what}`: {n} reads for {events} events"
        );
    }
}

/// `list_by_customers` answers what `list_by_customer` answers for each
/// customer, merged in id order, on every store (its SQL in SQLite and
/// PostgreSQL, the default loop nowhere).
#[test]
fn records_of_many_customers_are_those_of_each_in_id_order() {
    for (store, books, _keep) in all_books() {
        import_items(&books, units(12), &ImportPlan::default());
        for kind in [
            EntityKind::Invoice,
            EntityKind::Payment,
            EntityKind::Subscription,
        ] {
            let customers: Vec<String> = books
                .customers()
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .step_by(3)
                .collect();
            assert!(customers.len() >= 4, "{store}");
            let (many, each) = books
                .with_store_mut(|s| {
                    let many = s.list_by_customers(kind, &customers).unwrap();
                    let mut each: Vec<Entity> = customers
                        .iter()
                        .flat_map(|c| s.list_by_customer(kind, c).unwrap())
                        .collect();
                    each.sort_by(|a, b| a.id().cmp(b.id()));
                    (many, each)
                })
                .unwrap();
            assert!(!many.is_empty(), "{store} {kind:?}");
            assert_eq!(many, each, "{store} {kind:?}");
            let none = books
                .with_store_mut(|s| s.list_by_customers(kind, &[]).unwrap())
                .unwrap();
            assert!(none.is_empty(), "{store} {kind:?}");
        }
    }
}

/// Customer `cus`, the `u`th of a test's units.
fn numbered_customer(cus: &str, u: usize) -> SourceItem {
    customer(cus, &format!("Customer {u}"), &format!("c{u}@example.com"))
}

/// `n` paid invoices, each with its customer, and then (pages later, as an
/// export lists them) their charges and invoice payments: every invoice's
/// synthetic payment is replaced by the real one. The paying records come
/// in the order `by_file` asks: each unit's charge, payment intent and
/// invoice payment together, or (as a directory of exports gives them, one
/// file per kind) every charge, then every payment intent, then every
/// invoice payment.
fn paid_then_paying_in(n: usize, by_file: bool) -> Vec<SourceItem> {
    let mut items = Vec::with_capacity(n * 5);
    for u in 0..n {
        let cus = format!("cus_{u:05}");
        items.push(numbered_customer(&cus, u));
        items.push(invoice(
            &format!("in_{u:05}"),
            &cus,
            "paid",
            d("100.00"),
            d("100.00"),
            1,
        ));
    }
    let mut paying: [Vec<SourceItem>; 3] = Default::default();
    for u in 0..n {
        let (cus, ch, pi) = (
            format!("cus_{u:05}"),
            format!("ch_{u:05}"),
            format!("pi_{u:05}"),
        );
        paying[0].push(charge(&ch, &pi, &cus, d("100.00"), 2));
        paying[1].push(payment_intent(&pi, &ch, &cus, d("100.00"), 2));
        paying[2].push(invoice_payment(
            &format!("inpay_{u:05}"),
            &format!("in_{u:05}"),
            &pi,
            d("100.00"),
            2,
        ));
        if !by_file {
            items.extend(paying.iter_mut().flat_map(std::mem::take));
        }
    }
    items.extend(paying.into_iter().flatten());
    items
}

/// Imports [`paid_then_paying_in`] of `n` invoices into SQLite books over
/// the counting store; checks that every invoice ends with its real payment
/// and allocation, and returns the read calls and the number of pages.
fn paid_then_paying_reads(n: usize, by_file: bool) -> (BTreeMap<String, u64>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Box::new(SqliteStore::open(dir.path().join("b.db")).unwrap());
    let (books, _, calls, pages) = counted_import(store, paid_then_paying_in(n, by_file));
    // Each invoice ends with one payment and allocation: the real ones.
    let allocs = books.allocations().unwrap();
    assert_eq!(allocs.len(), n);
    assert!(allocs.iter().all(|a| !a.payment_id.is_empty()));
    assert_eq!(
        books
            .payments()
            .unwrap()
            .iter()
            .filter(|p| p.source.object == "invoice_paid")
            .count(),
        0
    );
    let calls = calls.lock().unwrap().clone();
    (calls, pages)
}

/// Asserts that `what` (a read method) grows with the pages of
/// [`paid_then_paying_in`] (100 and 400 invoices), not with its records.
fn reads_grow_with_pages(what: &str, by_file: bool, why: &str) {
    let count = |n: usize| {
        let (calls, pages) = paid_then_paying_reads(n, by_file);
        (calls.get(what).copied().unwrap_or(0), pages)
    };
    let (small, small_pages) = count(100);
    let (large, large_pages) = count(400);
    assert!(
        large - small <= PER_PAGE * (large_pages - small_pages),
        "{what}: {small} over {small_pages} pages, {large} over {large_pages}: {why}"
    );
}

#[test]
fn replacing_synthetic_payments_reads_allocations_once_per_page() {
    reads_grow_with_pages(
        "allocations_for",
        false,
        "one per replaced synthetic payment",
    );
}

#[test]
fn payments_merged_from_invoice_payments_resolve_their_keys_once_per_page() {
    for by_file in [false, true] {
        reads_grow_with_pages("resolve", by_file, "one per alias key of a merged payment");
    }
}

/// Imports the export in `dir` page by page into books that count the
/// records commits delete; the books, the files and those counts.
fn import_files_counting_deletes(dir: &std::path::Path) -> (Books, StripeFiles, Calls) {
    let deleted: Calls = Arc::default();
    let books = Books::with_store(Box::new(Counting {
        inner: Box::new(MemoryStore::new()),
        calls: Calls::default(),
        deleted: deleted.clone(),
    }))
    .with_commit_batch(CommitBatch::every_page());
    let files = StripeFiles::new(dir).unwrap().account(ACCT);
    let imported = run(books.import(&files, &ImportPlan::default(), None)).expect("import");
    assert_eq!(imported.totals.failed, 0, "{:?}", imported.failures);
    (books, files, deleted)
}

/// A Stripe export lists each kind in its own files, every paid invoice's
/// invoice payment and charge in files after the invoices. `StripeFiles`
/// pages the payments first, so each paid invoice finds its real payment when
/// it arrives: no payment its status implies is made and then removed again
/// (before, one payment, its aliases and its allocation per paid invoice).
/// The books are those of the same records imported invoices first.
#[test]
fn a_files_export_allocates_paid_invoices_without_implied_payments_made_and_removed() {
    let data = tempfile::tempdir().unwrap();
    export::write_export(data.path(), 300);
    let (books, files, deleted) = import_files_counting_deletes(data.path());
    assert_eq!(books.allocations().unwrap().len(), 150);
    assert_eq!(deleted.lock().unwrap().clone(), BTreeMap::new());
    // The same records, invoices before payments: the same books.
    let mut items: Vec<SourceItem> = files.items().collect();
    items.sort_by_key(|i| match i {
        SourceItem::Record(r) => r.scope() != ObjectScope::Invoices,
        SourceItem::Failed(_) => true,
    });
    let invoices_first = Books::in_memory();
    run(invoices_first.import(
        &RecordsSource::new(ACCT, items),
        &ImportPlan::default(),
        None,
    ))
    .expect("import");
    assert_same(
        &fingerprint(&invoices_first),
        &fingerprint(&books),
        "invoices first",
    );
}

/// Saved one list page per file, the same export's payments and invoices
/// are paged interleaved by time (each invoices file after the payments
/// files that began before its invoices were paid), not kind by kind: still
/// no implied payment made and removed, and the books of the export saved
/// one file per kind.
#[test]
fn an_export_saved_page_by_page_interleaves_payments_and_invoices_to_the_same_books() {
    let pages = tempfile::tempdir().unwrap();
    export::write_export_as(pages.path(), 600, export::Layout::FilePerPage);
    let (books, files, deleted) = import_files_counting_deletes(pages.path());
    assert_eq!(books.allocations().unwrap().len(), 300);
    assert_eq!(deleted.lock().unwrap().clone(), BTreeMap::new());
    // Interleaved: the first invoice comes before the last charge.
    let objects: Vec<String> = files
        .items()
        .filter_map(|i| match i {
            SourceItem::Record(r) => r.source().map(|s| s.object.clone()),
            SourceItem::Failed(_) => None,
        })
        .collect();
    let first_invoice = objects.iter().position(|o| o == "invoice").unwrap();
    let last_charge = objects.iter().rposition(|o| o == "charge").unwrap();
    assert!(first_invoice < last_charge, "{first_invoice} {last_charge}");
    let whole = tempfile::tempdir().unwrap();
    export::write_export(whole.path(), 600);
    let (by_kind, _, _) = import_files_counting_deletes(whole.path());
    assert_same(
        &fingerprint(&by_kind),
        &fingerprint(&books),
        "one file per kind",
    );
}
