//! `ReviewEntryPages`: a review's entries, read page by page from the
//! review's spill (the Python `ReviewEntries` sequence wraps it).

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::Records;
use crate::errors::to_py_err;

/// The entries of one review; keeps the review's spill alive (and with it,
/// the planned changes an `import_` with its approval applies).
#[pyclass(module = "tieout._native", name = "ReviewEntryPages", frozen)]
pub struct PyReviewEntryPages {
    pub(crate) inner: tieout::ReviewEntries,
}

#[pymethods]
impl PyReviewEntryPages {
    /// Number of entries.
    fn __len__(&self) -> usize {
        usize::try_from(self.inner.len()).unwrap_or(usize::MAX)
    }

    /// Up to `limit` entries from `offset` on, as `ReviewEntry` records.
    fn page<'py>(&self, py: Python<'py>, offset: u64, limit: u64) -> PyResult<Bound<'py, PyList>> {
        let inner = &self.inner;
        let page = py
            .detach(|| inner.page(offset, limit))
            .map_err(|e| to_py_err(py, &tieout::Error::Core(e)))?;
        let records = Records::new(py)?;
        let out = PyList::empty(py);
        for e in &page {
            out.append(records.entry(e)?)?;
        }
        Ok(out)
    }
}
