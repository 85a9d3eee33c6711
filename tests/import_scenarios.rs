//! The import issue's seed scenarios, each run against the memory and SQLite stores.

mod common;

use common::*;
use tieout::*;

fn paid_invoice_set() -> Vec<SourceItem> {
    vec![
        customer("cus_1", "Acme GmbH", "billing@acme.test"),
        invoice("in_paid", "cus_1", "paid", d("120.00"), d("120.00"), 1),
        invoice_payment("inpay_1", "in_paid", "pi_1", d("120.00"), 2),
        payment_intent("pi_1", "ch_1", "cus_1", d("120.00"), 2),
        charge("ch_1", "pi_1", "cus_1", d("120.00"), 2),
        balance_tx("ch_1", d("120.00"), d("3.78"), 2),
    ]
}

#[test]
fn paid_invoice_gives_paid_invoice_payment_and_allocation() {
    for (name, books, _dir) in all_books() {
        let src = RecordsSource::new(ACCT, paid_invoice_set()).page_size(2);
        let run = run(books.import(&src, &ImportPlan::default(), None)).expect("import");
        assert_eq!(run.status, RunStatus::Succeeded, "{name}");
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.status, InvoiceStatus::Paid, "{name}");
        assert_eq!(inv.amount_paid, d("120.00"));
        assert_eq!(inv.amount_remaining, d("0"));
        let pays = books.payments().unwrap();
        assert_eq!(
            pays.len(),
            1,
            "{name}: one real payment, however many objects name it: {pays:#?}"
        );
        let p = &pays[0];
        assert_eq!(p.amount, d("120.00"));
        assert_eq!(p.currency, Currency::USD);
        assert_eq!(p.fee, d("3.78"));
        assert_eq!(p.net, Some(d("116.22")));
        assert_eq!(p.received_at, Some(ts(2)));
        assert_eq!(p.customer_id, inv.customer_id);
        assert_eq!(p.source.object, "charge");
        let allocs = books.allocations().unwrap();
        assert_eq!(allocs.len(), 1, "{name}");
        assert_eq!(allocs[0].amount, d("120.00"));
        assert_eq!(allocs[0].currency, Currency::USD);
        assert_eq!(allocs[0].reason.strategy, MatchStrategy::ExplicitLink);
        assert_eq!(allocs[0].allocated_at, Some(ts(2)));
        assert_eq!(p.unapplied, d("0"));
        assert_eq!(
            p.amount,
            p.allocated + p.unapplied + p.refunded + p.disputed
        );
    }
}

