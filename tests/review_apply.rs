//! An import with a review's approval applies what the review planned (no
//! second fetch) when the books did not change; it plans again, and says so,
//! when they did; an interrupted apply resumes with nothing lost or doubled.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use common::*;
use tieout::*;

/// The tests here count this process's spill directories: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Customer `cus_{i}`: its source id and its item.
fn numbered_customer(i: usize) -> (String, SourceItem) {
    let cus = format!("cus_{i}");
    let item = customer(&cus, &format!("C {i}"), &format!("c{i}@example.com"));
    (cus, item)
}

/// Customers, invoices (half paid through an invoice payment and its charge),
/// a refund now and then.
fn dataset(n: usize) -> Vec<SourceItem> {
    let mut v = Vec::new();
    for i in 0..n {
        let (cus, item) = numbered_customer(i);
        v.push(item);
        let amt = rust_decimal::Decimal::new(1000 + (i as i64 * 37) % 9000, 2);
        let paid = i % 2 == 0;
        let status = if paid { "paid" } else { "open" };
        let day = i as i64 % 200;
        v.push(invoice(
            &format!("in_{i}"),
            &cus,
            status,
            amt,
            if paid { amt } else { d("0") },
            day,
        ));
        if paid {
            let (pi, ch) = (format!("pi_{i}"), format!("ch_{i}"));
            v.push(invoice_payment(
                &format!("inpay_{i}"),
                &format!("in_{i}"),
                &pi,
                amt,
                day + 1,
            ));
            v.push(charge(&ch, &pi, &cus, amt, day + 1));
            if i % 10 == 0 {
                v.push(refund(&format!("re_{i}"), &ch, d("1.00"), day + 2));
            }
        }
    }
    v
}

/// Counts page requests; optionally stops serving pages (a source that
/// must not be asked again).
struct Counting {
    inner: RecordsSource,
    pages: AtomicUsize,
}

impl Counting {
    fn new(items: Vec<SourceItem>, page: usize) -> Self {
        Counting {
            inner: RecordsSource::new(ACCT, items).page_size(page),
            pages: AtomicUsize::new(0),
        }
    }

    fn take(&self) -> usize {
        self.pages.swap(0, Ordering::SeqCst)
    }
}

#[async_trait]
impl Source for Counting {
    async fn verify(&self) -> tieout::core::Result<AccountInfo> {
        self.inner.verify().await
    }
    async fn next_page(&self, scope: &FetchScope, cp: Option<&str>) -> tieout::core::Result<Page> {
        self.pages.fetch_add(1, Ordering::SeqCst);
        self.inner.next_page(scope, cp).await
    }
    fn stream(&self) -> String {
        self.inner.stream()
    }
}

