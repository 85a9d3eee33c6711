//! `ImportPlan` and `ReconcilePolicy`: keyword arguments to the engine's plan types.

use chrono::{DateTime, NaiveDate, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyFloat, PyInt, PyString};
use rust_decimal::Decimal;
use tieout::{
    AllocationOrder, CustomerFilter, CustomerMatch, CustomerResolution, FeePolicy, FxPolicy,
    ImportPlan, InvoiceStatus, ObjectScope, PaidInvoices, ReconcilePolicy, UnpaidInvoices,
};

use crate::convert::{json_to_py, py_to_json};
use crate::errors::invalid;

/// An exact amount from a `Decimal`, `int` or decimal string; floats are refused.
pub(crate) fn amount_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Decimal> {
    let py = obj.py();
    if obj.is_instance_of::<PyFloat>() {
        return Err(invalid(
            py,
            format!("{what} must be a decimal.Decimal, int or str, not float (floats are inexact)"),
        ));
    }
    if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyString>() {
        let s = obj.str()?.to_string();
        return s
            .trim()
            .parse::<Decimal>()
            .map_err(|_| invalid(py, format!("{what}: {s:?} is not a decimal number")));
    }
    obj.extract::<Decimal>()
        .map_err(|_| invalid(py, format!("{what} must be a decimal.Decimal, int or str")))
}

/// A point in time from an aware `datetime`, a `date` (midnight UTC) or unix seconds.
pub(crate) fn time_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DateTime<Utc>> {
    let py = obj.py();
    if obj.is_instance_of::<PyDateTime>() {
        return obj
            .extract::<DateTime<chrono::FixedOffset>>()
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| invalid(py, format!("{what} must be a timezone-aware datetime")));
    }
    if obj.is_instance_of::<PyDate>() {
        let d: NaiveDate = obj.extract()?;
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    if obj.is_instance_of::<PyInt>() {
        let secs: i64 = obj.extract()?;
        return DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| invalid(py, format!("{what}: {secs} is out of range")));
    }
    Err(invalid(
        py,
        format!("{what} must be a datetime, date or unix seconds"),
    ))
}

fn parse_enum<T>(py: Python<'_>, what: &str, value: &str, options: &[(&str, T)]) -> PyResult<T>
where
    T: Copy,
{
    options
        .iter()
        .find(|(k, _)| *k == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
            invalid(
                py,
                format!("{what} must be one of {names:?}, not {value:?}"),
            )
        })
}

const ORDERS: &[(&str, AllocationOrder)] = &[
    ("oldest_first", AllocationOrder::OldestFirst),
    ("newest_first", AllocationOrder::NewestFirst),
    ("leave_unapplied", AllocationOrder::LeaveUnapplied),
];
const FEES: &[(&str, FeePolicy)] = &[
    ("separate_expense", FeePolicy::SeparateExpense),
    ("net", FeePolicy::Net),
];
const FXS: &[(&str, FxPolicy)] = &[
    ("report_difference", FxPolicy::ReportDifference),
    ("ignore", FxPolicy::Ignore),
];
const PAID: &[(&str, PaidInvoices)] = &[
    ("record_payment", PaidInvoices::RecordPayment),
    ("mark_paid_only", PaidInvoices::MarkPaidOnly),
];
const UNPAID: &[(&str, UnpaidInvoices)] = &[
    ("keep_status", UnpaidInvoices::KeepStatus),
    ("as_drafts", UnpaidInvoices::AsDrafts),
];

