//! Receivables for Python: collection cases, aging, follow-up policies and
//! runs, channels (SMTP, Slack, Python callables) and write records, as the
//! records of `_records.py` (Decimal amounts, aware datetimes).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc, Weekday};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use tieout::Books;
use tieout::channels::{SlackWebhook, SmtpConfig, SmtpSecurity};
use tieout::collect::{CompiledPolicy, FollowUpReview};
use tieout::core::collect::{
    AgingReport, CaseFilter, CaseOpening, CasePolicy, CollectionCase, FollowUpPolicy, FollowUpStep,
    MessageTemplate, cases_csv, cases_json,
};
use tieout::core::writes::{RetryPolicy, WriteApproval, WriteIntent};
use tieout::writes::{
    CallbackChannel, Channel, Channels, FaultPoint, Outcome, WriteOptions, WriteReport,
};

use crate::convert::{Obj, Records, json_to_py};
use crate::errors::{IntoPy, invalid};
use crate::plan::{amount_arg, time_arg};

/// `now` from an optional argument (default: the current time).
pub(crate) fn now_arg(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<DateTime<Utc>> {
    match obj {
        Some(o) if !o.is_none() => time_arg(o, what),
        _ => Ok(Utc::now()),
    }
}

fn get<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

fn get_str(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<String>> {
    get(d, key)?.map(|v| v.extract::<String>()).transpose()
}

fn require_str(d: &Bound<'_, PyDict>, key: &str, what: &str) -> PyResult<String> {
    get_str(d, key)?.ok_or_else(|| invalid(d.py(), format!("{what} needs {key:?}")))
}

fn check_keys(d: &Bound<'_, PyDict>, allowed: &[&str], what: &str) -> PyResult<()> {
    for k in d.keys() {
        let k: String = k.extract()?;
        if !allowed.contains(&k.as_str()) {
            return Err(invalid(
                d.py(),
                format!("{what}: unknown key {k:?} (expected one of {allowed:?})"),
            ));
        }
    }
    Ok(())
}

/// A `CaseFilter` from a dict (customer_id, currency, created_from,
/// created_to, min_days_overdue, min_open_amount).
fn filter_arg(obj: Option<&Bound<'_, PyDict>>) -> PyResult<CaseFilter> {
    let Some(d) = obj else {
        return Ok(CaseFilter::default());
    };
    let py = d.py();
    check_keys(
        d,
        &[
            "customer_id",
            "currency",
            "created_from",
            "created_to",
            "min_days_overdue",
            "min_open_amount",
        ],
        "case filter",
    )?;
    Ok(CaseFilter {
        customer_id: get_str(d, "customer_id")?,
        currency: get_str(d, "currency")?
            .map(|c| tieout::Currency::parse(&c))
            .transpose()
            .py_err(py)?,
        created_from: get(d, "created_from")?
            .map(|v| time_arg(&v, "created_from"))
            .transpose()?,
        created_to: get(d, "created_to")?
            .map(|v| time_arg(&v, "created_to"))
            .transpose()?,
        min_days_overdue: get(d, "min_days_overdue")?
            .map(|v| v.extract::<i64>())
            .transpose()?,
        min_open_amount: get(d, "min_open_amount")?
            .map(|v| amount_arg(&v, "min_open_amount"))
            .transpose()?,
    })
}

/// A `CasePolicy` from a dict (require_postal_address).
fn case_policy_arg(obj: Option<&Bound<'_, PyDict>>) -> PyResult<CasePolicy> {
    let mut p = CasePolicy::default();
    if let Some(d) = obj {
        check_keys(d, &["require_postal_address"], "case policy")?;
        if let Some(v) = get(d, "require_postal_address")? {
            p.require_postal_address = v.extract()?;
        }
    }
    Ok(p)
}

/// A follow-up policy: ordered steps (days from the due date, channel,
/// templates, optional minimum open amount and tone rule), paused and
/// opted-out customers, quiet days. Templates are compiled when the policy
/// is made: a bad one raises `TemplateError` here, never at send time.
#[pyclass(module = "tieout._native", name = "FollowUpPolicy", frozen)]
pub struct PyFollowUpPolicy {
    pub(crate) inner: Arc<CompiledPolicy>,
}

fn step_arg(obj: &Bound<'_, PyAny>) -> PyResult<FollowUpStep> {
    let py = obj.py();
    let d = obj
        .cast::<PyDict>()
        .map_err(|_| invalid(py, "each step must be a dict"))?;
    check_keys(
        d,
        &[
            "name",
            "days",
            "channel",
            "subject",
            "text",
            "html",
            "min_open_amount",
            "skip_if_average_days_late_at_least",
        ],
        "follow-up step",
    )?;
    let days = get(d, "days")?
        .ok_or_else(|| invalid(py, "follow-up step needs \"days\""))?
        .extract::<i64>()?;
    Ok(FollowUpStep {
        name: require_str(d, "name", "follow-up step")?,
        days,
        channel: require_str(d, "channel", "follow-up step")?,
        template: MessageTemplate {
            subject: require_str(d, "subject", "follow-up step")?,
            text: require_str(d, "text", "follow-up step")?,
            html: get_str(d, "html")?,
        },
        min_open_amount: get(d, "min_open_amount")?
            .map(|v| amount_arg(&v, "min_open_amount"))
            .transpose()?,
        skip_if_average_days_late_at_least: get(d, "skip_if_average_days_late_at_least")?
            .map(|v| v.extract::<i64>())
            .transpose()?,
    })
}

#[pymethods]
impl PyFollowUpPolicy {
    /// Validates the policy and compiles its templates.
    #[new]
    #[pyo3(signature = (version, steps, *, paused=None, opted_out=None, quiet_days=None))]
    fn new(
        py: Python<'_>,
        version: String,
        steps: &Bound<'_, PyList>,
        paused: Option<Vec<String>>,
        opted_out: Option<Vec<String>>,
        quiet_days: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let steps = steps
            .iter()
            .map(|s| step_arg(&s))
            .collect::<PyResult<Vec<_>>>()?;
        let mut policy = FollowUpPolicy::new(&version, steps).py_err(py)?;
        policy.paused = paused.unwrap_or_default().into_iter().collect();
        policy.opted_out = opted_out.unwrap_or_default().into_iter().collect();
        if let Some(days) = quiet_days {
            policy.quiet_days = days
                .iter()
                .map(|d| {
                    d.parse::<Weekday>()
                        .map_err(|_| invalid(py, format!("unknown weekday {d:?}")))
                })
                .collect::<PyResult<_>>()?;
        }
        let compiled = CompiledPolicy::new(policy).py_err(py)?;
        Ok(PyFollowUpPolicy {
            inner: Arc::new(compiled),
        })
    }

    /// The policy version (part of every message's key).
    #[getter]
    fn version(&self) -> String {
        self.inner.policy().version.clone()
    }

    /// Step names, in order.
    #[getter]
    fn steps(&self) -> Vec<String> {
        self.inner
            .policy()
            .steps
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// The policy as a plain dict (amounts as strings).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        let v =
            serde_json::to_value(self.inner.policy()).map_err(|e| invalid(py, e.to_string()))?;
        json_to_py(py, &v)
    }

    fn __repr__(&self) -> String {
        format!(
            "FollowUpPolicy(version={:?}, steps={:?})",
            self.version(),
            self.steps()
        )
    }
}

/// Email over SMTP: one message per follow-up (plain text and HTML), its
/// `Message-ID` derived from the write's key plus an `X-Tieout-Key` header.
#[pyclass(module = "tieout._native", name = "SmtpChannel", frozen)]
pub struct PySmtpChannel {
    inner: Arc<tieout::channels::SmtpChannel>,
}

#[pymethods]
impl PySmtpChannel {
    /// `security` is `"plain"` (local relays and test servers), `"starttls"`
    /// or `"tls"`; `timeout` in seconds; `ca_pem` is PEM text of extra root
    /// certificates to trust (a private or test CA), checked here.
    #[new]
    #[pyo3(signature = (host, port, from_, *, security="starttls", username=None, password=None, reply_to=None, timeout=30.0, ca_pem=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        from_: String,
        security: &str,
        username: Option<String>,
        password: Option<String>,
        reply_to: Option<String>,
        timeout: f64,
        ca_pem: Option<String>,
    ) -> PyResult<Self> {
        let security = match security {
            "plain" => SmtpSecurity::Plain,
            "starttls" => SmtpSecurity::StartTls,
            "tls" => SmtpSecurity::Tls,
            o => {
                return Err(invalid(
                    py,
                    format!("security must be plain, starttls or tls, not {o:?}"),
                ));
            }
        };
        let config = SmtpConfig {
            host,
            port,
            security,
            username,
            password,
            from: from_,
            reply_to,
            timeout: Duration::from_secs_f64(timeout.max(0.001)),
            ca_pem,
        };
        let ch = tieout::channels::SmtpChannel::new(config).py_err(py)?;
        Ok(PySmtpChannel {
            inner: Arc::new(ch),
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// A Slack incoming webhook: one JSON POST per follow-up, `tieout_key` in
/// it; with `digest=True` one message per day listing the day's follow-ups
/// (key `digest/<channel>/<date>`).
#[pyclass(module = "tieout._native", name = "SlackWebhook", frozen)]
pub struct PySlackWebhook {
    inner: Arc<SlackWebhook>,
    digest: bool,
}

#[pymethods]
impl PySlackWebhook {
    /// Posts to `url`; `timeout` in seconds.
    #[new]
    #[pyo3(signature = (url, *, timeout=10.0, digest=false))]
    fn new(py: Python<'_>, url: String, timeout: f64, digest: bool) -> PyResult<Self> {
        let w = SlackWebhook::new(&url, Duration::from_secs_f64(timeout.max(0.001))).py_err(py)?;
        Ok(PySlackWebhook {
            inner: Arc::new(w),
            digest,
        })
    }

    /// Whether this webhook gets a daily digest.
    #[getter]
    fn digest(&self) -> bool {
        self.digest
    }

    fn __repr__(&self) -> String {
        format!("SlackWebhook(digest={})", self.digest)
    }
}

/// The message a host callback receives: the intent's payload plus its
/// target, kind, purpose and planned time.
fn message_of(py: Python<'_>, intent: &WriteIntent) -> PyResult<Py<PyAny>> {
    let mut v = intent.payload.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("target".into(), intent.target.clone().into());
        o.insert("kind".into(), intent.kind.clone().into());
        o.insert("purpose".into(), intent.purpose.clone().into());
        o.insert("planned_at".into(), intent.planned_at.to_rfc3339().into());
    }
    Ok(json_to_py(py, &v)?.unbind())
}

/// A Python callable as a channel: `send(message, key)`; `True`, `None` or
/// `"sent"` mean sent, `False` or `"failed"` mean failed (retried with
/// backoff), a raised exception is a failure too.
fn callback_channel(f: Py<PyAny>) -> CallbackChannel {
    CallbackChannel::new(move |intent, _attempt| {
        Python::attach(|py| {
            let called =
                message_of(py, intent).and_then(|m| f.bind(py).call1((m, intent.key.as_str())));
            match called {
                Err(e) => Outcome::Failed {
                    error: format!("host channel raised: {e}"),
                    retryable: true,
                },
                Ok(r) => {
                    let failed = if r.is_instance_of::<PyBool>() {
                        !r.is_truthy().unwrap_or(false)
                    } else if let Ok(s) = r.cast::<PyString>() {
                        s.to_cow().map(|s| s == "failed").unwrap_or(false)
                    } else {
                        false
                    };
                    if failed {
                        Outcome::Failed {
                            error: "host channel reported failed".into(),
                            retryable: true,
                        }
                    } else {
                        Outcome::Delivered {
                            request_id: None,
                            detail: serde_json::json!({ "host": true }),
                        }
                    }
                }
            }
        })
    })
}

/// `Channels` from a dict of name -> `SmtpChannel`, `SlackWebhook` or callable.
pub(crate) fn channels_arg(d: &Bound<'_, PyDict>) -> PyResult<Channels> {
    let py = d.py();
    let mut out = Channels::new();
    for (k, v) in d.iter() {
        let name: String = k.extract()?;
        if let Ok(s) = v.cast::<PySlackWebhook>() {
            let w = s.get();
            out = if w.digest {
                out.with_digest_arc(&name, w.inner.clone())
            } else {
                out.with_arc(&name, w.inner.clone())
            };
            continue;
        }
        let ch: Arc<dyn Channel> = if let Ok(s) = v.cast::<PySmtpChannel>() {
            s.get().inner.clone()
        } else if v.is_callable() {
            Arc::new(callback_channel(v.unbind()))
        } else {
            return Err(invalid(
                py,
                format!("channel {name:?} must be an SmtpChannel, a SlackWebhook or a callable"),
            ));
        };
        out = out.with_arc(&name, ch);
    }
    Ok(out)
}

pub(crate) fn approval_token(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<WriteApproval>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let token: String = match obj.cast::<PyString>() {
        Ok(s) => s.to_cow()?.into_owned(),
        Err(_) => obj.getattr("token")?.extract()?,
    };
    Ok(Some(WriteApproval { token }))
}

/// `CollectionCase` records, each with `debt_age_days` at `now`.
fn cases_to_py<'py>(
    py: Python<'py>,
    cases: &[CollectionCase],
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let rec = Records::new(py)?;
    let out = PyList::empty(py);
    for c in cases {
        let age = c.debt_age_days(now).into_pyobject(py)?.into_any();
        out.append(rec.build_from_serde("CollectionCase", c, &[("debt_age_days", age)])?)?;
    }
    Ok(out.into_any())
}

/// A `CaseOpening` record, each opened case with its debt age at `now`.
pub(crate) fn opening_to_py<'py>(
    py: Python<'py>,
    o: &CaseOpening,
    now: DateTime<Utc>,
) -> PyResult<Obj<'py>> {
    let rec = Records::new(py)?;
    let refused = PyList::empty(py);
    for r in &o.refused {
        let code = "DEBTOR_INCOMPLETE".into_pyobject(py)?.into_any();
        let message = r.message().into_pyobject(py)?.into_any();
        refused.append(rec.build_from_serde(
            "CaseRefusal",
            r,
            &[("code", code), ("message", message)],
        )?)?;
    }
    let d = PyDict::new(py);
    d.set_item("opened", cases_to_py(py, &o.opened, now)?)?;
    d.set_item("existing", &o.existing)?;
    d.set_item("refused", refused)?;
    py.import("tieout._records")?
        .getattr("CaseOpening")?
        .call((), Some(&d))
}

fn aging_to_py<'py>(py: Python<'py>, a: &AgingReport) -> PyResult<Obj<'py>> {
    let open: BTreeMap<&str, String> = a
        .open_total
        .iter()
        .map(|(c, d)| (c.code(), d.to_string()))
        .collect();
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    let open_py = PyDict::new(py);
    for (c, d) in open {
        open_py.set_item(c, decimal.call1((d,))?)?;
    }
    Records::new(py)?.build_from_serde("AgingReport", a, &[("open_total", open_py.into_any())])
}