fn spill_dirs() -> usize {
    let prefix = format!("tieout-review-{}-", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .count()
}

fn reference(items: &[SourceItem]) -> String {
    reference_over(Books::in_memory(), items)
}

fn reference_over(books: Books, items: &[SourceItem]) -> String {
    run(books.import(
        &RecordsSource::new(ACCT, items.to_vec()),
        &ImportPlan::default(),
        None,
    ))
    .unwrap();
    fingerprint(&books)
}

fn sqlite_books(dir: &tempfile::TempDir, batch: CommitBatch) -> Books {
    Books::open(dir.path().join("books.db"))
        .unwrap()
        .with_commit_batch(batch)
}

/// Books that already hold a customer from an earlier import, so a review's
/// batches are applied one by one (only empty books take the staged copy).
fn seeded(books: Books) -> Books {
    let seed = vec![customer("cus_seed", "Seed", "seed@example.com")];
    run(books.import(
        &RecordsSource::new(ACCT, seed),
        &ImportPlan::default(),
        None,
    ))
    .unwrap();
    books
}

#[test]
fn a_reviewed_import_applies_the_review_without_fetching_again() {
    let _g = serial();
    let items = dataset(300);
    let expected = reference(&items);
    let dir = tempfile::tempdir().unwrap();
    let books = sqlite_books(&dir, CommitBatch::every_page());
    let src = Counting::new(items.clone(), 100);
    let plan = ImportPlan::default();
    let before = spill_dirs();
    let review = run(books.review(&src, &plan)).unwrap();
    let fetched = src.take();
    assert!(
        fetched >= items.len() / 100,
        "{fetched} pages for the review"
    );
    assert_eq!(spill_dirs(), before + 1, "the review spilled");
    assert!(
        books
            .invoices(&InvoiceFilter::default())
            .unwrap()
            .is_empty(),
        "review wrote nothing"
    );

    // The entries read page by page equal the whole list, in order.
    let all = review.entries.to_vec().unwrap();
    assert_eq!(all.len() as u64, review.entries.len());
    let c = review.total_counts();
    assert_eq!(
        all.len() as u64,
        c.created + c.updated + c.unchanged + c.skipped + c.failed
    );
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let page = review.entries.page(offset, 97).unwrap();
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        paged.extend(page);
    }
    assert_eq!(paged, all);

    let imported = run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    assert_eq!(
        src.take(),
        0,
        "the import fetched nothing: it applied the review"
    );
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("applied the reviewed changes")),
        "{:?}",
        imported.notes
    );
    assert_eq!(
        imported.by_object, review.counts,
        "the run counts what was reviewed"
    );
    assert_same(
        &fingerprint(&books),
        &expected,
        "applied review = plain import",
    );
    assert_eq!(books.history().unwrap()[0].status, RunStatus::Succeeded);

    // The allocations the review showed, read page by page from its spill in
    // id order, are the ones the books now hold (the books were empty).
    assert!(
        matches!(review.allocations, ReviewAllocations::Paged(_)),
        "the review's allocations are in its spill"
    );
    let shown = review.allocations.to_vec().unwrap();
    assert!(shown.len() >= 100, "{} allocations", shown.len());
    assert_eq!(shown.len() as u64, review.allocations.len());
    assert!(shown.windows(2).all(|w| w[0].id < w[1].id), "in id order");
    let mut paged = Vec::new();
    while let Ok(page) = review.allocations.page(paged.len() as u64, 41) {
        if page.is_empty() {
            break;
        }
        paged.extend(page);
    }
    assert_eq!(paged, shown);
    let mut held = books.allocations().unwrap();
    held.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(shown, held, "the reviewed allocations were written");
    // Removed (here: made by an invoice's page, then replaced when its
    // payment's page came): none of them is shown or held.
    let removed = review.allocations_removed.to_vec().unwrap();
    assert!(!removed.is_empty());
    assert!(removed.windows(2).all(|w| w[0] < w[1]), "in id order");
    assert!(
        removed
            .iter()
            .all(|id| shown.binary_search_by(|a| a.id.cmp(id)).is_err()),
        "{removed:?}"
    );

    // What was reviewed is what was written: a second import changes nothing.
    let again = run(books.import(&src, &plan, None)).unwrap();
    assert_eq!(again.totals.created + again.totals.updated, 0, "{again:?}");
    drop(review);
    assert_eq!(spill_dirs(), before, "the spill goes with the review");
}

#[test]
fn books_changed_since_the_review_plan_again_and_say_so() {
    let _g = serial();
    let items = dataset(120);
    let expected_invoices = 120;
    let books = Books::in_memory().with_commit_batch(CommitBatch::every_page());
    let src = Counting::new(items, 50);
    let plan = ImportPlan::default();
    let review = run(books.review(&src, &plan)).unwrap();
    src.take();
    books
        .create_customer("Walk-in", Some("walkin@example.com"), CustomerKind::Company)
        .unwrap();
    let imported = run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    assert!(src.take() > 0, "planned again from the source");
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("books changed since the review")),
        "{:?}",
        imported.notes
    );
    assert_eq!(
        books.invoices(&InvoiceFilter::default()).unwrap().len(),
        expected_invoices
    );
    // A review no longer held (dropped) also plans again, and says why.
    drop(review);
    let review2 = run(books.review(&src, &plan)).unwrap();
    let token = review2.approval.clone();
    drop(review2);
    src.take();
    let again = run(books.import(&src, &plan, Some(&token))).unwrap();
    assert!(src.take() > 0);
    assert!(
        again.notes.iter().any(|n| n.contains("not held")),
        "{:?}",
        again.notes
    );
    assert_eq!(again.totals.created, 0);
}

