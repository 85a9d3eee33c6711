//! Pushing journal entries to QuickBooks Online or Xero from Python: the
//! clients (the host supplies the OAuth access token and the company),
//! `Books.review_ledger_push` and `Books.push_ledger` with the review's
//! approval. The review object keeps the reviewed writes themselves, so the
//! push sends exactly what a person approved.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyList;
use tieout::ledger_push::{LedgerPushReview, QuickBooksClient, XeroClient};
use tieout::writes::Channel;
use tieout::{Books, Target};

use crate::convert::{Obj, Records};
use crate::errors::{IntoPy, invalid};
use crate::ledger::export_options;
use crate::receivables::{approval_token, now_arg, report_to_py, write_options};

/// Where QuickBooks Online's production API lives.
const QBO_URL: &str = "https://quickbooks.api.intuit.com";
/// Where Xero's accounting API lives.
const XERO_URL: &str = "https://api.xero.com/api.xro/2.0";

fn timeout_arg(py: Python<'_>, seconds: f64) -> PyResult<Duration> {
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(invalid(py, "timeout must be a positive number of seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Posts journal entries to one QuickBooks Online company (`realm_id`) with
/// the host's OAuth access token.
#[pyclass(module = "tieout._native", name = "QuickBooksClient", frozen)]
pub struct PyQuickBooksClient {
    inner: Arc<QuickBooksClient>,
}

#[pymethods]
impl PyQuickBooksClient {
    /// `base_url` is the production API unless given (the sandbox's, a test
    /// server); `timeout` in seconds per request.
    #[new]
    #[pyo3(signature = (realm_id, access_token, *, base_url=None, timeout=30.0))]
    fn new(
        py: Python<'_>,
        realm_id: &str,
        access_token: &str,
        base_url: Option<&str>,
        timeout: f64,
    ) -> PyResult<Self> {
        let t = timeout_arg(py, timeout)?;
        let c = QuickBooksClient::new(base_url.unwrap_or(QBO_URL), realm_id, access_token, t)
            .py_err(py)?;
        Ok(PyQuickBooksClient { inner: Arc::new(c) })
    }

    /// The company it posts to.
    #[getter]
    fn realm_id(&self) -> String {
        self.inner.realm_id().to_string()
    }

    fn __repr__(&self) -> String {
        format!("QuickBooksClient(realm_id={:?})", self.inner.realm_id())
    }
}

/// Posts manual journals to one Xero organisation (`tenant_id`) with the
/// host's OAuth access token.
#[pyclass(module = "tieout._native", name = "XeroClient", frozen)]
pub struct PyXeroClient {
    inner: Arc<XeroClient>,
}

#[pymethods]
impl PyXeroClient {
    /// `base_url` is Xero's accounting API unless given; `timeout` in
    /// seconds per request.
    #[new]
    #[pyo3(signature = (tenant_id, access_token, *, base_url=None, timeout=30.0))]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        access_token: &str,
        base_url: Option<&str>,
        timeout: f64,
    ) -> PyResult<Self> {
        let t = timeout_arg(py, timeout)?;
        let c =
            XeroClient::new(base_url.unwrap_or(XERO_URL), tenant_id, access_token, t).py_err(py)?;
        Ok(PyXeroClient { inner: Arc::new(c) })
    }

    /// The organisation it posts to.
    #[getter]
    fn tenant_id(&self) -> String {
        self.inner.tenant_id().to_string()
    }

    fn __repr__(&self) -> String {
        format!("XeroClient(tenant_id={:?})", self.inner.tenant_id())
    }
}

/// What a ledger push would post, for a person to approve: `entries`, the
/// writes (`plan`) and the `approval` `Books.push_ledger` needs.
#[pyclass(module = "tieout._native", name = "LedgerPushReview", frozen)]
pub struct PyLedgerPushReview {
    inner: Arc<LedgerPushReview>,
}

#[pymethods]
impl PyLedgerPushReview {
    /// `"qbo"` or `"xero"`.
    #[getter]
    fn target(&self) -> &'static str {
        self.inner.target.as_str()
    }

    /// The company (QuickBooks realm id, Xero tenant id).
    #[getter]
    fn account(&self) -> String {
        self.inner.account.clone()
    }

    /// The entries not pushed yet, and adjusting entries for pushed ones that changed.
    #[getter]
    fn entries<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let rec = Records::new(py)?;
        let out = PyList::empty(py);
        for e in &self.inner.entries {
            out.append(rec.build_from_serde("JournalEntry", e, &[])?)?;
        }
        Ok(out.into_any())
    }

    /// The writes, one per document (QuickBooks: one per entry and currency).
    #[getter]
    fn plan<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        Records::new(py)?.build_from_serde("WritePlan", &self.inner.plan, &[])
    }

    /// The approval this review gives once a person accepts it.
    #[getter]
    fn approval<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        Records::new(py)?.build_from_serde("Approval", &self.inner.approval, &[])
    }

    fn __len__(&self) -> usize {
        self.inner.plan.intents.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "LedgerPushReview(target={:?}, account={:?}, entries={}, writes={})",
            self.inner.target.as_str(),
            self.inner.account,
            self.inner.entries.len(),
            self.inner.plan.intents.len()
        )
    }
}

