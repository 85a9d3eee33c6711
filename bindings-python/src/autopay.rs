//! Auto-pay for `Books` (argument parsing and result dicts; the methods
//! themselves are in `books.rs`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tieout::autopay::{AutoPay, AutoPayOptions, AutoPayReport, AutoPaySource};
use tieout::writes::{FaultPoint, WriteOptions};
use tieout::{Books, StripeTarget};

use crate::convert::{Obj, json_to_py, py_to_json};
use crate::errors::IntoPy;
use crate::invoicing::{report_py, writer_arg};

fn source_py<'py>(py: Python<'py>, s: Option<&AutoPaySource>) -> PyResult<Obj<'py>> {
    let Some(s) = s else {
        return Ok(py.None().into_bound(py));
    };
    let d = PyDict::new(py);
    d.set_item("kind", s.kind())?;
    match s {
        AutoPaySource::Checkout { session } => d.set_item("session", session)?,
        AutoPaySource::Decline { write_key } => d.set_item("write_key", write_key)?,
        AutoPaySource::Explicit => {}
    }
    Ok(d.into_any())
}

/// An auto-pay setting as a dict (times as aware datetimes).
pub(crate) fn setting_py<'py>(py: Python<'py>, a: &AutoPay) -> PyResult<Obj<'py>> {
    let d = PyDict::new(py);
    d.set_item("customer_id", &a.customer_id)?;
    d.set_item("enabled", a.enabled)?;
    d.set_item("payment_method", &a.payment_method)?;
    d.set_item("stripe_customer", &a.stripe_customer)?;
    d.set_item("account", &a.account)?;
    d.set_item("enabled_at", a.enabled_at)?;
    d.set_item("enabled_via", source_py(py, a.enabled_via.as_ref())?)?;
    d.set_item("disabled_at", a.disabled_at)?;
    d.set_item("disabled_via", source_py(py, a.disabled_via.as_ref())?)?;
    d.set_item("disabled_reason", &a.disabled_reason)?;
    d.set_item("updated_at", a.updated_at)?;
    Ok(d.into_any())
}

/// An optional setting.
pub(crate) fn maybe_setting_py<'py>(py: Python<'py>, a: Option<&AutoPay>) -> PyResult<Obj<'py>> {
    match a {
        Some(a) => setting_py(py, a),
        None => Ok(py.None().into_bound(py)),
    }
}

/// `Books.save_card_from_checkout(session, account, payment_intent=None, now=None)`.
pub(crate) fn save_card<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    session: &Bound<'py, PyAny>,
    account: String,
    payment_intent: Option<&Bound<'py, PyAny>>,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let as_json = |o: &Bound<'py, PyAny>| -> PyResult<serde_json::Value> {
        match o.extract::<String>() {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| crate::errors::invalid(py, format!("not JSON: {e}"))),
            Err(_) => py_to_json(o),
        }
    };
    let s = as_json(session)?;
    let pi = payment_intent
        .filter(|p| !p.is_none())
        .map(as_json)
        .transpose()?;
    let b = books.clone();
    let a = py
        .detach(move || b.save_card_from_checkout(&s, pi.as_ref(), &account, now))
        .py_err(py)?;
    maybe_setting_py(py, a.as_ref())
}

/// `Books.review_auto_pay(api_key, base_url=None, now=None)` as a dict.
pub(crate) fn review<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    api_key: &str,
    base_url: Option<&str>,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let w = writer_arg(py, api_key, base_url)?;
    let b = books.clone();
    let r = py
        .detach(move || {
            let target = StripeTarget::of(&w)?;
            b.review_auto_pay(&target, now)
        })
        .py_err(py)?;
    let charges = PyList::empty(py);
    for c in &r.charges {
        let d = PyDict::new(py);
        d.set_item("invoice_id", &c.invoice_id)?;
        d.set_item("customer_id", &c.customer_id)?;
        d.set_item("attempt", c.attempt)?;
        d.set_item("resumes", c.resumes)?;
        d.set_item("key", &c.intent.key)?;
        let (amount, currency) = match &c.intent.amount {
            Some(m) => (Some(m.amount), Some(m.currency.lower())),
            None => (None, None),
        };
        d.set_item("amount", amount)?;
        d.set_item("currency", currency)?;
        charges.append(d)?;
    }
    let d = PyDict::new(py);
    d.set_item("account", &r.plan.account)?;
    d.set_item("livemode", r.plan.livemode)?;
    d.set_item("charges", charges)?;
    d.set_item(
        "writes",
        json_to_py(py, &serde_json::json!(r.plan.intents))?,
    )?;
    d.set_item("approval", &r.approval.token)?;
    Ok(d.into_any())
}

/// The keyword arguments of `Books.run_auto_pay`.
pub(crate) struct RunArgs<'a, 'py> {
    pub(crate) approval: Option<String>,
    pub(crate) channels: Option<&'a Bound<'py, PyDict>>,
    pub(crate) notify: Option<Vec<String>>,
    pub(crate) success_url: Option<String>,
    pub(crate) cancel_url: Option<String>,
    pub(crate) fault: Option<Py<PyAny>>,
}

fn report_to_py<'py>(py: Python<'py>, r: &AutoPayReport) -> PyResult<Obj<'py>> {
    let disabled = PyList::empty(py);
    for x in &r.disabled {
        let d = PyDict::new(py);
        d.set_item("customer_id", &x.customer_id)?;
        d.set_item("invoice_id", &x.invoice_id)?;
        d.set_item("write_key", &x.write_key)?;
        d.set_item("attempt", x.attempt)?;
        d.set_item("reason", &x.reason)?;
        disabled.append(d)?;
    }
    let d = PyDict::new(py);
    d.set_item("charges", report_py(py, &r.charges)?)?;
    d.set_item("paid", &r.paid)?;
    d.set_item("disabled", disabled)?;
    d.set_item("notices", report_py(py, &r.notices)?)?;
    Ok(d.into_any())
}

/// `Books.run_auto_pay(...)`.
pub(crate) fn run<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    api_key: &str,
    base_url: Option<&str>,
    now: DateTime<Utc>,
    args: RunArgs<'_, 'py>,
) -> PyResult<Obj<'py>> {
    let w = writer_arg(py, api_key, base_url)?;
    let channels = match args.channels {
        Some(c) => crate::receivables::channels_arg(c)?,
        None => tieout::writes::Channels::new(),
    };
    let checkout = match (args.success_url, args.cancel_url) {
        (Some(success_url), Some(cancel_url)) => Some(tieout::CheckoutSettings {
            save_card: true,
            success_url,
            cancel_url,
        }),
        _ => None,
    };
    let options = AutoPayOptions {
        channels,
        notify: args.notify.unwrap_or_default(),
        checkout,
    };
    let fault = args.fault.map(|f| {
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
    let write_options = WriteOptions {
        fault,
        ..WriteOptions::default()
    };
    let approval = args
        .approval
        .map(|token| tieout::core::writes::WriteApproval { token });
    let b = books.clone();
    let r = py
        .detach(move || b.run_auto_pay(&w, approval.as_ref(), now, &options, &write_options))
        .py_err(py)?;
    report_to_py(py, &r)
}
