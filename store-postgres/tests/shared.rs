//! What several connections coordinate through: stream leases (one holder,
//! fenced commits, take-over after expiry), the out-of-order guard inside
//! the upsert, the books-wide commit counter, and backfill shards claimed
//! with `SKIP LOCKED`.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use support::{Schema, pg_url};
use tieout_core::model::{Customer, CustomerKind, SourceRef};
use tieout_core::store::{ShardClaim, ShardSpec, StreamClaim};
use tieout_core::{ChangeSet, CoreError, Entity, EntityKind, Store};
use tieout_postgres::PostgresStore;

fn open(url: &str, schema: &Schema) -> PostgresStore {
    PostgresStore::open_in_schema(url, &schema.name).expect("open")
}

fn checkpoint(stream: &str, position: &str) -> ChangeSet {
    ChangeSet {
        checkpoint: Some((stream.into(), position.into())),
        ..ChangeSet::default()
    }
}

#[test]
fn a_stream_has_one_holder_and_a_taken_over_holder_cannot_commit() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "lease");
    let (mut a, mut b) = (open(&url, &schema), open(&url, &schema));
    let ttl = Duration::from_millis(400);
    assert_eq!(
        a.claim_stream("s", "host/pid 1", ttl).unwrap(),
        StreamClaim::Held
    );
    match b.claim_stream("s", "host/pid 2", ttl).unwrap() {
        StreamClaim::Busy { holder, expires_in } => {
            assert_eq!(holder, "host/pid 1");
            assert!(expires_in <= ttl, "{expires_in:?}");
        }
        other => panic!("both hold the stream: {other:?}"),
    }
    // Another stream is free.
    assert_eq!(
        b.claim_stream("t", "host/pid 2", ttl).unwrap(),
        StreamClaim::Held
    );
    // The holder's commits renew its lease: it stays held past the first ttl.
    for i in 0..4 {
        std::thread::sleep(ttl / 2);
        a.commit(checkpoint("s", &format!("p{i}"))).unwrap();
    }
    assert!(matches!(
        b.claim_stream("s", "host/pid 2", ttl).unwrap(),
        StreamClaim::Busy { .. }
    ));
    // Silent past its lease: taken over; its next commit fails and writes nothing.
    std::thread::sleep(ttl + Duration::from_millis(200));
    assert_eq!(
        b.claim_stream("s", "host/pid 2", ttl).unwrap(),
        StreamClaim::Held
    );
    b.commit(checkpoint("s", "b1")).unwrap();
    let err = a.commit(checkpoint("s", "a-late")).unwrap_err();
    match &err {
        CoreError::Busy { what, holder } => {
            assert!(what.contains("import stream s"), "{what}");
            assert_eq!(holder, "host/pid 2");
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    assert_eq!(a.checkpoint("s").unwrap().as_deref(), Some("b1"));
    // Released: free for anyone at once.
    b.release_stream("s", "host/pid 2").unwrap();
    assert_eq!(
        a.claim_stream("s", "host/pid 1", ttl).unwrap(),
        StreamClaim::Held
    );
}

/// Customer `cus_1` as Stripe had it at `secs`, named after that time.
fn snapshot(secs: i64) -> Entity {
    let mut c = Customer::new(
        "cust_1".into(),
        &format!("as of {secs}"),
        CustomerKind::Company,
    );
    let mut src = SourceRef::new("stripe", "acct_1", "customer", "cus_1");
    src.updated_at = Utc.timestamp_opt(secs, 0).single();
    c.source = Some(src);
    Entity::Customer(c)
}

fn name_of(store: &PostgresStore) -> String {
    match store
        .get(EntityKind::Customer, &["cust_1".into()])
        .unwrap()
        .pop()
    {
        Some(Entity::Customer(c)) => c.name.unwrap_or_default(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_older_snapshot_never_replaces_a_newer_one_whoever_commits_last() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "guard");
    let (mut a, mut b) = (open(&url, &schema), open(&url, &schema));
    let put = |s: &mut PostgresStore, e: Entity| {
        s.commit(ChangeSet {
            upserts: vec![e],
            ..ChangeSet::default()
        })
        .unwrap()
    };
    put(&mut a, snapshot(200));
    // A writer that read the books before 200 arrived commits 100 after it.
    put(&mut b, snapshot(100));
    assert_eq!(name_of(&a), "as of 200");
    // The same time again, and a newer one, do replace it.
    put(&mut b, snapshot(300));
    assert_eq!(name_of(&a), "as of 300");
    // A books-side record (no source) is always written.
    let mut own = Customer::new("cust_1".into(), "edited", CustomerKind::Company);
    own.source = None;
    put(&mut a, Entity::Customer(own));
    assert_eq!(name_of(&b), "edited");

    // Many racing writers with shuffled times: the newest always stands.
    let schema = Schema::fresh(&url, "guard_race");
    const WRITERS: usize = 4;
    let start = Arc::new(Barrier::new(WRITERS));
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (url, schema, start) = (&url, &schema, Arc::clone(&start));
            s.spawn(move || {
                let mut store = open(url, schema);
                start.wait();
                for i in 0..50i64 {
                    // Writer w writes times w, w+4, w+8, ... in a scrambled order.
                    let t = ((i * 37) % 50) * WRITERS as i64 + w as i64;
                    put(&mut store, snapshot(1_000 + t));
                }
            });
        }
    });
    assert_eq!(name_of(&open(&url, &schema)), "as of 1199");
}