#[test]
fn an_interrupted_reviewed_apply_resumes_without_loss_or_duplicates() {
    let _g = serial();
    let items = dataset(150);
    let expected = reference_over(seeded(Books::in_memory()), &items);
    let plan = ImportPlan::default();
    let batches = items.len().div_ceil(40);
    for stop_after in [1, batches / 2, batches - 1] {
        // Stopped by the progress callback after `stop_after` applied batches.
        let dir = tempfile::tempdir().unwrap();
        let books = seeded(sqlite_books(&dir, CommitBatch::every_page()));
        let src = Counting::new(items.clone(), 40);
        let review = run(books.review(&src, &plan)).unwrap();
        src.take();
        let calls = AtomicUsize::new(0);
        let stop =
            |_: &tieout::ImportProgress| calls.fetch_add(1, Ordering::SeqCst) + 1 < stop_after;
        let err = run(books.import_with(&src, &plan, Some(&review.approval), Some(&stop)));
        assert!(matches!(err, Err(Error::Interrupted { .. })), "{err:?}");
        let resumed = run(books.import(&src, &plan, Some(&review.approval))).unwrap();
        assert_eq!(src.take(), 0, "resumed from the review, nothing fetched");
        assert!(
            resumed
                .notes
                .iter()
                .any(|n| n.contains("resumed applying the reviewed changes")),
            "{:?}",
            resumed.notes
        );
        assert_same(
            &fingerprint(&books),
            &expected,
            &format!("stopped after {stop_after}"),
        );

        // A failed commit between batches (a crash of the write), then the
        // review is gone too: the import resumes from the source position
        // of the last applied batch.
        let dir = tempfile::tempdir().unwrap();
        let books = seeded(sqlite_books(&dir, CommitBatch::every_page()));
        let review = run(books.review(&src, &plan)).unwrap();
        src.take();
        let calls = AtomicUsize::new(0);
        let crash = |_: &tieout::ImportProgress| {
            if calls.fetch_add(1, Ordering::SeqCst) + 1 == stop_after {
                books
                    .with_store_mut(|s| assert!(s.inject_commit_failure("crash (injected)")))
                    .unwrap();
            }
            true
        };
        let err = run(books.import_with(&src, &plan, Some(&review.approval), Some(&crash)));
        assert!(err.is_err(), "the injected failure stops the apply");
        let applied = books.invoices(&InvoiceFilter::default()).unwrap().len();
        assert!(
            applied > 0 && applied < 150,
            "{applied} invoices after {stop_after} batches"
        );
        let token = review.approval.clone();
        drop(review);
        let resumed = run(books.import(&src, &plan, Some(&token))).unwrap();
        let fetched = src.take();
        assert!(
            fetched > 0 && fetched < batches,
            "resumed from the checkpoint: {fetched} of {batches} pages fetched"
        );
        assert!(
            resumed.notes.iter().any(|n| n.contains("resumed run")),
            "{:?}",
            resumed.notes
        );
        assert_same(
            &fingerprint(&books),
            &expected,
            &format!("crash after {stop_after}"),
        );
    }
}

#[test]
fn empty_books_take_the_reviewed_records_in_one_commit_and_a_crash_leaves_nothing() {
    let _g = serial();
    let items = dataset(150);
    let expected = reference(&items);
    let plan = ImportPlan::default();
    let dir = tempfile::tempdir().unwrap();
    let books = sqlite_books(&dir, CommitBatch::every_page());
    // (The import's first commit otherwise records the default account.)
    books.set_default_account(ACCT).unwrap();
    let src = Counting::new(items.clone(), 40);
    let review = run(books.review(&src, &plan)).unwrap();
    src.take();

    // The copy's commit fails (a crash of the write): nothing is applied.
    books
        .with_store_mut(|s| assert!(s.inject_commit_failure("crash (injected)")))
        .unwrap();
    let err = run(books.import(&src, &plan, Some(&review.approval)));
    assert!(err.is_err(), "the injected failure stops the apply");
    assert!(
        books
            .invoices(&InvoiceFilter::default())
            .unwrap()
            .is_empty(),
        "all or nothing"
    );
    assert_eq!(books.history().unwrap()[0].status, RunStatus::Failed);

    // Again with the same approval: copied whole, nothing fetched, one
    // progress report of everything (there is nothing left to stop).
    let reports = Mutex::new(Vec::new());
    let report = |p: &tieout::ImportProgress| {
        reports.lock().unwrap().push(p.records);
        false
    };
    let imported =
        run(books.import_with(&src, &plan, Some(&review.approval), Some(&report))).unwrap();
    assert_eq!(src.take(), 0, "nothing fetched");
    assert_eq!(*reports.lock().unwrap(), vec![items.len() as u64]);
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("by copying the records the review staged")),
        "{:?}",
        imported.notes
    );
    assert_eq!(imported.by_object, review.counts);
    assert_same(
        &fingerprint(&books),
        &expected,
        "copied review = plain import",
    );

    // The checkpoint says the stream is done: a plain import afterwards
    // changes nothing, and the same approval applies nothing twice.
    let again = run(books.import(&src, &plan, None)).unwrap();
    assert_eq!(again.totals.created + again.totals.updated, 0, "{again:?}");
    let twice = run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    assert_eq!(twice.totals.created + twice.totals.updated, 0, "{twice:?}");
    assert_same(&fingerprint(&books), &expected, "after the re-runs");
}

