//! What was exported where (issue 16): the books keep one record per export
//! target and journal entry (entry id, time, the postings the target holds),
//! in every store (memory, SQLite, PostgreSQL when configured). An export
//! with `since_last` emits only what is new; an export whose commit fails (a
//! crash mid-export) records nothing, so the next one emits the same entries
//! with the same ids and nothing twice; a late refund is one new entry and a
//! change to an exported entry one adjusting entry. Books that kept the log
//! as one checkpoint move it into records at their next export.

mod common;
mod ledger_support;

use chrono::{DateTime, Utc};
use common::all_books;
use ledger_support::ledger_book::{Book, at, sample};
use ledger_support::{load, sample_with_late_refund};
use rust_decimal::Decimal;
use tieout::core::ChangeSet;
use tieout::core::ledger::ExportLog;
use tieout::{Books, ExportOptions, Target};

fn since_last() -> ExportOptions {
    ExportOptions {
        since_last: true,
        ..ExportOptions::default()
    }
}

fn ids(log: &[tieout::core::ledger::ExportedEntry]) -> Vec<&str> {
    log.iter().map(|r| r.entry_id.as_str()).collect()
}

fn export(books: &Books, target: Target, now: DateTime<Utc>) -> Vec<String> {
    books
        .export(target, &since_last(), now)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect()
}

#[test]
fn each_target_records_every_exported_entry_once_through_crashes_and_late_changes() {
    for (store, books, _keep) in all_books() {
        let (b, refund) = sample_with_late_refund();
        load(&books, &b);

        // The first export records one entry per exported entry, at its time.
        let first = export(&books, Target::Beancount, at(100));
        assert!(first.len() > 10, "{store}");
        let log = books.export_log(Target::Beancount).unwrap();
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(ids(&log), sorted, "{store}: one record per entry");
        assert!(
            log.iter()
                .all(|r| r.mark.at == at(100) && r.target == Target::Beancount),
            "{store}"
        );
        assert!(books.export_log(Target::Csv).unwrap().is_empty(), "{store}");

        // A crash mid-export (its commit fails): nothing recorded, and the
        // next export emits the same entries with the same ids.
        assert!(
            books
                .with_store_mut(|s| s.inject_commit_failure("crash mid-export"))
                .unwrap(),
            "{store}"
        );
        assert!(
            books.export(Target::Csv, &since_last(), at(101)).is_err(),
            "{store}"
        );
        assert!(books.export_log(Target::Csv).unwrap().is_empty(), "{store}");
        assert_eq!(export(&books, Target::Csv, at(102)), first, "{store}");
        assert!(export(&books, Target::Csv, at(103)).is_empty(), "{store}");
        assert!(
            export(&books, Target::Beancount, at(103)).is_empty(),
            "{store}"
        );

        // A late refund: one entry, one record at its own time; the others
        // keep theirs.
        load(
            &books,
            &Book {
                txns: vec![refund],
                ..Book::default()
            },
        );
        assert_eq!(
            export(&books, Target::Beancount, at(104)),
            ["txn:txn_re_4"],
            "{store}"
        );
        let log = books.export_log(Target::Beancount).unwrap();
        assert_eq!(log.len(), first.len() + 1, "{store}");
        assert_eq!(
            log.iter().filter(|r| r.mark.at == at(104)).count(),
            1,
            "{store}"
        );

        // A change to an exported invoice: one adjusting entry, recorded
        // under the entry it adjusts.
        let mut inv = sample().invoices[0].clone();
        inv.lines[0].amount += Decimal::ONE;
        inv.subtotal += Decimal::ONE;
        inv.total += Decimal::ONE;
        let adjusted = format!("inv:{}:issued", inv.source.external_id);
        load(
            &books,
            &Book {
                invoices: vec![inv],
                ..Book::default()
            },
        );
        assert_eq!(
            export(&books, Target::Beancount, at(105)),
            [format!("{adjusted}~adj1")],
            "{store}"
        );
        let log = books.export_log(Target::Beancount).unwrap();
        let rec = log.iter().find(|r| r.entry_id == adjusted).unwrap();
        assert_eq!((rec.mark.adjustments, rec.mark.at), (1, at(105)), "{store}");
        assert!(
            export(&books, Target::Beancount, at(106)).is_empty(),
            "{store}"
        );
    }
}

#[test]
fn a_log_kept_as_one_checkpoint_moves_into_records_at_the_next_export() {
    for (store, books, _keep) in all_books() {
        load(&books, &sample());
        let j = books
            .journal_entries(&Default::default(), Default::default())
            .unwrap();
        let (_, old) = ExportLog::default().plan(&j.entries, true, at(50));
        let stream = Target::Hledger.stream();
        let cs = ChangeSet {
            checkpoint: Some((stream.clone(), old.to_json())),
            ..ChangeSet::default()
        };
        books.with_store_mut(|s| s.commit(cs)).unwrap().unwrap();
        assert_eq!(
            books.export_log(Target::Hledger).unwrap().len(),
            j.entries.len(),
            "{store}: the old log is read"
        );
        assert!(
            export(&books, Target::Hledger, at(60)).is_empty(),
            "{store}"
        );
        let log = books.export_log(Target::Hledger).unwrap();
        assert_eq!(log.len(), j.entries.len(), "{store}");
        assert!(log.iter().all(|r| r.mark.at == at(50)), "{store}");
        let left = books.with_store_mut(|s| s.checkpoint(&stream)).unwrap();
        assert_eq!(left.unwrap().as_deref(), Some(""), "{store}");
        assert!(
            export(&books, Target::Hledger, at(61)).is_empty(),
            "{store}"
        );
    }
}
