//! Several connections writing one schema at once: first opens migrate once,
//! and bulk commits of overlapping records neither deadlock nor lose rows.

mod support;

use std::sync::{Arc, Barrier};

use support::{Schema, pg_url};
use tieout_core::model::{Customer, CustomerKind, ExternalKey};
use tieout_core::{ChangeSet, Entity, EntityKind, Store};
use tieout_postgres::{PostgresStore, SCHEMA_VERSION};

const WRITERS: usize = 4;

#[test]
fn concurrent_first_opens_migrate_the_schema_once() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "open");
    let start = Arc::new(Barrier::new(WRITERS));
    let opened: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (url, name, start) = (&url, &schema.name, Arc::clone(&start));
                s.spawn(move || {
                    start.wait();
                    PostgresStore::open_in_schema(url, name)
                        .expect("a concurrent open")
                        .migrated_from()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        opened.iter().filter(|&&v| v == 0).count(),
        1,
        "exactly one opener migrated: {opened:?}"
    );
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows: i64 = c
        .query_one(
            &format!("SELECT count(*) FROM {}.schema_version", schema.name),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, i64::from(SCHEMA_VERSION));
}

/// Writer `w`'s version of customer `i`, named after the writer.
fn customer(i: usize, w: usize) -> Entity {
    Entity::Customer(Customer::new(
        format!("cust_{i:04}"),
        &format!("writer {w}"),
        CustomerKind::Company,
    ))
}

#[test]
fn overlapping_bulk_commits_from_several_connections_all_land() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "race");
    const N: usize = 2_000;
    drop(PostgresStore::open_in_schema(&url, &schema.name).unwrap());
    let start = Arc::new(Barrier::new(WRITERS));
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (url, name, start) = (&url, &schema.name, Arc::clone(&start));
            s.spawn(move || {
                let mut store = PostgresStore::open_in_schema(url, name).unwrap();
                start.wait();
                for round in 0..5 {
                    // Every writer writes every customer, each in its own
                    // order (reversed for odd writers), plus its own aliases.
                    let mut ids: Vec<usize> = (0..N).collect();
                    if w % 2 == 1 {
                        ids.reverse();
                    }
                    let cs = ChangeSet {
                        upserts: ids.iter().map(|&i| customer(i, w)).collect(),
                        aliases_add: ids
                            .iter()
                            .map(|&i| {
                                let k = ExternalKey::new(
                                    "books",
                                    &format!("w{w}"),
                                    "customer",
                                    &format!("{i}"),
                                );
                                (k, format!("cust_{i:04}"))
                            })
                            .collect(),
                        checkpoint: Some((format!("stream/{w}"), format!("{round}"))),
                        ..ChangeSet::default()
                    };
                    store
                        .commit(cs)
                        .expect("a concurrent commit (retried if needed)");
                }
            });
        }
    });
    let store = PostgresStore::open_in_schema(&url, &schema.name).unwrap();
    let all = store.list(EntityKind::Customer).unwrap();
    assert_eq!(all.len(), N, "one row per customer, none lost or doubled");
    for w in 0..WRITERS {
        assert_eq!(
            store.checkpoint(&format!("stream/{w}")).unwrap().as_deref(),
            Some("4")
        );
        let keys: Vec<ExternalKey> = (0..N)
            .map(|i| ExternalKey::new("books", &format!("w{w}"), "customer", &format!("{i}")))
            .collect();
        assert_eq!(
            store.resolve(&keys).unwrap().len(),
            N,
            "writer {w}'s aliases"
        );
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let versions: i64 = c
        .query_one(
            &format!("SELECT min(row_version) FROM {}.customer", schema.name),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        versions,
        (WRITERS * 5) as i64,
        "every write bumped the row version"
    );
}
