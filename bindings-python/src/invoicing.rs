//! Own invoices and Stripe customer pushes for `Books` (the argument
//! parsing; the methods themselves are in `books.rs`).

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tieout::writes::{WriteOptions, WriteReport};
use tieout::{Books, Currency, DraftLine, InvoiceDraft, LineKind, StripeTarget, StripeWriter};

use crate::convert::{Obj, Records, json_to_py};
use crate::errors::{IntoPy, invalid};
use crate::plan::{amount_arg, time_arg};

/// `now`, or the current time when `None`.
pub(crate) fn now_arg(now: Option<&Bound<'_, PyAny>>) -> PyResult<DateTime<Utc>> {
    match now {
        Some(t) => time_arg(t, "now"),
        None => Ok(Utc::now()),
    }
}

fn line_arg(item: &Bound<'_, PyAny>, n: usize) -> PyResult<DraftLine> {
    let py = item.py();
    let d = item
        .cast::<PyDict>()
        .map_err(|_| invalid(py, format!("line {n} must be a dict")))?;
    let get = |k: &str| d.get_item(k);
    let kind = match get("kind")? {
        None => LineKind::Item,
        Some(k) => match k.extract::<String>()?.as_str() {
            "item" => LineKind::Item,
            "tax" => LineKind::Tax,
            "discount" => LineKind::Discount,
            other => {
                return Err(invalid(
                    py,
                    format!("line {n}: kind must be 'item', 'tax' or 'discount', not {other:?}"),
                ));
            }
        },
    };
    let description: String = match get("description")? {
        Some(s) => s.extract()?,
        None => return Err(invalid(py, format!("line {n} needs a description"))),
    };
    let quantity = match get("quantity")? {
        Some(q) => amount_arg(&q, &format!("line {n} quantity"))?,
        None => rust_decimal::Decimal::ONE,
    };
    let unit = match (get("unit_amount")?, get("amount")?) {
        (Some(u), _) | (None, Some(u)) => amount_arg(&u, &format!("line {n} amount"))?,
        (None, None) => {
            return Err(invalid(
                py,
                format!("line {n} needs unit_amount (or amount)"),
            ));
        }
    };
    Ok(DraftLine {
        kind,
        description,
        quantity,
        unit_amount: unit,
    })
}

/// The draft `create_invoice` was called with.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draft_arg(
    py: Python<'_>,
    customer_id: String,
    lines: &Bound<'_, PyList>,
    currency: &str,
    due_date: Option<&Bound<'_, PyAny>>,
    prefix: Option<String>,
    memo: Option<String>,
) -> PyResult<InvoiceDraft> {
    let currency = Currency::parse(currency).py_err(py)?;
    let mut draft = InvoiceDraft::new(&customer_id, currency);
    for (n, item) in lines.iter().enumerate() {
        draft.lines.push(line_arg(&item, n + 1)?);
    }
    if let Some(d) = due_date {
        draft.due_date = Some(time_arg(d, "due_date")?);
    }
    if let Some(p) = prefix {
        draft.prefix = p;
    }
    draft.memo = memo;
    Ok(draft)
}

/// A writer for `api_key`, against `base_url` when given.
pub(crate) fn writer_arg(
    py: Python<'_>,
    api_key: &str,
    base_url: Option<&str>,
) -> PyResult<StripeWriter> {
    let w = StripeWriter::new(api_key).py_err(py)?;
    Ok(match base_url {
        Some(u) => w.base_url(u),
        None => w,
    })
}

/// A review of customer pushes as a dict: account, livemode, writes, approval.
pub(crate) fn push_review<'py>(
    py: Python<'py>,
    books: &Books,
    writer: &StripeWriter,
    only: Option<Vec<String>>,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let plan = py
        .detach(|| {
            let target = StripeTarget::of(writer)?;
            books.review_customer_pushes(&target, only.as_deref(), now)
        })
        .py_err(py)?;
    let v = serde_json::json!({
        "account": plan.account,
        "livemode": plan.livemode,
        "writes": plan.intents,
        "approval": plan.approval().token,
    });
    json_to_py(py, &v)
}

/// A write report as a dict of key lists.
pub(crate) fn report_py<'py>(py: Python<'py>, r: &WriteReport) -> PyResult<Obj<'py>> {
    json_to_py(
        py,
        &serde_json::json!({
            "delivered": r.delivered, "resolved": r.resolved, "already_done": r.already_done,
            "cancelled": r.cancelled, "retrying": r.retrying, "failed": r.failed,
            "unknown": r.unknown,
        }),
    )
}

/// Runs a push.
pub(crate) fn push<'py>(
    py: Python<'py>,
    books: &Books,
    writer: &StripeWriter,
    only: Option<Vec<String>>,
    approval: Option<String>,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let approval = approval.map(|token| tieout::core::writes::WriteApproval { token });
    let r = py
        .detach(|| {
            books.push_customers(
                writer,
                only.as_deref(),
                approval.as_ref(),
                now,
                &WriteOptions::default(),
            )
        })
        .py_err(py)?;
    report_py(py, &r)
}

/// An invoice record.
pub(crate) fn invoice_py<'py>(py: Python<'py>, i: &tieout::Invoice) -> PyResult<Obj<'py>> {
    Records::new(py)?.invoice(i)
}

/// The payment link of an invoice, as a dict.
#[allow(clippy::too_many_arguments)]
pub(crate) fn payment_link<'py>(
    py: Python<'py>,
    books: &Books,
    invoice_id: &str,
    writer: &StripeWriter,
    settings: tieout::CheckoutSettings,
    approval: Option<String>,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let approval = approval.map(|token| tieout::core::writes::WriteApproval { token });
    let l = py
        .detach(|| {
            books.payment_link(
                invoice_id,
                writer,
                &settings,
                approval.as_ref(),
                now,
                &WriteOptions::default(),
            )
        })
        .py_err(py)?;
    let d = PyDict::new(py);
    d.set_item("url", l.url)?;
    d.set_item("session_id", l.session_id)?;
    d.set_item("amount", l.amount)?;
    d.set_item("expires_at", l.expires_at)?;
    d.set_item("created", l.created)?;
    Ok(d.into_any())
}