fn name_of<T: PartialEq>(options: &[(&'static str, T)], v: &T) -> &'static str {
    options
        .iter()
        .find(|(_, x)| x == v)
        .map(|(k, _)| *k)
        .unwrap_or("")
}

/// Matching, fee and FX policy (the plan's `policy`, and the reconcile calls').
#[pyclass(
    module = "tieout._native",
    name = "ReconcilePolicy",
    frozen,
    from_py_object
)]
#[derive(Clone)]
pub struct PyReconcilePolicy {
    pub(crate) inner: ReconcilePolicy,
}

#[pymethods]
impl PyReconcilePolicy {
    #[new]
    #[pyo3(signature = (order="oldest_first", write_off_abs=None, write_off_pct=None, fees="separate_expense", fx="report_difference", metadata_keys=None, match_on_import=true, deposit_window_days=3))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        order: &str,
        write_off_abs: Option<&Bound<'_, PyAny>>,
        write_off_pct: Option<&Bound<'_, PyAny>>,
        fees: &str,
        fx: &str,
        metadata_keys: Option<Vec<String>>,
        match_on_import: bool,
        deposit_window_days: u32,
    ) -> PyResult<Self> {
        let mut p = ReconcilePolicy {
            order: parse_enum(py, "order", order, ORDERS)?,
            fees: parse_enum(py, "fees", fees, FEES)?,
            fx: parse_enum(py, "fx", fx, FXS)?,
            match_on_import,
            deposit_window_days,
            ..ReconcilePolicy::default()
        };
        if let Some(a) = write_off_abs {
            p.write_off_abs = amount_arg(a, "write_off_abs")?;
        }
        if let Some(a) = write_off_pct {
            p.write_off_pct = amount_arg(a, "write_off_pct")?;
        }
        if p.write_off_abs.is_sign_negative() || p.write_off_pct.is_sign_negative() {
            return Err(invalid(py, "write-off tolerances cannot be negative"));
        }
        if let Some(k) = metadata_keys {
            p.metadata_keys = k;
        }
        Ok(PyReconcilePolicy { inner: p })
    }

    /// Fill order for policy matches.
    #[getter]
    fn order(&self) -> &'static str {
        name_of(ORDERS, &self.inner.order)
    }

    /// Absolute write-off tolerance (major units).
    #[getter]
    fn write_off_abs(&self) -> Decimal {
        self.inner.write_off_abs
    }

    /// Write-off tolerance, percent of the invoice total.
    #[getter]
    fn write_off_pct(&self) -> Decimal {
        self.inner.write_off_pct
    }

    /// Fee booking.
    #[getter]
    fn fees(&self) -> &'static str {
        name_of(FEES, &self.inner.fees)
    }

    /// FX booking.
    #[getter]
    fn fx(&self) -> &'static str {
        name_of(FXS, &self.inner.fx)
    }

    /// Metadata keys the metadata strategy reads.
    #[getter]
    fn metadata_keys(&self) -> Vec<String> {
        self.inner.metadata_keys.clone()
    }

    /// Run policy matching at the end of each import.
    #[getter]
    fn match_on_import(&self) -> bool {
        self.inner.match_on_import
    }

    /// Bank deposit window, business days either side of the payout arrival date.
    #[getter]
    fn deposit_window_days(&self) -> u32 {
        self.inner.deposit_window_days
    }

    /// The policy as a plain dict (the engine's JSON form).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::to_value(&self.inner).unwrap_or_default())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyReconcilePolicy>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        format!(
            "ReconcilePolicy(order='{}', write_off_abs=Decimal('{}'), write_off_pct=Decimal('{}'), fees='{}', fx='{}', match_on_import={}, deposit_window_days={})",
            self.order(),
            self.inner.write_off_abs,
            self.inner.write_off_pct,
            self.fees(),
            self.fx(),
            if self.inner.match_on_import {
                "True"
            } else {
                "False"
            },
            self.inner.deposit_window_days
        )
    }
}

/// A reviewed, approvable description of one import.
#[pyclass(module = "tieout._native", name = "ImportPlan", frozen, from_py_object)]
#[derive(Clone)]
pub struct PyImportPlan {
    pub(crate) inner: ImportPlan,
}

fn customer_matches(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Vec<CustomerMatch>> {
    let items: Vec<String> = v.extract().map_err(|_| {
        invalid(
            py,
            "customer_filter lists must be lists of customer ids or emails",
        )
    })?;
    Ok(items.iter().map(|s| CustomerMatch::parse(s)).collect())
}

fn customer_filter_arg(py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<CustomerFilter> {
    let d = f.cast::<PyDict>().map_err(|_| {
        invalid(
            py,
            "customer_filter must be {'allow': [...]} or {'exclude': [...]}",
        )
    })?;
    let allow = d.get_item("allow")?;
    let exclude = d.get_item("exclude")?;
    if d.len() != 1 {
        return Err(invalid(
            py,
            "customer_filter takes exactly one of 'allow' or 'exclude'",
        ));
    }
    match (allow, exclude) {
        (Some(a), None) => Ok(CustomerFilter::Allow(customer_matches(py, &a)?)),
        (None, Some(e)) => Ok(CustomerFilter::Exclude(customer_matches(py, &e)?)),
        _ => Err(invalid(
            py,
            "customer_filter takes exactly one of 'allow' or 'exclude'",
        )),
    }
}

/// A books customer id from a `str` or any record with an `id`.
fn id_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s);
    }
    obj.getattr("id")?.extract()
}

