//! The store conformance suite, unchanged, against PostgreSQL.

mod support;

use std::cell::RefCell;

use support::{Schema, pg_url};
use tieout_core::store::{Store, conformance};
use tieout_postgres::{PostgresStore, SCHEMA_VERSION};

#[test]
fn postgres_store_passes_the_conformance_suite() {
    let Some(url) = pg_url() else { return };
    let schemas = RefCell::new(Vec::new());
    conformance::run_all(&mut || {
        let schema = Schema::fresh(&url, "conf");
        let store = PostgresStore::open_in_schema(&url, &schema.name).expect("open");
        schemas.borrow_mut().push(schema);
        Box::new(store) as Box<dyn Store>
    });
    assert_eq!(
        schemas.borrow().len(),
        conformance::CHECKS,
        "every check ran on its own schema"
    );
}

#[test]
fn reopening_keeps_the_books_and_migrates_once() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::fresh(&url, "reopen");
    let mut first = PostgresStore::open_in_schema(&url, &schema.name).unwrap();
    assert_eq!(first.migrated_from(), 0);
    conformance::check_every_kind_round_trips(&mut first);
    let again = PostgresStore::open_in_schema(&url, &schema.name).unwrap();
    assert_eq!(again.migrated_from(), SCHEMA_VERSION);
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    for kind in tieout_core::EntityKind::ALL {
        let want = first.list(kind).unwrap();
        assert!(!want.is_empty(), "no {} written", kind.as_str());
        assert_eq!(again.list(kind).unwrap(), want, "{}", kind.as_str());
    }
}

#[test]
fn a_bad_schema_name_or_server_is_a_clear_error() {
    let err = PostgresStore::open_in_schema("postgresql://127.0.0.1:1/x", "Bad-Name").unwrap_err();
    assert!(err.to_string().contains("lower-case identifier"), "{err}");
    let err = PostgresStore::open("postgresql://postgres@127.0.0.1:1/none").unwrap_err();
    assert!(err.to_string().contains("postgres"), "{err}");
}
