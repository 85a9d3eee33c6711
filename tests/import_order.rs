//! Order independence and resumability of imports.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use common::*;
use proptest::prelude::*;
use tieout::*;

/// Every object that names one real payment, plus its invoice and a refund.
fn one_payment_objects() -> Vec<SourceItem> {
    vec![
        invoice("in_1", "cus_1", "paid", d("120.00"), d("120.00"), 1),
        invoice_payment("inpay_1", "in_1", "pi_1", d("120.00"), 2),
        payment_intent("pi_1", "ch_1", "cus_1", d("120.00"), 2),
        charge("ch_1", "pi_1", "cus_1", d("120.00"), 2),
        balance_tx("ch_1", d("120.00"), d("3.78"), 2),
        refund("re_1", "ch_1", d("10.00"), 4),
    ]
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn one_payment_in_every_order_gives_the_same_books() {
    let items = one_payment_objects();
    let reference = {
        let books = Books::in_memory();
        run(books.import(
            &RecordsSource::new(ACCT, items.clone()),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        assert_eq!(books.payments().unwrap().len(), 1);
        fingerprint(&books)
    };
    let perms = permutations(items.len());
    assert_eq!(perms.len(), 720);
    for (n, perm) in perms.iter().enumerate() {
        let ordered: Vec<SourceItem> = perm.iter().map(|i| items[*i].clone()).collect();
        // Alternate between one page and one record per page (separate commits).
        let page = if n % 2 == 0 { 100 } else { 1 };
        let books = Books::in_memory();
        run(books.import(
            &RecordsSource::new(ACCT, ordered).page_size(page),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let pays = books.payments().unwrap();
        assert_eq!(pays.len(), 1, "order {perm:?}: {pays:#?}");
        let p = &pays[0];
        assert_eq!(
            (p.amount, p.refunded, p.allocated, p.unapplied),
            (d("120.00"), d("10.00"), d("110.00"), d("0")),
            "order {perm:?}"
        );
        assert_eq!(p.fee, d("3.78"), "order {perm:?}");
        assert_same(
            &fingerprint(&books),
            &reference,
            &format!("order {perm:?} page {page}"),
        );
    }
}

#[test]
fn one_payment_in_every_order_on_sqlite() {
    let items = one_payment_objects();
    let reference = {
        let books = Books::in_memory();
        run(books.import(
            &RecordsSource::new(ACCT, items.clone()),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        fingerprint(&books)
    };
    // Every 7th permutation on SQLite, one record per commit.
    for perm in permutations(items.len()).iter().step_by(7) {
        let dir = tempfile::tempdir().unwrap();
        let books = Books::open(dir.path().join("b.db")).unwrap();
        let ordered: Vec<SourceItem> = perm.iter().map(|i| items[*i].clone()).collect();
        run(books.import(
            &RecordsSource::new(ACCT, ordered).page_size(1),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        assert_same(&fingerprint(&books), &reference, &format!("order {perm:?}"));
    }
}

/// A realistic data set of `n` customers with invoices, payments and fees.
fn dataset(n: usize) -> Vec<SourceItem> {
    let mut v = Vec::new();
    for i in 0..n {
        let cus = format!("cus_{i}");
        v.push(customer(
            &cus,
            &format!("Customer {i}"),
            &format!("c{i}@example.com"),
        ));
        let amt = rust_decimal::Decimal::new(1000 + (i as i64 * 37) % 9000, 2);
        let status = ["paid", "open", "paid", "void"][i % 4];
        let paid = if status == "paid" { amt } else { d("0") };
        let mut inv = invoice_rec(
            &format!("in_{i}"),
            &cus,
            status,
            amt,
            paid,
            tieout::Currency::USD,
            i as i64 % 300,
        );
        if i % 3 == 0 {
            inv.subscription_ref = Some(format!("sub_{i}"));
            v.push(subscription(
                &format!("sub_{i}"),
                &cus,
                Interval::Month,
                1,
                i as i64 % 300,
            ));
        }
        v.push(SourceItem::Record(Record::Invoice(inv)));
        if status == "paid" {
            let (pi, ch) = (format!("pi_{i}"), format!("ch_{i}"));
            v.push(invoice_payment(
                &format!("inpay_{i}"),
                &format!("in_{i}"),
                &pi,
                amt,
                i as i64 % 300 + 1,
            ));
            v.push(charge(&ch, &pi, &cus, amt, i as i64 % 300 + 1));
            v.push(balance_tx(&ch, amt, d("0.59"), i as i64 % 300 + 1));
            if i % 10 == 0 {
                v.push(refund(
                    &format!("re_{i}"),
                    &ch,
                    d("1.00"),
                    i as i64 % 300 + 3,
                ));
            }
        }
    }
    v
}

/// Wraps a source and fails once, at a chosen page.
struct Flaky {
    inner: RecordsSource,
    fail_at: usize,
    calls: AtomicUsize,
}

#[async_trait]
impl Source for Flaky {
    async fn verify(&self) -> tieout::core::Result<AccountInfo> {
        self.inner.verify().await
    }
    async fn next_page(&self, scope: &FetchScope, cp: Option<&str>) -> tieout::core::Result<Page> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n == self.fail_at {
            return Err(CoreError::Source {
                code: "NETWORK_ERROR".into(),
                message: "connection reset (injected)".into(),
            });
        }
        self.inner.next_page(scope, cp).await
    }
    fn stream(&self) -> String {
        self.inner.stream()
    }
}

#[test]
fn interrupted_imports_resume_to_identical_books() {
    // One commit per page: every page boundary is a commit boundary.
    interrupted_imports_resume(CommitBatch::every_page());
}

#[test]
fn interrupted_batched_imports_resume_to_identical_books() {
    // Several pages per commit: aborts fall between and inside commits.
    interrupted_imports_resume(CommitBatch {
        records: 700,
        interval: std::time::Duration::from_secs(3600),
    });
}

#[test]
fn a_batched_import_commits_whole_pages_with_their_checkpoint() {
    let items = dataset(200);
    let src = RecordsSource::new(ACCT, items.clone()).page_size(100);
    let plan = ImportPlan::default();
    let stream = format!("{}#plan:{}", src.stream(), &plan.hash()[..16]);
    let books = Books::in_memory().with_commit_batch(CommitBatch {
        records: 250,
        interval: std::time::Duration::from_secs(3600),
    });
    // Before each page's commit decision: the checkpoint committed so far.
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |p: &tieout::ImportProgress| {
        let done = p.records;
        let cp = books
            .with_store_mut(|s| s.checkpoint(&stream).unwrap())
            .unwrap();
        seen.lock().unwrap().push((done, cp));
        true
    };
    run(books.import_with(&src, &plan, None, Some(&progress))).unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 6, "{} pages", seen.len());
    // Pages 1-3 plan 300 records before the first commit: no checkpoint yet.
    assert!(seen[..3].iter().all(|(_, cp)| cp.is_none()), "{seen:?}");
    // The first commit (after page 3) names the position after page 3.
    let after_third = seen[3].1.as_deref().expect("committed after page 3");
    assert!(
        after_third.contains("\"position\":\"300\""),
        "{after_third}"
    );
    assert_eq!(seen[4].1, seen[3].1, "no commit after page 4 alone");
}

fn interrupted_imports_resume(batch: CommitBatch) {
    let items = dataset(900); // ~3,500 records
    let page = 300;
    let src = RecordsSource::new(ACCT, items.clone()).page_size(page);
    let pages = items.len().div_ceil(page);
    let reference = {
        let books = Books::in_memory();
        run(books.import(&src, &ImportPlan::default(), None)).unwrap();
        fingerprint(&books)
    };
    // Abort at every page boundary (source failure), then resume.
    for fail_at in 0..pages {
        let dir = tempfile::tempdir().unwrap();
        let books = Books::open(dir.path().join("b.db"))
            .unwrap()
            .with_commit_batch(batch);
        let flaky = Flaky {
            inner: src.clone(),
            fail_at,
            calls: AtomicUsize::new(0),
        };
        let err = run(books.import(&flaky, &ImportPlan::default(), None)).unwrap_err();
        assert_eq!(err.code(), "NETWORK_ERROR");
        let hist = books.history().unwrap();
        assert_eq!(
            hist[0].status,
            RunStatus::Failed,
            "a failed run is recorded as failed"
        );
        let resumed = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
        assert_eq!(resumed.status, RunStatus::Succeeded);
        if fail_at > 0 {
            assert!(
                resumed.notes.iter().any(|n| n.contains("resumed")),
                "{:?}",
                resumed.notes
            );
        }
        assert_same(
            &fingerprint(&books),
            &reference,
            &format!("abort at page {fail_at}"),
        );
    }
    // Abort inside a commit (injected store failure), for each page.
    for fail_page in 0..pages {
        let dir = tempfile::tempdir().unwrap();
        let books = Books::open(dir.path().join("b.db"))
            .unwrap()
            .with_commit_batch(batch);
        let arm = |b: &Books| {
            let armed = b
                .with_store_mut(|s| s.inject_commit_failure("disk full (injected)"))
                .unwrap();
            assert!(armed, "the store supports fault injection");
        };
        if fail_page == 0 {
            arm(&books);
        }
        let committed = AtomicUsize::new(0);
        let progress = |_: &tieout::ImportProgress| {
            if committed.fetch_add(1, Ordering::SeqCst) + 1 == fail_page {
                arm(&books);
            }
            true
        };
        let err = run(books.import_with(&src, &ImportPlan::default(), None, Some(&progress)))
            .unwrap_err();
        assert_eq!(err.code(), "STORE_ERROR", "{err}");
        let resumed = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
        assert_eq!(resumed.status, RunStatus::Succeeded);
        assert_same(
            &fingerprint(&books),
            &reference,
            &format!("store failure at page {fail_page}"),
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn any_permutation_and_duplication_gives_the_same_books(
        seed in prop::collection::vec(0usize..1000, 60),
        dups in prop::collection::vec(0usize..60, 0..20),
        page in 1usize..40,
    ) {
        let base = dataset(12);
        let reference = {
            let books = Books::in_memory();
            run(books.import(&RecordsSource::new(ACCT, base.clone()), &ImportPlan::default(), None)).unwrap();
            fingerprint(&books)
        };
        let mut items = base.clone();
        for d in &dups {
            items.push(base[d % base.len()].clone());
        }
        let mut keyed: Vec<(usize, SourceItem)> = items.into_iter().enumerate().map(|(i, it)| (seed[i % seed.len()] * 1000 + i, it)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        let shuffled: Vec<SourceItem> = keyed.into_iter().map(|(_, it)| it).collect();
        let books = Books::in_memory();
        run(books.import(&RecordsSource::new(ACCT, shuffled).page_size(page), &ImportPlan::default(), None)).unwrap();
        assert_same(&fingerprint(&books), &reference, "shuffled");
    }
}

/// An event-stream-like source: each import continues after the last page it served.
struct Tail {
    inner: RecordsSource,
    seen: std::sync::Mutex<Vec<Option<String>>>,
}

#[async_trait]
impl Source for Tail {
    async fn verify(&self) -> tieout::core::Result<AccountInfo> {
        self.inner.verify().await
    }
    async fn next_page(&self, scope: &FetchScope, cp: Option<&str>) -> tieout::core::Result<Page> {
        self.seen.lock().unwrap().push(cp.map(str::to_string));
        self.inner.next_page(scope, cp).await
    }
    fn stream(&self) -> String {
        self.inner.stream()
    }
    fn tails(&self) -> bool {
        true
    }
}

#[test]
fn a_tailing_source_continues_from_its_cursor() {
    let books = Books::in_memory();
    let items = dataset(3);
    let n = items.len();
    let src = Tail {
        inner: RecordsSource::new(ACCT, items).page_size(4),
        seen: Default::default(),
    };
    let first = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    assert!(first.totals.created > 0);
    src.seen.lock().unwrap().clear();
    let second = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
    let seen = src.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![Some(n.to_string())],
        "the second import starts where the first ended"
    );
    assert_eq!(second.totals.created + second.totals.updated, 0);
    assert!(
        second
            .notes
            .iter()
            .any(|x| x.contains("continued from the cursor")),
        "{:?}",
        second.notes
    );
}

/// A source that records the scope each page is asked for.
struct Scoped {
    inner: RecordsSource,
    scopes: std::sync::Mutex<Vec<Vec<ObjectScope>>>,
}

#[async_trait]
impl Source for Scoped {
    async fn verify(&self) -> tieout::core::Result<AccountInfo> {
        self.inner.verify().await
    }
    async fn next_page(&self, scope: &FetchScope, cp: Option<&str>) -> tieout::core::Result<Page> {
        self.scopes.lock().unwrap().push(scope.objects.clone());
        self.inner.next_page(scope, cp).await
    }
    fn stream(&self) -> String {
        self.inner.stream()
    }
}

/// Sources are asked for the plan's scopes in import order (payments before
/// invoices), whatever order the plan lists them in, each once: a source
/// that reads scope by scope (the Stripe API) reads in that order, and a
/// checkpoint means the same thing however the plan was written.
#[test]
fn sources_are_asked_for_scopes_in_import_order() {
    let src = Scoped {
        inner: RecordsSource::new(ACCT, dataset(2)),
        scopes: Default::default(),
    };
    let plan = ImportPlan::default().objects([
        ObjectScope::Invoices,
        ObjectScope::Payments,
        ObjectScope::Customers,
        ObjectScope::Invoices,
    ]);
    run(Books::in_memory().import(&src, &plan, None)).unwrap();
    let scopes = src.scopes.lock().unwrap().clone();
    assert!(!scopes.is_empty());
    for s in scopes {
        assert_eq!(
            s,
            [
                ObjectScope::Customers,
                ObjectScope::Payments,
                ObjectScope::Invoices
            ]
        );
    }
}
