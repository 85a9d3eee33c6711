//! White-box tests: pragmas, extracted columns, JSON encoding, query plans and
//! the fault hook's place inside the transaction.

use std::path::Path;

use rusqlite::Connection;
use tieout_core::store::conformance;
use tieout_core::{ChangeSet, Entity, EntityKind, Store};

use crate::columns::columns_of;
use crate::statements::{ALLOCATIONS_FOR, RESOLVE_ONE, Statements};
use crate::{SqliteStore, codec};

/// A store holding one realistic record of every kind (written by the
/// conformance suite's own round-trip check).
fn store_with_every_kind() -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().expect("open");
    conformance::check_every_kind_round_trips(&mut store);
    store
}

/// The secondary indexes of the main schema: (name, definition), by name.
pub(crate) fn indexes(conn: &Connection) -> Vec<(String, String)> {
    let mut st = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .expect("prepare");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn text(conn: &Connection, sql: &str) -> Option<String> {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

pub(crate) fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[test]
fn file_databases_use_wal_normal_sync_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("books.db")).expect("open");
    let c = &store.conn;
    assert_eq!(text(c, "PRAGMA journal_mode").as_deref(), Some("wal"));
    assert_eq!(int(c, "PRAGMA synchronous"), 1, "synchronous=NORMAL is 1");
    assert_eq!(int(c, "PRAGMA foreign_keys"), 1);
    assert_eq!(int(c, "PRAGMA busy_timeout"), 5_000);
    assert_eq!(int(c, "PRAGMA page_size"), 16_384);
    assert_eq!(store.path(), Some(dir.path().join("books.db").as_path()));
}

