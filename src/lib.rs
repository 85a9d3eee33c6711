//! # tieout
//!
//! Import a company's Stripe data into its own books and tie every payment out
//! to the invoices it pays: exact to the cent, idempotent, reviewed before it is
//! applied, safe against a live account.
//!
//! ```no_run
//! # async fn demo() -> tieout::Result<()> {
//! use tieout::{Books, ImportPlan, StripeFiles};
//! let books = Books::open("books.db")?;
//! let source = StripeFiles::new("examples/data")?;
//! let plan = ImportPlan::default();
//! let review = books.review(&source, &plan).await?;      // nothing written
//! let run = books.import(&source, &plan, Some(&review.approval)).await?;
//! println!("{} created, {} failed", run.totals.created, run.totals.failed);
//! # Ok(()) }
//! ```

pub mod autopay;
mod books;
pub mod channels;
pub mod collect;
mod conflict;
mod error;
mod events;
mod generation;
pub mod html;
mod import;
mod invoicing;
mod ledger;
pub mod ledger_push;
mod location;
mod manual_payments;
mod payment_links;
mod progress;
mod query;
mod reconcile;
mod reported_balance;
mod review_spill;
mod stripe_push;
mod workers;
mod write_back;
mod write_off;
pub mod writes;

pub use books::{Books, CommitBatch, InvoiceFilter, PostAction};
pub use error::{Error, Result};
pub use events::{EventOutcome, EventStatus};
pub use ledger::{Export, ExportOptions};
pub use manual_payments::{MANUAL_ACCOUNT, MANUAL_SYSTEM, ManualPayment};
pub use payment_links::PaymentLink;
pub use progress::{ImportProgress, Progress};
pub use query::RecordIter;
pub use stripe_push::StripeTarget;
pub use tieout_core::ledger::{
    ExportedEntry, Journal, JournalEntry, Layer, Layers, LedgerMapping, Posting, ReportedBalance,
    StatementLine, StripeBalance, Target,
};
pub use tieout_core::store::{QueryOrder, RecordPage, RecordQuery, TimeRange};
pub use tieout_core::stripe_writes::CheckoutSettings;
pub use tieout_core::stripe_writes::{StripeWriteOff, WriteBackMethod, WriteBackSkip};
pub use workers::{LeaseOptions, WorkerOptions, WorkerReport};
pub use write_back::{WritesReview, WritesSettings};

pub use tieout_core::entity::{Entity, EntityKind};
pub use tieout_core::import::{
    Action, FieldChange, PagedIter, PagedList, Pages, Review, ReviewAllocations, ReviewEntries,
    ReviewEntry, ReviewRemovals, ReviewSummary, Total,
};
pub use tieout_core::invoicing::{DraftLine, InvoiceDraft, LineKind};
pub use tieout_core::model::*;
pub use tieout_core::plan::Approval;
pub use tieout_core::reconcile::{AllocationOrder, FeePolicy, FxPolicy, ReconcilePolicy};
pub use tieout_core::reconcile::{
    FxRate, bank::CsvMapping, payouts::PayoutMatchReport, report::ReconcileReport,
    report::ReportInput,
};
pub use tieout_core::{
    AccountInfo, CoreError, Currency, CustomerFilter, CustomerMatch, CustomerResolution,
    FetchScope, ImportPlan, MemoryStore, Money, ObjectScope, Page, PaidInvoices, Record,
    RecordsSource, Source, SourceItem, Store, UnpaidInvoices,
};
#[cfg(feature = "postgres")]
pub use tieout_postgres::PostgresStore;
pub use tieout_sqlite::SqliteStore;
pub use tieout_stripe::{
    ApiKey, KeyKind, StripeError, StripeEvent, StripeEvents, StripeFiles, StripeSource,
    StripeWriter, sign_webhook, verify_webhook,
};

/// The pure core, for hosts that need more than the facade.
pub use tieout_core as core;
/// The Stripe adapter.
pub use tieout_stripe as stripe;
