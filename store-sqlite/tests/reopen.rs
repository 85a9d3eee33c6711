//! Durability across processes, and schema migrations on reopen.

use std::path::Path;
use std::process::Command;

use rust_decimal_macros::dec;
use tieout_core::model::{ExternalKey, Invoice, InvoiceStatus, SourceRef};
use tieout_core::{ChangeSet, Currency, Entity, EntityKind, Store};
use tieout_sqlite::{SCHEMA_VERSION, SqliteStore};

/// Env var naming the database the child process checks.
const CHILD_DB: &str = "TIEOUT_SQLITE_REOPEN_DB";
const STREAM: &str = "stripe/acct_1OqXyZ2eZvKYlo2C/invoice";

fn invoice_key() -> ExternalKey {
    ExternalKey::new(
        "stripe",
        "acct_1OqXyZ2eZvKYlo2C",
        "invoice",
        "in_1OqY3cHkR3mN5sLd0001",
    )
}

fn invoice() -> Invoice {
    let key = invoice_key();
    Invoice {
        id: "inv_reopen1".to_string(),
        source: SourceRef::new(key.system(), key.account(), key.object(), key.external_id()),
        customer_id: Some("cust_reopen".to_string()),
        customer_ref: None,
        subscription_id: None,
        subscription_ref: None,
        number: Some("MS-0001".to_string()),
        status: InvoiceStatus::Open,
        currency: Currency::KWD,
        subtotal: dec!(100.125),
        discount: dec!(0.000),
        tax: dec!(5.006),
        total: dec!(105.131),
        amount_due: dec!(105.131),
        amount_paid: dec!(0.000),
        amount_remaining: dec!(105.131),
        amount_written_off: dec!(0.000),
        source_amount_paid: dec!(0.000),
        amount_credited: Default::default(),
        source_credited: Default::default(),
        write_off: None,
        lines_complete: true,
        issued_at: None,
        due_date: None,
        paid_at: None,
        lines: Vec::new(),
        payment_refs: Default::default(),
        metadata: Default::default(),
    }
}

fn write_books(path: &Path) {
    let mut store = SqliteStore::open(path).expect("open for writing");
    let changes = ChangeSet {
        upserts: vec![Entity::Invoice(invoice())],
        aliases_add: vec![(invoice_key(), "inv_reopen1".to_string())],
        checkpoint: Some((STREAM.to_string(), "in_1OqY3cHkR3mN5sLd0001".to_string())),
        ..ChangeSet::default()
    };
    store.commit(changes).expect("commit");
}

/// Runs in the child process only (spawned by `data_survives_a_new_process`):
/// reads what the parent wrote, then writes a checkpoint of its own.
#[test]
#[ignore = "child half of data_survives_a_new_process"]
fn reopen_child() {
    let path = std::env::var(CHILD_DB).expect("run by data_survives_a_new_process");
    let mut store = SqliteStore::open(&path).expect("child open");
    assert_eq!(
        store.migrated_from(),
        SCHEMA_VERSION,
        "child re-ran migrations"
    );
    assert_eq!(
        store
            .get(EntityKind::Invoice, &["inv_reopen1".to_string()])
            .expect("get"),
        vec![Entity::Invoice(invoice())],
        "the invoice did not survive into a new process"
    );
    let resolved = store.resolve(&[invoice_key()]).expect("resolve");
    assert_eq!(
        resolved.get(&invoice_key()),
        Some(&vec!["inv_reopen1".to_string()])
    );
    assert_eq!(
        store.checkpoint(STREAM).expect("checkpoint").as_deref(),
        Some("in_1OqY3cHkR3mN5sLd0001")
    );
    assert_eq!(
        store
            .list_by_customer(EntityKind::Invoice, "cust_reopen")
            .expect("by customer")
            .len(),
        1
    );
    let written_by_child = ChangeSet {
        checkpoint: Some((STREAM.to_string(), "written-by-child".to_string())),
        ..ChangeSet::default()
    };
    store.commit(written_by_child).expect("child commit");
}

#[test]
fn data_survives_a_new_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.db");
    write_books(&path);

    let out = Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "reopen_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .output()
        .expect("spawn the child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child process failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}\n{stderr}"
    );

    // And what the child wrote is visible here after reopening.
    let store = SqliteStore::open(&path).expect("reopen in the parent");
    assert_eq!(
        store.checkpoint(STREAM).expect("checkpoint").as_deref(),
        Some("written-by-child")
    );
    assert_eq!(store.list(EntityKind::Invoice).expect("list").len(), 1);
}

fn version_rows(path: &Path) -> Vec<(u32, String, String)> {
    let conn = rusqlite::Connection::open(path).expect("raw open");
    let mut stmt = conn
        .prepare("SELECT version, description, applied_at FROM schema_version ORDER BY version")
        .expect("schema_version table exists");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn migrations_run_once_and_reopening_does_not_rerun_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.db");

    let store = SqliteStore::open(&path).expect("first open");
    assert_eq!(
        store.migrated_from(),
        0,
        "a new database starts at version 0"
    );
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    drop(store);
    let first = version_rows(&path);
    assert_eq!(
        first.len(),
        SCHEMA_VERSION as usize,
        "one row per migration: {first:?}"
    );
    assert_eq!(first[0].0, 1);
    assert!(!first[0].2.is_empty(), "applied_at recorded");

    write_books(&path);
    for _ in 0..2 {
        let store = SqliteStore::open(&path).expect("reopen");
        assert_eq!(
            store.migrated_from(),
            SCHEMA_VERSION,
            "reopen re-ran migrations"
        );
        assert_eq!(store.list(EntityKind::Invoice).expect("list").len(), 1);
    }
    assert_eq!(
        version_rows(&path),
        first,
        "reopening changed schema_version"
    );
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("books.db");
    drop(SqliteStore::open(&path).expect("create"));
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute(
        "INSERT INTO schema_version (version, description) VALUES (?1, 'from the future')",
        [SCHEMA_VERSION + 1],
    )
    .expect("insert a future version");
    drop(conn);

    let err = SqliteStore::open(&path).expect_err("newer schema must be refused");
    let msg = err.to_string();
    assert!(msg.contains("newer"), "unexpected error: {msg}");
    assert!(matches!(err, tieout_core::CoreError::Store(_)));
}
