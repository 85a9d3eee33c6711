//! The ledger for Python: journal entries, the Stripe balance statement and
//! exports, as the records in `_records.py` (Decimal amounts, aware datetimes).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pyo3::prelude::*;
use rust_decimal::Decimal;
use tieout::{Books, Currency, ExportOptions, Layers, LedgerMapping, ReportedBalance, Target};

use crate::convert::{Obj, Records, py_to_json};
use crate::errors::{IntoPy, invalid};
use crate::plan::{amount_arg, time_arg};

/// A mapping from a dict of account names (missing keys keep the default).
pub(crate) fn mapping_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<LedgerMapping> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(LedgerMapping::default());
    };
    let v = py_to_json(obj)?;
    serde_json::from_value(v).map_err(|e| invalid(obj.py(), format!("mapping: {e}")))
}

/// Layers from a list of names (`["accrual", "cash"]`; None: both).
pub(crate) fn layers_arg(py: Python<'_>, names: Option<Vec<String>>) -> PyResult<Layers> {
    let Some(names) = names else {
        return Ok(Layers::default());
    };
    let mut l = Layers {
        accrual: false,
        cash: false,
    };
    for n in names {
        match n.as_str() {
            "accrual" => l.accrual = true,
            "cash" => l.cash = true,
            o => return Err(invalid(py, format!("unknown layer {o:?} (accrual, cash)"))),
        }
    }
    Ok(l)
}

fn currency_arg(py: Python<'_>, c: &str) -> PyResult<Currency> {
    Currency::parse(c).map_err(|e| crate::errors::to_py_err(py, &e.into()))
}

/// A day from a date, datetime or unix time (`None` stays `None`).
pub(crate) fn day_arg(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<NaiveDate>> {
    match obj {
        Some(o) if !o.is_none() => Ok(Some(time_arg(o, what)?.date_naive())),
        _ => Ok(None),
    }
}

/// The period of an export: first day and the day after it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Period {
    /// First day.
    pub from: Option<NaiveDate>,
    /// The day after the last.
    pub to: Option<NaiveDate>,
}

/// `Books.journal_entries(mapping=None, layers=None, as_of=None)`.
pub(crate) fn journal_entries<'py>(
    py: Python<'py>,
    books: &std::sync::Arc<Books>,
    mapping: Option<&Bound<'py, PyAny>>,
    layers: Option<Vec<String>>,
    as_of: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let m = mapping_arg(mapping)?;
    let l = layers_arg(py, layers)?;
    let day = day_arg(as_of, "as_of")?.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let b = books.clone();
    let j = py
        .detach(move || b.journal_entries_as_of(&m, l, day))
        .py_err(py)?;
    Records::new(py)?.build_from_serde("Journal", &j, &[])
}

/// `Books.stripe_balance(currency, from_, to)`.
pub(crate) fn stripe_balance<'py>(
    py: Python<'py>,
    books: &std::sync::Arc<Books>,
    currency: &str,
    from: &Bound<'py, PyAny>,
    to: &Bound<'py, PyAny>,
) -> PyResult<Obj<'py>> {
    let c = currency_arg(py, currency)?;
    let (f, t) = (time_arg(from, "from_")?, time_arg(to, "to")?);
    let b = books.clone();
    let s = py.detach(move || b.stripe_balance(c, f, t)).py_err(py)?;
    // `from` is a Python keyword: the record calls the period start and end.
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        s: &'a tieout::StripeBalance,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    }
    let out = Out {
        s: &s,
        start: s.from,
        end: s.to,
    };
    Records::new(py)?.build_from_serde("StripeBalance", &out, &[])
}

/// `Books.record_reported_balance(currency, available, pending, at)`.
pub(crate) fn record_reported_balance(
    py: Python<'_>,
    books: &std::sync::Arc<Books>,
    currency: &str,
    available: &Bound<'_, PyAny>,
    pending: &Bound<'_, PyAny>,
    at: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let r = ReportedBalance {
        at: time_arg(at, "at")?,
        currency: currency_arg(py, currency)?,
        available: amount_arg(available, "available")?,
        pending: amount_arg(pending, "pending")?,
        run_id: None,
    };
    let b = books.clone();
    py.detach(move || b.record_reported_balance(&r)).py_err(py)
}

