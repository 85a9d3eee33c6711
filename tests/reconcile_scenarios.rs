//! Reconcile engine scenarios: each strategy and rule, with the reason on each allocation.

mod common;

use common::*;
use tieout::*;

fn plan() -> ImportPlan {
    ImportPlan::default()
}

fn only(books: &Books, ext: &str) -> Allocation {
    let a = allocs_to(books, ext);
    assert_eq!(a.len(), 1, "{ext}: {a:#?}");
    a[0].clone()
}

#[test]
fn strategy_1_explicit_link_reason() {
    let books = Books::in_memory();
    import_items(
        &books,
        vec![
            invoice("in_1", "cus_1", "open", d("120.00"), d("0"), 1),
            invoice_payment("inpay_1", "in_1", "pi_1", d("120.00"), 2),
        ],
        &plan(),
    );
    let a = only(&books, "in_1");
    assert_eq!(a.reason.strategy, MatchStrategy::ExplicitLink);
    assert!(
        a.reason
            .detail
            .contains("invoice payment inpay_1 links invoice in_1"),
        "{}",
        a.reason.detail
    );
}

#[test]
fn strategies_2_and_3_payment_intent_and_charge() {
    let books = Books::in_memory();
    let mut by_pi = invoice_rec(
        "in_pi",
        "cus_1",
        "open",
        d("40.00"),
        d("0"),
        Currency::USD,
        1,
    );
    by_pi.payment_refs.payment_intent = Some("pi_7".into());
    let mut by_ch = invoice_rec(
        "in_ch",
        "cus_1",
        "open",
        d("60.00"),
        d("0"),
        Currency::USD,
        1,
    );
    by_ch.payment_refs.charge = Some("ch_8".into());
    let mut p_ch = loose_payment("ch_8", "cus_1", d("60.00"), Currency::USD, 3);
    p_ch.refs.payment_intent = None;
    import_items(
        &books,
        vec![
            SourceItem::Record(Record::Invoice(by_pi)),
            SourceItem::Record(Record::Invoice(by_ch)),
            charge("ch_7", "pi_7", "cus_1", d("40.00"), 2),
            pay_item(p_ch),
        ],
        &plan(),
    );
    let a = only(&books, "in_pi");
    assert_eq!(
        (a.reason.strategy, a.amount),
        (MatchStrategy::PaymentIntent, d("40.00"))
    );
    assert_eq!(a.reason.detail, "invoice in_pi names payment intent pi_7");
    let b = only(&books, "in_ch");
    assert_eq!(
        (b.reason.strategy, b.amount),
        (MatchStrategy::Charge, d("60.00"))
    );
    assert_eq!(b.reason.detail, "invoice in_ch names charge ch_8");
}

#[test]
fn strategy_4_checkout_session() {
    let books = Books::in_memory();
    let mut p = loose_payment("ch_cs", "cus_1", d("25.00"), Currency::USD, 2);
    p.refs.checkout_session = Some("cs_1".into());
    p.links.client_reference_id = Some("N-in_cs".into());
    import_items(
        &books,
        vec![
            invoice("in_cs", "cus_1", "open", d("25.00"), d("0"), 1),
            pay_item(p),
        ],
        &plan(),
    );
    let a = only(&books, "in_cs");
    assert_eq!(a.reason.strategy, MatchStrategy::CheckoutSession);
    assert_eq!(
        a.reason.detail,
        "checkout session cs_1 client_reference_id names N-in_cs"
    );
}

