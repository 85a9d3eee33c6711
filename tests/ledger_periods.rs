//! Exports of a period carry balance assertions at its edges: the Stripe
//! balance (and deferred revenue) at the beginning of its first day and of
//! the day after it. Three consecutive period exports, appended, pass
//! `bean-check` and `hledger check` with the middle period's non-zero
//! opening balances asserted, and an altered opening balance fails both, so
//! the opening assertion is really checked.

mod ledger_support;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use ledger_support::checkers::{bean_checks, hledger_checks};
use ledger_support::ledger_book::{at, sample};
use ledger_support::{books_with_every_category, deferred_mapping, load, sample_with_late_refund};
use tieout::{Books, ExportOptions, Target};

fn day(n: i64) -> NaiveDate {
    at(n).date_naive()
}

/// Files appended into one: each account opened once (at its earliest open).
fn append(files: &[String]) -> String {
    let mut opened = BTreeSet::new();
    let mut out = String::new();
    for f in files {
        for l in f.lines() {
            if let Some((_, account)) = l.split_once(" open ") {
                if !opened.insert(account.to_string()) {
                    continue;
                }
            }
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn periods(
    books: &Books,
    target: Target,
    opts: &ExportOptions,
    cuts: [NaiveDate; 2],
) -> [String; 3] {
    let export = |from, to| {
        let o = ExportOptions {
            from,
            to,
            ..opts.clone()
        };
        books.export(target, &o, at(400)).unwrap().text
    };
    [
        export(None, Some(cuts[0])),
        export(Some(cuts[0]), Some(cuts[1])),
        export(Some(cuts[1]), None),
    ]
}

#[test]
fn a_middle_period_asserts_its_non_zero_opening_balances_and_the_checkers_hold_it_to_them() {
    let books = books_with_every_category();
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions {
        mapping: deferred_mapping(),
        ..ExportOptions::default()
    };
    let cuts = [day(5), day(45)];
    let whole = books.export(Target::Beancount, &opts, at(400)).unwrap();

    // Beancount: the middle period opens with balance directives on its
    // first day, with what the books held before it (not zero).
    let [p1, p2, p3] = periods(&books, Target::Beancount, &opts, cuts);
    let opening = format!("{} balance Assets:Stripe:Balance  ", cuts[0]);
    let line = p2
        .lines()
        .find(|l| l.starts_with(&opening) && l.ends_with(" USD"))
        .unwrap_or_else(|| panic!("no opening assertion in\n{p2}"));
    let held: rust_decimal::Decimal = whole
        .entries
        .iter()
        .filter(|e| e.date < cuts[0])
        .flat_map(|e| &e.postings)
        .filter(|p| p.account == "Assets:Stripe:Balance" && p.currency == tieout::Currency::USD)
        .map(|p| p.amount)
        .sum();
    assert!(!held.is_zero());
    assert_eq!(line, format!("{opening}{held} USD"));
    assert!(
        p2.contains(&format!(
            "{} balance Liabilities:DeferredRevenue  -",
            cuts[0]
        )),
        "{p2}"
    );
    // ... and closes with what it holds at the beginning of the next one.
    assert!(p2.contains(&format!("{} balance Assets:Stripe:Balance  ", cuts[1])));
    // Each period holds its entries only; together they are the whole.
    let ids = |t: &str| t.matches("tieout_id: ").count();
    assert_eq!(ids(&p1) + ids(&p2) + ids(&p3), whole.entries.len());
    let (ok, msg) = bean_checks(
        dir.path(),
        "periods",
        &append(&[p1.clone(), p2.clone(), p3.clone()]),
    );
    assert!(ok, "bean-check rejected the appended periods: {msg}");
    // An opening balance off by a cent fails bean-check.
    let bad = p2.replacen(
        line,
        &format!("{opening}{} USD", held + rust_decimal::Decimal::new(1, 2)),
        1,
    );
    assert_ne!(bad, p2);
    let (ok, _) = bean_checks(dir.path(), "bad", &append(&[p1, bad, p3]));
    assert!(!ok, "bean-check accepted a wrong opening balance");

    // hledger: an assertion-only transaction on the day before the period,
    // and one on its last day.
    let [h1, h2, h3] = periods(&books, Target::Hledger, &opts, cuts);
    let head = format!(
        "{} opening balance assertion\n",
        cuts[0].pred_opt().unwrap()
    );
    assert!(h2.contains(&head), "{h2}");
    let expected = format!("    Assets:Stripe:Balance  0 USD = {held} USD");
    assert!(h2.contains(&expected), "{h2}");
    assert!(h2.contains(&format!(
        "{} closing balance assertion",
        cuts[1].pred_opt().unwrap()
    )));
    let (ok, msg) = hledger_checks(
        dir.path(),
        "periods",
        &[h1.clone(), h2.clone(), h3.clone()].concat(),
    );
    assert!(ok, "hledger check rejected the appended periods: {msg}");
    let bad = h2.replacen(
        &expected,
        &format!(
            "    Assets:Stripe:Balance  0 USD = {} USD",
            held + rust_decimal::Decimal::new(1, 2)
        ),
        1,
    );
    let (ok, _) = hledger_checks(dir.path(), "bad", &[h1, bad, h3].concat());
    assert!(!ok, "hledger check accepted a wrong opening balance");
}

#[test]
fn revenue_is_recognised_up_to_the_period_end_and_never_past_now() {
    let books = Books::in_memory();
    load(&books, &sample());
    let m = deferred_mapping();
    let recognized = |o: &ExportOptions, now| -> Vec<NaiveDate> {
        books
            .export(Target::Csv, o, now)
            .unwrap()
            .entries
            .iter()
            .filter(|e| e.category == "recognized")
            .map(|e| e.date)
            .collect()
    };
    let opts = ExportOptions {
        mapping: m.clone(),
        ..ExportOptions::default()
    };
    let by_now = recognized(&opts, at(60));
    assert!(!by_now.is_empty());
    assert!(by_now.iter().all(|d| *d <= day(60)));
    let later = recognized(&opts, at(400));
    assert!(later.len() > by_now.len());
    let to = ExportOptions {
        to: Some(day(40)),
        ..opts.clone()
    };
    let upto = recognized(&to, at(400));
    assert!(!upto.is_empty() && upto.iter().all(|d| *d < day(40)));
    assert!(upto.len() < later.len());
    // since_last: a later export emits only the slices that came due since.
    let sl = ExportOptions {
        since_last: true,
        ..opts.clone()
    };
    let first = books.export(Target::Beancount, &sl, at(60)).unwrap();
    let next = books.export(Target::Beancount, &sl, at(400)).unwrap();
    assert!(!next.entries.is_empty());
    assert!(
        next.entries
            .iter()
            .all(|e| e.category == "recognized" && e.date > day(60))
    );
    assert!(
        next.entries
            .iter()
            .all(|e| first.entries.iter().all(|f| f.id != e.id))
    );
    assert!(
        books
            .export(Target::Beancount, &sl, at(400))
            .unwrap()
            .entries
            .is_empty()
    );
    // A period that is empty is refused.
    let empty = ExportOptions {
        from: Some(day(40)),
        to: Some(day(40)),
        ..opts
    };
    assert!(books.export(Target::Beancount, &empty, at(400)).is_err());
}

#[test]
fn a_since_last_export_of_a_late_entry_opens_with_what_the_target_received_before_its_day() {
    let books = Books::in_memory();
    let (b, refund) = sample_with_late_refund();
    let refund_day = refund.source.created_at.unwrap().date_naive();
    load(&books, &b);
    let sl = ExportOptions {
        since_last: true,
        ..ExportOptions::default()
    };
    let bc1 = books.export(Target::Beancount, &sl, at(100)).unwrap().text;
    let hl1 = books.export(Target::Hledger, &sl, at(100)).unwrap().text;
    load(
        &books,
        &ledger_support::ledger_book::Book {
            txns: vec![refund],
            ..Default::default()
        },
    );
    let bc2 = books.export(Target::Beancount, &sl, at(101)).unwrap().text;
    let hl2 = books.export(Target::Hledger, &sl, at(101)).unwrap().text;
    // The late refund's file opens on its day with a non-zero balance.
    let opening = format!("{refund_day} balance Assets:Stripe:Balance  ");
    let line = bc2
        .lines()
        .find(|l| l.starts_with(&opening) && l.ends_with(" USD"))
        .unwrap_or_else(|| panic!("{bc2}"));
    assert_ne!(line, format!("{opening}0.00 USD"));
    assert!(hl2.contains(&format!(
        "{} opening balance assertion",
        refund_day.pred_opt().unwrap()
    )));
    // Appended to the first export (whose closing assertions the late entry
    // invalidates, so they are dropped), both files check as one ledger.
    let bc1: String = bc1
        .lines()
        .filter(|l| !l.contains(" balance "))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (ok, msg) = bean_checks(dir.path(), "late", &append(&[bc1, bc2]));
    assert!(ok, "{msg}");
    let cut = hl1.find(" closing balance assertion").unwrap();
    let hl1 = &hl1[..hl1[..cut].rfind('\n').map_or(0, |i| i + 1)];
    let (ok, msg) = hledger_checks(dir.path(), "late", &format!("{hl1}{hl2}"));
    assert!(ok, "{msg}");
}

/// Sum of postings per account and currency.
fn sums<'a>(
    entries: impl IntoIterator<Item = &'a tieout::JournalEntry>,
) -> std::collections::BTreeMap<(String, String), rust_decimal::Decimal> {
    let mut out = std::collections::BTreeMap::new();
    for e in entries {
        for p in &e.postings {
            *out.entry((p.account.clone(), p.currency.code().to_string()))
                .or_insert(rust_decimal::Decimal::ZERO) += p.amount;
        }
    }
    out.retain(|_, v| !v.is_zero());
    out
}

#[test]
fn a_late_void_reverses_the_recognition_slices_a_target_already_received() {
    let books = Books::in_memory();
    let book = sample();
    load(&books, &book);
    let opts = ExportOptions {
        mapping: deferred_mapping(),
        since_last: true,
        ..ExportOptions::default()
    };
    let first = books.export(Target::Beancount, &opts, at(400)).unwrap();
    // An invoice with several recognition slices sent, voided after its
    // first one and imported only now.
    let sent = ledger_support::void_after_first_slice(&books, &book, &first.entries);

    let second = books.export(Target::Beancount, &opts, at(400)).unwrap();
    let reversed: Vec<&tieout::JournalEntry> = second
        .entries
        .iter()
        .filter(|e| e.category == "reversed")
        .collect();
    assert_eq!(
        reversed.len(),
        sent.len() - 1,
        "every slice after the void reversed"
    );
    for r in &reversed {
        let of = r.adjusts.as_deref().unwrap();
        let orig = first.entries.iter().find(|e| e.id == of).unwrap();
        assert!(r.date > sent[0] && r.date == orig.date);
        assert_eq!(
            sums([*r]),
            sums([orig]).into_iter().map(|(k, v)| (k, -v)).collect()
        );
    }
    // What the target received in both exports is the books' journal now.
    let whole = books
        .export(
            Target::Beancount,
            &ExportOptions {
                since_last: false,
                ..opts.clone()
            },
            at(400),
        )
        .unwrap();
    assert_eq!(
        sums(first.entries.iter().chain(&second.entries)),
        sums(&whole.entries)
    );
    // Nothing new the next time, and both checkers accept the appended files.
    assert!(
        books
            .export(Target::Beancount, &opts, at(400))
            .unwrap()
            .entries
            .is_empty()
    );
    let dir = tempfile::tempdir().unwrap();
    let (ok, msg) = bean_checks(dir.path(), "voided", &append(&[first.text, second.text]));
    assert!(ok, "bean-check: {msg}");
}
