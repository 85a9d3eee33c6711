//! `ReviewEntryPages`, `ReviewAllocationPages` and `ReviewRemovalPages`: a
//! review's entries, allocations and removed allocation ids, read page by
//! page from the review's spill (the Python `ReviewEntries`,
//! `ReviewAllocations` and `ReviewRemovals` sequences wrap them).

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::Records;
use crate::errors::to_py_err;

/// Defines a frozen pyclass over a `tieout::PagedList` with `__len__` and
/// `page(offset, limit)`, converting each item with `$convert(&Records, &T)`.
macro_rules! pages_class {
    ($(#[$doc:meta])* $rust:ident, $py:literal, $list:ty, $convert:path) => {
        $(#[$doc])*
        #[pyclass(module = "tieout._native", name = $py, frozen)]
        pub struct $rust {
            pub(crate) inner: $list,
        }

        #[pymethods]
        impl $rust {
            /// Number of items.
            fn __len__(&self) -> usize {
                usize::try_from(self.inner.len()).unwrap_or(usize::MAX)
            }

            /// Up to `limit` items from `offset` on, as records.
            fn page<'py>(
                &self,
                py: Python<'py>,
                offset: u64,
                limit: u64,
            ) -> PyResult<Bound<'py, PyList>> {
                let inner = &self.inner;
                let page = py
                    .detach(|| inner.page(offset, limit))
                    .map_err(|e| to_py_err(py, &tieout::Error::Core(e)))?;
                let records = Records::new(py)?;
                let out = PyList::empty(py);
                for item in &page {
                    out.append($convert(&records, item)?)?;
                }
                Ok(out)
            }
        }
    };
}

pages_class!(
    /// The entries of one review; keeps the review's spill alive (and with
    /// it, the planned changes an `import_` with its approval applies).
    PyReviewEntryPages,
    "ReviewEntryPages",
    tieout::ReviewEntries,
    Records::entry
);

pages_class!(
    /// The allocations one review would create or change, in id order;
    /// keeps the review's spill alive.
    PyReviewAllocationPages,
    "ReviewAllocationPages",
    tieout::ReviewAllocations,
    Records::allocation
);

pages_class!(
    /// The books ids of the allocations one review would remove, in id
    /// order; keeps the review's spill alive.
    PyReviewRemovalPages,
    "ReviewRemovalPages",
    tieout::ReviewRemovals,
    Records::text
);