fn review_to_py<'py>(py: Python<'py>, r: &FollowUpReview) -> PyResult<Obj<'py>> {
    #[derive(serde::Serialize)]
    struct Item<'a> {
        planned: &'a tieout::core::collect::PlannedFollowUp,
        intent: &'a WriteIntent,
        already_sent: bool,
        already_done: bool,
    }
    #[derive(serde::Serialize)]
    struct Out<'a> {
        items: Vec<Item<'a>>,
        plan: &'a tieout::core::writes::WritePlan,
        approval: &'a WriteApproval,
    }
    let out = Out {
        items: r
            .items
            .iter()
            .map(|i| Item {
                planned: &i.planned,
                intent: &i.intent,
                already_sent: i.already_sent,
                already_done: i.already_done,
            })
            .collect(),
        plan: &r.plan,
        approval: &r.approval,
    };
    Records::new(py)?.build_from_serde("FollowUpReview", &out, &[])
}

pub(crate) fn report_to_py<'py>(py: Python<'py>, r: &WriteReport) -> PyResult<Obj<'py>> {
    let v = serde_json::json!({
        "delivered": r.delivered, "resolved": r.resolved, "already_done": r.already_done,
        "cancelled": r.cancelled, "retrying": r.retrying, "failed": r.failed,
        "unknown": r.unknown,
    });
    Records::new(py)?.build_from_serde("WriteReport", &v, &[])
}

