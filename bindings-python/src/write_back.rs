//! The Stripe write plan (`review_writes`, `apply_writes`, `write_back`) and
//! manual payments (`record_payment`) for `Books` (argument parsing; the
//! methods are in `books.rs`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use tieout::writes::{FaultPoint, WriteOptions};
use tieout::{
    Books, Currency, ManualPayment, StripeWriteOff, StripeWriter, WriteBackMethod, WritesSettings,
};

use crate::convert::{Obj, Records, json_to_py};
use crate::errors::{IntoPy, invalid};
use crate::invoicing::report_py;
use crate::plan::amount_arg;

/// The settings a `write_back_method` name and a `write_offs` action
/// (`None`, `"mark_uncollectible"` or `"void"`) give.
pub(crate) fn settings_arg(
    py: Python<'_>,
    method: &str,
    write_offs: Option<&str>,
) -> PyResult<WritesSettings> {
    let write_offs = match write_offs {
        None => None,
        Some(a) => Some(StripeWriteOff::parse(a).ok_or_else(|| {
            invalid(
                py,
                format!("write_offs must be None, 'mark_uncollectible' or 'void', not {a:?}"),
            )
        })?),
    };
    let m = WriteBackMethod::parse(method).ok_or_else(|| {
        invalid(
            py,
            format!("write_back_method must be 'auto', 'paid_out_of_band' or 'payment_record', not {method:?}"),
        )
    })?;
    Ok(WritesSettings {
        write_back_method: m,
        write_offs,
        ..WritesSettings::default()
    })
}

/// A writer for `api_key` (`base_url`, `api_version` when given).
pub(crate) fn writer_arg(
    py: Python<'_>,
    api_key: &str,
    base_url: Option<&str>,
    api_version: Option<&str>,
) -> PyResult<StripeWriter> {
    let w = crate::invoicing::writer_arg(py, api_key, base_url)?;
    Ok(match api_version {
        Some(v) => w.api_version(v),
        None => w,
    })
}

/// `Books.review_writes(...)`: a dict (account, livemode, writes, approval,
/// skipped, write_back_method).
pub(crate) fn review<'py>(
    py: Python<'py>,
    books: &Books,
    writer: &StripeWriter,
    settings: &WritesSettings,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let r = py
        .detach(|| books.review_writes(writer, settings, now))
        .py_err(py)?;
    let v = serde_json::json!({
        "account": r.plan.account,
        "livemode": r.plan.livemode,
        "writes": r.plan.intents,
        "approval": r.approval().token,
        "skipped": r.skipped,
        "write_back_method": r.write_back_method,
    });
    json_to_py(py, &v)
}

/// `Books.apply_writes(...)`: the write report as a dict of key lists.
/// `fault(key, point)` stops the run at `"recorded"` / `"performed"` as a
/// crash would when it returns True (tests).
pub(crate) fn apply<'py>(
    py: Python<'py>,
    books: &Books,
    writer: &StripeWriter,
    settings: &WritesSettings,
    approval: Option<String>,
    now: DateTime<Utc>,
    fault: Option<Py<PyAny>>,
) -> PyResult<Obj<'py>> {
    let approval = approval.map(|token| tieout::core::writes::WriteApproval { token });
    let fault = fault.map(|f| {
        let hook: tieout::writes::FaultHook = Box::new(move |intent, point| {
            let point = match point {
                FaultPoint::Recorded => "recorded",
                FaultPoint::Performed => "performed",
            };
            Python::attach(|py| {
                f.bind(py)
                    .call1((intent.key.as_str(), point))
                    .and_then(|r| r.is_truthy())
                    .unwrap_or(false)
            })
        });
        hook
    });
    let options = WriteOptions {
        fault,
        ..WriteOptions::default()
    };
    let r = py
        .detach(|| books.apply_writes(writer, settings, approval.as_ref(), now, &options))
        .py_err(py)?;
    report_py(py, &r)
}

/// `Books.record_payment(...)`: the `Payment` record.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_payment<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    reference: String,
    amount: &Bound<'py, PyAny>,
    currency: &str,
    received_at: DateTime<Utc>,
    customer_id: Option<String>,
    method: Option<String>,
    description: Option<String>,
) -> PyResult<Obj<'py>> {
    let p = ManualPayment {
        reference,
        customer_id,
        amount: amount_arg(amount, "amount")?,
        currency: Currency::parse(currency).py_err(py)?,
        received_at,
        method,
        description,
    };
    let b = books.clone();
    let payment = py.detach(move || b.record_payment(&p)).py_err(py)?;
    Records::new(py)?.payment(&payment)
}
