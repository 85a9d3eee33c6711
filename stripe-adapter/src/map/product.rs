//! Products, prices and legacy plans.

use tieout_core::model::{Interval, Price, Product, Recurring};
use tieout_core::{Record, SourceItem};

use super::access::{MResult, MapError, Obj};
use super::{Cx, source_ref};

/// Maps a `product` object (a deleted product maps inactive).
pub(crate) fn map_product(
    o: Obj<'_>,
    id: &str,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    let deleted = o.flag("deleted")?;
    let active = o.bool("active")?.unwrap_or(!deleted) && !deleted;
    let status = if deleted {
        "deleted"
    } else if active {
        "active"
    } else {
        "archived"
    };
    let source = source_ref(o, "product", id, Some(status), None, cx)?;
    out.push(SourceItem::Record(Record::Product(Product {
        id: String::new(),
        source,
        name: o.string("name")?.unwrap_or_default(),
        description: o.string("description")?,
        active,
    })));
    Ok(())
}

/// Maps a `price` object.
pub(crate) fn map_price(
    o: Obj<'_>,
    id: &str,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    let currency = o.currency("currency")?;
    let unit_amount = match o.decimal_amount("unit_amount_decimal", currency)? {
        Some(d) => Some(d),
        None => o.amount("unit_amount", currency)?,
    };
    let recurring = match o.obj("recurring")? {
        Some(r) => Some(recurring(r).map_err(|e| e.within("`recurring`"))?),
        None => None,
    };
    push_price(o, id, "price", currency, unit_amount, recurring, cx, out)
}

/// Maps a legacy `plan` object (always recurring).
pub(crate) fn map_plan(
    o: Obj<'_>,
    id: &str,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    let currency = o.currency("currency")?;
    let unit_amount = match o.decimal_amount("amount_decimal", currency)? {
        Some(d) => Some(d),
        None => o.amount("amount", currency)?,
    };
    let recurring = Some(recurring(o)?);
    push_price(o, id, "plan", currency, unit_amount, recurring, cx, out)
}

/// `interval` + `interval_count` of a price's `recurring` or a plan.
pub(crate) fn recurring(o: Obj<'_>) -> MResult<Recurring> {
    let interval = Interval::parse(o.req_str("interval")?);
    let count = o.i64("interval_count")?.unwrap_or(1);
    let interval_count = u32::try_from(count)
        .map_err(|_| MapError::field("interval_count", format_args!("{count} out of range")))?;
    Ok(Recurring {
        interval,
        interval_count,
    })
}

#[allow(clippy::too_many_arguments)]
fn push_price(
    o: Obj<'_>,
    id: &str,
    object: &str,
    currency: tieout_core::Currency,
    unit_amount: Option<rust_decimal::Decimal>,
    recurring: Option<Recurring>,
    cx: &Cx<'_>,
    out: &mut Vec<SourceItem>,
) -> MResult<()> {
    let active = o.bool("active")?.unwrap_or(true) && !o.flag("deleted")?;
    let status = if active { "active" } else { "archived" };
    let source = source_ref(o, object, id, Some(status), None, cx)?;
    out.push(SourceItem::Record(Record::Price(Price {
        id: String::new(),
        source,
        product_id: None,
        product_ref: o.id_string("product")?,
        currency,
        unit_amount,
        recurring,
        active,
        nickname: o.string("nickname")?,
    })));
    Ok(())
}
