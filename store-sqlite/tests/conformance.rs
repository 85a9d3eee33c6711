//! The store conformance suite against `SqliteStore`, in memory and on disk.

use std::cell::Cell;

use tieout_core::Store;
use tieout_core::store::conformance;
use tieout_sqlite::SqliteStore;

#[test]
fn in_memory_sqlite_store_conforms() {
    conformance::run_all(&mut || {
        Box::new(SqliteStore::open_in_memory().expect("open in memory")) as Box<dyn Store>
    });
}

#[test]
fn file_backed_sqlite_store_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = Cell::new(0);
    conformance::run_all(&mut || {
        n.set(n.get() + 1);
        let path = dir.path().join(format!("books-{}.db", n.get()));
        Box::new(SqliteStore::open(&path).expect("open file")) as Box<dyn Store>
    });
    assert!(
        n.get() >= 15,
        "every check should get its own database file"
    );
    assert!(dir.path().join("books-1.db").exists());
}

/// A scratch store (a review's staging file) answers like books: without its
/// paged queries' indexes, with its customer indexes built only at the first
/// read by customer, and its commits in one open transaction. It does not
/// promise that a failed commit leaves nothing (the file is thrown away
/// then): every check but those.
#[test]
fn scratch_sqlite_store_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = Cell::new(0);
    let ran = conformance::run_where(
        &mut || {
            n.set(n.get() + 1);
            let path = dir.path().join(format!("stage-{}.db", n.get()));
            Box::new(SqliteStore::open_scratch(&path).expect("open scratch")) as Box<dyn Store>
        },
        &|name| !conformance::ATOMICITY_CHECKS.contains(&name),
    );
    assert_eq!(
        ran,
        conformance::CHECKS - conformance::ATOMICITY_CHECKS.len()
    );
    assert_eq!(n.get(), ran, "every check should get its own file");
}