#[test]
fn a_stale_or_foreign_approval_is_refused_as_before() {
    let _g = serial();
    let items = dataset(10);
    let books = Books::in_memory();
    let live = RecordsSource::new(ACCT, items.clone()).live(true);
    let plan = ImportPlan::default().allow_live(true);
    let review = run(books.review(&live, &plan)).unwrap();
    // Another plan's approval is refused before anything is applied.
    let other = ImportPlan::default()
        .allow_live(true)
        .paid_invoices(PaidInvoices::MarkPaidOnly);
    let err = run(books.import(&live, &other, Some(&review.approval))).unwrap_err();
    assert_eq!(err.code(), "APPROVAL_REQUIRED");
    let err = run(books.import(&live, &plan, None)).unwrap_err();
    assert_eq!(err.code(), "APPROVAL_REQUIRED");
    assert!(
        books
            .invoices(&InvoiceFilter::default())
            .unwrap()
            .is_empty()
    );
    let ok = run(books.import(&live, &plan, Some(&review.approval))).unwrap();
    assert!(
        ok.notes
            .iter()
            .any(|n| n.contains("applied the reviewed changes"))
    );
    assert_eq!(books.invoices(&InvoiceFilter::default()).unwrap().len(), 10);
}

/// Policy matching runs at the end of a review over everything the review
/// staged (reads by customer, from the staging file): the review shows the
/// allocations it would make, and the import writes exactly those.
#[test]
fn a_review_places_customer_credit_by_policy_as_the_import_does() {
    let _g = serial();
    // More customers than policy matching reads in one batch (500).
    let n = 700;
    let mut items = Vec::new();
    for i in 0..n {
        let (cus, item) = numbered_customer(i);
        items.push(item);
        items.push(invoice(
            &format!("in_{i}_a"),
            &cus,
            "open",
            d("50.00"),
            d("0"),
            1,
        ));
        let exact = rust_decimal::Decimal::new(1000 + i as i64, 2);
        items.push(invoice(
            &format!("in_{i}_b"),
            &cus,
            "open",
            exact,
            d("0"),
            2,
        ));
        if i % 2 == 0 {
            let p = loose_payment(&format!("ch_{i}"), &cus, exact, Currency::USD, 3);
            items.push(pay_item(p));
        }
    }
    let expected = reference(&items);
    let dir = tempfile::tempdir().unwrap();
    let books = sqlite_books(&dir, CommitBatch::every_page());
    let src = Counting::new(items, 50);
    let plan = ImportPlan::default();
    let review = run(books.review(&src, &plan)).unwrap();
    assert!(src.take() > 0, "the review fetched");
    let reviewed = review.allocations.to_vec().unwrap();
    let by_policy: Vec<&Allocation> = reviewed
        .iter()
        .filter(|a| a.reason.strategy == MatchStrategy::ExactAmount)
        .collect();
    assert_eq!(
        by_policy.len(),
        n / 2,
        "one exact match per paying customer"
    );

    run(books.import(&src, &plan, Some(&review.approval))).unwrap();
    assert_eq!(src.take(), 0, "applied, not fetched");
    assert_same(
        &fingerprint(&books),
        &expected,
        "policy matches as imported",
    );
    // Each paying customer's second invoice got the one allocation reviewed.
    let ext: std::collections::HashMap<String, String> = books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .map(|i| (i.id, i.source.external_id))
        .collect();
    let mut written: Vec<(String, Allocation)> = books
        .allocations()
        .unwrap()
        .into_iter()
        .map(|a| (ext[&a.invoice_id].clone(), a))
        .collect();
    written.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<String> = {
        let mut v: Vec<String> = (0..n).step_by(2).map(|i| format!("in_{i}_b")).collect();
        v.sort();
        v
    };
    assert_eq!(
        written.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
        want
    );
    for (e, a) in &written {
        assert_eq!(a.reason.strategy, MatchStrategy::ExactAmount, "{e}");
        assert!(reviewed.contains(a), "{e}'s allocation was reviewed");
    }
}
