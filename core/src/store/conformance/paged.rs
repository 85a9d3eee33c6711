//! The paged queries ([`Store::query`]): filters, order, cursors and page
//! sizes, checked against expectations computed here from the records' own
//! fields (not through [`RecordQuery::matches`]).

use chrono::{DateTime, Utc};

use super::{DAY, T0, commit, create, customer, invoice, payment, ts};
use crate::entity::{Entity, EntityKind};
use crate::model::*;
use crate::money::Currency;
use crate::store::{RecordQuery, Store, TimeRange};

/// Twelve invoices whose creation, due and update times do not follow their
/// ids; three customers; three payments.
fn books() -> Vec<Invoice> {
    (0..12)
        .map(|n: i64| {
            let customer = match n % 3 {
                0 => Some("cust_qa"),
                1 => Some("cust_qb"),
                _ => None,
            };
            let status = match n % 4 {
                0 => InvoiceStatus::Open,
                1 => InvoiceStatus::Paid,
                2 => InvoiceStatus::Open,
                _ => InvoiceStatus::Draft,
            };
            let mut i = invoice(
                &format!("inv_q{n:02}"),
                &format!("in_1Q{n:02}"),
                customer,
                status,
            );
            if n % 5 == 0 {
                i.currency = Currency::USD;
            }
            let created = ts(T0 + ((n * 5) % 12) * DAY);
            i.source.created_at = Some(created);
            i.due_date = (n % 6 != 5).then(|| ts(T0 + ((n * 7) % 12) * DAY + 14 * DAY));
            i.source.updated_at =
                Some(DateTime::from_timestamp(T0 + (n % 4) * DAY, 250_000_000).unwrap_or_default());
            i
        })
        .collect()
}

/// Walks every page of `q` with page size `size`; returns the ids in order
/// and the number of pages fetched.
fn walk(store: &dyn Store, q: &RecordQuery, size: usize) -> (Vec<String>, usize) {
    let mut q = q.clone();
    q.limit = size;
    q.after = None;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let page = store
            .query(&q)
            .unwrap_or_else(|e| panic!("query {q:?} failed: {e}"));
        pages += 1;
        assert!(page.records.len() <= size, "a page holds at most its size");
        assert!(pages < 1_000, "the walk does not end");
        ids.extend(page.records.iter().map(|e| e.id().to_string()));
        match page.next {
            Some(next) => {
                assert_eq!(page.records.len(), size, "only the last page may be short");
                q.after = Some(next);
            }
            None => return (ids, pages),
        }
    }
}

fn expect(
    all: &[Invoice],
    keep: impl Fn(&Invoice) -> bool,
    key: impl Fn(&Invoice) -> Option<DateTime<Utc>>,
) -> Vec<String> {
    let mut hits: Vec<(Option<DateTime<Utc>>, String)> = all
        .iter()
        .filter(|i| keep(i))
        .map(|i| (key(i), i.id.clone()))
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, id)| id).collect()
}

