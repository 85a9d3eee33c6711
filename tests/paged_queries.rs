//! Paged queries through the facade, on every store: `Books::iter_records`
//! walks a large set one page at a time (memory bounded by the page size)
//! and returns exactly what the list calls return.

mod common;

use common::*;
use tieout::*;

const N: usize = 1_500;

fn big_import(books: &Books) {
    let mut items = vec![
        customer("cus_a", "Acme", "ap@acme.test"),
        customer("cus_b", "Bluebird", "ap@bb.test"),
    ];
    for n in 0..N {
        let status = if n % 5 == 0 { "paid" } else { "open" };
        let paid = if status == "paid" { d("10.00") } else { d("0") };
        let cus = if n % 3 == 0 { "cus_b" } else { "cus_a" };
        let mut inv = invoice_rec(
            &format!("in_{n:05}"),
            cus,
            status,
            d("10.00"),
            paid,
            Currency::USD,
            (n * 37 % 400) as i64,
        );
        inv.due_date = Some(ts((n % 60) as i64 + 30));
        items.push(SourceItem::Record(Record::Invoice(inv)));
    }
    import_items(books, items, &ImportPlan::default());
}

#[test]
fn iterating_a_large_set_reads_one_page_at_a_time_on_every_store() {
    for (name, books, _keep) in all_books() {
        big_import(&books);
        let everything = books.invoices(&InvoiceFilter::default()).unwrap();
        assert_eq!(everything.len(), N, "{name}");

        let mut q = RecordQuery::new(EntityKind::Invoice);
        q.limit = 100;
        let mut it = books.iter_records(q.clone());
        let first: Vec<Entity> = it.by_ref().take(150).map(Result::unwrap).collect();
        assert_eq!(first.len(), 150);
        assert_eq!(
            it.pages_fetched(),
            2,
            "{name}: 150 records, two pages read, no more"
        );
        let rest: Vec<Entity> = it.by_ref().map(Result::unwrap).collect();
        assert_eq!(
            it.pages_fetched(),
            N / 100,
            "{name}: one read per page, none past the last"
        );
        let ids: Vec<&str> = first.iter().chain(&rest).map(Entity::id).collect();
        let want: Vec<&str> = everything.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, want, "{name}: every invoice once, in id order");

        // Filters agree with the list call.
        let acme = books
            .customers()
            .unwrap()
            .into_iter()
            .find(|c| c.name.as_deref() == Some("Acme"))
            .unwrap()
            .id;
        let mut open_acme = q.clone();
        open_acme.status = Some("open".into());
        open_acme.customer_id = Some(acme.clone());
        let got: Vec<String> = books
            .iter_records(open_acme)
            .map(|e| e.unwrap().id().to_string())
            .collect();
        let filter = InvoiceFilter {
            status: Some(InvoiceStatus::Open),
            customer_id: Some(acme),
        };
        let want: Vec<String> = books
            .invoices(&filter)
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got, want, "{name}: open invoices of Acme");

        // A due range walks in due order.
        let mut due = q.clone();
        due.due = TimeRange::new(Some(ts(40)), Some(ts(50)));
        due.limit = 64;
        let got: Vec<Invoice> = books
            .iter_records(due)
            .map(|e| match e.unwrap() {
                Entity::Invoice(i) => i,
                other => panic!("{other:?}"),
            })
            .collect();
        let mut want: Vec<&Invoice> = everything
            .iter()
            .filter(|i| i.due_date.is_some_and(|t| t >= ts(40) && t < ts(50)))
            .collect();
        want.sort_by(|a, b| (a.due_date, &a.id).cmp(&(b.due_date, &b.id)));
        assert_eq!(got.len(), N / 6, "{name}");
        assert_eq!(
            got.iter().map(|i| &i.id).collect::<Vec<_>>(),
            want.iter().map(|i| &i.id).collect::<Vec<_>>(),
            "{name}: due range in due order"
        );
        assert!(
            got.iter().all(|i| i.total.to_string() == "10.00"),
            "{name}: amounts at scale"
        );
    }
}
