//! Sources (`StripeSource`, `StripeFiles`, `StripeEvents`) and webhook events.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use tieout::{ObjectScope, Source, StripeEvent, StripeEvents, StripeFiles, StripeSource};

use crate::convert::{Records, json_to_py};
use crate::errors::{IntoPy, invalid};
use crate::runtime;

fn seconds(py: Python<'_>, what: &str, secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        invalid(
            py,
            format!("{what} must be a non-negative number of seconds"),
        )
    })
}

/// The Stripe REST API as a source (rate-limited, retrying, resumable).
#[pyclass(module = "tieout._native", name = "StripeSource", frozen)]
pub struct PyStripeSource {
    pub(crate) inner: StripeSource,
}

#[pymethods]
impl PyStripeSource {
    #[new]
    #[pyo3(signature = (api_key, base_url=None, api_version=None, stripe_account=None, max_requests_per_second=None, max_concurrency=None, max_retries=None, timeout=None, page_limit=None, shards=None, retry_base_delay=None, retry_max_delay=None, backfill_start=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: &str,
        base_url: Option<String>,
        api_version: Option<String>,
        stripe_account: Option<String>,
        max_requests_per_second: Option<u32>,
        max_concurrency: Option<usize>,
        max_retries: Option<u32>,
        timeout: Option<f64>,
        page_limit: Option<u32>,
        shards: Option<usize>,
        retry_base_delay: Option<f64>,
        retry_max_delay: Option<f64>,
        backfill_start: Option<i64>,
    ) -> PyResult<Self> {
        // The HTTP client is built inside the runtime so it can find its reactor.
        let _guard = runtime().enter();
        let mut s = StripeSource::new(api_key).py_err(py)?;
        if let Some(u) = base_url {
            s = s.base_url(u.trim_end_matches('/'));
        }
        if let Some(v) = api_version {
            s = s.api_version(v);
        }
        if let Some(a) = stripe_account {
            s = s.stripe_account(a);
        }
        if let Some(n) = max_requests_per_second {
            s = s.max_requests_per_second(n);
        }
        if let Some(n) = max_concurrency {
            s = s.max_concurrency(n);
        }
        if let Some(n) = max_retries {
            s = s.max_retries(n);
        }
        if let Some(t) = timeout {
            s = s.timeout(seconds(py, "timeout", t)?);
        }
        if let Some(n) = page_limit {
            s = s.page_limit(n);
        }
        if let Some(n) = shards {
            s = s.shards(n);
        }
        if let Some(t) = retry_base_delay {
            s = s.retry_base_delay(seconds(py, "retry_base_delay", t)?);
        }
        if let Some(t) = retry_max_delay {
            s = s.retry_max_delay(seconds(py, "retry_max_delay", t)?);
        }
        if let Some(t) = backfill_start {
            s = s.backfill_start(t);
        }
        Ok(PyStripeSource { inner: s })
    }

    /// Checks the key with Stripe and returns the account and mode.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.inner.clone();
        let info = py.detach(|| runtime().block_on(s.verify())).py_err(py)?;
        Records::new(py)?.account(&info)
    }

    /// Checks read access for every endpoint the object kinds need (all by default);
    /// a restricted key missing any raises `PermissionDenied` naming them all.
    #[pyo3(signature = (objects=None))]
    fn verify_permissions(&self, py: Python<'_>, objects: Option<Vec<String>>) -> PyResult<()> {
        let scopes = match objects {
            None => ObjectScope::ALL.to_vec(),
            Some(v) => v
                .iter()
                .map(|o| {
                    ObjectScope::parse(o)
                        .ok_or_else(|| invalid(py, format!("unknown object {o:?}")))
                })
                .collect::<PyResult<Vec<_>>>()?,
        };
        let s = self.inner.clone();
        py.detach(|| runtime().block_on(s.verify_permissions(&scopes)))
            .py_err(py)
    }

    /// The Events API over this client: imports only what changed since the last import.
    fn events(&self) -> PyStripeEvents {
        PyStripeEvents {
            inner: StripeEvents::new(self.inner.clone()),
        }
    }

    /// `True` for a live-mode key.
    #[getter]
    fn livemode(&self) -> bool {
        self.inner.key().livemode()
    }

    /// `"secret"` or `"restricted"`.
    #[getter]
    fn key_kind(&self) -> &'static str {
        self.inner.key().kind().as_str()
    }

    /// The `Stripe-Version` sent.
    #[getter]
    fn api_version(&self) -> String {
        self.inner.configured_api_version().to_string()
    }

    fn __repr__(&self) -> String {
        format!("StripeSource(api_key='{}')", self.inner.key().masked())
    }
}

