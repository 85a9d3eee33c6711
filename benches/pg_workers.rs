//! Backfill throughput on shared PostgreSQL books with 1, 2 and 4 worker
//! processes, against one import into SQLite (not part of the test run).
//!
//! ```sh
//! bash scripts/pg.sh &        # prints TIEOUT_TEST_PG_URL
//! TIEOUT_TEST_PG_URL=... cargo bench --bench pg_workers [-- INVOICES]
//! ```
//!
//! Writes 100k invoices (and 5k customers) as Stripe JSON under
//! `target/bench-pg-workers/`, imports them into a fresh SQLite file and
//! into a fresh PostgreSQL schema (one import from this process), then
//! runs a backfill of the same plan in a fresh schema with N copies of this
//! program as worker processes (16 shards), and prints whole-process wall
//! times. The bench binary is also the worker (`worker` as first argument).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tieout::*;

const BASE: i64 = 1_700_000_000;
const SHARDS: u32 = 16;

fn invoice_json(i: usize, customers: usize) -> Value {
    let amount = 1_000 + (i as i64 * 37) % 90_000;
    let created = BASE + 100 + i as i64 * 60;
    json!({
        "id": format!("in_{i:07}"), "object": "invoice", "customer": format!("cus_{:05}", i % customers),
        "currency": "usd", "status": "open", "number": format!("INV-{i:07}"),
        "created": created, "livemode": false, "subtotal": amount, "total": amount, "amount_due": amount,
        "amount_paid": 0, "amount_remaining": amount, "due_date": created + 2_592_000, "total_taxes": [],
        "status_transitions": {"finalized_at": created},
        "lines": {"object": "list", "has_more": false, "url": "/v1/invoices/x/lines", "data": [
            {"id": format!("il_{i:07}"), "object": "line_item", "amount": amount, "currency": "usd",
             "description": "Plan", "quantity": 1, "period": {"start": created, "end": created + 2_592_000}}
        ]},
        "metadata": {}
    })
}

fn write_data(dir: &Path, invoices: usize) {
    let customers = 5_000.min(invoices.max(1));
    std::fs::create_dir_all(dir).unwrap();
    let list = |data: Vec<Value>| json!({"object": "list", "has_more": false, "data": data});
    let cus: Vec<Value> = (0..customers)
        .map(|c| {
            json!({"id": format!("cus_{c:05}"), "object": "customer", "created": BASE + c as i64,
                        "name": format!("Customer {c}"), "livemode": false})
        })
        .collect();
    std::fs::write(dir.join("customers.json"), list(cus).to_string()).unwrap();
    let inv: Vec<Value> = (0..invoices).map(|i| invoice_json(i, customers)).collect();
    std::fs::write(dir.join("invoices.json"), list(inv).to_string()).unwrap();
}

fn plan(invoices: usize) -> ImportPlan {
    ImportPlan {
        created_from: chrono::DateTime::from_timestamp(BASE - 10, 0),
        created_to: chrono::DateTime::from_timestamp(BASE + 200 + 60 * invoices as i64, 0),
        ..ImportPlan::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn worker(url: &str, schema: &str, dir: &str, invoices: usize) {
    let books = Books::open_in_schema(url, Some(schema)).unwrap();
    let source = StripeFiles::new(dir).unwrap();
    let options = WorkerOptions {
        shards: SHARDS,
        name: None,
    };
    let report = runtime()
        .block_on(books.backfill_worker_with(&source, &plan(invoices), None, &options))
        .unwrap();
    assert_eq!(report.run.totals.failed, 0);
}

/// The machine's one-minute load average (other processes share it).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn count(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

fn drop_schema(url: &str, schema: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("worker") {
        worker(&args[2], &args[3], &args[4], args[5].parse().unwrap());
        return;
    }
    let Ok(url) = std::env::var("TIEOUT_TEST_PG_URL") else {
        eprintln!("pg_workers bench: set TIEOUT_TEST_PG_URL (bash scripts/pg.sh starts a server)");
        return;
    };
    let invoices: usize = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-pg-workers");
    let dir = root.join(format!("data-{invoices}"));
    if !dir.join("invoices.json").exists() {
        write_data(&dir, invoices);
    }
    let records = invoices + 5_000.min(invoices);
    let mut rows: Vec<(String, Duration, String)> = Vec::new();

    let db = root.join("sqlite.db");
    let _ = std::fs::remove_file(&db);
    let books = Books::open(&db).unwrap();
    let source = StripeFiles::new(&dir).unwrap();
    let (start, load_before) = (Instant::now(), load());
    let run = runtime()
        .block_on(books.import(&source, &plan(invoices), None))
        .unwrap();
    rows.push((
        "SQLite, one import".into(),
        start.elapsed(),
        format!("{load_before} / {}", load()),
    ));
    assert_eq!(run.totals.created as usize, records);
    drop(books);
    let _ = std::fs::remove_file(&db);

    // The same import into PostgreSQL from this process (no shards, no
    // workers): the store's own cost against SQLite's.
    let schema = "bench_import";
    drop_schema(&url, schema);
    let books = Books::open_in_schema(&url, Some(schema)).unwrap();
    let (start, load_before) = (Instant::now(), load());
    let run = runtime()
        .block_on(books.import(&source, &plan(invoices), None))
        .unwrap();
    rows.push((
        "PostgreSQL, one import".into(),
        start.elapsed(),
        format!("{load_before} / {}", load()),
    ));
    assert_eq!(run.totals.created as usize, records);
    drop(books);
    drop_schema(&url, schema);

    // TIEOUT_BENCH_WORKERS=1,2 runs other worker counts (default 1, 2, 4).
    let counts: Vec<usize> = std::env::var("TIEOUT_BENCH_WORKERS")
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|_| vec![1, 2, 4]);
    let exe = std::env::current_exe().unwrap();
    for n in counts {
        let schema = format!("bench_workers_{n}");
        drop_schema(&url, &schema);
        drop(Books::open_in_schema(&url, Some(&schema)).unwrap());
        let (start, load_before) = (Instant::now(), load());
        let children: Vec<_> = (0..n)
            .map(|_| {
                Command::new(&exe)
                    .args(["worker", &url, &schema, dir.to_str().unwrap()])
                    .arg(invoices.to_string())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let took = start.elapsed();
        // The backfill is whole: every invoice, and one history entry.
        assert_eq!(
            count(&url, &format!("SELECT count(*) FROM {schema}.invoice")),
            invoices as i64
        );
        assert_eq!(
            count(&url, &format!("SELECT count(*) FROM {schema}.import_run")),
            1
        );
        rows.push((
            format!("PostgreSQL, {n} worker process(es)"),
            took,
            format!("{load_before} / {}", load()),
        ));
        drop_schema(&url, &schema);
    }
    println!("\n{records} records ({invoices} invoices + customers), {SHARDS} shards:");
    println!("| books | wall time | records/s | load before / after |\n|---|---:|---:|---|");
    for (what, t, load) in rows {
        println!(
            "| {what} | {:.1} s | {:.0} | {load} |",
            t.as_secs_f64(),
            records as f64 / t.as_secs_f64()
        );
    }
}
