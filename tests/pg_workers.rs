//! Shared books on PostgreSQL with real processes: this test program is also
//! the worker it starts (`harness = false`: run with `worker`, `hold`,
//! `import` or `events` as its first argument it plays that part).
//!
//! - the same import stream from two processes: one holds it, the other fails
//!   with `BUSY` naming the holder, or waits and then imports; another
//!   stream proceeds meanwhile;
//! - a backfill shared by three worker processes, one killed with SIGKILL
//!   mid-run: the others take its shard over and finish, the history has one
//!   entry with every shard's counts, and the books equal one sequential
//!   import (into SQLite);
//! - webhook events racing a backfill over 10k objects in another process:
//!   the newest Stripe state wins, whatever the order; the same books for
//!   five seeds.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tieout::*;

const ACCOUNT: &str = "acct_files";
const BASE: i64 = 1_700_000_000;

// ---------------------------------------------------------------- data

/// Customer `c`'s Stripe JSON.
fn customer_json(c: usize) -> Value {
    json!({"id": format!("cus_{c:05}"), "object": "customer", "created": BASE + c as i64,
           "name": format!("Customer {c}"), "email": format!("c{c}@example.com"), "livemode": false})
}

/// Invoice `i`'s Stripe JSON: open, or paid at `paid_at`.
fn invoice_json(i: usize, customers: usize, paid_at: Option<i64>) -> Value {
    let amount = 1_000 + (i as i64 * 37) % 90_000;
    let created = BASE + 100 + i as i64 * 60;
    let paid = paid_at.is_some();
    json!({
        "id": format!("in_{i:06}"), "object": "invoice", "customer": format!("cus_{:05}", i % customers),
        "currency": "usd", "status": if paid { "paid" } else { "open" }, "number": format!("INV-{i:06}"),
        "created": created, "livemode": false, "subtotal": amount, "total": amount, "amount_due": amount,
        "amount_paid": if paid { amount } else { 0 }, "amount_remaining": if paid { 0 } else { amount },
        "due_date": created + 2_592_000, "total_taxes": [],
        "status_transitions": {"finalized_at": created, "paid_at": paid_at},
        "lines": {"object": "list", "has_more": false, "url": "/v1/invoices/x/lines", "data": [
            {"id": format!("il_{i:06}"), "object": "line_item", "amount": amount, "currency": "usd",
             "description": "Plan", "quantity": 1, "period": {"start": created, "end": created + 2_592_000}}
        ]},
        "metadata": {}
    })
}

/// A directory of Stripe JSON: `customers` customers and `invoices` open
/// invoices, created over `BASE .. BASE + 60 * invoices` seconds.
fn write_data(dir: &Path, customers: usize, invoices: usize) {
    let list = |data: Vec<Value>| json!({"object": "list", "has_more": false, "data": data});
    std::fs::write(
        dir.join("customers.json"),
        list((0..customers).map(customer_json).collect()).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("invoices.json"),
        list(
            (0..invoices)
                .map(|i| invoice_json(i, customers, None))
                .collect(),
        )
        .to_string(),
    )
    .unwrap();
}

/// The plan every process runs: everything in the files, policy matching off
/// (nothing to match), one created range so sequential and sharded imports
/// read the same objects.
fn plan() -> ImportPlan {
    ImportPlan {
        created_from: chrono::DateTime::from_timestamp(BASE - 10, 0),
        created_to: chrono::DateTime::from_timestamp(BASE + 60 * 20_000, 0),
        ..ImportPlan::default()
    }
}

// ---------------------------------------------------------------- child parts

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set for the child"))
}

