//! The store conformance suite against `MemoryStore`.

use tieout_core::store::conformance;
use tieout_core::{MemoryStore, Store};

#[test]
fn memory_store_conforms() {
    conformance::run_all(&mut || Box::new(MemoryStore::new()) as Box<dyn Store>);
}