/// `Books.create_collection_cases(filter=None, policy=None, now=None)`.
pub(crate) fn create_collection_cases<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    filter: Option<&Bound<'py, PyDict>>,
    policy: Option<&Bound<'py, PyDict>>,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let filter = filter_arg(filter)?;
    let policy = case_policy_arg(policy)?;
    let now = now_arg(now, "now")?;
    let b = books.clone();
    let o = py
        .detach(move || b.create_collection_cases(&filter, &policy, now))
        .py_err(py)?;
    opening_to_py(py, &o, now)
}

/// `Books.collection_cases(now=None)`.
pub(crate) fn collection_cases<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let now = now_arg(now, "now")?;
    let b = books.clone();
    let cases = py.detach(move || b.collection_cases()).py_err(py)?;
    cases_to_py(py, &cases, now)
}

/// `Books.collection_case(case_id, now=None)`.
pub(crate) fn collection_case<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    case_id: String,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Obj<'py>>> {
    let now = now_arg(now, "now")?;
    let b = books.clone();
    let cases = py.detach(move || b.collection_cases()).py_err(py)?;
    let Some(c) = cases.into_iter().find(|c| c.id == case_id) else {
        return Ok(None);
    };
    let list = cases_to_py(py, std::slice::from_ref(&c), now)?;
    Ok(Some(list.get_item(0)?))
}

