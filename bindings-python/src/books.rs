//! `Books`: the embedded books, with imports that release the GIL.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};
use tieout::{
    Approval, Books, CommitBatch, CsvMapping, CustomerKind, ImportPlan, InvoiceFilter,
    InvoiceStatus, ReconcilePolicy, ReconcileReport, StripeEvent,
};

use crate::convert::{Obj, Records, py_to_json};
use crate::errors::{IntoPy, invalid, to_py_err};
use crate::invoicing;
use crate::paging;
use crate::plan::{PyImportPlan, PyReconcilePolicy, amount_arg};
use crate::runtime;
use crate::sources::{AnySource, PyEvent, payload_bytes};

/// A company's books: customers, invoices, payments, allocations and the rest.
#[pyclass(module = "tieout._native", name = "Books", frozen)]
pub struct PyBooks {
    pub(crate) inner: Arc<Books>,
}

/// Calls the Python progress callback between pages, and checks for Ctrl-C.
struct Hook {
    callback: Option<Py<PyAny>>,
    error: Mutex<Option<PyErr>>,
}

impl Hook {
    fn new(callback: Option<Py<PyAny>>) -> Self {
        Hook {
            callback,
            error: Mutex::new(None),
        }
    }

    /// `false` stops the import after the current page (already committed).
    fn call(&self, p: &tieout::ImportProgress) -> bool {
        Python::attach(|py| {
            let keep_going = py.check_signals().and_then(|()| match &self.callback {
                None => Ok(true),
                Some(cb) => {
                    let r = cb.bind(py).call1((p.records, p.total, p.failures))?;
                    // Ctrl-C while the callback ran stops here too, not only
                    // at the next page's check.
                    py.check_signals()?;
                    // Only an explicit `False` stops; `None` (a print, a lambda) goes on.
                    Ok(!r.is_instance_of::<PyBool>() || r.is_truthy()?)
                }
            });
            match keep_going {
                Ok(k) => k,
                Err(e) => {
                    if let Ok(mut slot) = self.error.lock() {
                        slot.get_or_insert(e);
                    }
                    false
                }
            }
        })
    }

    /// The engine's result, or the Python exception the callback (or Ctrl-C)
    /// raised, chained to the engine's `Interrupted` error.
    fn finish<T>(&self, py: Python<'_>, result: tieout::Result<T>) -> PyResult<T> {
        let pending = self.error.lock().ok().and_then(|mut s| s.take());
        match (pending, result) {
            (Some(e), Err(engine)) => {
                e.set_cause(py, Some(to_py_err(py, &engine)));
                Err(e)
            }
            (Some(e), Ok(_)) => Err(e),
            (None, r) => r.py_err(py),
        }
    }
}

impl PyBooks {
    /// Runs `f` on the books with `policy` (the default when none), the GIL
    /// released.
    fn with_policy<T: Send>(
        &self,
        py: Python<'_>,
        policy: Option<PyReconcilePolicy>,
        f: impl FnOnce(&Books, &ReconcilePolicy) -> tieout::Result<T> + Send,
    ) -> PyResult<T> {
        let policy: ReconcilePolicy = policy.map(|p| p.inner).unwrap_or_default();
        let b = self.inner.clone();
        py.detach(move || f(&b, &policy)).py_err(py)
    }
}

fn approval_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Approval>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    let token: String = match obj.cast::<PyString>() {
        Ok(s) => s.to_cow()?.into_owned(),
        Err(_) => obj
            .getattr("token")
            .and_then(|t| t.extract())
            .map_err(|_| {
                invalid(
                    obj.py(),
                    "approval must be a Review's approval (or its token string)",
                )
            })?,
    };
    Ok(Some(Approval { token }))
}