fn child_books() -> Books {
    let lease = Duration::from_millis(env("T_LEASE_MS").parse().unwrap());
    let wait = Duration::from_millis(env("T_WAIT_MS").parse().unwrap());
    // Every page its own commit (so a kill lands between commits), or the
    // default batching (2,000 records or one second) as deployments run it.
    let batch = match env("T_BATCH").as_str() {
        "page" => CommitBatch::every_page(),
        _ => CommitBatch::default(),
    };
    Books::open_in_schema(env("T_URL"), Some(&env("T_SCHEMA")))
        .unwrap()
        .with_commit_batch(batch)
        .with_leases(LeaseOptions { lease, wait })
}

/// The export files, each page handed over after `T_PAGE_PAUSE_MS` (a slow
/// source, as a rate-limited API is): a worker then holds each shard's
/// lease for a while, whatever the machine's speed, so a test can kill it
/// mid-shard.
struct Paced {
    files: StripeFiles,
    pause: Duration,
}

#[async_trait::async_trait]
impl tieout::core::Source for Paced {
    async fn verify(&self) -> tieout::core::Result<tieout::core::AccountInfo> {
        self.files.verify().await
    }

    async fn next_page(
        &self,
        scope: &tieout::core::FetchScope,
        checkpoint: Option<&str>,
    ) -> tieout::core::Result<tieout::core::Page> {
        tokio::time::sleep(self.pause).await;
        self.files.next_page(scope, checkpoint).await
    }

    fn stream(&self) -> String {
        self.files.stream()
    }

    async fn reported_balances(
        &self,
    ) -> tieout::core::Result<Vec<tieout::core::ledger::ReportedBalance>> {
        self.files.reported_balances().await
    }
}

/// Plays one part and prints its outcome as one JSON line.
fn child(part: &str) -> i32 {
    let started = Instant::now();
    let books = child_books();
    let source = Paced {
        files: StripeFiles::new(env("T_DIR")).unwrap(),
        pause: Duration::from_millis(
            std::env::var("T_PAGE_PAUSE_MS").map_or(0, |v| v.parse().unwrap()),
        ),
    };
    let out = common::run(async {
        match part {
            "worker" => books
                .backfill_worker_with(
                    &source,
                    &plan(),
                    None,
                    &WorkerOptions {
                        shards: env("T_SHARDS").parse().unwrap(),
                        name: None,
                    },
                )
                .await
                .map(|r| json!({"worker": r.worker, "shards": r.shards, "run": r.run})),
            "import" => books
                .import(&source, &plan(), None)
                .await
                .map(|r| json!({"run": r})),
            "hold" => {
                // A slow import: every page waits, so the stream stays held.
                let pause = |_: &ImportProgress| {
                    std::thread::sleep(Duration::from_millis(400));
                    true
                };
                books
                    .import_with(&source, &plan(), None, Some(&pause))
                    .await
                    .map(|r| json!({"run": r}))
            }
            "events" => {
                let text = std::fs::read_to_string(env("T_EVENTS")).unwrap();
                let mut applied = 0;
                for line in text.lines() {
                    let event = StripeEvent::parse(line.as_bytes()).unwrap();
                    books.apply_event(&event).unwrap();
                    applied += 1;
                }
                Ok(json!({"applied": applied}))
            }
            other => panic!("unknown part {other}"),
        }
    });
    match out {
        Ok(mut v) => {
            v["wall_ms"] = json!(started.elapsed().as_millis() as u64);
            v["cpu_ms"] = json!(cpu_ms());
            println!("{v}");
            0
        }
        Err(e) => {
            println!("{}", json!({"error": e.code(), "message": e.to_string()}));
            3
        }
    }
}

/// This process's CPU time so far (user + system, ms), from /proc.
fn cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: utime and stime are
    // the 12th and 13th of them, in clock ticks (100 per second here).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) * 10
}

// ---------------------------------------------------------------- parent

struct Setup {
    url: String,
    schema: common::PgSchema,
    dir: Arc<tempfile::TempDir>,
}

