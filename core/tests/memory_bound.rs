//! An import's memory is bounded by its commit batch and its cache bound, not
//! by how many records go through it: planning and committing four times the
//! invoices (paid and open, two lines each) holds about the same peak heap.
//!
//! The store here keeps nothing (every key is new, as in a first import), so
//! the heap the test counts is the planner's own. One test per binary: the
//! counting allocator sees every thread of the process.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tieout_core::import::{Planner, WorkState, Workspace};
use tieout_core::model::*;
use tieout_core::{
    ChangeSet, Currency, Entity, EntityKind, ImportPlan, Record, Resolved, Result, SourceItem,
    Store,
};

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// A global allocator is `unsafe` to implement; this one only forwards to the
// system allocator and counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Books that keep nothing: every lookup finds nothing, every commit is dropped.
struct NothingKept;

impl Store for NothingKept {
    fn resolve(&self, _keys: &[ExternalKey]) -> Result<Resolved> {
        Ok(Resolved::default())
    }
    fn get(&self, _kind: EntityKind, _ids: &[Id]) -> Result<Vec<Entity>> {
        Ok(Vec::new())
    }
    fn list(&self, _kind: EntityKind) -> Result<Vec<Entity>> {
        Ok(Vec::new())
    }
    fn list_by_customer(&self, _kind: EntityKind, _customer: &str) -> Result<Vec<Entity>> {
        Ok(Vec::new())
    }
    fn allocations_for(&self, _payments: &[Id], _invoices: &[Id]) -> Result<Vec<Entity>> {
        Ok(Vec::new())
    }
    fn checkpoint(&self, _stream: &str) -> Result<Option<String>> {
        Ok(None)
    }
    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        assert!(!changes.upserts.is_empty(), "a commit of nothing");
        Ok(())
    }
}

/// Invoice `n`: two lines, every other one paid, customers shared by 20.
fn invoice(n: usize) -> SourceItem {
    let at = 1_700_000_000 + n as i64 * 60;
    let paid = n % 2 == 0;
    let mut source = SourceRef::new("stripe", "acct_mem", "invoice", &format!("in_{n:08}"));
    source.status = Some(if paid { "paid" } else { "open" }.into());
    source.created_at = Utc.timestamp_opt(at, 0).single();
    source.updated_at = source.created_at;
    let total = Decimal::new(10_000 + (n as i64 * 37) % 90_000, 2);
    let line = |suffix: &str, amount: Decimal| InvoiceLine {
        external_id: Some(format!("il_{n:08}{suffix}")),
        description: Some("Pro plan".into()),
        quantity: Decimal::ONE,
        unit_amount: Some(amount),
        amount,
        tax: Decimal::ZERO,
        period_start: source.created_at,
        period_end: source.created_at,
        price_ref: Some("price_pro".into()),
        product_ref: Some("prod_pro".into()),
        subscription_item_ref: None,
        proration: false,
    };
    let setup = Decimal::new(500, 2);
    let amount_paid = if paid { total } else { Decimal::ZERO };
    SourceItem::Record(Record::Invoice(Invoice {
        lines: vec![line("a", total - setup), line("b", setup)],
        paid_at: paid.then_some(source.created_at).flatten(),
        ..support::invoice(
            source.clone(),
            format!("cus_{:06}", n / 20),
            format!("INV-{n:08}"),
            Currency::USD,
            total,
            amount_paid,
        )
    }))
}

/// Plans and commits `n` invoices in 100-record pages, a commit every 500
/// records, with a cache bound of 1,000 records and 4,000 aliases; returns the
/// peak heap above what was live before (pages are built as they are read).
fn peak_heap_importing(n: usize) -> usize {
    let plan = ImportPlan::default();
    let planner = Planner::new(&plan).with_entries(false);
    let mut store = NothingKept;
    let mut state = WorkState::with_cache_bound(1_000, 4_000);
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    for page in 0..n / 100 {
        let items: Vec<SourceItem> = (page * 100..(page + 1) * 100).map(invoice).collect();
        let mut ws = Workspace::new(&store, &mut state);
        let outcome = planner.plan_page(&mut ws, items).expect("plan");
        assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
        if (page + 1) % 5 == 0 {
            let changes = Workspace::new(&store, &mut state).take_changes();
            store.commit(changes).expect("commit");
            state.committed();
        }
    }
    drop(state);
    PEAK.load(Relaxed) - before
}

#[test]
fn four_times_the_invoices_hold_about_the_same_peak_heap() {
    // Warm-up: one-time allocations (thread locals, lazy statics) happen here.
    peak_heap_importing(2_000);
    let small = peak_heap_importing(10_000);
    let large = peak_heap_importing(40_000);
    assert!(
        large < small + small / 4,
        "peak heap grew with the input: {small} bytes for 10k invoices, {large} for 40k"
    );
    assert!(
        small < 32 << 20,
        "a 500-record batch and a small cache should not need {small} bytes"
    );
}