#[test]
fn strategy_5_metadata_splits_a_multi_invoice_payment() {
    let books = Books::in_memory();
    let mut p = loose_payment("ch_m", "cus_1", d("150.00"), Currency::USD, 5);
    p.metadata.insert("invoices".into(), "in_a, N-in_b".into());
    import_items(
        &books,
        vec![
            invoice("in_a", "cus_1", "open", d("100.00"), d("0"), 1),
            invoice("in_b", "cus_1", "open", d("80.00"), d("0"), 2),
            pay_item(p),
        ],
        &plan(),
    );
    let a = only(&books, "in_a");
    let b = only(&books, "in_b");
    assert_eq!(
        (a.reason.strategy, a.amount),
        (MatchStrategy::Metadata, d("100.00"))
    );
    assert_eq!(
        (b.reason.strategy, b.amount),
        (MatchStrategy::Metadata, d("50.00"))
    );
    assert_eq!(b.reason.detail, "payment metadata names invoice N-in_b");
    let inv_b = inv_by_ext(&books, "in_b");
    assert_eq!(
        (inv_b.status, inv_b.amount_remaining),
        (InvoiceStatus::PartiallyPaid, d("30.00"))
    );
    assert_payment_invariant(&books);
}

#[test]
fn strategy_6_exact_amount_beats_oldest_first() {
    let books = Books::in_memory();
    import_items(
        &books,
        vec![
            invoice("in_old", "cus_1", "open", d("50.00"), d("0"), 1),
            invoice("in_eq", "cus_1", "open", d("120.00"), d("0"), 5),
            pay_item(loose_payment(
                "ch_1",
                "cus_1",
                d("120.00"),
                Currency::USD,
                9,
            )),
        ],
        &plan(),
    );
    let a = only(&books, "in_eq");
    assert_eq!(
        (a.reason.strategy, a.amount),
        (MatchStrategy::ExactAmount, d("120.00"))
    );
    assert!(
        a.reason
            .detail
            .contains("equals the payment's unapplied amount"),
        "{}",
        a.reason.detail
    );
    assert!(allocs_to(&books, "in_old").is_empty());
}

#[test]
fn strategy_6_oldest_first_partial_and_newest_first() {
    let items = || {
        vec![
            invoice("in_1", "cus_1", "open", d("50.00"), d("0"), 1),
            invoice("in_2", "cus_1", "open", d("80.00"), d("0"), 5),
            pay_item(loose_payment(
                "ch_1",
                "cus_1",
                d("100.00"),
                Currency::USD,
                9,
            )),
        ]
    };
    let books = Books::in_memory();
    import_items(&books, items(), &plan());
    let a1 = only(&books, "in_1");
    let a2 = only(&books, "in_2");
    assert_eq!(
        (a1.reason.strategy, a1.amount),
        (MatchStrategy::OldestFirst, d("50.00"))
    );
    assert_eq!(
        (a2.reason.strategy, a2.amount),
        (MatchStrategy::OldestFirst, d("50.00"))
    );
    assert!(
        a1.reason
            .detail
            .starts_with("policy oldest_first: 50.00 USD to invoice in_1"),
        "{}",
        a1.reason.detail
    );
    let i2 = inv_by_ext(&books, "in_2");
    assert_eq!(
        (i2.status, i2.amount_remaining),
        (InvoiceStatus::PartiallyPaid, d("30.00"))
    );

    let newest = Books::in_memory();
    let policy = ReconcilePolicy {
        order: AllocationOrder::NewestFirst,
        ..ReconcilePolicy::default()
    };
    import_items(&newest, items(), &plan().policy(policy));
    let b2 = only(&newest, "in_2");
    let b1 = only(&newest, "in_1");
    assert_eq!(
        (b2.reason.strategy, b2.amount),
        (MatchStrategy::NewestFirst, d("80.00"))
    );
    assert_eq!(
        (b1.reason.strategy, b1.amount),
        (MatchStrategy::NewestFirst, d("20.00"))
    );
    assert!(
        b2.reason.detail.contains("the newest open USD invoice"),
        "{}",
        b2.reason.detail
    );
}

