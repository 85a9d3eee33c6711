//! Stripe JSON -> core records.
//!
//! [`map_object`] takes any Stripe object (dispatched on its `object` field) and
//! returns zero or more [`SourceItem`]s: the mapped record, records for objects
//! Stripe expanded inside it (an invoice's payments, a charge's balance
//! transaction and refunds, ...), or a `Failed` item naming what is wrong. It
//! never panics. Both pre-basil and basil-or-later shapes are read: a known API
//! version picks the shape whose fields are authoritative; without one, the shape
//! is detected from the fields and the other shape's fields fill gaps.

mod access;
mod balance;
mod credit_note;
mod customer;
mod dispute;
pub(crate) mod event;
mod invoice;
mod invoice_line;
mod invoice_payment;
pub(crate) mod kept_keys;
pub(crate) mod lean_value;
pub mod money;
mod payment;
mod payout;
mod product;
mod refund;
mod subscription;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tieout_core::model::{Failure, InvoiceLine, OriginalCustomer, SourceRef};
use tieout_core::{Currency, SourceItem};

pub(crate) use access::kind as json_kind;
use access::{MResult, Obj};
pub use money::{stripe_amount, stripe_decimal_amount, stripe_exponent};

/// Who the mapped records belong to and how the JSON was rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapContext {
    /// Source system, `"stripe"`.
    pub system: String,
    /// Stripe account id (`acct_...`) or a label for offline data.
    pub account: String,
    /// API version the JSON was rendered at (`2025-03-31.basil`), when known.
    pub api_version: Option<String>,
    /// When this snapshot was observed (an event's `created`); `updated_at` of the records.
    pub observed_at: Option<DateTime<Utc>>,
}

impl MapContext {
    /// A context for `account` with no API version and no observation time.
    pub fn new(account: &str) -> Self {
        MapContext {
            system: "stripe".to_string(),
            account: account.to_string(),
            api_version: None,
            observed_at: None,
        }
    }

    /// Sets the API version.
    pub fn with_api_version(mut self, v: Option<&str>) -> Self {
        self.api_version = v.map(str::to_string);
        self
    }
}

/// The two object shapes an importer meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiShape {
    /// Before `2025-03-31.basil`: `invoice.charge`, `line.price`, `subscription.current_period_*`.
    PreBasil,
    /// `2025-03-31.basil` and later: `invoice.payments`, `line.pricing`, `parent`, per-item periods.
    Basil,
}

impl ApiShape {
    /// The shape of an API version (`"2024-06-20"` -> pre-basil); `None` if it is not a dated version.
    pub fn of_version(version: &str) -> Option<ApiShape> {
        let date = version.get(..10)?;
        let b = date.as_bytes();
        let dated = b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
        if !dated {
            return None;
        }
        Some(if date >= "2025-03-31" {
            ApiShape::Basil
        } else {
            ApiShape::PreBasil
        })
    }
}

/// Internal mapping context: the public one plus the version's shape.
pub(crate) struct Cx<'a> {
    pub ctx: &'a MapContext,
    /// Shape from the API version; `None` means detect per object.
    pub shape: Option<ApiShape>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(ctx: &'a MapContext) -> Self {
        Cx {
            ctx,
            shape: ctx.api_version.as_deref().and_then(ApiShape::of_version),
        }
    }

    /// The version's shape, or `detect()` when the version is unknown.
    pub(crate) fn shape_or(&self, detect: impl FnOnce() -> ApiShape) -> ApiShape {
        self.shape.unwrap_or_else(detect)
    }
}

/// Maps one Stripe object (any type, dispatched on its `object` field) to zero or more items.
///
/// Unsupported object types (and `list` pages, which readers unwrap) give no items;
/// a payload that cannot be mapped gives one `SourceItem::Failed`.
pub fn map_object(value: &Value, ctx: &MapContext) -> Vec<SourceItem> {
    let mut out = Vec::new();
    map_into(value, &Cx::new(ctx), &mut out);
    out
}