#[test]
fn the_commit_counter_moves_for_other_writers_only() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "counter");
    let (mut a, mut b) = (open(&url, &schema), open(&url, &schema));
    let before = a.external_generation().unwrap().expect("postgres has one");
    a.commit(ChangeSet {
        upserts: vec![snapshot(1)],
        ..ChangeSet::default()
    })
    .unwrap();
    assert_eq!(a.external_generation().unwrap(), Some(before), "own commit");
    // A checkpoint-only commit changes nothing a plan sees.
    b.commit(checkpoint("x", "1")).unwrap();
    assert_eq!(a.external_generation().unwrap(), Some(before));
    b.commit(ChangeSet {
        upserts: vec![snapshot(2)],
        ..ChangeSet::default()
    })
    .unwrap();
    assert_eq!(
        a.external_generation().unwrap(),
        Some(before + 1),
        "other writer"
    );
}

fn specs(n: u32) -> Vec<ShardSpec> {
    (0..n)
        .map(|i| ShardSpec {
            index: i,
            stream: format!("files#shard{i}"),
            spec: format!("{{\"n\":{i}}}"),
        })
        .collect()
}

#[test]
fn shards_are_claimed_once_each_taken_over_after_expiry_and_end_once() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "shards");
    let mut first = open(&url, &schema);
    first.shards_create("bf", &specs(3)).unwrap();
    // A later worker's own split does not replace the recorded one.
    first.shards_create("bf", &specs(7)).unwrap();
    assert_eq!(first.shards("bf").unwrap().len(), 3);

    let ttl = Duration::from_millis(500);
    let mut dead = open(&url, &schema);
    let ShardClaim::Claimed(lost) = dead.shard_claim("bf", "dead", ttl).unwrap() else {
        panic!("a shard to claim")
    };
    assert_eq!(lost.index, 0);
    let mut live = open(&url, &schema);
    let ShardClaim::Claimed(s1) = live.shard_claim("bf", "live", ttl).unwrap() else {
        panic!()
    };
    let ShardClaim::Claimed(s2) = first.shard_claim("bf", "first", ttl).unwrap() else {
        panic!()
    };
    assert_eq!((s1.index, s2.index), (1, 2));
    assert!(!live.shard_finish("bf", 1, "live", "r1").unwrap());
    assert!(!first.shard_finish("bf", 2, "first", "r2").unwrap());
    // Shard 0's worker is silent: wait for its lease, then take it over.
    match live.shard_claim("bf", "live", ttl).unwrap() {
        ShardClaim::Wait { holder, expires_in } => {
            assert_eq!(holder, "dead");
            assert!(expires_in <= ttl);
        }
        other => panic!("{other:?}"),
    }
    std::thread::sleep(ttl + Duration::from_millis(100));
    let ShardClaim::Claimed(taken) = live.shard_claim("bf", "live", ttl).unwrap() else {
        panic!("take-over")
    };
    assert_eq!(taken, lost);
    // The dead worker cannot finish it any more; the live one ends the backfill.
    assert!(matches!(
        dead.shard_finish("bf", 0, "dead", "r0-dead").unwrap_err(),
        CoreError::Busy { .. }
    ));
    assert!(live.shard_finish("bf", 0, "live", "r0").unwrap());
    assert_eq!(
        first.shard_claim("bf", "first", ttl).unwrap(),
        ShardClaim::Done
    );
    let states = first.shards("bf").unwrap();
    let results: Vec<_> = states.iter().map(|s| s.result.clone().unwrap()).collect();
    assert_eq!(results, ["r0", "r1", "r2"]);
    assert!(states.iter().all(|s| s.done));
    assert_eq!(states[0].holder.as_deref(), Some("live"));
}

#[test]
fn concurrent_workers_claim_distinct_shards_and_exactly_one_ends_the_backfill() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "shards_race");
    const N: u32 = 40;
    const WORKERS: usize = 4;
    open(&url, &schema).shards_create("bf", &specs(N)).unwrap();
    let claimed = Mutex::new(Vec::new());
    let enders = Mutex::new(0);
    let start = Arc::new(Barrier::new(WORKERS));
    std::thread::scope(|s| {
        for w in 0..WORKERS {
            let (url, schema, start) = (&url, &schema, Arc::clone(&start));
            let (claimed, enders) = (&claimed, &enders);
            s.spawn(move || {
                let mut store = open(url, schema);
                let me = format!("w{w}");
                start.wait();
                loop {
                    match store
                        .shard_claim("bf", &me, Duration::from_secs(30))
                        .unwrap()
                    {
                        ShardClaim::Claimed(spec) => {
                            claimed.lock().unwrap().push(spec.index);
                            if store.shard_finish("bf", spec.index, &me, "ok").unwrap() {
                                *enders.lock().unwrap() += 1;
                            }
                        }
                        ShardClaim::Wait { .. } => std::thread::sleep(Duration::from_millis(5)),
                        ShardClaim::Done => break,
                    }
                }
            });
        }
    });
    let claimed = claimed.into_inner().unwrap();
    assert_eq!(
        claimed.len(),
        N as usize,
        "each shard claimed once: {claimed:?}"
    );
    assert_eq!(
        claimed.iter().copied().collect::<BTreeSet<_>>().len(),
        N as usize
    );
    assert_eq!(
        enders.into_inner().unwrap(),
        1,
        "one worker ended the backfill"
    );
}