#[test]
fn leave_unapplied_keeps_exact_matches_only_and_says_why() {
    let books = Books::in_memory();
    let policy = ReconcilePolicy {
        order: AllocationOrder::LeaveUnapplied,
        ..ReconcilePolicy::default()
    };
    import_items(
        &books,
        vec![
            invoice("in_1", "cus_1", "open", d("50.00"), d("0"), 1),
            pay_item(loose_payment("ch_1", "cus_1", d("30.00"), Currency::USD, 9)),
            pay_item(loose_payment(
                "ch_2",
                "cus_1",
                d("50.00"),
                Currency::USD,
                10,
            )),
        ],
        &plan().policy(policy),
    );
    assert_eq!(
        only(&books, "in_1").reason.strategy,
        MatchStrategy::ExactAmount
    );
    let p = pay_by_charge(&books, "ch_1");
    assert_eq!(p.unapplied, d("30.00"));
    assert!(
        p.unapplied_reasons
            .iter()
            .any(|r| r.contains("order is leave_unapplied")),
        "{:?}",
        p.unapplied_reasons
    );
    assert!(
        p.unapplied_reasons
            .iter()
            .any(|r| r.starts_with("explicit link")),
        "one reason per strategy tried"
    );
}

#[test]
fn overpayment_is_credit_used_later_never_moved_to_another_customer() {
    let books = Books::in_memory();
    import_items(
        &books,
        vec![
            invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
            invoice("in_x", "cus_2", "open", d("50.00"), d("0"), 1),
            pay_item(loose_payment(
                "ch_1",
                "cus_1",
                d("150.00"),
                Currency::USD,
                9,
            )),
        ],
        &plan(),
    );
    let p = pay_by_charge(&books, "ch_1");
    assert_eq!((p.allocated, p.unapplied), (d("100.00"), d("50.00")));
    assert!(
        p.unapplied_reasons
            .iter()
            .any(|r| r.contains("customer credit")),
        "{:?}",
        p.unapplied_reasons
    );
    assert!(
        allocs_to(&books, "in_x").is_empty(),
        "credit never goes to another customer"
    );
    let report = books.report(&ReconcilePolicy::default()).unwrap();
    assert!(
        report
            .unapplied
            .iter()
            .any(|u| u.credit && u.unapplied == d("50.00"))
    );
    // A later invoice takes the credit at the end of its import.
    import_items(
        &books,
        vec![invoice("in_2", "cus_1", "open", d("40.00"), d("0"), 20)],
        &plan(),
    );
    let a = only(&books, "in_2");
    assert_eq!(
        (a.reason.strategy, a.amount),
        (MatchStrategy::OldestFirst, d("40.00"))
    );
    assert_eq!(
        a.allocated_at,
        Some(ts(20)),
        "a policy allocation is dated when both records exist"
    );
    assert_eq!(pay_by_charge(&books, "ch_1").unapplied, d("10.00"));
    // reconcile() with nothing new changes nothing.
    let before = fingerprint(&books);
    books.reconcile(&ReconcilePolicy::default()).unwrap();
    assert_same(&fingerprint(&books), &before, "idempotent reconcile");
}

#[test]
fn late_invoice_is_matched_by_reconcile_when_import_matching_is_off() {
    let books = Books::in_memory();
    let policy = ReconcilePolicy {
        match_on_import: false,
        ..ReconcilePolicy::default()
    };
    import_items(
        &books,
        vec![pay_item(loose_payment(
            "ch_1",
            "cus_1",
            d("70.00"),
            Currency::USD,
            3,
        ))],
        &plan().policy(policy.clone()),
    );
    import_items(
        &books,
        vec![invoice("in_1", "cus_1", "open", d("70.00"), d("0"), 5)],
        &plan().policy(policy.clone()),
    );
    assert!(books.allocations().unwrap().is_empty());
    let report = books.reconcile(&policy).unwrap();
    assert_eq!(
        only(&books, "in_1").reason.strategy,
        MatchStrategy::ExactAmount
    );
    assert_eq!(report.allocations.len(), 1);
    assert_eq!(inv_by_ext(&books, "in_1").status, InvoiceStatus::Paid);
}