#[pymethods]
impl PyImportPlan {
    #[new]
    #[pyo3(signature = (objects=None, customer_resolution="stripe", fixed_customer=None, match_by_email=false, customer_filter=None, created_from=None, created_to=None, invoice_statuses=None, paid_invoices="record_payment", unpaid_invoices="keep_status", policy=None, post_actions=None, allow_live=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        objects: Option<Vec<String>>,
        customer_resolution: &str,
        fixed_customer: Option<&Bound<'_, PyAny>>,
        match_by_email: bool,
        customer_filter: Option<&Bound<'_, PyAny>>,
        created_from: Option<&Bound<'_, PyAny>>,
        created_to: Option<&Bound<'_, PyAny>>,
        invoice_statuses: Option<Vec<String>>,
        paid_invoices: &str,
        unpaid_invoices: &str,
        policy: Option<PyReconcilePolicy>,
        post_actions: Option<Vec<String>>,
        allow_live: bool,
    ) -> PyResult<Self> {
        let mut plan = ImportPlan::default();
        if let Some(objs) = objects {
            let mut scopes = Vec::new();
            for o in &objs {
                let s = ObjectScope::parse(o).ok_or_else(|| {
                    let all: Vec<&str> = ObjectScope::ALL.iter().map(|s| s.as_str()).collect();
                    invalid(
                        py,
                        format!("unknown object {o:?}; expected some of {all:?}"),
                    )
                })?;
                if !scopes.contains(&s) {
                    scopes.push(s);
                }
            }
            plan.objects = scopes;
        }
        plan.customer_resolution = match (customer_resolution, fixed_customer) {
            ("stripe" | "source", None) => CustomerResolution::FromSource,
            ("fixed", Some(c)) => CustomerResolution::Fixed(id_arg(c)?),
            ("fixed", None) => {
                return Err(invalid(
                    py,
                    "customer_resolution='fixed' needs fixed_customer (a books customer id)",
                ));
            }
            ("stripe" | "source", Some(_)) => {
                return Err(invalid(
                    py,
                    "fixed_customer needs customer_resolution='fixed'",
                ));
            }
            (other, _) => {
                return Err(invalid(
                    py,
                    format!("customer_resolution must be 'stripe' or 'fixed', not {other:?}"),
                ));
            }
        };
        plan.match_by_email = match_by_email;
        if let Some(f) = customer_filter {
            plan.customer_filter = customer_filter_arg(py, f)?;
        }
        plan.created_from = created_from
            .map(|t| time_arg(t, "created_from"))
            .transpose()?;
        plan.created_to = created_to.map(|t| time_arg(t, "created_to")).transpose()?;
        if let (Some(a), Some(b)) = (plan.created_from, plan.created_to) {
            if a > b {
                return Err(invalid(py, "created_from is after created_to"));
            }
        }
        if let Some(st) = invoice_statuses {
            let mut v = Vec::new();
            for s in &st {
                v.push(
                    InvoiceStatus::parse(s)
                        .ok_or_else(|| invalid(py, format!("unknown invoice status {s:?}")))?,
                );
            }
            plan.invoice_statuses = v;
        }
        plan.paid_invoices = parse_enum(py, "paid_invoices", paid_invoices, PAID)?;
        plan.unpaid_invoices = parse_enum(py, "unpaid_invoices", unpaid_invoices, UNPAID)?;
        if let Some(p) = policy {
            plan.policy = p.inner;
        }
        plan.post_actions = post_actions.unwrap_or_default();
        plan.allow_live = allow_live;
        Ok(PyImportPlan { inner: plan })
    }

    /// A plan from the engine's JSON form (a dict or JSON text); missing keys take
    /// the defaults, so `{"allow_live": true}` is a whole plan.
    #[staticmethod]
    fn from_json(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let given = match data.extract::<String>() {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| invalid(py, format!("plan JSON: {e}")))?
            }
            Err(_) => py_to_json(data)?,
        };
        let mut base = serde_json::to_value(ImportPlan::default()).unwrap_or_default();
        match (base.as_object_mut(), given) {
            (Some(b), serde_json::Value::Object(g)) => {
                for (k, v) in g {
                    if k == "policy" {
                        if let (Some(bp), serde_json::Value::Object(gp)) =
                            (b.get_mut("policy").and_then(|p| p.as_object_mut()), &v)
                        {
                            for (pk, pv) in gp {
                                bp.insert(pk.clone(), pv.clone());
                            }
                            continue;
                        }
                    }
                    b.insert(k, v);
                }
            }
            _ => return Err(invalid(py, "plan JSON must be an object")),
        }
        let inner: ImportPlan =
            serde_json::from_value(base).map_err(|e| invalid(py, format!("plan JSON: {e}")))?;
        Ok(PyImportPlan { inner })
    }

    /// A stable hash of the plan (the approval binds to it).
    #[getter]
    fn hash(&self) -> String {
        self.inner.hash()
    }

    /// Object kinds imported.
    #[getter]
    fn objects(&self) -> Vec<&'static str> {
        self.inner.objects.iter().map(|o| o.as_str()).collect()
    }

    /// `"stripe"` or `"fixed"`.
    #[getter]
    fn customer_resolution(&self) -> &'static str {
        match self.inner.customer_resolution {
            CustomerResolution::FromSource => "stripe",
            CustomerResolution::Fixed(_) => "fixed",
        }
    }

    /// The books customer everything is filed under, in fixed mode.
    #[getter]
    fn fixed_customer(&self) -> Option<String> {
        match &self.inner.customer_resolution {
            CustomerResolution::Fixed(c) => Some(c.clone()),
            CustomerResolution::FromSource => None,
        }
    }

    /// Match source customers to books customers by email first.
    #[getter]
    fn match_by_email(&self) -> bool {
        self.inner.match_by_email
    }

    /// `None`, `{"allow": [...]}` or `{"exclude": [...]}`.
    #[getter]
    fn customer_filter<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let (key, list) = match &self.inner.customer_filter {
            CustomerFilter::All => return Ok(None),
            CustomerFilter::Allow(l) => ("allow", l),
            CustomerFilter::Exclude(l) => ("exclude", l),
        };
        let names: Vec<&str> = list
            .iter()
            .map(|m| match m {
                CustomerMatch::Id(s) | CustomerMatch::Email(s) => s.as_str(),
            })
            .collect();
        let d = PyDict::new(py);
        d.set_item(key, names)?;
        Ok(Some(d))
    }

    /// Only records created at or after this time.
    #[getter]
    fn created_from(&self) -> Option<DateTime<Utc>> {
        self.inner.created_from
    }

    /// Only records created at or before this time.
    #[getter]
    fn created_to(&self) -> Option<DateTime<Utc>> {
        self.inner.created_to
    }

    /// Only invoices in these statuses (empty: all).
    #[getter]
    fn invoice_statuses(&self) -> Vec<&'static str> {
        self.inner
            .invoice_statuses
            .iter()
            .map(|s| s.as_str())
            .collect()
    }

    /// `"record_payment"` or `"mark_paid_only"`.
    #[getter]
    fn paid_invoices(&self) -> &'static str {
        name_of(PAID, &self.inner.paid_invoices)
    }

    /// `"keep_status"` or `"as_drafts"`.
    #[getter]
    fn unpaid_invoices(&self) -> &'static str {
        name_of(UNPAID, &self.inner.unpaid_invoices)
    }

    /// Matching, fee and FX policy.
    #[getter]
    fn policy(&self) -> PyReconcilePolicy {
        PyReconcilePolicy {
            inner: self.inner.policy.clone(),
        }
    }

    /// Named post-import actions (registered with `Books.register_action`).
    #[getter]
    fn post_actions(&self) -> Vec<String> {
        self.inner.post_actions.clone()
    }

    /// Whether a live-mode source may be imported (still needs the approval).
    #[getter]
    fn allow_live(&self) -> bool {
        self.inner.allow_live
    }

    /// The plan as a plain dict (the engine's JSON form, accepted by `from_json`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::to_value(&self.inner).unwrap_or_default())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyImportPlan>()
            .is_ok_and(|o| o.get().inner.hash() == self.inner.hash())
    }

    fn __hash__(&self) -> u64 {
        u64::from_str_radix(&self.inner.hash()[..15], 16).unwrap_or(0)
    }

    fn __repr__(&self) -> String {
        let objects: Vec<String> = self.objects().iter().map(|o| format!("'{o}'")).collect();
        let mut s = format!(
            "ImportPlan(objects=[{}], customer_resolution='{}'",
            objects.join(", "),
            self.customer_resolution()
        );
        if let Some(c) = self.fixed_customer() {
            s.push_str(&format!(", fixed_customer='{c}'"));
        }
        if self.inner.allow_live {
            s.push_str(", allow_live=True");
        }
        s.push_str(&format!(", hash='{}')", &self.inner.hash()[..12]));
        s
    }
}