/// Paged queries return exactly the matching records, in the stable order,
/// over any page size, with a cursor that resumes where the last page ended.
pub fn check_paged_queries(store: &mut dyn Store) {
    let all = books();
    let mut records: Vec<Entity> = all.iter().cloned().map(Entity::Invoice).collect();
    records.push(Entity::Customer(customer(
        "cust_qa",
        "cus_Qa",
        "Acme",
        "ap@acme.test",
    )));
    records.push(Entity::Customer(customer(
        "cust_qb",
        "cus_Qb",
        "Globex",
        "ap@globex.test",
    )));
    for (n, c) in [
        (1, Some("cust_qa")),
        (2, Some("cust_qb")),
        (3, Some("cust_qa")),
    ] {
        records.push(Entity::Payment(payment(&format!("pay_q{n}"), 70 + n, c)));
    }
    commit(store, &create(records), "books for paged queries");

    let created = |i: &Invoice| i.source.created_at;
    let due = |i: &Invoice| i.due_date;
    let updated = |i: &Invoice| i.source.updated_at;
    let none = |_: &Invoice| None;
    let q = |f: &dyn Fn(&mut RecordQuery)| {
        let mut q = RecordQuery::new(EntityKind::Invoice);
        f(&mut q);
        q
    };
    let from = ts(T0 + 3 * DAY);
    let to = ts(T0 + 8 * DAY);
    let cases: Vec<(&str, RecordQuery, Vec<String>)> = vec![
        ("every invoice", q(&|_| {}), expect(&all, |_| true, none)),
        (
            "status open",
            q(&|q| q.status = Some("open".into())),
            expect(&all, |i| i.status == InvoiceStatus::Open, none),
        ),
        (
            "customer",
            q(&|q| q.customer_id = Some("cust_qa".into())),
            expect(&all, |i| i.customer_id.as_deref() == Some("cust_qa"), none),
        ),
        (
            "currency and status",
            q(&|q| {
                q.currency = Some(Currency::USD);
                q.status = Some("open".into());
            }),
            expect(
                &all,
                |i| i.currency == Currency::USD && i.status == InvoiceStatus::Open,
                none,
            ),
        ),
        (
            "created range",
            q(&|q| q.created = TimeRange::new(Some(from), Some(to))),
            expect(
                &all,
                |i| created(i).is_some_and(|t| t >= from && t < to),
                created,
            ),
        ),
        (
            "created from, open customer",
            q(&|q| {
                q.created.from = Some(from);
                q.customer_id = Some("cust_qb".into());
            }),
            expect(
                &all,
                |i| {
                    created(i).is_some_and(|t| t >= from)
                        && i.customer_id.as_deref() == Some("cust_qb")
                },
                created,
            ),
        ),
        (
            "due before",
            q(&|q| q.due.to = Some(ts(T0 + 20 * DAY))),
            expect(&all, |i| due(i).is_some_and(|t| t < ts(T0 + 20 * DAY)), due),
        ),
        (
            "updated since (milliseconds count)",
            q(&|q| {
                q.updated_since =
                    Some(DateTime::from_timestamp(T0 + 2 * DAY, 250_000_000).unwrap_or_default())
            }),
            expect(
                &all,
                |i| {
                    updated(i).is_some_and(|t| {
                        t >= DateTime::from_timestamp(T0 + 2 * DAY, 250_000_000).unwrap_or_default()
                    })
                },
                updated,
            ),
        ),
        (
            "updated since, a millisecond later",
            q(&|q| {
                q.updated_since =
                    Some(DateTime::from_timestamp(T0 + 3 * DAY, 251_000_000).unwrap_or_default())
            }),
            Vec::new(),
        ),
        (
            "no match",
            q(&|q| q.customer_id = Some("cust_nobody".into())),
            Vec::new(),
        ),
    ];
    for (what, query, want) in &cases {
        for size in [1, 2, 5, 500] {
            let (got, pages) = walk(store, query, size);
            assert_eq!(&got, want, "{what}, page size {size}");
            assert_eq!(
                pages,
                want.len().div_ceil(size).max(1),
                "{what}: one fetch per page, none past the last"
            );
        }
    }
    assert!(!cases[1].2.is_empty() && !cases[4].2.is_empty() && !cases[6].2.is_empty());

    // The records come back whole.
    let page = store
        .query(&q(&|q| q.status = Some("paid".into())))
        .unwrap_or_else(|e| panic!("{e}"));
    let want: Vec<Entity> = all
        .iter()
        .filter(|i| i.status == InvoiceStatus::Paid)
        .cloned()
        .map(Entity::Invoice)
        .collect();
    assert_eq!(page.records, want);

    // Other kinds: payments by customer, customers by creation.
    let mut pq = RecordQuery::new(EntityKind::Payment);
    pq.customer_id = Some("cust_qa".into());
    assert_eq!(walk(store, &pq, 1).0, vec!["pay_q1", "pay_q3"]);
    let mut cq = RecordQuery::new(EntityKind::Customer);
    cq.created.from = Some(ts(T0));
    assert_eq!(walk(store, &cq, 1).0, vec!["cust_qa", "cust_qb"]);

    // A cursor resumes after its record even when records are written
    // behind and ahead of it meanwhile.
    let mut open = q(&|q| q.status = Some("open".into()));
    open.limit = 2;
    let first = store.query(&open).unwrap_or_else(|e| panic!("{e}"));
    let mut late = all[0].clone();
    late.id = "inv_q05a".into();
    late.source.external_id = "in_1Q05a".into();
    let mut early = all[0].clone();
    early.id = "inv_q".into();
    early.source.external_id = "in_1Q".into();
    commit(
        store,
        &create(vec![Entity::Invoice(late), Entity::Invoice(early)]),
        "two more open invoices",
    );
    open.after = first.next.clone();
    let (rest, _) = walk_from(store, &open);
    let mut want = cases[1].2[2..].to_vec();
    want.push("inv_q05a".into());
    want.sort();
    assert_eq!(
        rest, want,
        "after the cursor: the later ids and the one written ahead of it, not the one behind"
    );

    // Bad input is a clear error.
    let mut bad = RecordQuery::new(EntityKind::Invoice);
    bad.after = Some("not a cursor".into());
    assert!(store.query(&bad).is_err(), "a junk cursor is refused");
    let mut bad = RecordQuery::new(EntityKind::Allocation);
    bad.customer_id = Some("cust_qa".into());
    assert!(store.query(&bad).is_err(), "allocations have no customer");
}

/// The ids of every page from `q.after` on.
fn walk_from(store: &dyn Store, q: &RecordQuery) -> (Vec<String>, usize) {
    let mut q = q.clone();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.query(&q).unwrap_or_else(|e| panic!("{e}"));
        pages += 1;
        ids.extend(page.records.iter().map(|e| e.id().to_string()));
        match page.next {
            Some(n) => q.after = Some(n),
            None => return (ids, pages),
        }
    }
}