#[test]
fn other_currency_stays_unapplied_with_reason() {
    let books = Books::in_memory();
    import_items(
        &books,
        vec![
            invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
            pay_item(loose_payment(
                "ch_eur",
                "cus_1",
                d("100.00"),
                Currency::EUR,
                9,
            )),
        ],
        &plan(),
    );
    let p = pay_by_charge(&books, "ch_eur");
    assert_eq!(p.unapplied, d("100.00"));
    assert!(
        p.unapplied_reasons
            .contains(&"policy: no open invoice in EUR for this customer".to_string()),
        "{:?}",
        p.unapplied_reasons
    );
    assert!(books.allocations().unwrap().is_empty());
}

#[test]
fn write_off_tolerance_books_the_small_difference() {
    let books = Books::in_memory();
    let policy = ReconcilePolicy {
        write_off_abs: d("1.00"),
        ..ReconcilePolicy::default()
    };
    import_items(
        &books,
        vec![
            invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
            pay_item(loose_payment("ch_1", "cus_1", d("99.50"), Currency::USD, 9)),
        ],
        &plan().policy(policy.clone()),
    );
    let inv = inv_by_ext(&books, "in_1");
    assert_eq!(
        (inv.status, inv.amount_paid, inv.amount_written_off),
        (InvoiceStatus::Paid, d("99.50"), d("0.50"))
    );
    let report = books.report(&policy).unwrap();
    assert_eq!(report.write_offs.len(), 1);
    assert_eq!(
        report.write_offs[0].reason,
        "write-off of 0.50 USD within tolerance 1.00"
    );
    assert!(report.adds_up(), "{:#?}", report.totals);
    // Without tolerance the invoice stays partially paid.
    let strict = Books::in_memory();
    import_items(
        &strict,
        vec![
            invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
            pay_item(loose_payment("ch_1", "cus_1", d("99.50"), Currency::USD, 9)),
        ],
        &plan(),
    );
    assert_eq!(
        inv_by_ext(&strict, "in_1").status,
        InvoiceStatus::PartiallyPaid
    );
}

#[test]
fn refund_reverses_policy_allocations_newest_first_and_reopens() {
    let books = Books::in_memory();
    import_items(
        &books,
        vec![
            invoice("in_a", "cus_1", "open", d("50.00"), d("0"), 1),
            pay_item(loose_payment(
                "ch_1",
                "cus_1",
                d("100.00"),
                Currency::USD,
                10,
            )),
        ],
        &plan(),
    );
    import_items(
        &books,
        vec![invoice("in_b", "cus_1", "open", d("80.00"), d("0"), 12)],
        &plan(),
    );
    assert_eq!(only(&books, "in_b").amount, d("50.00"));
    import_items(
        &books,
        vec![refund("re_1", "ch_1", d("30.00"), 15)],
        &plan(),
    );
    assert_eq!(
        only(&books, "in_a").amount,
        d("50.00"),
        "older allocation kept"
    );
    assert_eq!(
        only(&books, "in_b").amount,
        d("20.00"),
        "newest allocation reversed first"
    );
    let b = inv_by_ext(&books, "in_b");
    assert_eq!(
        (b.status, b.amount_remaining),
        (InvoiceStatus::PartiallyPaid, d("60.00"))
    );
    let p = pay_by_charge(&books, "ch_1");
    assert_eq!(
        (p.refunded, p.allocated, p.unapplied),
        (d("30.00"), d("70.00"), d("0"))
    );
    assert_payment_invariant(&books);
}

