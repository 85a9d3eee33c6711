//! `tieout export` and `tieout balance` against books imported from the
//! shipped Stripe export: Beancount and hledger output accepted by
//! `bean-check` and `hledger check`, `--since-last` emits nothing new, every
//! format parses, and the balance statement equals the library's.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::{TimeZone, Utc};
use common::*;
use serde_json::Value;

fn checker_accepts(cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().expect("start the checker");
    (o.status.success(), format!("{}{}", out(&o), err(&o)))
}

fn exported(o: &std::process::Output) -> usize {
    assert_eq!(code(o), 0, "{}", err(o));
    let e = err(o);
    e.split(" journal entries exported")
        .next()
        .and_then(|n| n.trim().rsplit('\n').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count: {e}"))
}

#[test]
fn export_every_format_checked_by_the_ledger_tools() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    sample_books(&db);

    let bc = dir.path().join("books.beancount");
    let o = tieout(
        &db,
        &["export", "--to", "beancount", "-o", bc.to_str().unwrap()],
        &[],
    );
    let entries = exported(&o);
    assert!(entries > 0);
    let bean_check = python().parent().unwrap().join("bean-check");
    let (ok, msg) = checker_accepts(Command::new(&bean_check).arg(&bc));
    assert!(ok, "bean-check: {msg}");

    let hl = tieout(&db, &["export", "--to", "hledger"], &[]);
    assert_eq!(exported(&hl), entries, "the same entries in every format");
    let journal = dir.path().join("books.journal");
    std::fs::write(&journal, out(&hl)).unwrap();
    let (ok, msg) = checker_accepts(Command::new("hledger").arg("-f").arg(&journal).arg("check"));
    assert!(ok, "hledger check: {msg}");

    // The checker can fail: an unbalanced entry is refused.
    let broken = dir.path().join("broken.journal");
    let unbalanced = "\n2025-01-01 broken\n    Assets:A  1 USD\n    Assets:B  2 USD\n";
    std::fs::write(&broken, out(&hl) + unbalanced).unwrap();
    assert!(!checker_accepts(Command::new("hledger").arg("-f").arg(&broken).arg("check")).0);

    // Every export is recorded per target: since the last one, nothing is new.
    let again = tieout(&db, &["export", "--to", "beancount", "--since-last"], &[]);
    assert_eq!(exported(&again), 0, "{}", out(&again));
    let layers = tieout(&db, &["export", "--to", "csv", "--layers", "cash"], &[]);
    let cash = exported(&layers);
    assert!(0 < cash && cash < entries, "{cash} of {entries}");
    let csv_text = out(&layers);
    assert!(csv_text.lines().count() > cash, "{csv_text}");

    // A period: two adjacent ones hold every entry between them, each only
    // its own days.
    let whole = out(&tieout(&db, &["export", "--to", "csv"], &[]));
    let mut days: Vec<chrono::NaiveDate> = whole
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').find_map(|f| f.parse().ok()))
        .collect();
    days.sort();
    days.dedup();
    assert!(days.len() > 2, "{whole}");
    let cut = days[days.len() / 2];
    let first = tieout(
        &db,
        &["export", "--to", "beancount", "--through", &cut.to_string()],
        &[],
    );
    let after = cut.succ_opt().unwrap().to_string();
    let second = tieout(&db, &["export", "--to", "beancount", "--from", &after], &[]);
    let (n1, n2) = (exported(&first), exported(&second));
    assert!(n1 > 0 && n2 > 0, "{n1} {n2}");
    assert_eq!(n1 + n2, entries);
    assert!(
        out(&second).contains(&format!("{after} balance ")),
        "{}",
        out(&second)
    );
    let bad = tieout(
        &db,
        &[
            "export",
            "--to",
            "csv",
            "--from",
            &after,
            "--through",
            &cut.to_string(),
        ],
        &[],
    );
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an empty period is a usage error"
    );

    for (target, json) in [("quickbooks", true), ("xero", true), ("netsuite", false)] {
        let o = tieout(
            &db,
            &[
                "export",
                "--to",
                target,
                "--base-currency",
                "usd",
                "--rate",
                "eur=1.08",
                "--rate",
                "JPY=0.0067",
            ],
            &[],
        );
        assert_eq!(exported(&o), entries, "{target}");
        let text = out(&o);
        if json {
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("{target} is JSON: {e}\n{text}"));
        } else {
            assert!(text.lines().count() > entries, "{target}: {text}");
        }
    }
    let bad = tieout(&db, &["export", "--to", "gnucash"], &[]);
    assert_eq!(code(&bad), 2);
    let no_rate = tieout(
        &db,
        &["export", "--to", "xero", "--base-currency", "usd"],
        &[],
    );
    assert_eq!(code(&no_rate), 2, "{}", err(&no_rate));
    assert!(
        err(&no_rate).contains("no EUR->USD rate"),
        "{}",
        err(&no_rate)
    );
    let bad_rate = tieout(&db, &["export", "--to", "xero", "--rate", "eur"], &[]);
    assert_eq!(code(&bad_rate), 2, "{}", err(&bad_rate));
}

fn library_balance(db: &Path) -> tieout::StripeBalance {
    let books = tieout::Books::open(db).unwrap();
    books
        .stripe_balance(
            tieout::Currency::parse("USD").unwrap(),
            chrono::DateTime::UNIX_EPOCH,
            Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap(),
        )
        .unwrap()
}

#[test]
fn balance_statement_equals_the_library_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    sample_books(&db);
    let expected = library_balance(&db);
    assert!(!expected.lines.is_empty());
    let args = ["balance", "--currency", "usd", "--to", "2030-01-01"];

    let json = tieout(&db, &[&args[..], &["--format", "json"]].concat(), &[]);
    assert_eq!(code(&json), 0, "{}", err(&json));
    let got: tieout::StripeBalance = serde_json::from_str(&out(&json)).unwrap();
    assert_eq!(got, expected);

    let table = out(&tieout(&db, &args, &[]));
    assert!(
        table.contains(&format!("opening {} ", expected.opening())),
        "{table}"
    );
    assert!(
        table.contains(&format!("closing {} ", expected.closing())),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.contains(" txn_")).count(),
        expected.lines.len(),
        "{table}"
    );

    let csv = out(&tieout(
        &db,
        &[&args[..], &["--format", "csv"]].concat(),
        &[],
    ));
    let expected_csv = tieout::core::ledger::render::statement_csv(&expected).unwrap();
    assert_eq!(csv, expected_csv);

    let camt = tieout(
        &db,
        &[
            &args[..],
            &["--format", "camt053", "--account", "STRIPE-USD"],
        ]
        .concat(),
        &[],
    );
    let xml = out(&camt);
    assert!(
        xml.contains("<Document") && xml.contains("STRIPE-USD"),
        "{xml}"
    );
    // The camt.053 document is one this library reads back as bank lines.
    let books = tieout::Books::in_memory();
    let lines = books.import_bank_camt053(&xml).unwrap();
    assert!(!lines.is_empty());

    let unknown = tieout(&db, &["balance", "--currency", "zzz"], &[]);
    assert_eq!(code(&unknown), 2, "{}", err(&unknown));
}