/// Stripe's Events API as a source (incremental sync after a backfill).
#[pyclass(module = "tieout._native", name = "StripeEvents", frozen)]
pub struct PyStripeEvents {
    pub(crate) inner: StripeEvents,
}

#[pymethods]
impl PyStripeEvents {
    #[new]
    #[pyo3(signature = (source, retention_secs=None))]
    fn new(source: &Bound<'_, PyStripeSource>, retention_secs: Option<i64>) -> Self {
        let mut inner = StripeEvents::new(source.get().inner.clone());
        if let Some(r) = retention_secs {
            inner = inner.retention_secs(r);
        }
        PyStripeEvents { inner }
    }

    /// Checks the key with Stripe and returns the account and mode.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.inner.clone();
        let info = py
            .detach(|| runtime().block_on(Source::verify(&s)))
            .py_err(py)?;
        Records::new(py)?.account(&info)
    }

    fn __repr__(&self) -> String {
        "StripeEvents(...)".to_string()
    }
}

/// A directory of Stripe JSON exports (objects, list pages, events; `.json` / `.jsonl`).
#[pyclass(module = "tieout._native", name = "StripeFiles", frozen)]
pub struct PyStripeFiles {
    pub(crate) inner: Arc<StripeFiles>,
}

#[pymethods]
impl PyStripeFiles {
    #[new]
    #[pyo3(signature = (dir, account=None))]
    fn new(py: Python<'_>, dir: PathBuf, account: Option<&str>) -> PyResult<Self> {
        let mut f = StripeFiles::new(&dir).py_err(py)?;
        if let Some(a) = account {
            f = f.account(a);
        }
        Ok(PyStripeFiles { inner: Arc::new(f) })
    }

    /// Reads the directory and returns the account the records are filed under.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let f = self.inner.clone();
        let info = py.detach(|| runtime().block_on(f.verify())).py_err(py)?;
        Records::new(py)?.account(&info)
    }

    /// The directory read.
    #[getter]
    fn dir(&self) -> PathBuf {
        self.inner.dir().to_path_buf()
    }

    fn __repr__(&self) -> String {
        format!("StripeFiles({:?})", self.inner.dir().display().to_string())
    }
}

/// Any source `Books.review` / `Books.import_` accept.
pub(crate) enum AnySource {
    Api(StripeSource),
    Files(Arc<StripeFiles>),
    Events(StripeEvents),
}

impl AnySource {
    /// Extracts a `StripeSource`, `StripeFiles` or `StripeEvents`.
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PyStripeSource>() {
            return Ok(AnySource::Api(s.get().inner.clone()));
        }
        if let Ok(s) = obj.cast::<PyStripeFiles>() {
            return Ok(AnySource::Files(s.get().inner.clone()));
        }
        if let Ok(s) = obj.cast::<PyStripeEvents>() {
            return Ok(AnySource::Events(s.get().inner.clone()));
        }
        Err(invalid(
            obj.py(),
            "source must be a StripeSource, StripeFiles or StripeEvents",
        ))
    }

    /// The engine's view of it.
    pub(crate) fn as_dyn(&self) -> &dyn Source {
        match self {
            AnySource::Api(s) => s,
            AnySource::Files(f) => f.as_ref(),
            AnySource::Events(e) => e,
        }
    }
}