#[test]
fn dispute_withdraws_then_won_dispute_restores() {
    let books = Books::in_memory();
    import_items(
        &books,
        vec![
            invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
            invoice_payment("inpay_1", "in_1", "pi_1", d("100.00"), 2),
            charge("ch_1", "pi_1", "cus_1", d("100.00"), 2),
        ],
        &plan(),
    );
    assert_eq!(inv_by_ext(&books, "in_1").status, InvoiceStatus::Paid);
    import_items(
        &books,
        vec![dispute("dp_1", "ch_1", d("100.00"), "needs_response", 5)],
        &plan(),
    );
    let inv = inv_by_ext(&books, "in_1");
    assert_eq!(
        (inv.status, inv.amount_remaining),
        (InvoiceStatus::Open, d("100.00"))
    );
    let p = pay_by_charge(&books, "ch_1");
    assert_eq!((p.disputed, p.allocated), (d("100.00"), d("0")));
    assert_payment_invariant(&books);
    import_items(
        &books,
        vec![dispute("dp_1", "ch_1", d("100.00"), "won", 20)],
        &plan(),
    );
    let inv = inv_by_ext(&books, "in_1");
    assert_eq!(
        inv.status,
        InvoiceStatus::Paid,
        "won dispute restores the allocation"
    );
    assert_eq!(
        only(&books, "in_1").reason.strategy,
        MatchStrategy::ExplicitLink
    );
    assert_eq!(pay_by_charge(&books, "ch_1").disputed, d("0"));
}

#[test]
fn manual_allocate_and_unallocate_with_errors() {
    for (name, books, _dir) in all_books() {
        import_items(
            &books,
            vec![
                invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
                invoice("in_void", "cus_1", "void", d("10.00"), d("0"), 1),
                invoice_in("in_eur", "cus_1", "open", d("10.00"), Currency::EUR, 1),
                pay_item(loose_payment("ch_1", "cus_1", d("30.00"), Currency::USD, 9)),
            ],
            &plan().policy(ReconcilePolicy {
                order: AllocationOrder::LeaveUnapplied,
                ..ReconcilePolicy::default()
            }),
        );
        let p = pay_by_charge(&books, "ch_1");
        let inv = inv_by_ext(&books, "in_1");
        let err = |r: Result<Allocation>| r.unwrap_err().code().to_string();
        assert_eq!(
            err(books.allocate(&p.id, &inv.id, d("0"))),
            "ALLOCATION_REJECTED",
            "{name}"
        );
        assert_eq!(
            err(books.allocate(&p.id, &inv.id, d("30.01"))),
            "ALLOCATION_REJECTED"
        );
        assert_eq!(
            err(books.allocate(&p.id, &inv_by_ext(&books, "in_eur").id, d("5"))),
            "ALLOCATION_REJECTED"
        );
        let void = books
            .allocate(&p.id, &inv_by_ext(&books, "in_void").id, d("5"))
            .unwrap_err();
        assert!(void.to_string().contains("accepts no payments"), "{void}");
        assert_eq!(
            err(books.allocate("pay_missing", &inv.id, d("5"))),
            "NOT_FOUND"
        );
        let a = books
            .allocate_with_note(&p.id, &inv.id, d("20.00"), Some("customer email 3 Jan"))
            .unwrap();
        assert_eq!(
            (a.reason.strategy, a.amount),
            (MatchStrategy::Manual, d("20.00"))
        );
        assert_eq!(a.reason.detail, "allocated by hand: customer email 3 Jan");
        let inv = inv_by_ext(&books, "in_1");
        assert_eq!(
            (inv.status, inv.amount_remaining),
            (InvoiceStatus::PartiallyPaid, d("80.00"))
        );
        assert_eq!(pay_by_charge(&books, "ch_1").unapplied, d("10.00"));
        let over = books.allocate(&p.id, &inv.id, d("10.01")).unwrap_err();
        assert!(
            over.to_string()
                .contains("exceeds payment ch_1's unapplied 10.00"),
            "{over}"
        );
        assert!(
            books
                .history()
                .unwrap()
                .iter()
                .any(|r| r.source == "books:manual")
        );
        books.unallocate(&a.id).unwrap();
        assert_eq!(inv_by_ext(&books, "in_1").status, InvoiceStatus::Open);
        assert_eq!(pay_by_charge(&books, "ch_1").unapplied, d("30.00"));
        assert_eq!(books.unallocate(&a.id).unwrap_err().code(), "NOT_FOUND");
        assert!(books.history().unwrap()[0].notes[0].starts_with("unallocated"));
        assert_payment_invariant(&books);
    }
}