impl Setup {
    fn new(url: &str, customers: usize, invoices: usize) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        write_data(dir.path(), customers, invoices);
        Setup::with_data(url, Arc::new(dir))
    }

    /// Fresh books (a schema of their own) importing the files in `dir`.
    fn with_data(url: &str, dir: Arc<tempfile::TempDir>) -> Setup {
        let schema = common::PgSchema::fresh(url);
        // Create the schema once before the children race to migrate it.
        let books = Books::open_in_schema(url, Some(&schema.name)).unwrap();
        books.set_default_account(ACCOUNT).unwrap();
        Setup {
            url: url.to_string(),
            schema,
            dir,
        }
    }

    fn books(&self) -> Books {
        Books::open_in_schema(&self.url, Some(&self.schema.name)).unwrap()
    }

    fn spawn(&self, part: &str, vars: &[(&str, String)]) -> Child {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.arg(part)
            .env("T_URL", &self.url)
            .env("T_SCHEMA", &self.schema.name)
            .env("T_DIR", self.dir.path())
            .env("T_LEASE_MS", "4000")
            .env("T_WAIT_MS", "0")
            .env("T_SHARDS", "8")
            .env("T_BATCH", "page")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.spawn().expect("spawn a child process")
    }
}

/// Waits for `child` and parses its JSON line.
fn outcome(child: Child) -> Value {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("child said {text:?}: {e}"))
}

