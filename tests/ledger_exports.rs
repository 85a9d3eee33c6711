//! The ledger exports checked by the real tools: `bean-check` (beancount from
//! the project's venv) and `hledger check` accept every Beancount and hledger
//! export of a generated book (multi-currency invoices, fees with tax, partial
//! refunds, credit notes, won and lost disputes, payouts, a reserve, a failed refund, a
//! partial-capture reversal, a reversed payout, unknown categories), including the
//! balance assertions; and exports recorded in SQLite books emit nothing new.

mod ledger_support;

use std::process::Command;

use ledger_support::checkers::{bean_check, run};
use ledger_support::ledger_book::{Book, at};
use ledger_support::{books_with_every_category, deferred_mapping, load, sample_with_late_refund};
use tieout::{Books, Currency, ExportOptions, Layers, Target};

#[test]
fn bean_check_and_hledger_check_accept_every_export_of_the_generated_book() {
    let books = books_with_every_category();
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions::default();
    // The book's lines with service periods, deferred and recognised to
    // date, under a mapping with a deferred-revenue account.
    let deferred = ExportOptions {
        mapping: deferred_mapping(),
        ..opts.clone()
    };
    for (layers, base) in [
        (Layers::default(), &opts),
        (
            Layers {
                accrual: false,
                cash: true,
            },
            &opts,
        ),
        (
            Layers {
                accrual: true,
                cash: false,
            },
            &opts,
        ),
        (Layers::default(), &deferred),
        (
            Layers {
                accrual: true,
                cash: false,
            },
            &deferred,
        ),
    ] {
        let o = ExportOptions {
            layers,
            ..base.clone()
        };
        let is_deferred = o.mapping.deferred_revenue.is_some();
        let bc = books.export(Target::Beancount, &o, at(100)).unwrap();
        assert!(bc.text.contains("^in_0"));
        assert_eq!(bc.text.contains("tieout_id: \"txn:txn_ch_0\""), layers.cash);
        assert_eq!(
            bc.text.contains("tieout_id: \"txn:txn_rsv_release\""),
            layers.cash
        );
        assert_eq!(
            bc.text.contains("tieout_id: \"inv:in_0:issued\""),
            layers.accrual
        );
        if layers.cash {
            assert!(
                bc.text.contains(" balance Assets:Stripe:Balance"),
                "{}",
                bc.text
            );
        }
        // Deferred lines: recognition entries up to the export day only,
        // and deferred revenue asserted at the period's edges.
        let recognized: Vec<_> = bc
            .entries
            .iter()
            .filter(|e| e.category == "recognized")
            .collect();
        assert_eq!(!recognized.is_empty(), is_deferred);
        assert!(recognized.iter().all(|e| e.date <= at(100).date_naive()));
        assert_eq!(
            bc.text.contains(" balance Liabilities:DeferredRevenue  -"),
            is_deferred,
            "{}",
            bc.text
        );
        let f = dir.path().join("books.beancount");
        std::fs::write(&f, &bc.text).unwrap();
        let (ok, msg) = run(Command::new(bean_check()).arg(&f));
        assert!(ok, "bean-check rejected the export: {msg}\n{}", bc.text);

        let hl = books.export(Target::Hledger, &o, at(100)).unwrap();
        assert_eq!(hl.text.contains("(txn:txn_ch_0)"), layers.cash);
        let f = dir.path().join("books.journal");
        std::fs::write(&f, &hl.text).unwrap();
        let (ok, msg) = run(Command::new("hledger").arg("-f").arg(&f).arg("check"));
        assert!(ok, "hledger check rejected the export: {msg}\n{}", hl.text);
    }
    // The checkers can fail: a wrong balance assertion is refused by both.
    let bc = books.export(Target::Beancount, &opts, at(100)).unwrap();
    let bad = bc.text.replacen(
        " balance Assets:Stripe:Balance  ",
        " balance Assets:Stripe:Balance  1",
        1,
    );
    let f = dir.path().join("bad.beancount");
    std::fs::write(&f, bad).unwrap();
    assert!(
        !run(Command::new(bean_check()).arg(&f)).0,
        "bean-check accepted a wrong assertion"
    );
    let hl = books.export(Target::Hledger, &opts, at(100)).unwrap();
    let bad = hl.text.replacen(" = ", " = 1", 1);
    let f = dir.path().join("bad.journal");
    std::fs::write(&f, bad).unwrap();
    assert!(!run(Command::new("hledger").arg("-f").arg(&f).arg("check")).0);
}

#[test]
fn since_last_exports_in_sqlite_books_emit_only_what_is_new_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.db");
    let (b, refund) = sample_with_late_refund();
    let opts = ExportOptions {
        since_last: true,
        ..ExportOptions::default()
    };
    let (first_hl, first_bc);
    {
        let books = Books::open(&path).unwrap();
        load(&books, &b);
        first_bc = books.export(Target::Beancount, &opts, at(100)).unwrap();
        first_hl = books.export(Target::Hledger, &opts, at(100)).unwrap();
        assert!(!first_bc.entries.is_empty());
        assert_eq!(
            first_bc.entries.len(),
            first_hl.entries.len(),
            "each target keeps its own log"
        );
        assert!(
            books
                .export(Target::Beancount, &opts, at(101))
                .unwrap()
                .entries
                .is_empty()
        );
    }
    let books = Books::open(&path).unwrap();
    assert!(
        books
            .export(Target::Beancount, &opts, at(102))
            .unwrap()
            .entries
            .is_empty()
    );
    // A late refund: one new entry, and the balance assertion continues from
    // what was exported before, so the two files together still check.
    load(
        &books,
        &Book {
            txns: vec![refund],
            ..Book::default()
        },
    );
    let next = books.export(Target::Beancount, &opts, at(103)).unwrap();
    assert_eq!(
        next.entries
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        ["txn:txn_re_4"]
    );
    let both: String = first_bc
        .text
        .lines()
        .filter(|l| !l.contains(" balance "))
        .chain(next.text.lines().filter(|l| !l.contains(" open ")))
        .collect::<Vec<_>>()
        .join("\n");
    let f = dir.path().join("both.beancount");
    std::fs::write(&f, both).unwrap();
    let (ok, msg) = run(Command::new(bean_check()).arg(&f));
    assert!(ok, "{msg}");
    // The statement of the Stripe balance matches the books' cash entries.
    let s = books
        .stripe_balance(Currency::USD, at(-1), at(200))
        .unwrap();
    let j = books
        .journal_entries(&Default::default(), Layers::default())
        .unwrap();
    let cash: rust_decimal::Decimal = j
        .entries
        .iter()
        .flat_map(|e| &e.postings)
        .filter(|p| p.account == "Assets:Stripe:Balance" && p.currency == Currency::USD)
        .map(|p| p.amount)
        .sum();
    assert_eq!(s.closing() - s.opening(), cash);
}