/// Whether `map_object` maps objects of this type to records.
pub fn is_supported(object: &str) -> bool {
    matches!(
        object,
        "customer"
            | "product"
            | "price"
            | "plan"
            | "invoice"
            | "invoice_payment"
            | "subscription"
            | "charge"
            | "payment_intent"
            | "checkout.session"
            | "refund"
            | "dispute"
            | "balance_transaction"
            | "payout"
            | "credit_note"
    )
}

/// Maps one invoice line (`line_item`, either shape) in the invoice's currency, e.g.
/// for lines fetched separately from `GET /v1/invoices/{id}/lines`.
pub fn map_invoice_line(
    value: &Value,
    currency: Currency,
    ctx: &MapContext,
) -> Result<InvoiceLine, String> {
    let cx = Cx::new(ctx);
    Obj::of(value, "line_item")
        .and_then(|o| invoice_line::map(o, currency, &cx))
        .map_err(|e| e.0)
}

/// Maps `value` and pushes its items; a failure replaces whatever it pushed.
pub(crate) fn map_into(value: &Value, cx: &Cx<'_>, out: &mut Vec<SourceItem>) {
    let start = out.len();
    let index = value.as_object().and_then(access::KeyIndex::build);
    let o = match Obj::of(value, "value") {
        Ok(o) => o.with_index(index.as_ref()),
        Err(_) => {
            let msg = format!(
                "not a Stripe object: expected a JSON object, got {}",
                access::kind(value)
            );
            out.push(failed("unknown", "", msg));
            return;
        }
    };
    let object = match o.str("object") {
        Ok(Some(s)) => s,
        Ok(None) => {
            let id = o.str("id").ok().flatten().unwrap_or("");
            out.push(failed(
                "unknown",
                id,
                "not a Stripe object: no `object` field".into(),
            ));
            return;
        }
        Err(e) => {
            out.push(failed("unknown", "", e.0));
            return;
        }
    };
    if !is_supported(object) {
        return;
    }
    let id = match o.str("id") {
        Ok(Some(id)) if !id.is_empty() => id,
        Ok(_) => {
            out.push(failed(object, "", format!("{object} without an `id`")));
            return;
        }
        Err(e) => {
            out.push(failed(object, "", e.0));
            return;
        }
    };
    let r = match object {
        "customer" => customer::map(o, id, cx, out),
        "product" => product::map_product(o, id, cx, out),
        "price" => product::map_price(o, id, cx, out),
        "plan" => product::map_plan(o, id, cx, out),
        "invoice" => invoice::map(o, id, cx, out),
        "invoice_payment" => invoice_payment::map(o, id, cx, out),
        "subscription" => subscription::map(o, id, cx, out),
        "charge" => payment::map_charge(o, id, cx, out).map(|_| ()),
        "payment_intent" => payment::map_payment_intent(o, id, cx, out),
        "checkout.session" => payment::map_checkout_session(o, id, cx, out),
        "refund" => refund::map(o, id, cx, out),
        "dispute" => dispute::map(o, id, cx, out),
        "balance_transaction" => balance::map(o, id, cx, out),
        "payout" => payout::map(o, id, cx, out),
        "credit_note" => credit_note::map(o, id, cx, out),
        _ => Ok(()),
    };
    if let Err(e) = r {
        out.truncate(start);
        out.push(failed(object, id, format!("{object} {id}: {e}")));
    }
}

/// A `Failed` item.
pub(crate) fn failed(object: &str, external_id: &str, error: String) -> SourceItem {
    SourceItem::Failed(Failure {
        object: object.to_string(),
        external_id: external_id.to_string(),
        error,
    })
}