fn poll(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn query_i64(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

/// Every record table of the books in `schema` but the import history (run
/// ids and times differ between runs): its kind, its row count and a digest
/// of its rows (id and record, in id order), computed by the server.
fn stored_records(url: &str, schema: &str) -> Vec<(&'static str, i64, String)> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    EntityKind::ALL
        .into_iter()
        .filter(|k| *k != EntityKind::ImportRun)
        .map(|k| {
            let row = c
                .query_one(
                    &format!(
                        "SELECT count(*), md5(coalesce(string_agg(id || ' ' || data, E'\\n' \
                         ORDER BY id), '')) FROM {schema}.{}",
                        k.as_str()
                    ),
                    &[],
                )
                .unwrap();
            (k.as_str(), row.get(0), row.get(1))
        })
        .collect()
}

/// The books of one sequential import of the same files into SQLite.
fn sequential(dir: &Path, events: Option<&Path>) -> (String, ImportRun) {
    let tmp = tempfile::tempdir().unwrap();
    let books = Books::open(tmp.path().join("books.db")).unwrap();
    books.set_default_account(ACCOUNT).unwrap();
    let source = StripeFiles::new(dir).unwrap();
    let run = common::run(books.import(&source, &plan(), None)).unwrap();
    if let Some(events) = events {
        for line in std::fs::read_to_string(events).unwrap().lines() {
            books
                .apply_event(&StripeEvent::parse(line.as_bytes()).unwrap())
                .unwrap();
        }
    }
    (common::fingerprint(&books), run)
}

fn same_stream_is_busy_and_other_streams_go_on(url: &str) {
    let s = Setup::new(url, 50, 1_200);
    let holder = s.spawn("hold", &[("T_LEASE_MS", "30000".into())]);
    let pid = holder.id();
    poll(
        "the slow import to commit a page",
        Duration::from_secs(60),
        || {
            query_i64(
                url,
                &format!(
                    "SELECT count(*) FROM {}.leases WHERE holder LIKE '%/pid {pid}/%'",
                    s.schema.name
                ),
            ) > 0
        },
    );
    // A second process: refused at once, naming the holder.
    let busy = outcome(s.spawn("import", &[]));
    assert_eq!(busy["error"], "BUSY", "{busy}");
    let message = busy["message"].as_str().unwrap();
    assert!(message.contains(&format!("/pid {pid}/")), "{message}");
    assert!(
        message.contains("import stream stripe-files:acct_files"),
        "{message}"
    );
    // A third waits for it (up to a minute) and then imports: nothing new.
    let waiter = s.spawn("import", &[("T_WAIT_MS", "60000".into())]);
    // Meanwhile another stream (a shared backfill's shards) proceeds.
    let worker = outcome(s.spawn("worker", &[("T_SHARDS", "2".into())]));
    assert_eq!(worker["run"]["status"], "succeeded", "{worker}");
    let held = outcome(holder);
    assert_eq!(held["run"]["status"], "succeeded", "{held}");
    let waited = outcome(waiter);
    assert_eq!(waited["run"]["status"], "succeeded", "{waited}");
    assert_eq!(waited["run"]["totals"]["created"], 0, "{waited}");
    assert_eq!(
        query_i64(
            url,
            &format!("SELECT count(*) FROM {}.invoice", s.schema.name)
        ),
        1_200
    );
    println!(
        "same stream: BUSY named the holder; the waiter imported after it; another stream ran meanwhile"
    );
}

fn a_killed_worker_is_taken_over_and_the_books_equal_a_sequential_import(url: &str) {
    let s = Setup::new(url, 100, 1_500);
    // Pages arrive slowly enough that the victim is caught holding a shard.
    let mut workers: Vec<Child> = (0..3)
        .map(|_| s.spawn("worker", &[("T_PAGE_PAUSE_MS", "250".into())]))
        .collect();
    let victim = workers[0].id();
    let name = s.schema.name.clone();
    let signal = |sig: &str| {
        let _ = Command::new("kill")
            .args([sig, &victim.to_string()])
            .status()
            .unwrap();
    };
    // Kill the first worker while it holds a shard, some pages committed.
    // It is stopped first and what it holds read then: read while it runs,
    // it could finish that shard (and hold the next) before the kill lands.
    // A shard's finish and the release of its lease are one transaction, so
    // a lease the stopped worker holds is of a shard it has not finished.
    let victims_leases = format!("{name}.leases WHERE holder LIKE '%/pid {victim}/%'");
    let held: String = loop {
        poll(
            "the first worker to hold a shard",
            Duration::from_secs(60),
            || {
                query_i64(url, &format!("SELECT count(*) FROM {victims_leases}")) > 0
                    && query_i64(url, &format!("SELECT count(*) FROM {name}.invoice")) > 0
            },
        );
        signal("-STOP");
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let row = c
            .query_opt(&format!("SELECT stream FROM {victims_leases}"), &[])
            .unwrap();
        match row {
            Some(r) => break r.get(0),
            // Between two shards when stopped: let it take the next one.
            None => signal("-CONT"),
        }
    };
    signal("-KILL");
    let _ = workers[0].wait();
    let reports: Vec<Value> = workers.drain(1..).map(outcome).collect();
    for r in &reports {
        assert!(r.get("error").is_none(), "{r}");
    }
    let run = &reports[0]["run"];
    assert_eq!(run, &reports[1]["run"], "both workers return the one run");
    let books = s.books();
    let history = books.history().unwrap();
    assert_eq!(history.len(), 1, "one history entry: {history:?}");
    let shards = postgres::Client::connect(url, postgres::NoTls)
        .unwrap()
        .query(
            &format!("SELECT stream, holder, done FROM {name}.backfill_shards ORDER BY idx"),
            &[],
        )
        .unwrap();
    assert_eq!(shards.len(), 8);
    assert!(
        shards.iter().all(|r| r.get::<_, bool>(2)),
        "every shard done"
    );
    let taken_over = shards
        .iter()
        .find(|r| r.get::<_, String>(0) == held)
        .expect("the victim's shard");
    assert!(
        !taken_over
            .get::<_, String>(1)
            .contains(&format!("/pid {victim}/")),
        "a live worker finished the killed worker's shard"
    );
    let (want, seq_run) = sequential(s.dir.path(), None);
    common::assert_same(&common::fingerprint(&books), &want, "3 workers, one killed");
    // Invoices are counted exactly once across the take-over (the killed
    // worker's committed pages count, with its shard's checkpoint). Customers
    // may count more: a shard whose invoices name customers another shard
    // has not imported yet creates them, and that shard then updates them.
    assert_eq!(
        history[0].by_object["invoice"], seq_run.by_object["invoice"],
        "the run's invoice counts"
    );
    assert_eq!(history[0].totals.failed, 0);
    assert_eq!(history[0].id, run["id"].as_str().unwrap());
    println!(
        "kill -9: {} created over 8 shards by the 2 surviving workers (victim pid {victim}, its shard taken over)",
        history[0].totals.created
    );
}

/// Every how many invoices one is paid by a webhook event racing the
/// backfill (its events are spread over the whole created range).
const PAID_EVERY: usize = 16;

/// Events paying a seeded selection of the invoices, each observed after the
/// invoice was created, in a seeded order, as JSON lines.
fn write_events(path: &Path, seed: u64, customers: usize, invoices: usize) {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    // The same selection for every seed (the books must be equal), a seeded order.
    let mut events: Vec<String> = (0..invoices)
        .filter(|i| i % PAID_EVERY == 1)
        .map(|i| {
            let at = BASE + 100 + i as i64 * 60 + 3_600;
            json!({"id": format!("evt_{i:06}"), "object": "event", "type": "invoice.paid",
                   "created": at, "api_version": "2025-03-31.basil", "livemode": false,
                   "data": {"object": invoice_json(i, customers, Some(at))}})
            .to_string()
        })
        .collect();
    for i in (1..events.len()).rev() {
        events.swap(i, next() as usize % (i + 1));
    }
    let mut f = std::fs::File::create(path).unwrap();
    for e in events {
        writeln!(f, "{e}").unwrap();
    }
}

#[allow(non_snake_case)]
fn events_racing_a_backfill_end_in_the_same_books_for_every_seed(url: &str) {
    // 10k objects, as the issue asks (TIEOUT_RACE_OBJECTS sets another size).
    let objects: usize = std::env::var("TIEOUT_RACE_OBJECTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let (CUSTOMERS, INVOICES) = (objects / 5, objects - objects / 5);
    let EVENTS = (0..INVOICES).filter(|i| i % PAID_EVERY == 1).count();
    let start = Instant::now();
    // One set of export files for every seed (the same objects), each
    // seed's events in a file of its own beside them.
    let data = Arc::new(tempfile::tempdir().unwrap());
    write_data(data.path(), CUSTOMERS, INVOICES);
    let events: Vec<std::path::PathBuf> = (1..=5u64)
        .map(|seed| {
            let path = data.path().join(format!("events-{seed}.jsonl.txt"));
            write_events(&path, seed, CUSTOMERS, INVOICES);
            path
        })
        .collect();
    let written = start.elapsed();
    // The five seeds race at once, each in its own schema with its own
    // applier and worker processes, each on a thread of its own that makes
    // the schema, starts the processes and checks the books once they
    // finished (the comparisons decode every record, as much work as an
    // import); meanwhile another thread makes the books of one sequential
    // import followed by the same events.
    let (expected, seeds) = std::thread::scope(|scope| {
        let (data, first) = (&data, &events[0]);
        let reference = scope.spawn(move || {
            let print = sequential(data.path(), Some(first)).0;
            (print, start.elapsed())
        });
        let handles: Vec<_> = (1..=5u64)
            .zip(&events)
            .map(|(seed, events)| {
                scope.spawn(move || {
                    let s = Setup::with_data(url, Arc::clone(data));
                    let ev = events.display().to_string();
                    let applier = s.spawn("events", &[("T_EVENTS", ev)]);
                    let worker = s.spawn(
                        "worker",
                        &[("T_SHARDS", "4".into()), ("T_BATCH", "default".into())],
                    );
                    let started = start.elapsed();
                    let applied = outcome(applier);
                    assert_eq!(applied["applied"], EVENTS as u64, "{applied}");
                    let report = outcome(worker);
                    assert!(report.get("error").is_none(), "{report}");
                    let finished = start.elapsed();
                    println!(
                        "seed {seed}: processes started at {:.1} s; events applier {} ms ({} ms \
                         CPU), backfill worker {} ms ({} ms CPU)",
                        started.as_secs_f64(),
                        applied["wall_ms"],
                        applied["cpu_ms"],
                        report["wall_ms"],
                        report["cpu_ms"]
                    );
                    let paid = query_i64(
                        url,
                        &format!(
                            "SELECT count(*) FROM {}.invoice WHERE status = 'paid'",
                            s.schema.name
                        ),
                    );
                    assert_eq!(paid, EVENTS as i64, "seed {seed}: every paid event stands");
                    // The first seed's books, read through the API, against
                    // the sequential import; every seed's stored records,
                    // row for row, against the first seed's (in the server).
                    let print = (seed == 1).then(|| common::fingerprint(&s.books()));
                    let rows = stored_records(url, &s.schema.name);
                    println!(
                        "seed {seed}: books read at {:.1} s",
                        start.elapsed().as_secs_f64()
                    );
                    (seed, (print, rows, s), finished)
                })
            })
            .collect();
        let seeds: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (reference.join().unwrap(), seeds)
    });
    let (expected, referenced) = expected;
    assert_eq!(seeds.len(), 5);
    let (_, (first, first_rows, _), _) = &seeds[0];
    let first = first.as_ref().expect("the first seed's fingerprint");
    common::assert_same(first, &expected, "seed 1");
    assert!(first_rows.iter().any(|(_, n, _)| *n > 0), "{first_rows:?}");
    for (seed, (_, rows, s), _) in &seeds[1..] {
        if rows != first_rows {
            // Show what differs, through the API.
            common::assert_same(
                &common::fingerprint(&s.books()),
                first,
                &format!("seed {seed}"),
            );
            panic!("seed {seed}: stored records differ from seed 1's: {rows:?} vs {first_rows:?}");
        }
    }
    let finished = seeds.iter().map(|x| x.2).max().unwrap_or_default();
    let took = start.elapsed();
    println!(
        "events racing a backfill: {CUSTOMERS} customers + {INVOICES} invoices, {} events, \
         identical books for 5 seeds in {:.1} s (files written in {:.1} s; the last \
         process finished at {:.1} s, the sequential reference at {:.1} s)",
        EVENTS,
        took.as_secs_f64(),
        written.as_secs_f64(),
        finished.as_secs_f64(),
        referenced.as_secs_f64(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(part) = args
        .get(1)
        .filter(|a| ["worker", "import", "hold", "events"].contains(&a.as_str()))
    {
        std::process::exit(child(part));
    }
    // `cargo test` passes libtest flags (and maybe a filter): a filter that
    // names none of these tests runs none.
    let filter = args.iter().skip(1).find(|a| !a.starts_with('-'));
    type Test = (&'static str, fn(&str));
    let tests: [Test; 3] = [
        (
            "same_stream_is_busy_and_other_streams_go_on",
            same_stream_is_busy_and_other_streams_go_on,
        ),
        (
            "a_killed_worker_is_taken_over_and_the_books_equal_a_sequential_import",
            a_killed_worker_is_taken_over_and_the_books_equal_a_sequential_import,
        ),
        (
            "events_racing_a_backfill_end_in_the_same_books_for_every_seed",
            events_racing_a_backfill_end_in_the_same_books_for_every_seed,
        ),
    ];
    let Some(url) = common::pg_url() else {
        println!("TIEOUT_TEST_PG_URL is not set: PostgreSQL worker tests not run");
        return;
    };
    for (name, test) in tests {
        if filter.is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let start = Instant::now();
        test(&url);
        println!(
            "test {name} ... ok ({:.1} s)",
            start.elapsed().as_secs_f64()
        );
    }
}
