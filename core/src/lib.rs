//! # tieout-core
//!
//! Pure domain logic for tieout: exact money, the books model, the import plan and
//! planner, matching and allocation, and the `Source` and `Store` traits. No I/O:
//! the core takes records and the current books and returns the changes; adapters
//! and stores do the reading and writing.

pub mod autopay;
pub mod collect;
pub mod entity;
pub mod error;
pub mod import;
pub mod invoicing;
pub mod ledger;
pub mod model;
pub mod money;
pub mod plan;
pub mod reconcile;
pub mod record;
pub mod records_source;
pub mod source;
pub mod store;
pub mod stripe_writes;
pub mod writeoff;
pub mod writes;

pub use entity::{Entity, EntityKind};
pub use error::{CoreError, Result};
pub use money::{Currency, Money};
pub use plan::{
    Approval, CustomerFilter, CustomerMatch, CustomerResolution, ImportPlan, PaidInvoices,
    UnpaidInvoices,
};
pub use record::{ObjectScope, Record, SourceItem};
pub use records_source::RecordsSource;
pub use source::{AccountInfo, FetchScope, Page, Source};
pub use store::{ChangeSet, MemoryStore, Resolved, ScaledStore, Store};
