//! Criterion benches for tieout. Not run by CI (`cargo bench` runs them).
//!
//! Each bench measures tieout next to a peer doing the least possible work for
//! the same result, in the same run, so the README can report ratios that a
//! noisy shared machine does not distort much:
//! - `import`: plan + commit N invoices (two lines each) into SQLite from
//!   100-record pages (Stripe's page size) of records the source owns (no
//!   copies timed: the peer writes borrowed records too), all open, and half
//!   paid (each paid one also gets its payment and allocation), vs a raw
//!   rusqlite insert of the open invoices as JSON rows committed per 1000 (the
//!   floor for "write every invoice once, durably"). Both times include
//!   closing the database (the final WAL checkpoint).
//! - `map`: Stripe invoice JSON -> core records, vs `serde_json` parsing alone.
//!
//! - `match`: 1M payments against 1M invoices with the bulk matcher: exact-key
//!   (explicit links) and policy matching (same customer, exact open amount,
//!   else oldest first), vs a bare hash join that only pairs ids (the floor).
//!
//! Scale with `TIEOUT_BENCH_N` (default 100000) and `TIEOUT_MATCH_N` (default 1000000).

mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use support::datagen;
use support::owned_pages::OwnedPages;
use tieout::{Books, ImportPlan, SourceItem};

fn n() -> usize {
    std::env::var("TIEOUT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Stripe's largest list page: the page size a real import sees.
const STRIPE_PAGE: usize = 100;

fn import(c: &mut Criterion) {
    let n = n();
    let open = datagen::invoice_records_where(n, |_| false);
    let half_paid = datagen::invoice_records(n);
    let rt = runtime();
    let mut g = c.benchmark_group("import");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(n as u64));
    let plan = ImportPlan::default().objects([tieout::ObjectScope::Invoices]);
    // Open invoices: one invoice record each (plus one customer per 20).
    // Half paid: each paid invoice also gets its payment and allocation.
    for (name, items) in [
        ("tieout_sqlite_open", &open),
        ("tieout_sqlite_half_paid", &half_paid),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dir = tempfile::tempdir().expect("tmp");
                    let books = Books::open(dir.path().join("b.db")).expect("open");
                    let src = OwnedPages::new(items.clone(), STRIPE_PAGE);
                    let t = Instant::now();
                    let run = rt
                        .block_on(books.import(&src, &plan, None))
                        .expect("import");
                    // Closing checkpoints what the WAL still holds: timed, as
                    // the peer's close is.
                    drop(books);
                    total += t.elapsed();
                    assert_eq!(run.by_object["invoice"].created as usize, n);
                }
                total
            })
        });
    }
    g.bench_function("peer_raw_rusqlite", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tmp");
                let t = Instant::now();
                raw_insert(&dir.path().join("raw.db"), &open);
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
}

/// The peer: one JSON row per invoice, keyed by source id, committed per 1000.
fn raw_insert(path: &std::path::Path, items: &[SourceItem]) {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE invoice (id TEXT PRIMARY KEY, external_id TEXT NOT NULL, data TEXT NOT NULL);
         CREATE INDEX invoice_ext ON invoice(external_id);",
    )
    .expect("schema");
    for chunk in items.chunks(1000) {
        let tx = conn.transaction().expect("tx");
        {
            let mut st = tx
                .prepare_cached("INSERT INTO invoice (id, external_id, data) VALUES (?1, ?2, ?3)")
                .expect("prepare");
            for it in chunk {
                if let SourceItem::Record(tieout::Record::Invoice(inv)) = it {
                    let data = serde_json::to_string(inv).expect("json");
                    st.execute((&inv.source.external_id, &inv.source.external_id, data))
                        .expect("insert");
                }
            }
        }
        tx.commit().expect("commit");
    }
}

fn map(c: &mut Criterion) {
    let n = n().min(20_000);
    let docs: Vec<String> = (0..n)
        .map(|i| datagen::invoice_json(i).to_string())
        .collect();
    let ctx = tieout::stripe::MapContext {
        system: "stripe".into(),
        account: "acct_bench".into(),
        api_version: Some("2025-03-31.basil".into()),
        observed_at: None,
    };
    let mut g = c.benchmark_group("map");
    g.sample_size(10).throughput(Throughput::Elements(n as u64));
    g.bench_function("tieout_parse_and_map", |b| {
        b.iter(|| {
            let mut k = 0;
            for d in &docs {
                let v: serde_json::Value = serde_json::from_str(d).expect("json");
                k += tieout::stripe::map_object(&v, &ctx).len();
            }
            assert_eq!(k, n);
        })
    });
    g.bench_function("peer_parse_only", |b| {
        b.iter(|| {
            let mut k = 0;
            for d in &docs {
                let v: serde_json::Value = serde_json::from_str(d).expect("json");
                k += usize::from(v.is_object());
            }
            assert_eq!(k, n);
        })
    });
    g.finish();
}

fn matching(c: &mut Criterion) {
    use tieout::core::reconcile::bulk;
    let n: usize = std::env::var("TIEOUT_MATCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let invoices: Vec<tieout::Invoice> = (0..n).map(datagen::open_invoice).collect();
    let linked: Vec<tieout::Payment> = (0..n).map(|i| datagen::payment_record(i, true)).collect();
    let unlinked: Vec<tieout::Payment> =
        (0..n).map(|i| datagen::payment_record(i, false)).collect();
    let policy = tieout::ReconcilePolicy::default();
    let mut g = c.benchmark_group("match");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(n as u64));
    g.bench_function("tieout_exact_key", |b| {
        b.iter(|| {
            let out = bulk::match_exact(&linked, &invoices, &policy).expect("match");
            assert_eq!(out.matches.len(), n);
        })
    });
    g.bench_function("peer_hash_join", |b| {
        b.iter(|| {
            let mut ix: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
            ix.reserve(invoices.len());
            for (i, inv) in invoices.iter().enumerate() {
                ix.insert(inv.source.external_id.as_str(), i);
            }
            let mut pairs = Vec::with_capacity(n);
            for (pi, p) in linked.iter().enumerate() {
                if let Some(&ii) = p.links.invoices.first().and_then(|k| ix.get(k.as_str())) {
                    pairs.push((pi, ii, p.amount.min(invoices[ii].amount_due)));
                }
            }
            assert_eq!(pairs.len(), n);
        })
    });
    g.bench_function("tieout_policy", |b| {
        b.iter(|| {
            let out = bulk::match_policy(&unlinked, &invoices, &policy);
            assert!(out.matches.len() >= n);
        })
    });
    g.finish();
}

criterion_group!(benches, import, map, matching);
criterion_main!(benches);
