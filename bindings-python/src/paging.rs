//! Lazy, page-by-page iteration over the books' filtered queries
//! (`Books.iter_records`, `iter_invoices`, ...): one page of records is held
//! at a time; each page is read with the GIL released.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use tieout::{Books, Currency, Entity, EntityKind, RecordQuery, TimeRange};

use crate::convert::{Obj, Records};
use crate::errors::{IntoPy, invalid};
use crate::plan::time_arg;

/// The filters of a query, as the Python methods take them.
pub(crate) struct Filters<'a, 'py> {
    pub(crate) status: Option<String>,
    pub(crate) customer_id: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) created_from: Option<&'a Bound<'py, PyAny>>,
    pub(crate) created_to: Option<&'a Bound<'py, PyAny>>,
    pub(crate) due_from: Option<&'a Bound<'py, PyAny>>,
    pub(crate) due_to: Option<&'a Bound<'py, PyAny>>,
    pub(crate) updated_since: Option<&'a Bound<'py, PyAny>>,
    pub(crate) page_size: usize,
    pub(crate) after: Option<String>,
}

/// The kind named by `name` (`"invoice"`, `"payment"`, ...).
pub(crate) fn kind_arg(py: Python<'_>, name: &str) -> PyResult<EntityKind> {
    EntityKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| invalid(py, format!("unknown record kind {name:?}")))
}

impl Filters<'_, '_> {
    /// The query for `kind`.
    pub(crate) fn query(self, py: Python<'_>, kind: EntityKind) -> PyResult<RecordQuery> {
        let time =
            |v: Option<&Bound<'_, PyAny>>, what: &str| v.map(|v| time_arg(v, what)).transpose();
        let mut q = RecordQuery::new(kind);
        q.status = self.status;
        q.customer_id = self.customer_id;
        q.currency = self
            .currency
            .map(|c| Currency::parse(&c))
            .transpose()
            .py_err(py)?;
        q.created = TimeRange::new(
            time(self.created_from, "created_from")?,
            time(self.created_to, "created_to")?,
        );
        q.due = TimeRange::new(
            time(self.due_from, "due_from")?,
            time(self.due_to, "due_to")?,
        );
        q.updated_since = time(self.updated_since, "updated_since")?;
        q.limit = self.page_size;
        q.after = self.after;
        q.validate().py_err(py)?;
        Ok(q)
    }
}

/// A record as its `tieout._records` class.
fn to_py<'py>(py: Python<'py>, r: &Records<'py>, e: &Entity) -> PyResult<Obj<'py>> {
    match e {
        Entity::Customer(x) => r.customer(x),
        Entity::Product(x) => r.product(x),
        Entity::Price(x) => r.price(x),
        Entity::Invoice(x) => r.invoice(x),
        Entity::Subscription(x) => r.subscription(x),
        Entity::Payment(x) => r.payment(x),
        Entity::Refund(x) => r.refund(x),
        Entity::Dispute(x) => r.dispute(x),
        Entity::Allocation(x) => r.allocation(x),
        Entity::BalanceTransaction(x) => r.balance_transaction(x),
        Entity::Payout(x) => r.payout(x),
        Entity::BankLine(x) => r.bank_line(x),
        Entity::ImportRun(x) => r.run(x),
        Entity::CreditNote(x) => r.credit_note(x),
        Entity::WriteRecord(_) | Entity::CollectionCase(_) | Entity::LedgerExport(_) => {
            Err(invalid(
                py,
                format!("{} records are not iterable here", e.kind().as_str()),
            ))
        }
    }
}

/// The walk's state: the query (its `after` moves page by page) and the
/// records of the page being handed out.
struct Walk {
    query: RecordQuery,
    buffered: VecDeque<Entity>,
    done: bool,
    pages: usize,
}

/// Iterates the records of a query, reading one page from the books at a
/// time as it is advanced.
#[pyclass(module = "tieout._native", name = "RecordIterator", frozen)]
pub struct PyRecordIterator {
    books: Arc<Books>,
    walk: Mutex<Walk>,
}

impl PyRecordIterator {
    /// A walk of `query` over `books`.
    pub(crate) fn new(books: Arc<Books>, query: RecordQuery) -> Self {
        PyRecordIterator {
            books,
            walk: Mutex::new(Walk {
                query,
                buffered: VecDeque::new(),
                done: false,
                pages: 0,
            }),
        }
    }

    fn lock(&self, py: Python<'_>) -> PyResult<std::sync::MutexGuard<'_, Walk>> {
        self.walk
            .lock()
            .map_err(|_| invalid(py, "the iterator failed earlier".to_string()))
    }
}

#[pymethods]
impl PyRecordIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Obj<'py>>> {
        // The lock is never held across the read (which releases the GIL).
        let fetch = {
            let walk = self.lock(py)?;
            (walk.buffered.is_empty() && !walk.done).then(|| walk.query.clone())
        };
        if let Some(q) = fetch {
            let books = Arc::clone(&self.books);
            let page = py.detach(move || books.query(&q)).py_err(py)?;
            let mut walk = self.lock(py)?;
            walk.pages += 1;
            match page.next {
                Some(next) => walk.query.after = Some(next),
                None => walk.done = true,
            }
            walk.buffered.extend(page.records);
        }
        let next = self.lock(py)?.buffered.pop_front();
        match next {
            Some(e) => Ok(Some(to_py(py, &Records::new(py)?, &e)?)),
            None => Ok(None),
        }
    }

    /// Pages read from the books so far.
    #[getter]
    fn pages_fetched(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.lock(py)?.pages)
    }

    /// The cursor after the last page read (pass it as `after=` to resume
    /// there later); `None` before the first page and after the last.
    #[getter]
    fn cursor(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let walk = self.lock(py)?;
        Ok(if walk.done {
            None
        } else {
            walk.query.after.clone()
        })
    }
}
