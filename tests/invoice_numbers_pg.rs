//! Gap-free invoice numbers on shared PostgreSQL books (issue 15): two real
//! processes issue invoices of one prefix at the same time; the number is
//! taken under a transaction-scoped advisory lock on the sequence, so every
//! issue succeeds and the numbers are exactly 1..=N, none skipped, none
//! given twice.
//!
//! The test runs itself as the two writer processes (`TIEOUT_NUMBERING_IDS`
//! set: issue those invoices, print the numbers, exit).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use tieout::*;

const PER_PROCESS: usize = 30;
const TEST: &str = "two_processes_issue_invoices_without_gaps_or_repeats";

fn draft(customer: &str) -> InvoiceDraft {
    InvoiceDraft::new(customer, Currency::USD)
        .line(DraftLine::item("Consulting", d("1"), d("100.00")))
        .due(ts(30))
}

/// The writer process: waits for the start file, then issues each invoice.
fn child(url: &str, schema: &str, ids: &str, start: &str) {
    let books = Books::open_in_schema(url, Some(schema)).expect("open shared books");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::path::Path::new(start).exists() {
        assert!(Instant::now() < deadline, "never told to start");
        std::thread::sleep(Duration::from_millis(5));
    }
    for id in ids.split(',') {
        let inv = books
            .issue_invoice(id, ts(2))
            .unwrap_or_else(|e| panic!("issue {id}: {e}"));
        println!(
            "NUMBER {}",
            inv.number.expect("issued invoices are numbered")
        );
    }
}

#[test]
fn two_processes_issue_invoices_without_gaps_or_repeats() {
    let Some(url) = pg_url() else {
        eprintln!("TIEOUT_TEST_PG_URL is not set: PostgreSQL test not run");
        return;
    };
    if let Ok(ids) = std::env::var("TIEOUT_NUMBERING_IDS") {
        let schema = std::env::var("TIEOUT_NUMBERING_SCHEMA").unwrap();
        let start = std::env::var("TIEOUT_NUMBERING_START").unwrap();
        child(&url, &schema, &ids, &start);
        return;
    }
    let schema = PgSchema::fresh(&url);
    let books = Books::open_in_schema(&url, Some(&schema.name)).unwrap();
    let c = books
        .create_customer("Acme", Some("ap@acme.test"), CustomerKind::Company)
        .unwrap();
    let ids: Vec<String> = (0..2 * PER_PROCESS)
        .map(|_| books.create_invoice(&draft(&c.id), None, ts(1)).unwrap().id)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ids
        .chunks(PER_PROCESS)
        .map(|chunk| {
            Command::new(&exe)
                .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
                .env("TIEOUT_NUMBERING_IDS", chunk.join(","))
                .env("TIEOUT_NUMBERING_SCHEMA", &schema.name)
                .env("TIEOUT_NUMBERING_START", &start)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start a writer process")
        })
        .collect();
    std::fs::write(&start, b"go").unwrap();
    let mut seen: Vec<String> = Vec::new();
    for ch in children {
        let out = ch.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "a writer failed:\n{text}");
        let mine: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once("NUMBER ").map(|(_, n)| n.trim().to_string()))
            .collect();
        assert_eq!(mine.len(), PER_PROCESS, "{text}");
        seen.extend(mine);
    }
    seen.sort();
    let want: Vec<String> = (1..=2 * PER_PROCESS)
        .map(|n| format!("INV-{n:06}"))
        .collect();
    assert_eq!(seen, want, "every number once, none skipped");
    // The books agree: each invoice open with its own number.
    let mut stored: Vec<String> = books
        .invoices(&InvoiceFilter::default())
        .unwrap()
        .into_iter()
        .map(|i| {
            assert_eq!(i.status, InvoiceStatus::Open);
            i.number.unwrap()
        })
        .collect();
    stored.sort();
    assert_eq!(stored, want);
    // The next issue continues the sequence.
    let next = books.create_invoice(&draft(&c.id), None, ts(3)).unwrap();
    let next = books.issue_invoice(&next.id, ts(3)).unwrap();
    assert_eq!(
        next.number.as_deref(),
        Some(format!("INV-{:06}", 2 * PER_PROCESS + 1).as_str())
    );
}