/// `Books.submit_collection_case(case_id, now=None)`.
pub(crate) fn submit_collection_case<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    case_id: String,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let now = now_arg(now, "now")?;
    let b = books.clone();
    let case = py
        .detach(move || b.submit_collection_case(&case_id, now))
        .py_err(py)?;
    let list = cases_to_py(py, std::slice::from_ref(&case), now)?;
    list.get_item(0)
}

/// `Books.cases_csv(now=None)` / `Books.cases_json(now=None)`.
pub(crate) fn cases_export(
    py: Python<'_>,
    books: &Arc<Books>,
    now: Option<&Bound<'_, PyAny>>,
    json: bool,
) -> PyResult<String> {
    let now = now_arg(now, "now")?;
    let b = books.clone();
    py.detach(move || {
        let cases = b.collection_cases()?;
        Ok::<_, tieout::Error>(if json {
            cases_json(&cases, now).to_string()
        } else {
            cases_csv(&cases, now)
        })
    })
    .py_err(py)
}

/// `Books.aging(as_of=None)`.
pub(crate) fn aging<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    as_of: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let as_of = now_arg(as_of, "as_of")?;
    let b = books.clone();
    let a = py.detach(move || b.aging(as_of)).py_err(py)?;
    aging_to_py(py, &a)
}