/// `Books.review_ledger_push(target, account, ...)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn review_ledger_push<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    target: &str,
    account: &str,
    mapping: Option<&Bound<'py, PyAny>>,
    layers: Option<Vec<String>>,
    base_currency: Option<&str>,
    rates: Option<BTreeMap<String, Bound<'py, PyAny>>>,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<PyLedgerPushReview> {
    let target = Target::parse(target).map_err(|e| crate::errors::to_py_err(py, &e.into()))?;
    let opts = export_options(py, true, mapping, layers, base_currency, rates)?;
    let now = now_arg(now, "now")?;
    let (b, account) = (books.clone(), account.to_string());
    let r = py
        .detach(move || b.review_ledger_push(target, &account, &opts, now))
        .py_err(py)?;
    Ok(PyLedgerPushReview { inner: Arc::new(r) })
}

/// The client as the channel the push sends through.
fn client_arg(client: &Bound<'_, PyAny>) -> PyResult<Arc<dyn Channel>> {
    if let Ok(c) = client.cast::<PyQuickBooksClient>() {
        return Ok(c.get().inner.clone());
    }
    if let Ok(c) = client.cast::<PyXeroClient>() {
        return Ok(c.get().inner.clone());
    }
    Err(invalid(
        client.py(),
        "client must be a tieout.QuickBooksClient or a tieout.XeroClient",
    ))
}

/// How `Books.push_ledger` runs: the time, retries and (tests) the crash hook.
pub(crate) struct PushArgs<'a, 'py> {
    /// The time of the run (default now).
    pub(crate) now: Option<&'a Bound<'py, PyAny>>,
    /// `fault(key, point) -> bool` (tests).
    pub(crate) fault: Option<Py<PyAny>>,
    /// Attempts before a failure is final.
    pub(crate) max_attempts: Option<u32>,
    /// First retry wait in seconds (doubling).
    pub(crate) retry_base_seconds: Option<i64>,
}

/// `Books.push_ledger(review, approval, client, ...)`.
pub(crate) fn push_ledger<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    review: &PyLedgerPushReview,
    approval: &Bound<'py, PyAny>,
    client: &Bound<'py, PyAny>,
    args: PushArgs<'_, 'py>,
) -> PyResult<Obj<'py>> {
    let approval = approval_token(Some(approval))?
        .ok_or_else(|| invalid(py, "approval is required: pass review.approval"))?;
    let client = client_arg(client)?;
    let now = now_arg(args.now, "now")?;
    let options = write_options(args.fault, args.max_attempts, args.retry_base_seconds);
    let (b, r) = (books.clone(), review.inner.clone());
    let report = py
        .detach(move || b.push_ledger(&r, &approval, client, now, &options))
        .py_err(py)?;
    report_to_py(py, &report)
}
