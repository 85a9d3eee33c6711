//! Invoices the books issue themselves (issue 15, item 1): totals from item,
//! tax and discount lines; a gap-free number sequence per prefix that a
//! failed commit does not advance; draft -> open -> partially paid / paid /
//! void; matched, reported and aged like imported invoices.

mod common;

use common::*;
use tieout::*;

fn usd_draft(customer: &str) -> InvoiceDraft {
    InvoiceDraft::new(customer, Currency::USD)
        .line(DraftLine::item("Consulting", d("2"), d("150.00")))
        .line(DraftLine::discount("Loyalty", d("30.00")))
        .line(DraftLine::tax("Sales tax", d("27.00")))
        .due(ts(30))
}

#[test]
fn own_invoices_are_numbered_without_gaps_and_survive_a_failed_commit() {
    for (name, books, _keep) in all_books() {
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let a = books
            .create_invoice(&usd_draft(&c.id), None, ts(1))
            .unwrap();
        assert_eq!(a.status, InvoiceStatus::Draft, "{name}");
        assert_eq!(a.total, d("297.00"), "{name}");
        assert_eq!(a.number, None, "{name}: drafts have no number");
        let b = books
            .create_invoice(&usd_draft(&c.id), None, ts(1))
            .unwrap();
        assert_ne!(a.id, b.id, "{name}");
        // The same caller key gives the same invoice, not a second one.
        let k1 = books
            .create_invoice(&usd_draft(&c.id), Some("order-77"), ts(1))
            .unwrap();
        let k2 = books
            .create_invoice(&usd_draft(&c.id), Some("order-77"), ts(2))
            .unwrap();
        assert_eq!(k1, k2, "{name}");

        assert_eq!(
            books.issue_invoice(&a.id, ts(2)).unwrap().number.as_deref(),
            Some("INV-000001"),
            "{name}"
        );
        // A commit that fails (as a crash would) uses no number.
        let armed = books
            .with_store_mut(|s| s.inject_commit_failure("crash"))
            .unwrap();
        if armed {
            assert!(books.issue_invoice(&b.id, ts(2)).is_err(), "{name}");
            let still = books.get(EntityKind::Invoice, &b.id).unwrap();
            assert!(
                matches!(still, Some(Entity::Invoice(i)) if i.number.is_none()),
                "{name}"
            );
        }
        let nb = books.issue_invoice(&b.id, ts(2)).unwrap();
        assert_eq!(nb.number.as_deref(), Some("INV-000002"), "{name}");
        // Issuing twice is refused, and never takes a number.
        assert!(books.issue_invoice(&b.id, ts(3)).is_err(), "{name}");
        // A void invoice keeps its number; the next one does not reuse it.
        books.void_invoice(&b.id, ts(3)).unwrap();
        let nk = books.issue_invoice(&k1.id, ts(3)).unwrap();
        assert_eq!(nk.number.as_deref(), Some("INV-000003"), "{name}");
        // Another prefix has its own sequence.
        let mut other = usd_draft(&c.id);
        other.prefix = "CR-".into();
        let o = books.create_invoice(&other, None, ts(3)).unwrap();
        let no = books.issue_invoice(&o.id, ts(3)).unwrap();
        assert_eq!(no.number.as_deref(), Some("CR-000001"), "{name}");

        // An unknown customer is refused.
        assert!(
            books
                .create_invoice(&usd_draft("cust_nobody"), None, ts(1))
                .is_err(),
            "{name}"
        );
    }
}

#[test]
fn own_invoices_are_paid_by_payments_naming_them_and_aged_like_imported_ones() {
    for (name, books, _keep) in all_books() {
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let a = books
            .create_invoice(&usd_draft(&c.id), None, ts(1))
            .unwrap();
        let a = books.issue_invoice(&a.id, ts(1)).unwrap();
        let b = books
            .create_invoice(&usd_draft(&c.id), None, ts(1))
            .unwrap();
        let b = books.issue_invoice(&b.id, ts(1)).unwrap();
        let draft = books
            .create_invoice(&usd_draft(&c.id), None, ts(1))
            .unwrap();

        // Aged at day 45: both open invoices 15 days past due; the draft is not receivable.
        let aging = books.aging(ts(45)).unwrap();
        let total: rust_decimal::Decimal = aging.totals.iter().map(|r| r.total).sum();
        assert_eq!(total, d("594.00"), "{name}");
        assert_eq!(aging.totals[0].days_1_30, d("594.00"), "{name}");

        // A payment naming `a` by books id (as a payment link's metadata does),
        // and a part payment naming `b` by number.
        let mut p1 = loose_payment("ch_own1", "cus_acme", d("297.00"), Currency::USD, 40);
        p1.metadata.insert("invoice".into(), a.id.clone());
        let mut p2 = loose_payment("ch_own2", "cus_acme", d("100.00"), Currency::USD, 41);
        p2.metadata
            .insert("invoice_number".into(), b.number.clone().unwrap());
        let run = import_items(
            &books,
            vec![pay_item(p1), pay_item(p2)],
            &ImportPlan::default(),
        );
        assert_eq!(run.totals.failed, 0, "{name}");

        let get = |id: &str| match books.get(EntityKind::Invoice, id).unwrap() {
            Some(Entity::Invoice(i)) => i,
            other => panic!("{name}: {other:?}"),
        };
        let a2 = get(&a.id);
        assert_eq!(a2.status, InvoiceStatus::Paid, "{name}");
        assert_eq!(a2.amount_remaining, d("0"), "{name}");
        let b2 = get(&b.id);
        assert_eq!(b2.status, InvoiceStatus::PartiallyPaid, "{name}");
        assert_eq!(b2.amount_remaining, d("197.00"), "{name}");
        assert_eq!(get(&draft.id).status, InvoiceStatus::Draft, "{name}");
        let allocs = books.allocations().unwrap();
        assert!(
            allocs
                .iter()
                .any(|x| x.invoice_id == a.id && x.amount == d("297.00")),
            "{name}: {allocs:?}"
        );
        assert_payment_invariant(&books);

        // The report counts them with the imported ones and adds up.
        let report = books.report(&ReconcilePolicy::default()).unwrap();
        let t = &report.totals[&Currency::USD];
        assert_eq!((t.invoiced, t.open), (d("594.00"), d("197.00")), "{name}");
        assert!(t.adds_up, "{name}");
        let aging = books.aging(ts(45)).unwrap();
        assert_eq!(aging.totals[0].total, d("197.00"), "{name}");

        // A paid invoice cannot be voided; the open one can only once nothing is paid.
        assert!(books.void_invoice(&a.id, ts(46)).is_err(), "{name}");
        assert!(books.void_invoice(&b.id, ts(46)).is_err(), "{name}");
    }
}