#[test]
fn paid_invoice_without_payment_objects_records_one_payment() {
    for (name, books, _dir) in all_books() {
        let items = vec![invoice(
            "in_oob",
            "cus_1",
            "paid",
            d("50.00"),
            d("50.00"),
            1,
        )];
        run(books.import(
            &RecordsSource::new(ACCT, items),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let pays = books.payments().unwrap();
        assert_eq!(pays.len(), 1, "{name}");
        assert_eq!(pays[0].amount, d("50.00"));
        assert_eq!(
            pays[0].received_at,
            Some(ts(2)),
            "payment date is the paid date"
        );
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.status, InvoiceStatus::Paid);
        // The real invoice payment arrives later: still one payment, still one allocation.
        let later = vec![invoice_payment("inpay_9", "in_oob", "pi_9", d("50.00"), 2)];
        run(books.import(
            &RecordsSource::new(ACCT, later),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let pays = books.payments().unwrap();
        assert_eq!(pays.len(), 1, "{name}: {pays:#?}");
        assert_eq!(pays[0].refs.invoice_payments, vec!["inpay_9".to_string()]);
        assert_eq!(books.allocations().unwrap().len(), 1);
        // Mark-paid-only records no payment at all.
        let books2 = Books::in_memory();
        let plan = ImportPlan::default().paid_invoices(PaidInvoices::MarkPaidOnly);
        let items = vec![invoice(
            "in_oob",
            "cus_1",
            "paid",
            d("50.00"),
            d("50.00"),
            1,
        )];
        run(books2.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
        assert!(books2.payments().unwrap().is_empty());
        let inv = &books2.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(
            (inv.status, inv.amount_paid),
            (InvoiceStatus::Paid, d("50.00"))
        );
    }
}

#[test]
fn open_invoice_stays_open_or_becomes_draft() {
    for (name, books, _dir) in all_books() {
        let items = vec![invoice("in_open", "cus_1", "open", d("99.99"), d("0"), 1)];
        run(books.import(
            &RecordsSource::new(ACCT, items.clone()),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.status, InvoiceStatus::Open, "{name}");
        assert_eq!(inv.amount_remaining, d("99.99"));
        assert!(books.payments().unwrap().is_empty());
        let drafts = Books::in_memory();
        let plan = ImportPlan::default().unpaid_invoices(UnpaidInvoices::AsDrafts);
        run(drafts.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
        assert_eq!(
            drafts.invoices(&InvoiceFilter::default()).unwrap()[0].status,
            InvoiceStatus::Draft
        );
    }
}

#[test]
fn partial_payment_leaves_invoice_partially_paid() {
    for (name, books, _dir) in all_books() {
        let items = vec![
            invoice("in_part", "cus_1", "open", d("100.00"), d("40.00"), 1),
            invoice_payment("inpay_p", "in_part", "pi_p", d("40.00"), 3),
            charge("ch_p", "pi_p", "cus_1", d("40.00"), 3),
        ];
        run(books.import(
            &RecordsSource::new(ACCT, items),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.status, InvoiceStatus::PartiallyPaid, "{name}");
        assert_eq!(
            (inv.amount_paid, inv.amount_remaining),
            (d("40.00"), d("60.00"))
        );
    }
}

#[test]
fn rerunning_an_import_changes_nothing() {
    for (name, books, _dir) in all_books() {
        let src = RecordsSource::new(ACCT, paid_invoice_set()).page_size(3);
        let first = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
        assert!(first.totals.created > 0);
        let before = fingerprint(&books);
        let second = run(books.import(&src, &ImportPlan::default(), None)).unwrap();
        assert_eq!(second.totals.created, 0, "{name}: {second:#?}");
        assert_eq!(second.totals.updated, 0, "{name}: {second:#?}");
        assert_eq!(
            second.totals.unchanged, 6,
            "{name}: every source record seen, none changed"
        );
        assert_eq!(fingerprint(&books), before);
        let review = run(books.review(&src, &ImportPlan::default())).unwrap();
        assert!(
            review
                .entries
                .to_vec()
                .unwrap()
                .iter()
                .all(|e| e.action == Action::Unchanged),
            "{name}"
        );
    }
}

#[test]
fn fixed_customer_mode_keeps_the_original_customer_and_switching_updates() {
    for (name, books, _dir) in all_books() {
        let items = vec![
            invoice("in_a", "cus_1", "open", d("10.00"), d("0"), 1),
            invoice("in_b", "cus_2", "paid", d("20.00"), d("20.00"), 2),
        ];
        let src = RecordsSource::new(ACCT, items);
        // A fixed customer that does not exist is an error before anything is imported.
        let missing = ImportPlan::default().fixed_customer("cust_missing");
        let err = run(books.import(&src, &missing, None)).unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND", "{name}");
        assert!(
            books
                .invoices(&InvoiceFilter::default())
                .unwrap()
                .is_empty()
        );

        let stripe_customer = books
            .create_customer("Stripe Customer", None, CustomerKind::Company)
            .unwrap();
        let plan = ImportPlan::default().fixed_customer(&stripe_customer.id);
        run(books.import(&src, &plan, None)).unwrap();
        let invoices = books.invoices(&InvoiceFilter::default()).unwrap();
        assert_eq!(invoices.len(), 2);
        for inv in &invoices {
            assert_eq!(
                inv.customer_id.as_deref(),
                Some(stripe_customer.id.as_str()),
                "{name}"
            );
            let orig = inv
                .source
                .original_customer
                .as_ref()
                .expect("original customer kept");
            assert!(orig.external_id.starts_with("cus_"));
            assert!(orig.email.as_deref().unwrap().ends_with("@example.com"));
        }
        assert_eq!(
            books.customers().unwrap().len(),
            1,
            "no source customers created"
        );
        assert_eq!(
            books.payments().unwrap()[0].customer_id.as_deref(),
            Some(stripe_customer.id.as_str())
        );

        // Switching back to from-source is reviewed as updates, never duplicates.
        let review = run(books.review(&src, &ImportPlan::default())).unwrap();
        let all = review.entries.to_vec().unwrap();
        let inv_entries: Vec<_> = all.iter().filter(|e| e.object == "invoice").collect();
        assert_eq!(inv_entries.len(), 2);
        assert!(
            inv_entries
                .iter()
                .all(|e| matches!(e.action, Action::Update { .. })),
            "{name}: {inv_entries:#?}"
        );
        run(books.import(&src, &ImportPlan::default(), None)).unwrap();
        assert_eq!(books.invoices(&InvoiceFilter::default()).unwrap().len(), 2);
        assert_eq!(books.payments().unwrap().len(), 1);
    }
}

#[test]
fn subscription_interval_change_updates_in_place() {
    for (name, books, _dir) in all_books() {
        let v1 = vec![subscription("sub_1", "cus_1", Interval::Month, 1, 1)];
        run(books.import(&RecordsSource::new(ACCT, v1), &ImportPlan::default(), None)).unwrap();
        let before = books.subscriptions().unwrap();
        let mut changed = subscription("sub_1", "cus_1", Interval::Year, 1, 1);
        if let SourceItem::Record(Record::Subscription(s)) = &mut changed {
            s.source.updated_at = Some(ts(40));
        }
        let review = run(books.review(
            &RecordsSource::new(ACCT, vec![changed.clone()]),
            &ImportPlan::default(),
        ))
        .unwrap();
        let first = review.entries.page(0, 1).unwrap();
        let Action::Update { changes } = &first[0].action else {
            panic!("{name}: expected update")
        };
        assert!(changes.iter().any(|c| c.path == "interval"), "{changes:#?}");
        run(books.import(
            &RecordsSource::new(ACCT, vec![changed]),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let after = books.subscriptions().unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].id, before[0].id, "{name}: same record");
        assert_eq!(after[0].interval, Interval::Year);
        // An older snapshot arriving late is skipped and counted.
        let stale = vec![subscription("sub_1", "cus_1", Interval::Month, 1, 1)];
        let r = run(books.import(
            &RecordsSource::new(ACCT, stale),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        assert_eq!(r.totals.skipped, 1, "{name}");
        assert_eq!(books.subscriptions().unwrap()[0].interval, Interval::Year);
    }
}

#[test]
fn customer_filters_date_range_and_status_filter() {
    for (name, books, _dir) in all_books() {
        let items = vec![
            invoice("in_1", "cus_1", "open", d("10.00"), d("0"), 10),
            invoice("in_2", "cus_2", "open", d("20.00"), d("0"), 100),
            invoice("in_3", "cus_3", "paid", d("30.00"), d("30.00"), 100),
            invoice("in_4", "cus_3", "open", d("40.00"), d("0"), 200),
        ];
        let src = RecordsSource::new(ACCT, items);
        let ids = |plan: &ImportPlan| -> Vec<String> {
            let r = run(books.review(&src, plan)).unwrap();
            r.entries
                .to_vec()
                .unwrap()
                .iter()
                .filter(|e| e.object == "invoice" && !matches!(e.action, Action::Skipped { .. }))
                .map(|e| e.external_id.clone())
                .collect()
        };
        let allow = ImportPlan::default().customer_filter(CustomerFilter::Allow(vec![
            CustomerMatch::parse("cus_1"),
            CustomerMatch::parse("cus_3@example.com"),
        ]));
        assert_eq!(ids(&allow), vec!["in_1", "in_3", "in_4"], "{name}");
        let exclude = ImportPlan::default()
            .customer_filter(CustomerFilter::Exclude(vec![CustomerMatch::parse("cus_3")]));
        assert_eq!(ids(&exclude), vec!["in_1", "in_2"]);
        let q = ImportPlan::default().created(Some(ts(50)), Some(ts(150)));
        assert_eq!(ids(&q), vec!["in_2", "in_3"]);
        let open_q = ImportPlan::default()
            .created(Some(ts(50)), Some(ts(250)))
            .invoice_statuses([InvoiceStatus::Open]);
        assert_eq!(
            ids(&open_q),
            vec!["in_2", "in_4"],
            "the debt-collection case"
        );
        let r = run(books.import(&src, &exclude, None)).unwrap();
        assert_eq!(r.by_object["invoice"].skipped, 2);
        assert_eq!(books.invoices(&InvoiceFilter::default()).unwrap().len(), 2);
    }
}

#[test]
fn live_mode_without_approval_is_refused_and_writes_nothing() {
    for (name, books, _dir) in all_books() {
        let src = RecordsSource::new(ACCT, paid_invoice_set()).live(true);
        let plan = ImportPlan::default();
        let err = run(books.import(&src, &plan, None)).unwrap_err();
        assert_eq!(err.code(), "APPROVAL_REQUIRED", "{name}");
        let allowed = plan.clone().allow_live(true);
        let err = run(books.import(&src, &allowed, None)).unwrap_err();
        assert_eq!(err.code(), "APPROVAL_REQUIRED");
        // An approval of a different plan does not count.
        let review_other = run(books.review(&src, &plan)).unwrap();
        let err = run(books.import(&src, &allowed, Some(&review_other.approval))).unwrap_err();
        assert_eq!(err.code(), "APPROVAL_REQUIRED");
        assert!(
            books
                .invoices(&InvoiceFilter::default())
                .unwrap()
                .is_empty()
        );
        assert!(
            books.history().unwrap().is_empty(),
            "{name}: nothing written, not even history"
        );
        // The reviewed plan's approval works.
        let review = run(books.review(&src, &allowed)).unwrap();
        let run_ok = run(books.import(&src, &allowed, Some(&review.approval))).unwrap();
        assert_eq!(run_ok.status, RunStatus::Succeeded);
        assert_eq!(run_ok.mode, "live");
    }
}

#[test]
fn history_records_success_and_failure_counts() {
    for (name, books, _dir) in all_books() {
        let mut items = paid_invoice_set();
        items.push(SourceItem::Failed(Failure {
            object: "invoice".into(),
            external_id: "in_bad".into(),
            error: "unknown currency \"xyz\"".into(),
        }));
        let r = run(books.import(
            &RecordsSource::new(ACCT, items),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        assert_eq!(
            r.status,
            RunStatus::PartiallyFailed,
            "{name}: a run with errors is never a success"
        );
        let hist = books.history().unwrap();
        assert_eq!(hist.len(), 1);
        assert_eq!(hist[0].status, RunStatus::PartiallyFailed);
        assert_eq!(hist[0].totals.failed, 1);
        // customer, invoice, payment (invoice payment, then payment intent and
        // charge update the same payment), balance transaction.
        assert_eq!(
            (hist[0].totals.created, hist[0].totals.updated),
            (4, 2),
            "{name}"
        );
        assert_eq!(hist[0].failures[0].external_id, "in_bad");
        assert!(hist[0].failures[0].error.contains("unknown currency"));
        assert!(hist[0].finished_at.is_some());
        let ok = run(books.import(
            &RecordsSource::new(ACCT, paid_invoice_set()),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        assert_eq!(ok.status, RunStatus::Succeeded);
        assert_eq!(books.history().unwrap().len(), 2);
    }
}

#[test]
fn review_writes_nothing_and_shows_totals_and_allocations() {
    for (name, books, _dir) in all_books() {
        let src = RecordsSource::new(ACCT, paid_invoice_set()).page_size(1);
        let review = run(books.review(&src, &ImportPlan::default())).unwrap();
        assert!(
            books
                .invoices(&InvoiceFilter::default())
                .unwrap()
                .is_empty(),
            "{name}"
        );
        assert!(books.history().unwrap().is_empty());
        assert_eq!(
            review.allocations.len(),
            1,
            "{name}: {:#?}",
            review.allocations
        );
        assert_eq!(review.allocations.to_vec().unwrap()[0].amount, d("120.00"));
        assert_eq!(review.totals["invoice"][&Currency::USD].amount, d("120.00"));
        assert!(review.approval.token.starts_with("apv_"));
        assert_eq!(review.counts["invoice"].created, 1);
        // Importing with the review's approval gives the books the review promised.
        run(books.import(&src, &ImportPlan::default(), Some(&review.approval))).unwrap();
        let allocs = books.allocations().unwrap();
        assert_eq!(allocs.len(), 1, "{name}");
        assert_eq!(
            allocs[0].amount,
            review.allocations.to_vec().unwrap()[0].amount
        );
        assert_eq!(books.payments().unwrap().len(), 1);
    }
}

#[test]
fn refund_reduces_payment_and_reopens_invoice() {
    for (name, books, _dir) in all_books() {
        let mut items = paid_invoice_set();
        items.push(refund("re_1", "ch_1", d("20.00"), 5));
        run(books.import(
            &RecordsSource::new(ACCT, items),
            &ImportPlan::default(),
            None,
        ))
        .unwrap();
        let p = &books.payments().unwrap()[0];
        assert_eq!(p.refunded, d("20.00"), "{name}");
        assert_eq!(p.allocated, d("100.00"));
        assert_eq!(
            p.amount,
            p.allocated + p.unapplied + p.refunded + p.disputed
        );
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.status, InvoiceStatus::PartiallyPaid);
        assert_eq!(inv.amount_remaining, d("20.00"));
    }
}

#[test]
fn as_drafts_only_drafts_unpaid_invoices_and_payments_still_apply() {
    for (name, books, _dir) in all_books() {
        let items = vec![
            invoice("in_paid", "cus_1", "paid", d("80.00"), d("80.00"), 1),
            invoice("in_open", "cus_1", "open", d("50.00"), d("0"), 2),
            invoice("in_part", "cus_1", "open", d("100.00"), d("40.00"), 3),
            invoice_payment("inpay_p", "in_part", "pi_p", d("40.00"), 4),
            invoice("in_unc", "cus_1", "uncollectible", d("49.00"), d("0"), 5),
        ];
        let plan = ImportPlan::default().unpaid_invoices(UnpaidInvoices::AsDrafts);
        run(books.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
        let status = |ext: &str| {
            books
                .invoices(&InvoiceFilter::default())
                .unwrap()
                .into_iter()
                .find(|i| i.source.external_id == ext)
                .map(|i| i.status)
                .unwrap()
        };
        assert_eq!(status("in_paid"), InvoiceStatus::Paid, "{name}");
        assert_eq!(status("in_open"), InvoiceStatus::Draft, "{name}");
        assert_eq!(
            status("in_part"),
            InvoiceStatus::PartiallyPaid,
            "{name}: a linked payment still applies"
        );
        assert_eq!(status("in_unc"), InvoiceStatus::Draft, "{name}");
        assert!(
            books
                .payments()
                .unwrap()
                .iter()
                .all(|p| p.unapplied.is_zero()),
            "{name}: nothing left unapplied"
        );
    }
}

#[test]
fn excluding_a_customer_by_email_excludes_its_records_without_email() {
    for (name, books, _dir) in all_books() {
        let mut pay = payment_rec("charge", "ch_x", Some("cus_9"), d("10.00"), 3);
        pay.customer_ref.as_mut().unwrap().email = None;
        pay.refs.charge = Some("ch_x".into());
        let items = vec![
            customer("cus_9", "Excluded Ltd", "ap@excluded.test"),
            SourceItem::Record(Record::Payment(pay)),
            customer("cus_8", "Kept Ltd", "ap@kept.test"),
        ];
        let plan = ImportPlan::default().customer_filter(CustomerFilter::Exclude(vec![
            CustomerMatch::parse("AP@excluded.test"),
        ]));
        let r = run(books.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
        assert_eq!(r.totals.skipped, 2, "{name}: {r:#?}");
        let names: Vec<_> = books
            .customers()
            .unwrap()
            .into_iter()
            .filter_map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["Kept Ltd".to_string()], "{name}");
        assert!(books.payments().unwrap().is_empty());
    }
}

#[test]
fn post_import_actions_run_after_a_successful_apply() {
    let books = Books::in_memory();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    books.register_action("notify", move |b, run| {
        s.lock().unwrap().push((
            run.totals.created,
            b.invoices(&InvoiceFilter::default()).unwrap().len(),
        ));
        Ok(())
    });
    let items = vec![invoice("in_1", "cus_1", "open", d("10.00"), d("0"), 1)];
    let src = RecordsSource::new(ACCT, items);
    // An action nobody registered is refused before anything is written.
    let err =
        run(books.import(&src, &ImportPlan::default().post_action("missing"), None)).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    assert!(
        books
            .invoices(&InvoiceFilter::default())
            .unwrap()
            .is_empty()
    );
    // A review never runs actions; an import does, once, after its commits.
    let plan = ImportPlan::default().post_action("notify");
    run(books.review(&src, &plan)).unwrap();
    assert!(seen.lock().unwrap().is_empty());
    let r = run(books.import(&src, &plan, None)).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(2, 1)],
        "customer + invoice created, invoice visible to the action"
    );
    assert!(
        r.notes.iter().any(|n| n.contains("notify ran")),
        "{:?}",
        r.notes
    );
    // A failing action is reported; the import itself stays committed.
    books.register_action("fails", |_, _| Err("mailer down".into()));
    let err =
        run(books.import(&src, &ImportPlan::default().post_action("fails"), None)).unwrap_err();
    assert_eq!(err.code(), "ACTION_FAILED");
    assert!(err.to_string().contains("mailer down"));
    assert_eq!(books.invoices(&InvoiceFilter::default()).unwrap().len(), 1);
}

#[test]
fn match_by_email_links_source_customers_to_existing_books_customers() {
    for (name, books, _dir) in all_books() {
        let existing = books
            .create_customer(
                "ACME (books)",
                Some("cus_1@example.com"),
                CustomerKind::Company,
            )
            .unwrap();
        let items = vec![invoice("in_1", "cus_1", "open", d("10.00"), d("0"), 1)];
        let plan = ImportPlan {
            match_by_email: true,
            ..ImportPlan::default()
        };
        run(books.import(&RecordsSource::new(ACCT, items), &plan, None)).unwrap();
        let custs = books.customers().unwrap();
        assert_eq!(custs.len(), 1, "{name}: matched by email, not created");
        let inv = &books.invoices(&InvoiceFilter::default()).unwrap()[0];
        assert_eq!(inv.customer_id.as_deref(), Some(existing.id.as_str()));
        assert_eq!(
            custs[0].name.as_deref(),
            Some("ACME (books)"),
            "the books' own details are kept"
        );
    }
}