/// Builds the `SourceRef` of an object: ids, status, url, times, livemode.
pub(crate) fn source_ref(
    o: Obj<'_>,
    object: &str,
    id: &str,
    status: Option<&str>,
    url: Option<String>,
    cx: &Cx<'_>,
) -> MResult<SourceRef> {
    let created_at = o.ts("created")?;
    let livemode = o.flag("livemode")?;
    let updated_at = match cx.ctx.observed_at {
        Some(t) => Some(t),
        None => latest_time(o, created_at),
    };
    let url = url.or_else(|| dashboard_url(object, id, livemode));
    Ok(SourceRef {
        system: cx.ctx.system.clone(),
        account: cx.ctx.account.clone(),
        object: object.to_string(),
        external_id: id.to_string(),
        status: status.map(str::to_string),
        url,
        updated_at,
        created_at,
        livemode,
        original_customer: None,
    })
}

/// The latest of `created` and the `status_transitions` times (non-integers ignored).
fn latest_time(o: Obj<'_>, created: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let mut latest = created;
    if let Ok(Some(st)) = o.obj("status_transitions") {
        for v in st.map().values() {
            if let Some(t) = v.as_i64().and_then(|s| DateTime::from_timestamp(s, 0)) {
                latest = Some(latest.map_or(t, |l| l.max(t)));
            }
        }
    }
    latest
}

/// A Stripe Dashboard link for objects that have a page.
pub(crate) fn dashboard_url(object: &str, id: &str, livemode: bool) -> Option<String> {
    let path = match object {
        "customer" => "customers",
        "product" => "products",
        "price" => "prices",
        "plan" => "plans",
        "invoice" => "invoices",
        "subscription" => "subscriptions",
        "charge" | "payment_intent" => "payments",
        "dispute" => "disputes",
        "payout" => "payouts",
        _ => return None,
    };
    let mode = if livemode { "" } else { "test/" };
    Some(format!("https://dashboard.stripe.com/{mode}{path}/{id}"))
}

/// The customer a record names: `key` as an id or expanded customer, with a
/// name and email from the expanded object or from the record's own copies.
pub(crate) fn customer_ref(
    o: Obj<'_>,
    key: &str,
    name: Option<&str>,
    email: Option<&str>,
) -> MResult<Option<OriginalCustomer>> {
    let Some(c) = o.expandable(key)? else {
        return Ok(None);
    };
    let (mut n, mut e) = (None, None);
    if let Some(obj) = c.obj {
        n = obj.str("name").ok().flatten();
        e = obj.str("email").ok().flatten();
    }
    Ok(Some(OriginalCustomer {
        external_id: c.id.to_string(),
        name: n.or(name).map(str::to_string),
        email: e.or(email).map(str::to_string),
    }))
}

/// Maps the expanded objects among `values` (ids are skipped).
pub(crate) fn map_expanded(values: &[&Value], cx: &Cx<'_>, out: &mut Vec<SourceItem>) {
    for v in values {
        if v.is_object() {
            map_into(v, cx, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_from_versions() {
        assert_eq!(
            ApiShape::of_version("2025-03-31.basil"),
            Some(ApiShape::Basil)
        );
        assert_eq!(
            ApiShape::of_version("2026-07-29.dahlia"),
            Some(ApiShape::Basil)
        );
        assert_eq!(ApiShape::of_version("2024-06-20"), Some(ApiShape::PreBasil));
        assert_eq!(
            ApiShape::of_version("2025-02-24.acacia"),
            Some(ApiShape::PreBasil)
        );
        assert_eq!(ApiShape::of_version("latest"), None);
        assert_eq!(ApiShape::of_version(""), None);
    }

    #[test]
    fn non_objects_fail_and_unknown_types_are_skipped() {
        let ctx = MapContext::new("acct_1");
        assert!(matches!(
            map_object(&serde_json::json!(3), &ctx)[..],
            [SourceItem::Failed(_)]
        ));
        assert!(map_object(&serde_json::json!({"object":"coupon","id":"c"}), &ctx).is_empty());
        assert!(map_object(&serde_json::json!({"object":"list","data":[]}), &ctx).is_empty());
    }
}
