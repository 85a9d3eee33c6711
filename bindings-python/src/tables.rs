//! `Books.table(...)`: the books as `pyarrow` tables, built by `tieout._tables`
//! from the records this binding returns (the Rust side only adds the
//! currency exponents the decimal columns need).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::books::PyBooks;
use crate::errors::invalid;

/// Minor-unit digits of an ISO currency (2 for USD, 0 for JPY, 3 for KWD).
#[pyfunction]
pub fn currency_exponent(py: Python<'_>, code: &str) -> PyResult<u32> {
    tieout::Currency::parse(&code.to_ascii_uppercase())
        .map(|c| c.exponent())
        .map_err(|e| invalid(py, e.to_string()))
}

/// `Books.table(name, **filters)`: calls `tieout._tables.table(books, name, **filters)`.
pub(crate) fn table<'py>(
    books: &Bound<'py, PyBooks>,
    name: &str,
    filters: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let m = books.py().import("tieout._tables")?;
    m.getattr("table")?.call((books, name), filters)
}
