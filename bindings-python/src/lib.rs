//! Python bindings for tieout (`tieout._native`): a thin conversion layer over
//! the `tieout` facade. Records come back as the frozen classes of
//! `tieout._records`; errors as the classes of `tieout._errors`; network and
//! store calls release the GIL and run on one shared multi-thread Tokio runtime.

use std::sync::OnceLock;

use pyo3::prelude::*;

mod autopay;
mod books;
mod convert;
mod errors;
mod invoicing;
mod ledger;
mod ledger_push;
mod paging;
mod plan;
mod receivables;
mod review_pages;
mod sources;
mod tables;
mod write_back;

/// Rust's allocations in the extension (records, JSON, SQL rows) go through
/// mimalloc: the import allocates and frees many small objects per record, and
/// glibc's allocator spent about a quarter of the import's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use books::PyBooks;
pub use plan::{PyImportPlan, PyReconcilePolicy};
pub use review_pages::{PyReviewAllocationPages, PyReviewEntryPages, PyReviewRemovalPages};
pub use sources::{
    PyEvent, PyStripeEvents, PyStripeFiles, PyStripeSource, sign_webhook, verify_webhook,
};

/// The process-wide Tokio runtime every blocking call runs on.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("tieout-worker")
            .build()
            .expect("cannot start the tieout Tokio runtime")
    })
}

/// The `tieout._native` extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBooks>()?;
    m.add_class::<paging::PyRecordIterator>()?;
    m.add_class::<PyImportPlan>()?;
    m.add_class::<PyReconcilePolicy>()?;
    m.add_class::<PyStripeSource>()?;
    m.add_class::<PyStripeFiles>()?;
    m.add_class::<PyStripeEvents>()?;
    m.add_class::<PyEvent>()?;
    m.add_class::<receivables::PyFollowUpPolicy>()?;
    m.add_class::<receivables::PySmtpChannel>()?;
    m.add_class::<receivables::PySlackWebhook>()?;
    m.add_class::<PyReviewEntryPages>()?;
    m.add_class::<PyReviewAllocationPages>()?;
    m.add_class::<PyReviewRemovalPages>()?;
    m.add_class::<ledger_push::PyQuickBooksClient>()?;
    m.add_class::<ledger_push::PyXeroClient>()?;
    m.add_class::<ledger_push::PyLedgerPushReview>()?;
    m.add_function(wrap_pyfunction!(verify_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(sign_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(tables::currency_exponent, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