#[test]
fn indexed_columns_are_extracted_and_updated_on_conflict() {
    let store = store_with_every_kind();
    let c = &store.conn;
    let row = |sql: &str| -> Vec<Option<String>> {
        c.query_row(sql, [], |r| {
            (0..r.as_ref().column_count())
                .map(|i| r.get(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .expect(sql)
    };
    assert_eq!(
        row("SELECT customer_id, status, currency, account, object, external_id FROM invoice"),
        [
            "cust_5c0ffee0000000000001",
            "paid",
            "EUR",
            "acct_1OqXyZ2eZvKYlo2C",
            "invoice",
            "in_1OqY3cHkR3mN5sLd0001"
        ]
        .map(|s| Some(s.to_string()))
    );
    assert_eq!(
        row("SELECT payment_id, invoice_id, currency FROM allocation"),
        [
            "pay_5c0ffee0000000000001",
            "inv_5c0ffee0000000000001",
            "EUR"
        ]
        .map(|s| Some(s.to_string()))
    );
    assert_eq!(
        row("SELECT status, payment_id FROM dispute"),
        ["charge_refunded_partially", "pay_5c0ffee0000000000001"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        row("SELECT account, external_id FROM customer"),
        ["acct_1OqXyZ2eZvKYlo2C", "cus_PfWxYz12345678"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        row("SELECT status FROM import_run"),
        vec![Some("succeeded".into())]
    );
}

#[test]
fn amounts_are_decimal_strings_and_no_column_is_real() {
    let store = store_with_every_kind();
    let c = &store.conn;
    assert_eq!(
        text(c, "SELECT json_type(data, '$.total') FROM invoice").as_deref(),
        Some("text")
    );
    assert_eq!(
        text(c, "SELECT data ->> '$.total' FROM invoice").as_deref(),
        Some("1320.00")
    );
    assert_eq!(
        text(c, "SELECT data ->> '$.unit_amount' FROM price").as_deref(),
        Some("12.345")
    );
    for kind in EntityKind::ALL {
        let non_text: i64 = c
            .query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE type <> 'TEXT'",
                [kind.as_str()],
                |r| r.get(0),
            )
            .expect("table_info");
        assert_eq!(non_text, 0, "{} has a non-TEXT column", kind.as_str());
    }
}

#[test]
fn codec_matches_entity_to_json_and_from_json_for_every_kind() {
    let store = store_with_every_kind();
    for kind in EntityKind::ALL {
        let records = store.list(kind).expect("list");
        assert_eq!(records.len(), 1, "{}", kind.as_str());
        let e = &records[0];
        let text = codec::encode(e).expect("encode");
        assert_eq!(
            text,
            codec::encode_with_serde_json(e).expect("serde_json"),
            "{} is not written byte for byte as serde_json writes it",
            kind.as_str()
        );
        let ours: serde_json::Value = serde_json::from_str(&text).expect("valid json");
        assert_eq!(ours, e.to_json(), "{} encodes differently", kind.as_str());
        let theirs = e.to_json().to_string();
        assert_eq!(&codec::decode(kind, &theirs).expect("decode"), e);
        assert_eq!(&Entity::from_json(kind, ours).expect("from_json"), e);
    }
}

#[test]
fn multi_row_statements_stay_within_sqlites_parameter_limit() {
    // SQLite's default SQLITE_MAX_VARIABLE_NUMBER.
    const LIMIT: usize = 32_766;
    let statements = Statements::new();
    for kind in EntityKind::ALL {
        let width = columns_of(kind).len() + 2;
        assert!(crate::statements::UPSERT_ROWS * width <= LIMIT);
        let sql = &statements.of(kind).upsert_many;
        assert!(sql.contains(&format!("?{}", crate::statements::UPSERT_ROWS * width)));
    }
    let aliases = crate::statements::ALIAS_ROWS * 2;
    assert!(aliases <= LIMIT);
    assert!(statements.alias_add_many.contains(&format!("?{aliases})")));
}

fn plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> String {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect(sql);
    let rows = stmt
        .query_map(params, |r| r.get::<_, String>(3))
        .expect("plan")
        .collect::<Result<Vec<_>, _>>()
        .expect("plan rows");
    rows.join("\n")
}

#[test]
fn lookups_use_indexes_not_table_scans() {
    let store = SqliteStore::open_in_memory().expect("open");
    let c = &store.conn;
    let sql = Statements::new();

    let p = plan(c, RESOLVE_ONE, ["s/a/o/e"]);
    assert!(
        p.contains("SEARCH alias USING PRIMARY KEY (key=?)"),
        "resolve plan: {p}"
    );
    let p = plan(c, crate::statements::ALIAS_ANY_IN, ["s/a/o/", "s/a/o0"]);
    assert!(
        p.contains("SEARCH alias USING PRIMARY KEY (key>? AND key<?)"),
        "namespace probe plan: {p}"
    );
    let p = plan(c, &sql.of(EntityKind::Invoice).get, ["[]"]);
    assert!(
        p.contains("SEARCH r USING INDEX sqlite_autoindex_invoice_1 (id=?)"),
        "get plan: {p}"
    );
    let by_customer = sql
        .of(EntityKind::Payment)
        .by_customer
        .as_deref()
        .expect("payments");
    let p = plan(c, by_customer, ["cust"]);
    assert!(
        p.contains("USING INDEX payment_customer_id_id (customer_id=?)"),
        "by customer: {p}"
    );
    let p = plan(c, ALLOCATIONS_FOR, ["[]", "[]"]);
    assert!(
        p.contains("INDEX allocation_payment_id (payment_id=?)"),
        "allocations: {p}"
    );
    assert!(
        p.contains("INDEX allocation_invoice_id (invoice_id=?)"),
        "allocations: {p}"
    );
    assert!(!p.contains("SCAN allocation"), "allocations: {p}");
    assert!(sql.of(EntityKind::Allocation).by_customer.is_none());
}

#[test]
fn injected_failure_fires_inside_the_transaction_after_writes() {
    let mut store = SqliteStore::open_in_memory().expect("open");
    let before = store.conn.total_changes();
    store.fail_next_commit("boom");
    let run = tieout_core::model::ImportRun {
        id: "run_1".to_string(),
        plan_hash: "abc".to_string(),
        source: "stripe/acct_1".to_string(),
        mode: "test".to_string(),
        started_at: chrono::DateTime::from_timestamp(1_709_285_400, 0).expect("ts"),
        finished_at: None,
        status: tieout_core::model::RunStatus::Running,
        totals: Default::default(),
        by_object: Default::default(),
        failures: Vec::new(),
        notes: Vec::new(),
        error: None,
        summary: None,
    };
    let changes = ChangeSet {
        run: Some(run),
        checkpoint: Some(("s".to_string(), "p".to_string())),
        ..ChangeSet::default()
    };
    let err = store.commit(changes.clone()).expect_err("injected failure");
    assert_eq!(err, tieout_core::CoreError::Store("boom".to_string()));
    assert!(
        store.conn.total_changes() > before,
        "the failure should come after rows were written"
    );
    assert!(store.conn.is_autocommit(), "the transaction must be closed");
    assert!(
        store.list(EntityKind::ImportRun).expect("list").is_empty(),
        "rolled back"
    );
    assert_eq!(store.checkpoint("s").expect("checkpoint"), None);
    store.commit(changes).expect("the hook fires once");
    assert_eq!(store.list(EntityKind::ImportRun).expect("list").len(), 1);
}

#[test]
fn multi_row_commits_insert_and_update_every_record_and_alias() {
    use tieout_core::model::{Customer, CustomerKind, ExternalKey};
    // 37 records and 75 aliases: full multi-row statements plus remainders.
    let mut store = SqliteStore::open_in_memory().expect("open");
    let customers = |suffix: &str| -> Vec<Entity> {
        (0..37)
            .map(|i| {
                Entity::Customer(Customer::new(
                    format!("cust_{i:03}"),
                    &format!("Customer {i} {suffix}"),
                    CustomerKind::Company,
                ))
            })
            .collect()
    };
    let key = |i: usize| ExternalKey::new("stripe", "acct_1", "customer", &format!("cus_{i}"));
    let cs = ChangeSet {
        upserts: customers("v1"),
        aliases_add: (0..75)
            .map(|i| (key(i), format!("cust_{:03}", i % 37)))
            .collect(),
        ..ChangeSet::default()
    };
    store.commit(cs.clone()).expect("commit");
    // Updates go through the same multi-row upsert (the conflict path).
    let cs = ChangeSet {
        upserts: customers("v2"),
        aliases_add: vec![(key(0), "cust_000".into())],
        ..ChangeSet::default()
    };
    store.commit(cs).expect("commit again");
    let stored = store.list(EntityKind::Customer).expect("list");
    assert_eq!(stored, customers("v2"));
    let keys: Vec<ExternalKey> = (0..76).map(key).collect();
    let found = store.resolve(&keys).expect("resolve");
    assert_eq!(found.len(), 75, "every alias written once, the 76th absent");
    for i in 0..75 {
        assert_eq!(found[&key(i)], vec![format!("cust_{:03}", i % 37)]);
    }
}

#[test]
fn is_empty_until_any_record_or_alias_is_stored() {
    let every = store_with_every_kind();
    assert!(!every.is_empty().unwrap());
    let records: Vec<Entity> = EntityKind::ALL
        .iter()
        .flat_map(|&k| every.list(k).unwrap())
        .collect();
    assert_eq!(records.len(), EntityKind::ALL.len());
    for e in records {
        let mut store = SqliteStore::open_in_memory().unwrap();
        assert!(store.is_empty().unwrap(), "a new store is empty");
        let kind = e.kind();
        store
            .commit(ChangeSet {
                upserts: vec![e],
                ..ChangeSet::default()
            })
            .unwrap();
        assert!(
            !store.is_empty().unwrap(),
            "a store holding one {} says it is empty",
            kind.as_str()
        );
    }
    let mut aliased = SqliteStore::open_in_memory().unwrap();
    aliased
        .commit(ChangeSet {
            aliases_add: vec![(
                tieout_core::model::ExternalKey::new("stripe", "acct_1", "invoice", "in_1"),
                "inv_1".to_string(),
            )],
            ..ChangeSet::default()
        })
        .unwrap();
    assert!(!aliased.is_empty().unwrap(), "an alias alone is not empty");
}

#[test]
fn paged_queries_walk_an_index_in_their_order() {
    use tieout_core::store::query::{Cursor, QueryOrder};
    use tieout_core::store::{RecordQuery, TimeRange};

    let store = SqliteStore::open_in_memory().expect("open");
    let t = chrono::DateTime::from_timestamp(1_709_285_400, 0).expect("time");
    let mut cases: Vec<(RecordQuery, Option<Cursor>, &str)> = Vec::new();
    let mut q = RecordQuery::new(EntityKind::Invoice);
    q.status = Some("open".into());
    cases.push((
        q,
        Some(Cursor {
            order: QueryOrder::Id,
            time: String::new(),
            id: "inv_a".into(),
        }),
        "invoice_status_id (status=? AND id>?)",
    ));
    let mut q = RecordQuery::new(EntityKind::Payment);
    q.customer_id = Some("cust_a".into());
    cases.push((q, None, "payment_customer_id_id (customer_id=?)"));
    let mut q = RecordQuery::new(EntityKind::Invoice);
    q.due = TimeRange::new(Some(t), None);
    cases.push((
        q,
        Some(Cursor {
            order: QueryOrder::Due,
            time: "2024-03-01T09:30:00.000Z".into(),
            id: "inv_a".into(),
        }),
        "invoice_due_at_id",
    ));
    let mut q = RecordQuery::new(EntityKind::Invoice);
    q.updated_since = Some(t);
    cases.push((q, None, "invoice_updated_at_id"));
    let mut q = RecordQuery::new(EntityKind::Payment);
    q.created = TimeRange::new(Some(t), Some(t));
    cases.push((q, None, "payment_created_at_id"));
    for (q, cursor, index) in cases {
        let page = crate::query::page_sql(&q, cursor.as_ref());
        let p = plan(
            &store.conn,
            &page.sql,
            rusqlite::params_from_iter(page.params),
        );
        assert!(p.contains(index), "{}: {p}", page.sql);
        assert!(
            !p.contains("TEMP B-TREE"),
            "no sort per page: {}: {p}",
            page.sql
        );
    }
}

#[test]
fn a_staged_file_is_adopted_whole_into_empty_books_only() {
    let dir = tempfile::tempdir().unwrap();
    let every = store_with_every_kind();
    let records = all_records(&every);
    let staged_path = dir.path().join("stage.db");
    let key = tieout_core::model::ExternalKey::new("stripe", "acct_1", "invoice", "in_1");
    {
        // As a review stages: a scratch file, without the query-only indexes,
        // its lock held while open.
        let mut staged = SqliteStore::open_scratch(&staged_path).unwrap();
        let scratch = indexes(&staged.conn);
        for name in crate::schema::query_only_indexes() {
            assert!(!scratch.iter().any(|(n, _)| *n == name), "{name} dropped");
        }
        assert!(scratch.iter().any(|(n, _)| n == "allocation_payment_id"));
        assert_eq!(
            text(&staged.conn, "PRAGMA locking_mode").as_deref(),
            Some("exclusive")
        );
        // A smaller page cache than the books' (see SCRATCH_CACHE_KIB).
        assert_eq!(int(&staged.conn, "PRAGMA cache_size"), -16_384);
        assert_eq!(int(&every.conn, "PRAGMA cache_size"), -32_768);
        stage(
            &mut staged,
            &records,
            vec![(key.clone(), "inv_1".to_string())],
        );
    }
    let run = records
        .iter()
        .find(|e| e.kind() == EntityKind::ImportRun)
        .cloned()
        .unwrap();
    let tail = || ChangeSet {
        upserts: vec![run.clone()],
        checkpoint: Some(("stream".into(), "done".into())),
        ..ChangeSet::default()
    };

    // The copy runs with small caches of its own: the attached staging
    // file's is not SQLite's 2 MB default for attached files.
    {
        let probe = SqliteStore::open(dir.path().join("probe.db")).unwrap();
        probe
            .conn
            .execute(
                "ATTACH DATABASE ?1 AS tieout_staged",
                [staged_path.to_str().unwrap()],
            )
            .unwrap();
        crate::adopt::copy_caches(&probe.conn).unwrap();
        let copy = crate::adopt::COPY_CACHE_KIB;
        assert_eq!(int(&probe.conn, "PRAGMA tieout_staged.cache_size"), copy);
        assert_eq!(int(&probe.conn, "PRAGMA cache_size"), copy);
    }

    // A failed copy leaves nothing; books in memory do not adopt.
    let mut books = SqliteStore::open(dir.path().join("books.db")).unwrap();
    let fresh = indexes(&books.conn);
    assert!(books.adopts_staged());
    assert!(!SqliteStore::open_in_memory().unwrap().adopts_staged());
    books.fail_next_commit("crash (injected)");
    assert!(books.adopt_staged(&staged_path, tail()).is_err());
    assert!(books.is_empty().unwrap(), "all or nothing");

    assert!(books.adopt_staged(&staged_path, tail()).unwrap());
    // The indexes dropped for the copy are all back, as they were, and
    // every index (those kept through the copy too) holds every row.
    assert_eq!(indexes(&books.conn), fresh);
    assert_eq!(
        text(&books.conn, "PRAGMA integrity_check").as_deref(),
        Some("ok")
    );
    assert!(fresh.iter().any(|(n, _)| n == "invoice_status_id"));
    for &kind in &EntityKind::ALL {
        assert_eq!(
            books.list(kind).unwrap(),
            every.list(kind).unwrap(),
            "{} copied",
            kind.as_str()
        );
    }
    assert_eq!(
        books.resolve(std::slice::from_ref(&key)).unwrap()[&key],
        vec!["inv_1"]
    );
    assert_eq!(books.checkpoint("stream").unwrap().as_deref(), Some("done"));
    // The books' cache is theirs again after the copy's smaller one.
    assert_eq!(
        int(&books.conn, "PRAGMA cache_size"),
        crate::store::CACHE_KIB
    );

    // Books holding records refuse a second copy: nothing doubled or moved.
    assert!(!books.adopt_staged(&staged_path, tail()).unwrap());
    assert_eq!(books.checkpoint("stream").unwrap().as_deref(), Some("done"));
    let n: i64 = books
        .conn
        .query_row("SELECT COUNT(*) FROM alias", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    // The staging file is detached again.
    let attached: i64 = books
        .conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_database_list WHERE name = 'tieout_staged'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(attached, 0);
}

#[test]
fn cached_statements_are_reused_without_recompiling() {
    use tieout_core::model::ExternalKey;
    let key = |i: usize| ExternalKey::new("stripe", "acct", "invoice", &format!("in_{i}"));
    let mut store = SqliteStore::open_in_memory().expect("open");
    let cs = ChangeSet {
        aliases_add: (0..50).map(|i| (key(i), format!("id{i}"))).collect(),
        ..Default::default()
    };
    store.commit(cs).expect("commit");
    let keys: Vec<ExternalKey> = (0..100).map(key).collect();
    for _ in 0..5 {
        assert_eq!(store.resolve(&keys).expect("resolve").len(), 50);
        store.get(EntityKind::Invoice, &["a".into()]).expect("get");
    }
    let st = store.conn.prepare_cached(RESOLVE_ONE).expect("cached");
    assert_eq!(st.get_status(rusqlite::StatementStatus::Run), 500);
    assert_eq!(
        st.get_status(rusqlite::StatementStatus::RePrepare),
        0,
        "a cached statement was compiled again on reuse"
    );
}

#[test]
fn keys_of_an_empty_namespace_are_answered_by_one_range_probe() {
    use crate::statements::ALIAS_ANY_IN;
    use tieout_core::model::ExternalKey;
    let key = |object: &str, id: &str| ExternalKey::new("stripe", "acct", object, id);
    let mut store = SqliteStore::open_in_memory().expect("open");
    // Neighbours of the `invoice` namespace on both sides, byte-wise.
    let cs = ChangeSet {
        aliases_add: vec![
            (key("invoic", "in_1"), "a".into()),
            (key("invoice_paid", "in_1"), "b".into()),
            (key("invoice.x", "in_1"), "c".into()),
        ],
        ..Default::default()
    };
    store.commit(cs).expect("commit");
    let mut keys: Vec<ExternalKey> = (0..100)
        .map(|i| key("invoice", &format!("in_{i}")))
        .collect();
    keys.push(key("invoice_paid", "in_1"));
    keys.push(key("invoice_paid", "in_2"));
    keys.push(key("invoic", "in_1"));
    let got = store.resolve(&keys).expect("resolve");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[&key("invoice_paid", "in_1")], vec!["b".to_string()]);
    assert_eq!(got[&key("invoic", "in_1")], vec!["a".to_string()]);
    // `invoice` and `invoice_paid` probed as ranges (`invoic` has one key);
    // only `invoice_paid`'s two keys and `invoic`'s one probed one by one.
    {
        let range = store.conn.prepare_cached(ALIAS_ANY_IN).expect("cached");
        assert_eq!(range.get_status(rusqlite::StatementStatus::Run), 2);
        let one = store.conn.prepare_cached(RESOLVE_ONE).expect("cached");
        assert_eq!(one.get_status(rusqlite::StatementStatus::Run), 3);
    }

    // Once the namespace holds a key, its keys are probed and found.
    let cs = ChangeSet {
        aliases_add: vec![(key("invoice", "in_7"), "d".into())],
        ..Default::default()
    };
    store.commit(cs).expect("commit");
    let got = store.resolve(&keys).expect("resolve");
    assert_eq!(got[&key("invoice", "in_7")], vec!["d".to_string()]);
    assert_eq!(got.len(), 3);
}

/// Every record of `store`, kind by kind.
fn all_records(store: &SqliteStore) -> Vec<Entity> {
    EntityKind::ALL
        .iter()
        .flat_map(|&k| store.list(k).unwrap())
        .collect()
}

/// The first invoice of `records`.
fn first_invoice(records: &[Entity]) -> tieout_core::model::Invoice {
    records
        .iter()
        .find_map(|e| match e {
            Entity::Invoice(i) => Some(i.clone()),
            _ => None,
        })
        .expect("an invoice")
}

/// Commits `records` but the import runs (a review stages none) and
/// `aliases` to the staging store `staged`.
fn stage(
    staged: &mut SqliteStore,
    records: &[Entity],
    aliases: Vec<(tieout_core::model::ExternalKey, String)>,
) {
    staged
        .commit(ChangeSet {
            upserts: records
                .iter()
                .filter(|e| e.kind() != EntityKind::ImportRun)
                .cloned()
                .collect(),
            aliases_add: aliases,
            ..ChangeSet::default()
        })
        .unwrap();
}

/// A staging file at `path` holding every kind's records of
/// [`store_with_every_kind`] but the import runs; returns them all.
fn staged_every_kind(path: &Path) -> Vec<Entity> {
    let records = all_records(&store_with_every_kind());
    stage(
        &mut SqliteStore::open_scratch(path).unwrap(),
        &records,
        Vec::new(),
    );
    records
}

#[test]
fn a_scratch_store_builds_its_customer_indexes_at_the_first_read_by_customer() {
    let dir = tempfile::tempdir().unwrap();
    let mut staged = SqliteStore::open_scratch(dir.path().join("stage.db")).unwrap();
    let customer_indexes = |s: &SqliteStore| -> Vec<(String, String)> {
        indexes(&s.conn)
            .into_iter()
            .filter(|(n, _)| n.ends_with("_customer_id_id"))
            .collect()
    };
    let every = store_with_every_kind();
    let records = all_records(&every);
    assert!(customer_indexes(&staged).is_empty(), "none at open");
    stage(&mut staged, &records, Vec::new());
    assert!(customer_indexes(&staged).is_empty(), "none after commits");

    let invoice = first_invoice(&records);
    let cid = invoice.customer_id.clone().unwrap();
    let ids = |v: Vec<Entity>| v.iter().map(|e| e.id().to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(staged.list_by_customer(EntityKind::Invoice, &cid).unwrap()),
        vec![invoice.id.clone()]
    );
    // Every customer index, as the books have them, and the read uses it.
    let built = customer_indexes(&staged);
    assert!(built.len() >= 4, "{built:?}");
    assert_eq!(built, customer_indexes(&every));
    let sql = Statements::new();
    let by_customer = sql.of(EntityKind::Invoice).by_customer.as_deref().unwrap();
    let p = plan(&staged.conn, by_customer, [cid.as_str()]);
    assert!(p.contains("invoice_customer_id_id"), "{p}");
    // Built once: later reads and commits keep them.
    stage(&mut staged, &records, Vec::new());
    assert_eq!(
        ids(staged
            .list_by_customers(EntityKind::Invoice, &[cid])
            .unwrap()),
        vec![invoice.id.clone()]
    );
    assert_eq!(customer_indexes(&staged), built);
}

#[test]
fn a_scratch_store_keeps_one_transaction_until_finish_or_drop() {
    let dir = tempfile::tempdir().unwrap();
    let records = all_records(&store_with_every_kind());
    let count = |path: &Path| -> i64 {
        let c = Connection::open(path).unwrap();
        int(&c, "SELECT count(*) FROM invoice") + int(&c, "SELECT count(*) FROM customer")
    };
    let want = records
        .iter()
        .filter(|e| matches!(e.kind(), EntityKind::Invoice | EntityKind::Customer))
        .count() as i64;
    assert!(want >= 2);
    for finish in [true, false] {
        let path = dir.path().join(format!("stage-{finish}.db"));
        let mut staged = SqliteStore::open_scratch(&path).unwrap();
        assert!(staged.conn.is_autocommit(), "nothing open before a commit");
        stage(&mut staged, &records, Vec::new());
        assert!(
            !staged.conn.is_autocommit(),
            "the commit left its transaction open"
        );
        // The next commit goes into the same transaction, and reads see both.
        stage(&mut staged, &records, Vec::new());
        assert_eq!(all_records(&staged).len(), records.len() - 1);
        if finish {
            staged.finish().unwrap();
            assert!(staged.conn.is_autocommit(), "finish ended it");
            // Finishing again, or with nothing open, is nothing.
            staged.finish().unwrap();
        }
        drop(staged);
        assert_eq!(count(&path), want, "finish = {finish}");
    }
    // Books commit each change set in a transaction of its own.
    let mut books = SqliteStore::open(dir.path().join("books.db")).unwrap();
    stage(&mut books, &records, Vec::new());
    assert!(books.conn.is_autocommit());
}

#[test]
fn a_scratch_store_whose_cache_spills_mid_transaction_keeps_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stage.db");
    let template = first_invoice(&all_records(&store_with_every_kind()));
    let invoice = |n: usize, number: &str| {
        let mut i = template.clone();
        i.id = format!("inv_{n:06}");
        i.source.external_id = format!("in_{n:06}");
        i.customer_id = Some(format!("cust_{:04}", n % 97));
        i.number = Some(number.to_string());
        Entity::Invoice(i)
    };
    let mut staged = SqliteStore::open_scratch(&path).unwrap();
    // A cache of a few pages: most of what the commits touch is written out
    // and read back while the one transaction is still open.
    staged.conn.pragma_update(None, "cache_size", 8).unwrap();
    let n = 3_000;
    let mut want = std::collections::BTreeMap::new();
    for batch in 0..30 {
        let mut upserts = Vec::new();
        for k in 0..100 {
            let e = invoice(batch * 100 + k, "first");
            want.insert(e.id().to_string(), e.clone());
            upserts.push(e);
        }
        // Rewrite and delete some written batches before: pages long gone
        // from the cache.
        let mut deletes = Vec::new();
        if batch % 3 == 2 {
            for m in (0..batch * 100).step_by(7) {
                let e = invoice(m, &format!("again {batch}"));
                want.insert(e.id().to_string(), e.clone());
                upserts.push(e);
            }
            for m in (batch * 50..batch * 100).step_by(11) {
                let id = format!("inv_{m:06}");
                upserts.retain(|e| e.id() != id);
                want.remove(&id);
                deletes.push((EntityKind::Invoice, id));
            }
        }
        upserts.sort_by(|a, b| a.id().cmp(b.id()));
        staged
            .commit(ChangeSet {
                upserts,
                deletes,
                ..ChangeSet::default()
            })
            .unwrap();
        assert!(!staged.conn.is_autocommit(), "one transaction");
    }
    assert!(want.len() > n / 2);
    // The cache spilled: the file already holds most of the pages.
    let on_disk = std::fs::metadata(&path).unwrap().len();
    assert!(on_disk > 2_000_000, "{on_disk} bytes on disk before finish");
    let stored = |s: &SqliteStore| -> Vec<Entity> { s.list(EntityKind::Invoice).unwrap() };
    let expected: Vec<Entity> = want.values().cloned().collect();
    assert_eq!(stored(&staged), expected, "read inside the transaction");
    assert_eq!(
        staged
            .list_by_customer(EntityKind::Invoice, "cust_0005")
            .unwrap(),
        expected
            .iter()
            .filter(
                |e| matches!(e, Entity::Invoice(i) if i.customer_id.as_deref() == Some("cust_0005"))
            )
            .cloned()
            .collect::<Vec<_>>()
    );
    staged.finish().unwrap();
    drop(staged);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(
        stored(&reopened),
        expected,
        "read after finish, by another connection"
    );
    let check: String = reopened
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_copy_writes_its_pages_once_when_no_one_else_has_the_books_open() {
    let dir = tempfile::tempdir().unwrap();
    let staged = dir.path().join("stage.db");
    let records = staged_every_kind(&staged);
    let wal_bytes =
        |books: &Path| std::fs::metadata(books.with_extension("db-wal")).map_or(0, |m| m.len());
    let copied_pages = |store: &SqliteStore| int(&store.conn, "PRAGMA page_count");

    // Alone: a rollback journal; the WAL holds nothing of the copy after.
    let alone = dir.path().join("alone.db");
    let mut books = SqliteStore::open(&alone).unwrap();
    assert!(books.adopt_staged(&staged, ChangeSet::default()).unwrap());
    assert_eq!(
        text(&books.conn, "PRAGMA journal_mode").as_deref(),
        Some("wal")
    );
    let pages = copied_pages(&books);
    assert!(
        wal_bytes(&alone) < 2 * 16_384,
        "{} WAL bytes after a copy of {pages} pages",
        wal_bytes(&alone)
    );

    // A reader holding the books open: the copy goes through the WAL as
    // before (every copied page is in the log), and copies the same.
    let shared = dir.path().join("shared.db");
    let mut books2 = SqliteStore::open(&shared).unwrap();
    let reader = rusqlite::Connection::open(&shared).unwrap();
    let _: i64 = reader
        .query_row("SELECT COUNT(*) FROM invoice", [], |r| r.get(0))
        .unwrap();
    assert!(books2.adopt_staged(&staged, ChangeSet::default()).unwrap());
    assert_eq!(
        text(&books2.conn, "PRAGMA journal_mode").as_deref(),
        Some("wal")
    );
    assert!(
        wal_bytes(&shared) >= 16_384 * pages as u64 / 2,
        "{} WAL bytes after a copy of {pages} pages through the WAL",
        wal_bytes(&shared)
    );
    drop(reader);
    for &kind in &EntityKind::ALL {
        if kind == EntityKind::ImportRun {
            continue;
        }
        let want: Vec<&Entity> = records.iter().filter(|e| e.kind() == kind).collect();
        for got in [books.list(kind).unwrap(), books2.list(kind).unwrap()] {
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{}", kind.as_str());
        }
    }

    // A copy that fails in alone books leaves them empty, in WAL mode, and
    // unchanged to the eyes of a later import (the journal switches move
    // SQLite's data version, but no one else changed the books).
    let failed = dir.path().join("failed.db");
    let mut books3 = SqliteStore::open(&failed).unwrap();
    let generation = books3.external_generation().unwrap();
    books3.fail_next_commit("crash (injected)");
    assert!(books3.adopt_staged(&staged, ChangeSet::default()).is_err());
    assert!(books3.is_empty().unwrap());
    assert_eq!(
        text(&books3.conn, "PRAGMA journal_mode").as_deref(),
        Some("wal")
    );
    assert_eq!(books3.external_generation().unwrap(), generation);
    // A commit by another connection still shows.
    let other = rusqlite::Connection::open(&failed).unwrap();
    other
        .execute("INSERT INTO alias (key, id) VALUES ('k', 'inv_x')", [])
        .unwrap();
    assert_ne!(books3.external_generation().unwrap(), generation);
}