#[test]
fn review_shows_policy_allocations_and_writes_nothing() {
    let books = Books::in_memory();
    let src = RecordsSource::new(
        ACCT,
        vec![
            invoice("in_1", "cus_1", "open", d("60.00"), d("0"), 1),
            pay_item(loose_payment("ch_1", "cus_1", d("60.00"), Currency::USD, 9)),
        ],
    );
    let review = run(books.review(&src, &plan())).unwrap();
    assert_eq!(review.allocations.len(), 1);
    assert_eq!(
        review.allocations.to_vec().unwrap()[0].reason.strategy,
        MatchStrategy::ExactAmount
    );
    assert!(books.allocations().unwrap().is_empty());
}

#[test]
fn payouts_match_deposits_one_to_one_with_window_and_descriptor() {
    let books = Books::in_memory();
    // Day 2 is Friday 2025-01-03; day 5 Monday, day 6 Tuesday.
    import_items(
        &books,
        vec![
            charge("ch_1", "pi_1", "cus_1", d("103.00"), 0),
            balance_tx_paid_out("ch_1", d("103.00"), d("3.00"), 0, "po_1"),
            charge("ch_2", "pi_2", "cus_1", d("102.00"), 0),
            balance_tx_paid_out("ch_2", d("102.00"), d("3.00"), 0, "po_2"),
            payout("po_1", d("100.00"), 2, Some("ACME STRIPE"), &[]),
            payout("po_2", d("100.00"), 2, None, &[]),
            payout("po_3", d("250.00"), 2, None, &["txn_missing"]),
        ],
        &plan(),
    );
    let csv = "Date,Amount,Currency,Description,Reference\n\
               2025-01-06,100.00,USD,STRIPE TRANSFER po_2,\n\
               2025-01-07,100.00,USD,STRIPE TRANSFER,R2\n\
               2025-01-21,100.00,USD,STRIPE TRANSFER,R3\n\
               2025-01-06,-15.00,USD,Bank fee,\n";
    let lines = books.import_bank_csv(csv, &CsvMapping::default()).unwrap();
    assert_eq!(lines.len(), 4);
    let r = books.match_payouts(&ReconcilePolicy::default()).unwrap();
    assert_eq!(r.new_pairs, 2);
    let pair = |po: &str| {
        r.pairs
            .iter()
            .find(|p| p.payout_external_id == po)
            .cloned()
            .expect("pair")
    };
    assert_eq!(
        pair("po_2").bank_date,
        date(5),
        "the deposit naming the payout wins"
    );
    assert!(pair("po_2").reason.starts_with("names the payout"));
    assert_eq!(
        pair("po_1").bank_date,
        date(6),
        "2 business days after Friday"
    );
    assert_eq!(r.unmatched_payouts.len(), 1);
    assert_eq!(r.unmatched_payouts[0].external_id, "po_3");
    assert_eq!(
        r.unmatched_deposits.len(),
        1,
        "the 21 Jan line is outside the window; debits are not deposits"
    );
    assert_eq!(r.unmatched_deposits[0].date, date(20));
    let check = |po: &str| {
        r.checks
            .iter()
            .find(|c| c.external_id == po)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (check("po_1").net_total, check("po_1").difference),
        (d("100.00"), d("0"))
    );
    assert_eq!(
        (check("po_2").net_total, check("po_2").difference),
        (d("99.00"), d("1.00"))
    );
    assert_eq!(check("po_3").missing, vec!["txn_missing".to_string()]);
    let paid = books.payouts().unwrap();
    let p1 = paid
        .iter()
        .find(|p| p.source.external_id == "po_1")
        .unwrap();
    let line = books
        .bank_lines()
        .unwrap()
        .into_iter()
        .find(|l| Some(&l.id) == p1.deposit_id.as_ref())
        .unwrap();
    assert_eq!(line.payout_id.as_ref(), Some(&p1.id));
    // Re-importing the statement and re-matching changes nothing.
    books.import_bank_csv(csv, &CsvMapping::default()).unwrap();
    assert_eq!(books.bank_lines().unwrap().len(), 4);
    let again = books.match_payouts(&ReconcilePolicy::default()).unwrap();
    assert_eq!(again.new_pairs, 0);
    assert_eq!(again.pairs, r.pairs);
}

