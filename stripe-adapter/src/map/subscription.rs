//! Subscriptions with their items (periods on the subscription pre-basil, on items since basil).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tieout_core::model::{Interval, Recurring, Subscription, SubscriptionItem, SubscriptionStatus};
use tieout_core::{Currency, Record, SourceItem};

use super::access::{MResult, MapError, Obj};
use super::product::recurring;
use super::{ApiShape, Cx, customer_ref, source_ref};

/// Maps a `subscription`.
pub(crate) fn map(o: Obj<'_>, id: &str, cx: &Cx<'_>, out: &mut Vec<SourceItem>) -> MResult<()> {
    let currency = currency(o)?;
    let raw_status = o.str("status")?;
    let status = SubscriptionStatus::parse(raw_status.unwrap_or("active"));
    let mut items = Vec::new();
    for (i, v) in o.list("items")?.iter().enumerate() {
        let item = Obj::of(v, "item")
            .and_then(|it| item(it, currency))
            .map_err(|e| e.within(format_args!("items.data[{i}]")))?;
        items.push(item);
    }
    if items.is_empty() && o.has("plan") {
        // Very old shape: one `plan` and `quantity` on the subscription itself.
        let mut only = item(o, currency)?;
        only.external_id = None;
        only.current_period_start = None;
        only.current_period_end = None;
        items.push(only);
    }
    let amount: Decimal = items
        .iter()
        .filter_map(|i| i.unit_amount.map(|u| u * i.quantity))
        .sum();
    let (interval, interval_count) = items
        .first()
        .map(|i| (i.interval.clone(), i.interval_count))
        .unwrap_or((Interval::Month, 1));

    // Periods: on the subscription before basil, on each item since.
    let top = (o.ts("current_period_start")?, o.ts("current_period_end")?);
    let from_items = (
        items.iter().filter_map(|i| i.current_period_start).min(),
        items.iter().filter_map(|i| i.current_period_end).min(),
    );
    let detect = || {
        if o.has("current_period_end") {
            ApiShape::PreBasil
        } else {
            ApiShape::Basil
        }
    };
    let (current_period_start, current_period_end) = match cx.shape_or(detect) {
        ApiShape::PreBasil => (top.0.or(from_items.0), top.1.or(from_items.1)),
        ApiShape::Basil => (from_items.0.or(top.0), from_items.1.or(top.1)),
    };
    // Before basil every item shares the subscription's period: give it to
    // items that carry none, so the books read the same under every version.
    for i in &mut items {
        if i.current_period_start.is_none() && i.current_period_end.is_none() {
            i.current_period_start = current_period_start;
            i.current_period_end = current_period_end;
        }
    }
    let cancel_at_period_end = o.flag("cancel_at_period_end")?;
    let ended = matches!(
        status,
        SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired
    );
    let next_billing_date = if ended || cancel_at_period_end {
        None
    } else {
        current_period_end
    };
    let mut source = source_ref(o, "subscription", id, raw_status, None, cx)?;
    if cx.ctx.observed_at.is_none() {
        source.updated_at = latest(&[source.updated_at, o.ts("canceled_at")?, o.ts("ended_at")?]);
    }
    out.push(SourceItem::Record(Record::Subscription(Subscription {
        id: String::new(),
        source,
        customer_id: None,
        customer_ref: customer_ref(o, "customer", None, None)?,
        status,
        currency,
        amount,
        interval,
        interval_count,
        start_date: o.ts("start_date")?,
        current_period_start,
        current_period_end,
        next_billing_date,
        cancel_at_period_end,
        canceled_at: o.ts("canceled_at")?,
        ended_at: o.ts("ended_at")?,
        trial_end: o.ts("trial_end")?,
        items,
    })));
    Ok(())
}

/// The subscription's currency: its own `currency` (newer API versions), else the first
/// item's `price.currency` or legacy `plan.currency`, else the old top-level `plan.currency`.
/// Fails only when none of these names one.
fn currency(o: Obj<'_>) -> MResult<Currency> {
    if let Some(c) = o.opt_currency("currency")? {
        return Ok(c);
    }
    for (i, v) in o.list("items")?.iter().enumerate() {
        let it = Obj::of(v, "item").map_err(|e| e.within(format_args!("items.data[{i}]")))?;
        for key in ["price", "plan"] {
            if let Some(p) = it.expandable(key)?.and_then(|e| e.obj)
                && let Some(c) = p
                    .opt_currency("currency")
                    .map_err(|e| e.within(format_args!("items.data[{i}].{key}")))?
            {
                return Ok(c);
            }
        }
    }
    if let Some(p) = o.expandable("plan")?.and_then(|e| e.obj)
        && let Some(c) = p.opt_currency("currency").map_err(|e| e.within("plan"))?
    {
        return Ok(c);
    }
    Err(MapError::field(
        "currency",
        "missing (not on the subscription, its items' price or plan, nor its plan)",
    ))
}

fn latest(ts: &[Option<DateTime<Utc>>]) -> Option<DateTime<Utc>> {
    ts.iter().flatten().max().copied()
}

/// One `subscription_item`: its `price` (preferred) or legacy `plan`, read in the
/// subscription's currency.
fn item(o: Obj<'_>, currency: Currency) -> MResult<SubscriptionItem> {
    let mut price_ref = None;
    let mut product_ref = None;
    let mut unit_amount = None;
    let mut rec: Option<Recurring> = None;
    if let Some(p) = o.expandable("price")? {
        price_ref = Some(p.id.to_string());
        if let Some(po) = p.obj {
            product_ref = po.id_string("product")?;
            unit_amount = match po.decimal_amount("unit_amount_decimal", currency)? {
                Some(d) => Some(d),
                None => po.amount("unit_amount", currency)?,
            };
            if let Some(r) = po.obj("recurring")? {
                rec = Some(recurring(r).map_err(|e| e.within("`price.recurring`"))?);
            }
        }
    }
    if let Some(p) = o.expandable("plan")? {
        price_ref.get_or_insert_with(|| p.id.to_string());
        if let Some(po) = p.obj {
            if product_ref.is_none() {
                product_ref = po.id_string("product")?;
            }
            if unit_amount.is_none() {
                unit_amount = match po.decimal_amount("amount_decimal", currency)? {
                    Some(d) => Some(d),
                    None => po.amount("amount", currency)?,
                };
            }
            if rec.is_none() && po.raw("interval").is_some() {
                rec = Some(recurring(po).map_err(|e| e.within("`plan`"))?);
            }
        }
    }
    let rec = rec.unwrap_or(Recurring {
        interval: Interval::Month,
        interval_count: 1,
    });
    Ok(SubscriptionItem {
        external_id: o.string("id")?,
        price_ref,
        product_ref,
        quantity: Decimal::from(o.i64("quantity")?.unwrap_or(1)),
        unit_amount,
        interval: rec.interval,
        interval_count: rec.interval_count,
        current_period_start: o.ts("current_period_start")?,
        current_period_end: o.ts("current_period_end")?,
    })
}