/// Export options from the keyword arguments `export` and
/// `review_ledger_push` share.
pub(crate) fn export_options<'py>(
    py: Python<'py>,
    since_last: bool,
    mapping: Option<&Bound<'py, PyAny>>,
    layers: Option<Vec<String>>,
    base_currency: Option<&str>,
    rates: Option<BTreeMap<String, Bound<'py, PyAny>>>,
) -> PyResult<ExportOptions> {
    let mut rate_map: BTreeMap<Currency, Decimal> = BTreeMap::new();
    for (k, v) in rates.unwrap_or_default() {
        rate_map.insert(currency_arg(py, &k)?, amount_arg(&v, "rate")?);
    }
    Ok(ExportOptions {
        mapping: mapping_arg(mapping)?,
        layers: layers_arg(py, layers)?,
        since_last,
        base_currency: base_currency.map(|c| currency_arg(py, c)).transpose()?,
        rates: rate_map,
        ..ExportOptions::default()
    })
}

/// `Books.export(target, since_last=False, ...)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn export<'py>(
    py: Python<'py>,
    books: &std::sync::Arc<Books>,
    target: &str,
    since_last: bool,
    mapping: Option<&Bound<'py, PyAny>>,
    layers: Option<Vec<String>>,
    base_currency: Option<&str>,
    rates: Option<BTreeMap<String, Bound<'py, PyAny>>>,
    now: Option<&Bound<'py, PyAny>>,
    period: Period,
) -> PyResult<Obj<'py>> {
    let target = Target::parse(target).map_err(|e| crate::errors::to_py_err(py, &e.into()))?;
    let mut opts = export_options(py, since_last, mapping, layers, base_currency, rates)?;
    opts.from = period.from;
    opts.to = period.to;
    let now = match now {
        Some(n) if !n.is_none() => time_arg(n, "now")?,
        _ => chrono::Utc::now(),
    };
    let b = books.clone();
    let e = py.detach(move || b.export(target, &opts, now)).py_err(py)?;
    #[derive(serde::Serialize)]
    struct Out<'a> {
        target: &'a str,
        text: &'a str,
        entries: &'a [tieout::JournalEntry],
        exported_at: chrono::DateTime<chrono::Utc>,
    }
    let out = Out {
        target: e.target.as_str(),
        text: &e.text,
        entries: &e.entries,
        exported_at: e.exported_at,
    };
    Records::new(py)?.build_from_serde("Export", &out, &[])
}

/// `Books.stripe_balance_statement(currency, from_, to, format="csv", account=None)`.
pub(crate) fn stripe_balance_statement(
    py: Python<'_>,
    books: &std::sync::Arc<Books>,
    currency: &str,
    from: &Bound<'_, PyAny>,
    to: &Bound<'_, PyAny>,
    format: &str,
    account: Option<String>,
) -> PyResult<String> {
    let c = currency_arg(py, currency)?;
    let (f, t) = (time_arg(from, "from_")?, time_arg(to, "to")?);
    let (b, format) = (books.clone(), format.to_string());
    py.detach(move || b.stripe_balance_statement(c, f, t, &format, account.as_deref()))
        .py_err(py)
}

/// `Books.export_log(target)`: `ExportedEntry` records.
pub(crate) fn export_log<'py>(
    py: Python<'py>,
    books: &std::sync::Arc<Books>,
    target: &str,
) -> PyResult<Obj<'py>> {
    let target = Target::parse(target).map_err(|e| crate::errors::to_py_err(py, &e.into()))?;
    let b = books.clone();
    let log = py.detach(move || b.export_log(target)).py_err(py)?;
    let rec = Records::new(py)?;
    let out = pyo3::types::PyList::empty(py);
    for r in &log {
        out.append(rec.build_from_serde("ExportedEntry", r, &[])?)?;
    }
    Ok(out.into_any())
}