/// `Books.aging_csv(as_of=None)` / `Books.aging_json(as_of=None)`.
pub(crate) fn aging_export(
    py: Python<'_>,
    books: &Arc<Books>,
    as_of: Option<&Bound<'_, PyAny>>,
    json: bool,
) -> PyResult<String> {
    let as_of = now_arg(as_of, "as_of")?;
    let b = books.clone();
    let a = py.detach(move || b.aging(as_of)).py_err(py)?;
    Ok(if json {
        a.to_json().to_string()
    } else {
        a.to_csv()
    })
}

/// `Books.plan_follow_ups(policy, now=None)`.
pub(crate) fn plan_follow_ups<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    policy: &PyFollowUpPolicy,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let now = now_arg(now, "now")?;
    let (b, p) = (books.clone(), policy.inner.clone());
    let planned = py.detach(move || b.plan_follow_ups(&p, now)).py_err(py)?;
    let rec = Records::new(py)?;
    let out = PyList::empty(py);
    for f in &planned {
        out.append(rec.build_from_serde("PlannedFollowUp", f, &[])?)?;
    }
    Ok(out.into_any())
}

/// `Books.review_follow_ups(policy, now=None)`.
pub(crate) fn review_follow_ups<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    policy: &PyFollowUpPolicy,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Obj<'py>> {
    let now = now_arg(now, "now")?;
    let (b, p) = (books.clone(), policy.inner.clone());
    let r = py.detach(move || b.review_follow_ups(&p, now)).py_err(py)?;
    review_to_py(py, &r)
}

