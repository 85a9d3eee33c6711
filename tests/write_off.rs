//! Writing invoices off by hand (issue 15): own and imported invoices, on
//! every store. The open amount goes to zero as written off, the reason and
//! time are kept and shown in the history; a later payment is still matched
//! and recovers the write-off; the accrual ledger books both; collection
//! cases close as `written_off` and follow-ups stop.

mod collect_support;
mod common;

use chrono::Duration;
use common::*;
use rust_decimal::Decimal;
use tieout::core::collect::{CaseFilter, CasePolicy, CaseStatus};
use tieout::*;

fn entry<'a>(j: &'a Journal, id: &str) -> Option<&'a JournalEntry> {
    j.entries.iter().find(|e| e.id == id)
}

fn on_account(e: &JournalEntry, account: &str) -> Decimal {
    e.postings
        .iter()
        .filter(|p| p.account == account)
        .map(|p| p.amount)
        .sum()
}

fn balanced(e: &JournalEntry) -> bool {
    e.postings
        .iter()
        .map(|p| p.amount)
        .sum::<Decimal>()
        .is_zero()
}

#[test]
fn an_imported_invoice_written_off_then_paid_is_recovered() {
    for (name, books, _keep) in all_books() {
        import_items(
            &books,
            vec![invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1)],
            &ImportPlan::default(),
        );
        let inv = inv_by_ext(&books, "in_1");
        let off = books
            .write_off(&inv.id, "customer insolvent", ts(10))
            .unwrap();
        assert_eq!(off.status, InvoiceStatus::Uncollectible, "{name}");
        assert_eq!(off.amount_remaining, d("0"), "{name}");
        assert_eq!(off.amount_written_off, d("100.00"), "{name}");
        let w = off.write_off.clone().expect("the write-off");
        assert_eq!(
            (w.amount, w.reason.as_str(), w.at, w.state()),
            (d("100.00"), "customer insolvent", ts(10), "written_off"),
            "{name}"
        );
        // Stored as returned, and in the history.
        assert_eq!(inv_by_ext(&books, "in_1"), off, "{name}");
        let history = books.history().unwrap();
        assert!(
            history.iter().any(|r| r.source == "books:manual"
                && r.notes
                    .iter()
                    .any(|n| n.contains("in_1 written off") && n.contains("customer insolvent"))),
            "{name}: {history:#?}"
        );
        // Again: nothing changes, no second history entry.
        let again = books.write_off(&inv.id, "twice", ts(11)).unwrap();
        assert_eq!(again, off, "{name}");
        assert_eq!(books.history().unwrap().len(), history.len(), "{name}");

        // A re-import of the invoice (the source knows nothing of it) keeps it.
        import_items(
            &books,
            vec![invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1)],
            &ImportPlan::default(),
        );
        assert_eq!(
            inv_by_ext(&books, "in_1").write_off,
            Some(w.clone()),
            "{name}"
        );

        // A payment that names the invoice is still matched: it recovers 40.
        import_items(
            &books,
            vec![
                invoice_payment("inpay_1", "in_1", "pi_1", d("40.00"), 12),
                charge("ch_1", "pi_1", "cus_1", d("40.00"), 12),
            ],
            &ImportPlan::default(),
        );
        let part = inv_by_ext(&books, "in_1");
        assert_eq!(allocs_to(&books, "in_1").len(), 1, "{name}");
        assert_eq!(part.amount_paid, d("40.00"), "{name}");
        assert_eq!(part.amount_written_off, d("60.00"), "{name}");
        assert_eq!(part.status, InvoiceStatus::Uncollectible, "{name}");
        let pw = part.write_off.clone().unwrap();
        assert_eq!(
            (pw.recovered, pw.state()),
            (d("40.00"), "partially_recovered"),
            "{name}"
        );
        assert_payment_invariant(&books);

        // The ledger: the write-off once, the recovery as its own entry.
        let m = LedgerMapping::default();
        let j = books.journal_entries(&m, Layers::default()).unwrap();
        let wo = entry(&j, "inv:in_1:written_off").expect("write-off entry");
        assert!(balanced(wo), "{name}");
        assert_eq!(on_account(wo, &m.bad_debt), d("100.00"), "{name}");
        assert_eq!(
            on_account(wo, &m.accounts_receivable),
            d("-100.00"),
            "{name}"
        );
        let rec = entry(&j, "inv:in_1:recovered").expect("recovery entry");
        assert!(balanced(rec), "{name}");
        assert_eq!(on_account(rec, &m.bad_debt), d("-40.00"), "{name}");
        assert!(entry(&j, "inv:in_1:write_off").is_none(), "{name}");
        assert!(entry(&j, "inv:in_1:uncollectible").is_none(), "{name}");

        // The rest arrives: recovered in full, paid; a write-off is now refused.
        import_items(
            &books,
            vec![
                invoice_payment("inpay_2", "in_1", "pi_2", d("60.00"), 14),
                charge("ch_2", "pi_2", "cus_1", d("60.00"), 14),
            ],
            &ImportPlan::default(),
        );
        let paid = inv_by_ext(&books, "in_1");
        assert_eq!(paid.status, InvoiceStatus::Paid, "{name}");
        assert_eq!(paid.amount_written_off, d("0"), "{name}");
        assert_eq!(
            paid.write_off.as_ref().unwrap().state(),
            "recovered",
            "{name}"
        );
        let j2 = books.journal_entries(&m, Layers::default()).unwrap();
        assert_eq!(
            entry(&j2, "inv:in_1:written_off"),
            Some(wo),
            "{name}: never edited"
        );
        let rec2 = entry(&j2, "inv:in_1:recovered").unwrap();
        assert_eq!(on_account(rec2, &m.bad_debt), d("-100.00"), "{name}");
        let err = books.write_off(&paid.id, "late", ts(20)).unwrap_err();
        assert_eq!(err.code(), "INVOICE_SETTLED", "{name}: {err}");
        assert_payment_invariant(&books);
    }
}