#[pymethods]
impl PyBooks {
    /// Opens (or creates) books: a `postgres://` or `postgresql://` URL opens
    /// shared books in PostgreSQL (in `schema`, default `tieout`); anything
    /// else is a SQLite file path. Imports commit once `commit_records` source
    /// records are pending or `commit_seconds` after the previous commit (0:
    /// every page), each commit with its checkpoint.
    #[staticmethod]
    ///
    /// Shared (PostgreSQL) books hold an import stream, or a backfill
    /// shard, under a lease of `lease_seconds` (default 60) that every commit
    /// renews; an import of a stream another process holds waits up to
    /// `lock_wait_seconds` (default 0) and then raises `Busy` naming it.
    #[pyo3(signature = (path, *, commit_records=None, commit_seconds=None, schema=None, lease_seconds=None, lock_wait_seconds=None))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        commit_records: Option<i64>,
        commit_seconds: Option<f64>,
        schema: Option<String>,
        lease_seconds: Option<f64>,
        lock_wait_seconds: Option<f64>,
    ) -> PyResult<Self> {
        let batch = CommitBatch::from_parts(commit_records, commit_seconds).py_err(py)?;
        let leases =
            tieout::LeaseOptions::from_seconds(lease_seconds, lock_wait_seconds).py_err(py)?;
        let books = py
            .detach(move || Books::open_in_schema(path, schema.as_deref()))
            .py_err(py)?;
        Ok(PyBooks {
            inner: Arc::new(books.with_commit_batch(batch).with_leases(leases)),
        })
    }

    /// How these books name themselves as the holder of a stream or shard.
    #[getter]
    fn holder(&self) -> String {
        self.inner.holder().to_string()
    }

    /// One worker of a backfill shared by any number of processes on shared
    /// (PostgreSQL) books: claims the plan's created-date shards one at a
    /// time under a lease, imports each (pages commit with their checkpoint),
    /// takes over a shard whose worker died once its lease ran out, and
    /// returns once every shard is done, with the backfill's one history
    /// entry. The first worker splits the range into `shards` (default 16);
    /// `name` tells a new backfill of the same plan from a finished one. A
    /// live source needs `plan.allow_live` and `approval`.
    #[pyo3(signature = (source, plan=None, approval=None, *, shards=16, name=None))]
    fn backfill_worker<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        plan: Option<PyImportPlan>,
        approval: Option<&Bound<'py, PyAny>>,
        shards: u32,
        name: Option<String>,
    ) -> PyResult<Obj<'py>> {
        let src = AnySource::from_py(source)?;
        let plan = plan.map(|p| p.inner).unwrap_or_default();
        let approval = approval_arg(approval)?;
        let options = tieout::WorkerOptions { shards, name };
        let books = &self.inner;
        let report = py
            .detach(|| {
                runtime().block_on(books.backfill_worker_with(
                    src.as_dyn(),
                    &plan,
                    approval.as_ref(),
                    &options,
                ))
            })
            .py_err(py)?;
        Records::new(py)?.worker_report(&report)
    }

    /// How imports group pages into commits: `(records, seconds)`.
    #[getter]
    fn commit_batch(&self) -> (usize, f64) {
        let b = self.inner.commit_batch();
        (b.records, b.interval.as_secs_f64())
    }

    /// Books in memory (nothing written to disk; for tests and dry runs).
    #[staticmethod]
    fn in_memory() -> Self {
        PyBooks {
            inner: Arc::new(Books::in_memory()),
        }
    }

    /// Runs the whole import without writing anything: every planned change,
    /// the allocations it would make, totals, and the approval for `import_`.
    /// `progress(done, total, failures)` is called after each page (`total` is
    /// `None` when the source does not know it; `failures` counts the records
    /// that failed so far); returning `False` stops.
    #[pyo3(signature = (source, plan=None, progress=None))]
    fn review<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        plan: Option<PyImportPlan>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let src = AnySource::from_py(source)?;
        let plan = plan.map(|p| p.inner).unwrap_or_default();
        let hook = Hook::new(progress);
        let cb = |p: &tieout::ImportProgress| hook.call(p);
        let books = &self.inner;
        let result =
            py.detach(|| runtime().block_on(books.review_with(src.as_dyn(), &plan, Some(&cb))));
        let review = hook.finish(py, result)?;
        Records::new(py)?.review(&review)
    }

    /// Imports: the same path as `review`, committing each page with its
    /// checkpoint. A live source needs `plan.allow_live` and `approval`
    /// (the review's). Interrupted imports resume on the next call.
    /// `progress` as for `review`.
    #[pyo3(name = "import_", signature = (source, plan=None, approval=None, progress=None))]
    fn import<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        plan: Option<PyImportPlan>,
        approval: Option<&Bound<'py, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let src = AnySource::from_py(source)?;
        let plan = plan.map(|p| p.inner).unwrap_or_default();
        let approval = approval_arg(approval)?;
        let hook = Hook::new(progress);
        let cb = |p: &tieout::ImportProgress| hook.call(p);
        let books = &self.inner;
        let result = py.detach(|| {
            runtime().block_on(books.import_with(src.as_dyn(), &plan, approval.as_ref(), Some(&cb)))
        });
        let run = hook.finish(py, result)?;
        Records::new(py)?.run(&run)
    }

    /// Applies a verified webhook or Events API event: an `Event` from
    /// `verify_webhook`, raw JSON (bytes or str), or a dict. Deduplicated by
    /// event id; live events need a plan with `allow_live`.
    #[pyo3(signature = (event, plan=None))]
    fn apply_event<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
        plan: Option<PyImportPlan>,
    ) -> PyResult<Obj<'py>> {
        let ev: StripeEvent = if let Ok(e) = event.cast::<PyEvent>() {
            e.get().inner.clone()
        } else if event.is_instance_of::<PyDict>() {
            StripeEvent::from_value(py_to_json(event)?).py_err(py)?
        } else {
            StripeEvent::parse(&payload_bytes(event)?).py_err(py)?
        };
        let plan: ImportPlan = plan.map(|p| p.inner).unwrap_or_default();
        let b = self.inner.clone();
        let outcome = py
            .detach(move || b.apply_event_with(&ev, &plan))
            .py_err(py)?;
        Records::new(py)?.event_outcome(&outcome)
    }

    /// Creates a customer in the books (e.g. the fixed "Stripe Customer").
    /// `kind` is `"company"` or `"contact"`.
    #[pyo3(signature = (name, email=None, kind="company"))]
    fn create_customer<'py>(
        &self,
        py: Python<'py>,
        name: String,
        email: Option<String>,
        kind: &str,
    ) -> PyResult<Obj<'py>> {
        let kind = match kind {
            "company" => CustomerKind::Company,
            "contact" => CustomerKind::Contact,
            other => {
                return Err(invalid(
                    py,
                    format!("kind must be 'company' or 'contact', not {other:?}"),
                ));
            }
        };
        let b = self.inner.clone();
        let c = py
            .detach(move || b.create_customer(&name, email.as_deref(), kind))
            .py_err(py)?;
        Records::new(py)?.customer(&c)
    }

    /// Creates a draft invoice the books issue themselves. `lines` are dicts:
    /// `description`, `quantity` (default 1), `unit_amount` (Decimal, int or
    /// str), `kind` (`"item"`, `"tax"` or `"discount"`; tax and discount
    /// lines give their `amount`). With `key`, creating again returns the
    /// same invoice.
    #[pyo3(signature = (customer_id, lines, currency, due_date=None, prefix=None, memo=None, key=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn create_invoice<'py>(
        &self,
        py: Python<'py>,
        customer_id: String,
        lines: &Bound<'py, pyo3::types::PyList>,
        currency: &str,
        due_date: Option<&Bound<'py, PyAny>>,
        prefix: Option<String>,
        memo: Option<String>,
        key: Option<String>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let draft = invoicing::draft_arg(py, customer_id, lines, currency, due_date, prefix, memo)?;
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let i = py
            .detach(move || b.create_invoice(&draft, key.as_deref(), now))
            .py_err(py)?;
        invoicing::invoice_py(py, &i)
    }

    /// Issues a draft own invoice: the next number of its prefix, open from `now`.
    #[pyo3(signature = (invoice_id, now=None))]
    fn issue_invoice<'py>(
        &self,
        py: Python<'py>,
        invoice_id: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let i = py
            .detach(move || b.issue_invoice(&invoice_id, now))
            .py_err(py)?;
        invoicing::invoice_py(py, &i)
    }

    /// Voids an own invoice (a draft, or open with nothing paid).
    #[pyo3(signature = (invoice_id, now=None))]
    fn void_invoice<'py>(
        &self,
        py: Python<'py>,
        invoice_id: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let i = py
            .detach(move || b.void_invoice(&invoice_id, now))
            .py_err(py)?;
        invoicing::invoice_py(py, &i)
    }

    /// The customer pushes to Stripe a run would make, as a dict (`account`,
    /// `livemode`, `writes`, `approval`); nothing is written.
    #[pyo3(signature = (api_key, base_url=None, only=None, now=None))]
    fn review_customer_pushes<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        only: Option<Vec<String>>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let w = invoicing::writer_arg(py, api_key, base_url)?;
        invoicing::push_review(py, &self.inner, &w, only, invoicing::now_arg(now)?)
    }

    /// Pushes books customers to Stripe, each write once; live keys need the
    /// review's `approval`. Returns the write report (keys by outcome).
    #[pyo3(signature = (api_key, base_url=None, only=None, approval=None, now=None))]
    fn push_customers<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        only: Option<Vec<String>>,
        approval: Option<String>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let w = invoicing::writer_arg(py, api_key, base_url)?;
        invoicing::push(
            py,
            &self.inner,
            &w,
            only,
            approval,
            invoicing::now_arg(now)?,
        )
    }

    /// The invoice's Stripe payment link (a Checkout Session): the active one
    /// while it is unexpired and charges the open amount, else a new one (the
    /// old one expired). A dict: `url`, `session_id`, `amount`, `expires_at`,
    /// `created`. Live keys need an approval.
    #[pyo3(signature = (invoice_id, api_key, success_url, cancel_url, base_url=None, save_card=false, approval=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn payment_link<'py>(
        &self,
        py: Python<'py>,
        invoice_id: String,
        api_key: &str,
        success_url: String,
        cancel_url: String,
        base_url: Option<&str>,
        save_card: bool,
        approval: Option<String>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let w = invoicing::writer_arg(py, api_key, base_url)?;
        let settings = tieout::CheckoutSettings {
            save_card,
            success_url,
            cancel_url,
        };
        let now = invoicing::now_arg(now)?;
        invoicing::payment_link(py, &self.inner, &invoice_id, &w, settings, approval, now)
    }

    /// The Stripe writes a run would make (marking paid in Stripe the
    /// invoices the books see paid some other way; with `write_offs=
    /// "mark_uncollectible"` or `"void"`, telling Stripe what the books wrote
    /// off), as a dict (`account`, `livemode`, `writes`, `approval`,
    /// `skipped`, `write_back_method`); nothing is written.
    #[pyo3(signature = (api_key, base_url=None, now=None, write_back_method="auto", api_version=None, *, write_offs=None))]
    #[allow(clippy::too_many_arguments)]
    fn review_writes<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        now: Option<&Bound<'py, PyAny>>,
        write_back_method: &str,
        api_version: Option<&str>,
        write_offs: Option<&str>,
    ) -> PyResult<Obj<'py>> {
        let w = crate::write_back::writer_arg(py, api_key, base_url, api_version)?;
        let s = crate::write_back::settings_arg(py, write_back_method, write_offs)?;
        crate::write_back::review(py, &self.inner, &w, &s, invoicing::now_arg(now)?)
    }

    /// Makes the writes `review_writes` lists, each once; live keys need its
    /// `approval`. Returns the write report (keys by outcome). `fault(key,
    /// point)` (tests) stops the run as a crash at `"recorded"` or
    /// `"performed"` when it returns True.
    #[pyo3(signature = (api_key, base_url=None, approval=None, now=None, write_back_method="auto", api_version=None, *, fault=None, write_offs=None))]
    #[allow(clippy::too_many_arguments)]
    fn apply_writes<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        approval: Option<String>,
        now: Option<&Bound<'py, PyAny>>,
        write_back_method: &str,
        api_version: Option<&str>,
        fault: Option<Py<PyAny>>,
        write_offs: Option<&str>,
    ) -> PyResult<Obj<'py>> {
        let w = crate::write_back::writer_arg(py, api_key, base_url, api_version)?;
        let s = crate::write_back::settings_arg(py, write_back_method, write_offs)?;
        let now = invoicing::now_arg(now)?;
        crate::write_back::apply(py, &self.inner, &w, &s, approval, now, fault)
    }

    /// Write-back only: `apply_writes` with the default settings.
    #[pyo3(signature = (api_key, base_url=None, approval=None, now=None, *, fault=None))]
    fn write_back<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        approval: Option<String>,
        now: Option<&Bound<'py, PyAny>>,
        fault: Option<Py<PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let w = crate::write_back::writer_arg(py, api_key, base_url, None)?;
        let now = invoicing::now_arg(now)?;
        let s = tieout::WritesSettings::default();
        crate::write_back::apply(py, &self.inner, &w, &s, approval, now, fault)
    }

    /// Records a payment received outside Stripe (a bank transfer), keyed by
    /// `reference`: recording it again returns the same payment. Allocate it
    /// with `allocate`.
    #[pyo3(signature = (reference, amount, currency, received_at=None, customer_id=None, method=None, description=None))]
    #[allow(clippy::too_many_arguments)]
    fn record_payment<'py>(
        &self,
        py: Python<'py>,
        reference: String,
        amount: &Bound<'py, PyAny>,
        currency: &str,
        received_at: Option<&Bound<'py, PyAny>>,
        customer_id: Option<String>,
        method: Option<String>,
        description: Option<String>,
    ) -> PyResult<Obj<'py>> {
        let at = invoicing::now_arg(received_at)?;
        crate::write_back::record_payment(
            py,
            &self.inner,
            reference,
            amount,
            currency,
            at,
            customer_id,
            method,
            description,
        )
    }

    /// The Stripe customer a books customer is linked to in `account`.
    fn stripe_customer_link(
        &self,
        py: Python<'_>,
        customer_id: String,
        account: String,
    ) -> PyResult<Option<String>> {
        let b = self.inner.clone();
        py.detach(move || b.stripe_customer_link(&customer_id, &account))
            .py_err(py)
    }

    /// Invoices, optionally only one books status and/or one books customer.
    #[pyo3(signature = (status=None, customer_id=None))]
    fn invoices<'py>(
        &self,
        py: Python<'py>,
        status: Option<String>,
        customer_id: Option<String>,
    ) -> PyResult<Obj<'py>> {
        let status = match status {
            None => None,
            Some(s) => Some(
                InvoiceStatus::parse(&s)
                    .ok_or_else(|| invalid(py, format!("unknown invoice status {s:?}")))?,
            ),
        };
        let filter = InvoiceFilter {
            status,
            customer_id,
        };
        let b = self.inner.clone();
        let items = py.detach(move || b.invoices(&filter)).py_err(py)?;
        Records::new(py)?.records(&items, Records::invoice)
    }

    /// Every record of `kind` matching the filters, read lazily a page of
    /// `page_size` at a time (see `iter_invoices`).
    #[pyo3(signature = (kind, *, status = None, customer_id = None, currency = None, created_from = None,
        created_to = None, due_from = None, due_to = None, updated_since = None,
        page_size = 500, after = None))]
    #[allow(clippy::too_many_arguments)]
    fn iter_records(
        &self,
        py: Python<'_>,
        kind: &str,
        status: Option<String>,
        customer_id: Option<String>,
        currency: Option<String>,
        created_from: Option<&Bound<'_, PyAny>>,
        created_to: Option<&Bound<'_, PyAny>>,
        due_from: Option<&Bound<'_, PyAny>>,
        due_to: Option<&Bound<'_, PyAny>>,
        updated_since: Option<&Bound<'_, PyAny>>,
        page_size: usize,
        after: Option<String>,
    ) -> PyResult<paging::PyRecordIterator> {
        let filters = paging::Filters {
            status,
            customer_id,
            currency,
            created_from,
            created_to,
            due_from,
            due_to,
            updated_since,
            page_size,
            after,
        };
        let q = filters.query(py, paging::kind_arg(py, kind)?)?;
        Ok(paging::PyRecordIterator::new(self.inner.clone(), q))
    }

    /// Invoices matching the filters, read lazily a page at a time, ordered
    /// by id (or by the first time filter given, then id).
    #[pyo3(signature = (*, status = None, customer_id = None, currency = None, created_from = None,
        created_to = None, due_from = None, due_to = None, updated_since = None,
        page_size = 500, after = None))]
    #[allow(clippy::too_many_arguments)]
    fn iter_invoices(
        &self,
        py: Python<'_>,
        status: Option<String>,
        customer_id: Option<String>,
        currency: Option<String>,
        created_from: Option<&Bound<'_, PyAny>>,
        created_to: Option<&Bound<'_, PyAny>>,
        due_from: Option<&Bound<'_, PyAny>>,
        due_to: Option<&Bound<'_, PyAny>>,
        updated_since: Option<&Bound<'_, PyAny>>,
        page_size: usize,
        after: Option<String>,
    ) -> PyResult<paging::PyRecordIterator> {
        let filters = paging::Filters {
            status,
            customer_id,
            currency,
            created_from,
            created_to,
            due_from,
            due_to,
            updated_since,
            page_size,
            after,
        };
        let q = filters.query(py, tieout::EntityKind::Invoice)?;
        Ok(paging::PyRecordIterator::new(self.inner.clone(), q))
    }

    /// Payments matching the filters, read lazily a page at a time.
    #[pyo3(signature = (*, status = None, customer_id = None, currency = None, created_from = None,
        created_to = None, due_from = None, due_to = None, updated_since = None,
        page_size = 500, after = None))]
    #[allow(clippy::too_many_arguments)]
    fn iter_payments(
        &self,
        py: Python<'_>,
        status: Option<String>,
        customer_id: Option<String>,
        currency: Option<String>,
        created_from: Option<&Bound<'_, PyAny>>,
        created_to: Option<&Bound<'_, PyAny>>,
        due_from: Option<&Bound<'_, PyAny>>,
        due_to: Option<&Bound<'_, PyAny>>,
        updated_since: Option<&Bound<'_, PyAny>>,
        page_size: usize,
        after: Option<String>,
    ) -> PyResult<paging::PyRecordIterator> {
        let filters = paging::Filters {
            status,
            customer_id,
            currency,
            created_from,
            created_to,
            due_from,
            due_to,
            updated_since,
            page_size,
            after,
        };
        let q = filters.query(py, tieout::EntityKind::Payment)?;
        Ok(paging::PyRecordIterator::new(self.inner.clone(), q))
    }

    /// Customers matching the filters, read lazily a page at a time.
    #[pyo3(signature = (*, status = None, customer_id = None, currency = None, created_from = None,
        created_to = None, due_from = None, due_to = None, updated_since = None,
        page_size = 500, after = None))]
    #[allow(clippy::too_many_arguments)]
    fn iter_customers(
        &self,
        py: Python<'_>,
        status: Option<String>,
        customer_id: Option<String>,
        currency: Option<String>,
        created_from: Option<&Bound<'_, PyAny>>,
        created_to: Option<&Bound<'_, PyAny>>,
        due_from: Option<&Bound<'_, PyAny>>,
        due_to: Option<&Bound<'_, PyAny>>,
        updated_since: Option<&Bound<'_, PyAny>>,
        page_size: usize,
        after: Option<String>,
    ) -> PyResult<paging::PyRecordIterator> {
        let filters = paging::Filters {
            status,
            customer_id,
            currency,
            created_from,
            created_to,
            due_from,
            due_to,
            updated_since,
            page_size,
            after,
        };
        let q = filters.query(py, tieout::EntityKind::Customer)?;
        Ok(paging::PyRecordIterator::new(self.inner.clone(), q))
    }

    /// The Stripe account events without an `account` belong to (set by the first import).
    fn default_account(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let b = self.inner.clone();
        py.detach(move || b.default_account()).py_err(py)
    }

    /// Sets the Stripe account events without an `account` belong to.
    fn set_default_account(&self, py: Python<'_>, account: String) -> PyResult<()> {
        let b = self.inner.clone();
        py.detach(move || b.set_default_account(&account))
            .py_err(py)
    }

    /// Registers a post-import action a plan can name in `post_actions`:
    /// `action(run)` runs after a successful import; raising fails it
    /// (`ActionFailed`; the import itself stays committed).
    fn register_action(&self, name: &str, action: Py<PyAny>) {
        self.inner.register_action(name, move |_books, run| {
            Python::attach(|py| {
                let r = Records::new(py)
                    .and_then(|rec| rec.run(run))
                    .and_then(|run| action.bind(py).call1((run,)));
                r.map(|_| ()).map_err(|e| e.to_string())
            })
        });
    }

    /// Every customer.
    fn customers<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.customers()).py_err(py)?;
        Records::new(py)?.records(&items, Records::customer)
    }

    /// Every product.
    fn products<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.products()).py_err(py)?;
        Records::new(py)?.records(&items, Records::product)
    }

    /// Every price.
    fn prices<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.prices()).py_err(py)?;
        Records::new(py)?.records(&items, Records::price)
    }

    /// Every payment.
    fn payments<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.payments()).py_err(py)?;
        Records::new(py)?.records(&items, Records::payment)
    }

    /// Every allocation.
    fn allocations<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.allocations()).py_err(py)?;
        Records::new(py)?.records(&items, Records::allocation)
    }

    /// Every subscription.
    fn subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.subscriptions()).py_err(py)?;
        Records::new(py)?.records(&items, Records::subscription)
    }

    /// Every payout.
    fn payouts<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.payouts()).py_err(py)?;
        Records::new(py)?.records(&items, Records::payout)
    }

    /// Every refund.
    fn refunds<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.refunds()).py_err(py)?;
        Records::new(py)?.records(&items, Records::refund)
    }

    /// Every credit note.
    fn credit_notes<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.credit_notes()).py_err(py)?;
        Records::new(py)?.records(&items, Records::credit_note)
    }

    /// Every dispute.
    fn disputes<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.disputes()).py_err(py)?;
        Records::new(py)?.records(&items, Records::dispute)
    }

    /// Every balance transaction.
    fn balance_transactions<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.balance_transactions()).py_err(py)?;
        Records::new(py)?.records(&items, Records::balance_transaction)
    }

    /// Every bank statement line.
    fn bank_lines<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.bank_lines()).py_err(py)?;
        Records::new(py)?.records(&items, Records::bank_line)
    }

    /// Import history, newest first.
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let items = py.detach(move || b.history()).py_err(py)?;
        Records::new(py)?.records(&items, Records::run)
    }

    /// Re-runs policy matching for customers with unapplied payments and
    /// matches payouts to bank deposits; commits and returns the report.
    #[pyo3(signature = (policy=None))]
    fn reconcile<'py>(
        &self,
        py: Python<'py>,
        policy: Option<PyReconcilePolicy>,
    ) -> PyResult<Obj<'py>> {
        let r = self.with_policy(py, policy, |b, p| b.reconcile(p))?;
        report_to_py(py, &r)
    }

    /// Journal entries (accrual and cash layers) over a chart of accounts
    /// (a dict of account names; missing keys keep the default mapping).
    /// With `deferred_revenue` in the mapping, revenue is recognised up to
    /// `as_of` (a date; default today, UTC).
    #[pyo3(signature = (mapping=None, layers=None, as_of=None))]
    fn journal_entries<'py>(
        &self,
        py: Python<'py>,
        mapping: Option<&Bound<'py, PyAny>>,
        layers: Option<Vec<String>>,
        as_of: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        crate::ledger::journal_entries(py, &self.inner, mapping, layers, as_of)
    }

    /// The Stripe balance in `currency` over `[from_, to)` as a bank statement.
    fn stripe_balance<'py>(
        &self,
        py: Python<'py>,
        currency: &str,
        from_: &Bound<'py, PyAny>,
        to: &Bound<'py, PyAny>,
    ) -> PyResult<Obj<'py>> {
        crate::ledger::stripe_balance(py, &self.inner, currency, from_, to)
    }

    /// Keeps the balance Stripe reported, for `stripe_balance` to tie to.
    fn record_reported_balance(
        &self,
        py: Python<'_>,
        currency: &str,
        available: &Bound<'_, PyAny>,
        pending: &Bound<'_, PyAny>,
        at: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        crate::ledger::record_reported_balance(py, &self.inner, currency, available, pending, at)
    }

    /// The Stripe balance statement as a file: `format` `"csv"` (a
    /// bank-statement CSV) or `"camt053"` (for `account`, default `STRIPE-<CUR>`).
    #[pyo3(signature = (currency, from_, to, format="csv", account=None))]
    fn stripe_balance_statement(
        &self,
        py: Python<'_>,
        currency: &str,
        from_: &Bound<'_, PyAny>,
        to: &Bound<'_, PyAny>,
        format: &str,
        account: Option<String>,
    ) -> PyResult<String> {
        crate::ledger::stripe_balance_statement(
            py,
            &self.inner,
            currency,
            from_,
            to,
            format,
            account,
        )
    }

    /// What `target` has received: one `ExportedEntry` per journal entry
    /// (entry id, when, the postings it holds).
    fn export_log<'py>(&self, py: Python<'py>, target: &str) -> PyResult<Obj<'py>> {
        crate::ledger::export_log(py, &self.inner, target)
    }

    /// Exports journal entries to `target` (beancount, hledger, qbo,
    /// netsuite, xero, csv) and records what was exported there; `from_` /
    /// `to` (dates, `to` exclusive) limit it to a period, whose edges the
    /// Beancount and hledger files assert balances at.
    #[pyo3(signature = (target, since_last=false, mapping=None, layers=None, base_currency=None, rates=None, now=None, from_=None, to=None))]
    #[allow(clippy::too_many_arguments)]
    fn export<'py>(
        &self,
        py: Python<'py>,
        target: &str,
        since_last: bool,
        mapping: Option<&Bound<'py, PyAny>>,
        layers: Option<Vec<String>>,
        base_currency: Option<&str>,
        rates: Option<std::collections::BTreeMap<String, Bound<'py, PyAny>>>,
        now: Option<&Bound<'py, PyAny>>,
        from_: Option<&Bound<'py, PyAny>>,
        to: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let period = crate::ledger::Period {
            from: crate::ledger::day_arg(from_, "from_")?,
            to: crate::ledger::day_arg(to, "to")?,
        };
        crate::ledger::export(
            py,
            &self.inner,
            target,
            since_last,
            mapping,
            layers,
            base_currency,
            rates,
            now,
            period,
        )
    }

    /// What pushing the journal to `target` (`"qbo"` or `"xero"`) for
    /// `account` (QuickBooks realm id, Xero tenant id) would post: the
    /// entries not pushed there yet and adjusting entries for pushed ones
    /// that changed, as writes. Nothing is sent.
    #[pyo3(signature = (target, account, mapping=None, layers=None, base_currency=None, rates=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn review_ledger_push<'py>(
        &self,
        py: Python<'py>,
        target: &str,
        account: &str,
        mapping: Option<&Bound<'py, PyAny>>,
        layers: Option<Vec<String>>,
        base_currency: Option<&str>,
        rates: Option<std::collections::BTreeMap<String, Bound<'py, PyAny>>>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<crate::ledger_push::PyLedgerPushReview> {
        crate::ledger_push::review_ledger_push(
            py,
            &self.inner,
            target,
            account,
            mapping,
            layers,
            base_currency,
            rates,
            now,
        )
    }

    /// Pushes the reviewed entries through `client` (a `QuickBooksClient` or
    /// `XeroClient`) once each: refused without the review's `approval`;
    /// what succeeded before is skipped; a write left in flight is looked up
    /// before it is sent again. `fault(key, point)` (tests) stops the run as
    /// a crash at `"recorded"` or `"performed"` when it returns True.
    #[pyo3(signature = (review, approval, client, now=None, *, fault=None, max_attempts=None, retry_base_seconds=None))]
    #[allow(clippy::too_many_arguments)]
    fn push_ledger<'py>(
        &self,
        py: Python<'py>,
        review: PyRef<'py, crate::ledger_push::PyLedgerPushReview>,
        approval: &Bound<'py, PyAny>,
        client: &Bound<'py, PyAny>,
        now: Option<&Bound<'py, PyAny>>,
        fault: Option<Py<PyAny>>,
        max_attempts: Option<u32>,
        retry_base_seconds: Option<i64>,
    ) -> PyResult<Obj<'py>> {
        let args = crate::ledger_push::PushArgs {
            now,
            fault,
            max_attempts,
            retry_base_seconds,
        };
        crate::ledger_push::push_ledger(py, &self.inner, &review, approval, client, args)
    }

    /// The reconcile report of the books as they are (nothing changes).
    #[pyo3(signature = (policy=None))]
    fn report<'py>(
        &self,
        py: Python<'py>,
        policy: Option<PyReconcilePolicy>,
    ) -> PyResult<Obj<'py>> {
        let r = self.with_policy(py, policy, |b, p| b.report(p))?;
        report_to_py(py, &r)
    }

    /// One kind of record (`invoices`, `invoice_lines`, `payments`, `allocations`,
    /// `subscriptions`, `subscription_items`) as a `pyarrow.Table`, filtered by
    /// field values; needs the `pyarrow` package.
    #[pyo3(signature = (name, **filters))]
    fn table<'py>(
        slf: &Bound<'py, Self>,
        name: &str,
        filters: Option<&Bound<'py, pyo3::types::PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::tables::table(slf, name, filters)
    }

    /// The tie-out report as one self-contained HTML page (inline SVG charts);
    /// open invoices age as of `as_of` (default: today, UTC).
    #[pyo3(signature = (as_of=None, policy=None))]
    fn report_html(
        &self,
        py: Python<'_>,
        as_of: Option<chrono::NaiveDate>,
        policy: Option<PyReconcilePolicy>,
    ) -> PyResult<String> {
        let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
        self.with_policy(py, policy, move |b, p| b.report_html(p, as_of))
    }

    /// Matches payouts to bank deposits (exact amount, date window) and commits the pairs.
    #[pyo3(signature = (policy=None))]
    fn match_payouts<'py>(
        &self,
        py: Python<'py>,
        policy: Option<PyReconcilePolicy>,
    ) -> PyResult<Obj<'py>> {
        let r = self.with_policy(py, policy, |b, p| b.match_payouts(p))?;
        Records::new(py)?.build_from_serde("PayoutMatchReport", &r, &[])
    }

    /// Allocates `amount` (exact: Decimal, int or str) of a payment to an
    /// invoice by hand; over-allocation raises `AllocationRejected`.
    #[pyo3(signature = (payment_id, invoice_id, amount, note=None))]
    fn allocate<'py>(
        &self,
        py: Python<'py>,
        payment_id: String,
        invoice_id: String,
        amount: &Bound<'py, PyAny>,
        note: Option<String>,
    ) -> PyResult<Obj<'py>> {
        let amount = amount_arg(amount, "amount")?;
        let b = self.inner.clone();
        let a = py
            .detach(move || b.allocate_with_note(&payment_id, &invoice_id, amount, note.as_deref()))
            .py_err(py)?;
        Records::new(py)?.allocation(&a)
    }

    /// Writes off an invoice's open amount for `reason` (at `now`, default
    /// the current time): it becomes uncollectible with the reason and time
    /// in `invoice.write_off`; a later payment recovers it. Again on a
    /// written-off invoice changes nothing; a settled one raises
    /// `InvoiceSettled`.
    #[pyo3(signature = (invoice_id, reason, now=None))]
    fn write_off<'py>(
        &self,
        py: Python<'py>,
        invoice_id: String,
        reason: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let inv = py
            .detach(move || b.write_off(&invoice_id, &reason, now))
            .py_err(py)?;
        Records::new(py)?.invoice(&inv)
    }

    /// Removes one allocation and recomputes the payment's and invoice's totals.
    fn unallocate(&self, py: Python<'_>, allocation_id: String) -> PyResult<()> {
        let b = self.inner.clone();
        py.detach(move || b.unallocate(&allocation_id)).py_err(py)
    }

    /// Imports bank statement lines from CSV text. `mapping` names the columns
    /// (keys: date, amount, currency, description, reference, date_format,
    /// default_currency, delimiter, decimal_comma, account); re-imports change nothing.
    #[pyo3(signature = (csv, mapping=None))]
    fn import_bank_csv<'py>(
        &self,
        py: Python<'py>,
        csv: String,
        mapping: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Obj<'py>> {
        let mapping: CsvMapping = match mapping {
            None => CsvMapping::default(),
            Some(m) => serde_json::from_value(py_to_json(m.as_any())?)
                .map_err(|e| invalid(py, format!("bank CSV mapping: {e}")))?,
        };
        let b = self.inner.clone();
        let lines = py
            .detach(move || b.import_bank_csv(&csv, &mapping))
            .py_err(py)?;
        Records::new(py)?.records(&lines, Records::bank_line)
    }

    /// Imports bank statement lines from an ISO 20022 camt.053 XML document.
    fn import_bank_camt053<'py>(&self, py: Python<'py>, xml: String) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let lines = py.detach(move || b.import_bank_camt053(&xml)).py_err(py)?;
        Records::new(py)?.records(&lines, Records::bank_line)
    }

    /// Opens one collection case per collectible invoice matching `filter`
    /// (a dict: customer_id, currency, created_from, created_to,
    /// min_days_overdue, min_open_amount) that has none yet; `policy`
    /// (`{"require_postal_address": bool}`). Refused invoices are listed with
    /// the debtor fields they lack.
    #[pyo3(signature = (filter=None, policy=None, now=None))]
    fn create_collection_cases<'py>(
        &self,
        py: Python<'py>,
        filter: Option<&Bound<'py, PyDict>>,
        policy: Option<&Bound<'py, PyDict>>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        crate::receivables::create_collection_cases(py, &self.inner, filter, policy, now)
    }

    /// Every collection case, with its debt age at `now`.
    #[pyo3(signature = (now=None))]
    fn collection_cases<'py>(
        &self,
        py: Python<'py>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        crate::receivables::collection_cases(py, &self.inner, now)
    }

    /// One collection case by id, or None.
    #[pyo3(signature = (case_id, now=None))]
    fn collection_case<'py>(
        &self,
        py: Python<'py>,
        case_id: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Obj<'py>>> {
        crate::receivables::collection_case(py, &self.inner, case_id, now)
    }

    /// Marks an open case as handed to an agency (status `submitted`, with
    /// a history entry) and returns it; a case in another status is returned
    /// unchanged. Raises NotFound for an unknown id.
    #[pyo3(signature = (case_id, now=None))]
    fn submit_collection_case<'py>(
        &self,
        py: Python<'py>,
        case_id: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        crate::receivables::submit_collection_case(py, &self.inner, case_id, now)
    }

    /// Every collection case as CSV (for an agency).
    #[pyo3(signature = (now=None))]
    fn cases_csv(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        crate::receivables::cases_export(py, &self.inner, now, false)
    }

    /// Every collection case as a JSON array (amounts as strings).
    #[pyo3(signature = (now=None))]
    fn cases_json(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        crate::receivables::cases_export(py, &self.inner, now, true)
    }

    /// AR aging at `as_of`: open amounts per customer and currency in buckets.
    #[pyo3(signature = (as_of=None))]
    fn aging<'py>(&self, py: Python<'py>, as_of: Option<&Bound<'py, PyAny>>) -> PyResult<Obj<'py>> {
        crate::receivables::aging(py, &self.inner, as_of)
    }

    /// The aging report as CSV (one TOTAL line per currency).
    #[pyo3(signature = (as_of=None))]
    fn aging_csv(&self, py: Python<'_>, as_of: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        crate::receivables::aging_export(py, &self.inner, as_of, false)
    }

    /// The aging report as JSON (amounts as strings).
    #[pyo3(signature = (as_of=None))]
    fn aging_json(&self, py: Python<'_>, as_of: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        crate::receivables::aging_export(py, &self.inner, as_of, true)
    }

    /// The follow-ups due at `now` under `policy` (pure planning).
    #[pyo3(signature = (policy, now=None))]
    fn plan_follow_ups<'py>(
        &self,
        py: Python<'py>,
        policy: PyRef<'py, crate::receivables::PyFollowUpPolicy>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        crate::receivables::plan_follow_ups(py, &self.inner, &policy, now)
    }

    /// What a follow-up run at `now` would send, to whom, with the rendered
    /// text, and the approval live-mode books need. Nothing is sent.
    #[pyo3(signature = (policy, now=None))]
    fn review_follow_ups<'py>(
        &self,
        py: Python<'py>,
        policy: PyRef<'py, crate::receivables::PyFollowUpPolicy>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        crate::receivables::review_follow_ups(py, &self.inner, &policy, now)
    }

    /// Sends the follow-ups due at `now`, each exactly once, through
    /// `channels` (name -> `SmtpChannel`, `SlackWebhook` or a callable
    /// `send(message, key)`). Live-mode books need `approval` from
    /// `review_follow_ups`. `fault(key, point)` (tests) stops the run as a
    /// crash at `"recorded"` or `"performed"` when it returns True.
    #[pyo3(signature = (policy, channels, now=None, approval=None, *, fault=None, max_attempts=None, retry_base_seconds=None))]
    #[allow(clippy::too_many_arguments)]
    fn run_follow_ups<'py>(
        &self,
        py: Python<'py>,
        policy: PyRef<'py, crate::receivables::PyFollowUpPolicy>,
        channels: &Bound<'py, PyDict>,
        now: Option<&Bound<'py, PyAny>>,
        approval: Option<&Bound<'py, PyAny>>,
        fault: Option<Py<PyAny>>,
        max_attempts: Option<u32>,
        retry_base_seconds: Option<i64>,
    ) -> PyResult<Obj<'py>> {
        let args = crate::receivables::RunArgs {
            approval,
            fault,
            max_attempts,
            retry_base_seconds,
        };
        crate::receivables::run_follow_ups(py, &self.inner, &policy, channels, now, args)
    }

    /// A customer's auto-pay setting as a dict (`enabled`, `payment_method`,
    /// `enabled_at`, `enabled_via`, `disabled_at`, `disabled_via`,
    /// `disabled_reason`, ...), or None when never set.
    fn auto_pay<'py>(&self, py: Python<'py>, customer_id: String) -> PyResult<Obj<'py>> {
        let b = self.inner.clone();
        let a = py.detach(move || b.auto_pay(&customer_id)).py_err(py)?;
        crate::autopay::maybe_setting_py(py, a.as_ref())
    }

    /// Makes a saved card the customer's default for auto-pay and opts the
    /// customer in (explicitly). Returns the setting.
    #[pyo3(signature = (customer_id, account, payment_method, now=None))]
    fn set_default_payment_method<'py>(
        &self,
        py: Python<'py>,
        customer_id: String,
        account: String,
        payment_method: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let a = py
            .detach(move || {
                b.set_default_payment_method(&customer_id, &account, &payment_method, now)
            })
            .py_err(py)?;
        crate::autopay::setting_py(py, &a)
    }

    /// Opts a customer with a saved card in again.
    #[pyo3(signature = (customer_id, now=None))]
    fn enable_auto_pay<'py>(
        &self,
        py: Python<'py>,
        customer_id: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let a = py
            .detach(move || b.enable_auto_pay(&customer_id, now))
            .py_err(py)?;
        crate::autopay::setting_py(py, &a)
    }

    /// Opts a customer out of auto-pay, with a reason.
    #[pyo3(signature = (customer_id, reason, now=None))]
    fn disable_auto_pay<'py>(
        &self,
        py: Python<'py>,
        customer_id: String,
        reason: String,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let b = self.inner.clone();
        let a = py
            .detach(move || b.disable_auto_pay(&customer_id, &reason, now))
            .py_err(py)?;
        crate::autopay::setting_py(py, &a)
    }

    /// Records the card a completed Checkout Session saved (a dict or JSON
    /// text; its payment intent expanded in it or given) as the customer's
    /// default, opting the customer in via that checkout. None when the
    /// session saved no card.
    #[pyo3(signature = (session, account, payment_intent=None, now=None))]
    fn save_card_from_checkout<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
        account: String,
        payment_intent: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        crate::autopay::save_card(py, &self.inner, session, account, payment_intent, now)
    }

    /// The charges an auto-pay run would make (a dict: `account`,
    /// `livemode`, `charges`, `writes`, `approval`); nothing is written.
    #[pyo3(signature = (api_key, base_url=None, now=None))]
    fn review_auto_pay<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        crate::autopay::review(py, &self.inner, api_key, base_url, now)
    }

    /// Charges every due own invoice of each opted-in customer once (see the
    /// README); refusals that turn auto-pay off are told through `notify`
    /// (names in `channels`), with a payment link when `success_url` and
    /// `cancel_url` are given. Returns `charges` and `notices` (write
    /// reports), `paid` and `disabled`.
    #[pyo3(signature = (api_key, base_url=None, approval=None, now=None, *, channels=None, notify=None, success_url=None, cancel_url=None, fault=None))]
    #[allow(clippy::too_many_arguments)]
    fn run_auto_pay<'py>(
        &self,
        py: Python<'py>,
        api_key: &str,
        base_url: Option<&str>,
        approval: Option<String>,
        now: Option<&Bound<'py, PyAny>>,
        channels: Option<&Bound<'py, PyDict>>,
        notify: Option<Vec<String>>,
        success_url: Option<String>,
        cancel_url: Option<String>,
        fault: Option<Py<PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let now = invoicing::now_arg(now)?;
        let args = crate::autopay::RunArgs {
            approval,
            channels,
            notify,
            success_url,
            cancel_url,
            fault,
        };
        crate::autopay::run(py, &self.inner, api_key, base_url, now, args)
    }

    /// Every recorded write to the outside (emails, Slack messages): key,
    /// status, attempts and outcome.
    fn writes<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        crate::receivables::writes(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        "Books(...)".to_string()
    }
}

/// A `ReconcileReport` record, with its CSV rows and `adds_up`.
fn report_to_py<'py>(py: Python<'py>, r: &ReconcileReport) -> PyResult<Obj<'py>> {
    let rows = r.to_csv_rows().into_pyobject(py)?.into_any();
    let adds_up = PyBool::new(py, r.adds_up()).to_owned().into_any();
    Records::new(py)?.build_from_serde(
        "ReconcileReport",
        r,
        &[("csv_rows", rows), ("adds_up", adds_up)],
    )
}