/// A Stripe event (from `verify_webhook`, or parsed from Events API JSON).
#[pyclass(module = "tieout._native", name = "Event", frozen)]
pub struct PyEvent {
    pub(crate) inner: StripeEvent,
}

/// Raw bytes from `bytes`, `bytearray` or `str` (UTF-8).
pub(crate) fn payload_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    Err(invalid(obj.py(), "payload must be bytes or str"))
}

#[pymethods]
impl PyEvent {
    /// Parses an event from JSON (bytes or str) without verifying a signature
    /// (for Events API responses you fetched yourself).
    #[staticmethod]
    fn from_json(py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = payload_bytes(payload)?;
        let inner = StripeEvent::parse(&bytes).py_err(py)?;
        Ok(PyEvent { inner })
    }

    /// Event id (`evt_...`).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.clone()
    }

    /// Event type, e.g. `invoice.paid`.
    #[getter]
    fn r#type(&self) -> String {
        self.inner.event_type.clone()
    }

    /// Creation time, unix seconds.
    #[getter]
    fn created(&self) -> i64 {
        self.inner.created
    }

    /// Creation time as a UTC datetime.
    #[getter]
    fn created_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.inner.created, 0)
    }

    /// The API version `data.object` is rendered at.
    #[getter]
    fn api_version(&self) -> Option<String> {
        self.inner.api_version.clone()
    }

    /// Live or test mode.
    #[getter]
    fn livemode(&self) -> bool {
        self.inner.livemode
    }

    /// Connected account (Connect), if any.
    #[getter]
    fn account(&self) -> Option<String> {
        self.inner.account.clone()
    }

    /// `data.object`, as a dict.
    #[getter]
    fn object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.object)
    }

    /// `data.previous_attributes`, as a dict (on `*.updated` events).
    #[getter]
    fn previous_attributes<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .previous_attributes
            .as_ref()
            .map(|v| json_to_py(py, v))
            .transpose()
    }

    /// The event's fields as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let e = &self.inner;
        let v = serde_json::json!({
            "id": e.id, "type": e.event_type, "created": e.created, "api_version": e.api_version,
            "livemode": e.livemode, "account": e.account, "object": e.object,
            "previous_attributes": e.previous_attributes,
        });
        json_to_py(py, &v)
    }

    fn __repr__(&self) -> String {
        let object = self
            .inner
            .object
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        format!(
            "Event(id={:?}, type={:?}, object={:?}, livemode={})",
            self.inner.id,
            self.inner.event_type,
            object,
            if self.inner.livemode { "True" } else { "False" }
        )
    }
}

/// Verifies a webhook delivery (`Stripe-Signature` header, endpoint secret) and
/// parses its event. `tolerance` (seconds, default 300) rejects old signatures;
/// `None` disables the age check; `now` (unix seconds) fixes the clock.
#[pyfunction]
#[pyo3(signature = (payload, signature_header, secret, tolerance=Some(300), now=None), text_signature = "(payload, signature_header, secret, tolerance=300, now=None)")]
pub fn verify_webhook(
    py: Python<'_>,
    payload: &Bound<'_, PyAny>,
    signature_header: &str,
    secret: &str,
    tolerance: Option<u64>,
    now: Option<i64>,
) -> PyResult<PyEvent> {
    let bytes = payload_bytes(payload)?;
    let inner =
        tieout::verify_webhook(&bytes, signature_header, secret, tolerance, now).py_err(py)?;
    Ok(PyEvent { inner })
}

/// Builds a `Stripe-Signature` header for `payload` (tests and local tools).
#[pyfunction]
#[pyo3(signature = (payload, secret, timestamp=None))]
pub fn sign_webhook(
    payload: &Bound<'_, PyAny>,
    secret: &str,
    timestamp: Option<i64>,
) -> PyResult<String> {
    let bytes = payload_bytes(payload)?;
    let t = timestamp.unwrap_or_else(|| Utc::now().timestamp());
    Ok(tieout::sign_webhook(&bytes, secret, t))
}