#[test]
fn an_own_invoice_written_off_stops_collection_and_a_manual_payment_recovers_it() {
    for (name, books, _keep) in all_books() {
        let c = books
            .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
            .unwrap();
        let draft = InvoiceDraft::new(&c.id, Currency::USD)
            .line(DraftLine::item("Consulting", d("1"), d("250.00")))
            .due(ts(30));
        let inv = books.create_invoice(&draft, None, ts(1)).unwrap();
        // A draft is not written off.
        let err = books.write_off(&inv.id, "never sent", ts(2)).unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT", "{name}: {err}");
        let inv = books.issue_invoice(&inv.id, ts(2)).unwrap();
        let off = books.write_off(&inv.id, "disputed work", ts(60)).unwrap();
        assert_eq!(
            (off.status, off.amount_remaining, off.amount_written_off),
            (InvoiceStatus::Uncollectible, d("0"), d("250.00")),
            "{name}"
        );
        // A bank transfer later, allocated by hand, recovers part of it.
        let p = books
            .record_payment(&ManualPayment {
                reference: "bank-77".into(),
                customer_id: Some(c.id.clone()),
                amount: d("100.00"),
                currency: Currency::USD,
                received_at: ts(70),
                method: Some("bank_transfer".into()),
                description: None,
            })
            .unwrap();
        books.allocate(&p.id, &off.id, d("100.00")).unwrap();
        let after = books.get(EntityKind::Invoice, &off.id).unwrap();
        let Some(Entity::Invoice(after)) = after else {
            panic!("{name}: invoice")
        };
        assert_eq!(after.amount_paid, d("100.00"), "{name}");
        assert_eq!(after.amount_written_off, d("150.00"), "{name}");
        assert_eq!(after.write_off.unwrap().recovered, d("100.00"), "{name}");
        assert_eq!(after.status, InvoiceStatus::Uncollectible, "{name}");
        assert_payment_invariant(&books);
    }
}

#[test]
fn a_written_off_invoice_closes_its_case_and_gets_no_follow_ups() {
    let books = Books::in_memory();
    let due = collect_support::t0() - Duration::days(40);
    let inv = collect_support::invoice(1, "cust_00001", d("80"), due, false);
    collect_support::put(
        &books,
        vec![
            Entity::Customer(collect_support::customer(1, true)),
            Entity::Invoice(inv.clone()),
        ],
    );
    let opened = books
        .create_collection_cases(
            &CaseFilter::default(),
            &CasePolicy::default(),
            collect_support::t0(),
        )
        .unwrap();
    assert_eq!(opened.opened.len(), 1);
    let policy = collect_support::policy("email");
    let before = books
        .review_follow_ups(&policy, collect_support::t0())
        .unwrap();
    assert_eq!(before.items.len(), 1, "a reminder before the write-off");

    books
        .write_off(&inv.id, "agency gave up", collect_support::t0())
        .unwrap();
    let case = books.collection_cases().unwrap().pop().unwrap();
    assert_eq!(case.status, CaseStatus::Closed);
    assert_eq!(case.close_reason.as_deref(), Some("written_off"));
    assert_eq!(case.open_amount, d("0"));
    let after = books
        .review_follow_ups(&policy, collect_support::t0() + Duration::days(1))
        .unwrap();
    assert!(after.items.is_empty(), "{:#?}", after.items);
}