#[test]
fn csv_with_decimal_comma_and_custom_columns() {
    let books = Books::in_memory();
    let mapping = CsvMapping {
        date: "Buchungstag".into(),
        amount: "Betrag".into(),
        currency: None,
        description: Some("Verwendungszweck".into()),
        reference: None,
        date_format: "%d.%m.%Y".into(),
        default_currency: Some(Currency::EUR),
        delimiter: ';',
        decimal_comma: true,
        account: Some("DE89 3704".into()),
    };
    let csv = "Buchungstag;Betrag;Verwendungszweck\n03.01.2025;1.234,56;STRIPE po_9\n03.01.2025;-0,99;Gebühr\n";
    let lines = books.import_bank_csv(csv, &mapping).unwrap();
    assert_eq!(lines[0].amount, d("1234.56"));
    assert_eq!(lines[0].currency, Currency::EUR);
    assert_eq!(lines[0].date, date(2));
    assert_eq!(lines[1].amount, d("-0.99"));
    assert!(lines[0].id.starts_with("bank_"));
    let again = books.import_bank_csv(csv, &mapping).unwrap();
    assert_eq!(again, lines, "same statement, same ids");
    let bad = books
        .import_bank_csv(
            "Buchungstag;Betrag;Verwendungszweck\n03.01.2025;abc;x\n",
            &mapping,
        )
        .unwrap_err();
    assert!(bad.to_string().contains("row 2"), "{bad}");
}

const CAMT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <Stmt>
      <Id>STMT-1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">1234.56</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2025-01-06</Dt></BookgDt>
        <ValDt><Dt>2025-01-06</Dt></ValDt>
        <AcctSvcrRef>BANKREF-1</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RmtInf><Ustrd>STRIPE po_1 Acme &amp; Co</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">12.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2025-01-07T10:00:00</DtTm></BookgDt>
        <AddtlNtryInf>Account fee</AddtlNtryInf>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">5.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>PDNG</Sts>
        <BookgDt><Dt>2025-01-08</Dt></BookgDt>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>"#;

#[test]
fn camt053_statement_imports_booked_entries() {
    let books = Books::in_memory();
    let lines = books.import_bank_camt053(CAMT).unwrap();
    assert_eq!(lines.len(), 2, "pending entries are left out");
    assert_eq!(
        (lines[0].amount, lines[0].currency, lines[0].date),
        (d("1234.56"), Currency::EUR, date(5))
    );
    assert_eq!(lines[0].account.as_deref(), Some("DE89370400440532013000"));
    assert_eq!(
        lines[0].description.as_deref(),
        Some("STRIPE po_1 Acme & Co")
    );
    assert_eq!(lines[0].reference.as_deref(), Some("BANKREF-1"));
    assert_eq!((lines[1].amount, lines[1].date), (d("-12.00"), date(6)));
    assert_eq!(books.import_bank_camt053(CAMT).unwrap(), lines);
    assert_eq!(books.bank_lines().unwrap().len(), 2);
}