/// How a follow-up run retries and (for tests) where it stops as if crashed.
pub(crate) struct RunArgs<'a, 'py> {
    /// Review approval (live-mode books).
    pub(crate) approval: Option<&'a Bound<'py, PyAny>>,
    /// `fault(key, point) -> bool`: `True` stops the run at `point`
    /// (`"recorded"` or `"performed"`) as a crash would.
    pub(crate) fault: Option<Py<PyAny>>,
    /// Attempts before a failure is final.
    pub(crate) max_attempts: Option<u32>,
    /// First retry wait in seconds (doubling).
    pub(crate) retry_base_seconds: Option<i64>,
}

/// How a run of writes retries (`max_attempts`, `retry_base_seconds`) and,
/// for tests, where it stops as a crash would (`fault(key, point) -> bool`,
/// point `"recorded"` or `"performed"`).
pub(crate) fn write_options(
    fault: Option<Py<PyAny>>,
    max_attempts: Option<u32>,
    retry_base_seconds: Option<i64>,
) -> WriteOptions {
    let mut retry = RetryPolicy::default();
    if let Some(n) = max_attempts {
        retry.max_attempts = n.max(1);
    }
    if let Some(s) = retry_base_seconds {
        retry.base_seconds = s.max(0);
    }
    let fault = fault.map(|f| {
        let hook: tieout::writes::FaultHook =
            Box::new(move |intent: &WriteIntent, point: FaultPoint| {
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
    WriteOptions { retry, fault }
}

/// `Books.run_follow_ups(policy, channels, now=None, approval=None, ...)`.
pub(crate) fn run_follow_ups<'py>(
    py: Python<'py>,
    books: &Arc<Books>,
    policy: &PyFollowUpPolicy,
    channels: &Bound<'py, PyDict>,
    now: Option<&Bound<'py, PyAny>>,
    args: RunArgs<'_, 'py>,
) -> PyResult<Obj<'py>> {
    let now = now_arg(now, "now")?;
    let channels = channels_arg(channels)?;
    let approval = approval_token(args.approval)?;
    let options = write_options(args.fault, args.max_attempts, args.retry_base_seconds);
    let (b, p) = (books.clone(), policy.inner.clone());
    let report = py
        .detach(move || b.run_follow_ups(&p, &channels, now, approval.as_ref(), &options))
        .py_err(py)?;
    report_to_py(py, &report)
}

/// `Books.writes()`.
pub(crate) fn writes<'py>(py: Python<'py>, books: &Arc<Books>) -> PyResult<Obj<'py>> {
    let b = books.clone();
    let ws = py.detach(move || b.writes()).py_err(py)?;
    let rec = Records::new(py)?;
    let out = PyList::empty(py);
    for w in &ws {
        out.append(rec.build_from_serde("WriteRecord", w, &[])?)?;
    }
    Ok(out.into_any())
}