#[test]
fn report_totals_add_up_with_fees_fx_and_csv_rows() {
    let books = Books::in_memory();
    let mut fx_pay = loose_payment("ch_fx", "cus_2", d("100.00"), Currency::EUR, 9);
    fx_pay.refs.balance_transaction = Some("txn_ch_fx".into());
    let mut bt = balance_tx("ch_fx", d("110.00"), d("3.50"), 9);
    if let SourceItem::Record(Record::BalanceTransaction(b)) = &mut bt {
        b.exchange_rate = Some(d("1.1"));
    }
    let mut items = vec![
        invoice("in_1", "cus_1", "open", d("100.00"), d("0"), 1),
        invoice("in_2", "cus_1", "open", d("40.00"), d("0"), 2),
        invoice_in("in_eur", "cus_2", "open", d("100.00"), Currency::EUR, 3),
        invoice_payment("inpay_1", "in_1", "pi_1", d("100.00"), 4),
        charge("ch_1", "pi_1", "cus_1", d("100.00"), 4),
        balance_tx("ch_1", d("100.00"), d("3.20"), 4),
        pay_item(loose_payment("ch_2", "cus_1", d("25.00"), Currency::USD, 6)),
        refund("re_1", "ch_1", d("10.00"), 7),
        pay_item(fx_pay),
        bt,
    ];
    items.push(pay_item(loose_payment(
        "ch_3",
        "cus_9",
        d("5.00"),
        Currency::USD,
        8,
    )));
    import_items(&books, items, &plan());
    let mut policy = ReconcilePolicy::default();
    policy.fx_rates.push(FxRate {
        from: Currency::EUR,
        to: Currency::USD,
        date: date(3),
        rate: d("1.05"),
    });
    let r = books.reconcile(&policy).unwrap();
    assert!(r.adds_up(), "{:#?}", r.totals);
    let usd = &r.totals[&Currency::USD];
    assert_eq!(usd.payments_received, d("130.00"));
    assert_eq!(
        (usd.allocated, usd.unapplied, usd.refunded),
        (d("115.00"), d("5.00"), d("10.00"))
    );
    assert_eq!(
        (usd.invoiced, usd.paid, usd.open),
        (d("140.00"), d("115.00"), d("25.00"))
    );
    assert_eq!(
        r.open_invoices.len(),
        1,
        "in_1's refunded 10 was refilled by ch_2 oldest-first"
    );
    assert_eq!(
        (
            r.open_invoices[0].external_id.as_str(),
            r.open_invoices[0].open
        ),
        ("in_2", d("25.00"))
    );
    assert!(r.allocations.iter().all(|a| !a.reason.is_empty()));
    // FX: 100 EUR settled as 110 USD; at the invoice-time rate 1.05 it was 105 USD.
    assert_eq!(r.fx.len(), 1);
    assert_eq!(
        (r.fx[0].settled, r.fx[0].at_invoice_rate, r.fx[0].difference),
        (d("110.00"), Some(d("105.00")), Some(d("5.00")))
    );
    let unknown = books.report(&ReconcilePolicy::default()).unwrap();
    assert_eq!(
        unknown.fx[0].note.as_deref(),
        Some("rate at invoice time unknown")
    );
    // Fees: separate expense books gross; net books net.
    assert_eq!(r.fee_totals[&Currency::USD].fee_expense, d("6.70"));
    let net = books
        .report(&ReconcilePolicy {
            fees: FeePolicy::Net,
            ..ReconcilePolicy::default()
        })
        .unwrap();
    assert_eq!(net.fee_totals[&Currency::USD].fee_expense, d("0"));
    assert_eq!(
        net.fee_totals[&Currency::USD].payments_booked,
        r.fee_totals[&Currency::USD].payments_booked - d("6.70")
    );
    let fee_line = r.fees.iter().find(|f| f.external_id == "ch_1").unwrap();
    assert_eq!((fee_line.fee, fee_line.net), (d("3.20"), Some(d("96.80"))));
    assert_eq!(fee_line.fee_details[0].kind, "stripe_fee");
    let nocust = r.unapplied.iter().find(|u| u.external_id == "ch_2");
    assert!(nocust.is_none(), "ch_2 was matched to in_2");
    let rows = r.to_csv_rows();
    for section in [
        "allocation",
        "open_invoice",
        "unapplied",
        "fee",
        "fx",
        "total",
    ] {
        assert!(
            rows.iter().any(|row| row["section"] == section),
            "{section}"
        );
    }
    let json = serde_json::to_string(&r).unwrap();
    let back: ReconcileReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}
