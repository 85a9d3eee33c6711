//! Invoice lines in both shapes.
//!
//! Pre-basil: `price` / `plan`, `type`, `proration`, `subscription_item`, `tax_amounts`.
//! Basil and later: `pricing.price_details.{price,product}`, `pricing.unit_amount_decimal`,
//! `parent.{subscription_item_details|invoice_item_details}`, `taxes[]`.

use rust_decimal::Decimal;
use tieout_core::Currency;
use tieout_core::model::InvoiceLine;

use super::access::{MResult, Obj};
use super::{ApiShape, Cx};

/// The shape-specific parts of a line.
#[derive(Default)]
struct Parts {
    price_ref: Option<String>,
    product_ref: Option<String>,
    unit_amount: Option<Decimal>,
    subscription_item_ref: Option<String>,
    proration: Option<bool>,
    tax: Option<Decimal>,
}

impl Parts {
    fn or(self, other: Parts) -> Parts {
        Parts {
            price_ref: self.price_ref.or(other.price_ref),
            product_ref: self.product_ref.or(other.product_ref),
            unit_amount: self.unit_amount.or(other.unit_amount),
            subscription_item_ref: self.subscription_item_ref.or(other.subscription_item_ref),
            proration: self.proration.or(other.proration),
            tax: self.tax.or(other.tax),
        }
    }
}

/// Guesses the shape of a line from its fields.
fn detect(o: Obj<'_>) -> ApiShape {
    if o.has("pricing") || (o.has("parent") && !o.has("price") && !o.has("plan")) {
        ApiShape::Basil
    } else {
        ApiShape::PreBasil
    }
}

/// Maps one `line_item` in the invoice's currency.
pub(crate) fn map(o: Obj<'_>, currency: Currency, cx: &Cx<'_>) -> MResult<InvoiceLine> {
    // A known API version is authoritative; without one, the detected shape is
    // preferred and the other shape's fields fill gaps.
    let parts = match cx.shape {
        Some(ApiShape::PreBasil) => pre_basil(o, currency)?,
        Some(ApiShape::Basil) => basil(o, currency)?,
        None => match detect(o) {
            ApiShape::PreBasil => pre_basil(o, currency)?.or(basil(o, currency)?),
            ApiShape::Basil => basil(o, currency)?.or(pre_basil(o, currency)?),
        },
    };
    let quantity = match o.decimal("quantity_decimal")? {
        Some(q) => q,
        None => Decimal::from(o.i64("quantity")?.unwrap_or(1)),
    };
    let (period_start, period_end) = match o.obj("period")? {
        Some(p) => (p.ts("start")?, p.ts("end")?),
        None => (None, None),
    };
    Ok(InvoiceLine {
        external_id: o.string("id")?,
        description: o.string("description")?,
        quantity,
        unit_amount: parts.unit_amount,
        amount: o.amount_or_zero("amount", currency)?,
        tax: parts.tax.unwrap_or_default(),
        period_start,
        period_end,
        price_ref: parts.price_ref,
        product_ref: parts.product_ref,
        subscription_item_ref: parts.subscription_item_ref,
        proration: parts.proration.unwrap_or(false),
    })
}

/// `price` (or `plan`), `proration`, `subscription_item`, `tax_amounts`.
fn pre_basil(o: Obj<'_>, currency: Currency) -> MResult<Parts> {
    let mut p = Parts::default();
    let price = match o.expandable("price")? {
        Some(e) => Some((e, "unit_amount_decimal", "unit_amount")),
        None => o
            .expandable("plan")?
            .map(|e| (e, "amount_decimal", "amount")),
    };
    if let Some((e, dec_key, int_key)) = price {
        p.price_ref = Some(e.id.to_string());
        if let Some(po) = e.obj {
            p.product_ref = po.id_string("product")?;
            p.unit_amount = match po.decimal_amount(dec_key, currency)? {
                Some(d) => Some(d),
                None => po.amount(int_key, currency)?,
            };
        }
    }
    p.proration = o.bool("proration")?;
    p.subscription_item_ref = o.id_string("subscription_item")?;
    p.tax = o.sum_amounts("tax_amounts", currency)?;
    Ok(p)
}

/// `pricing`, `parent`, `taxes`.
fn basil(o: Obj<'_>, currency: Currency) -> MResult<Parts> {
    let mut p = Parts::default();
    if let Some(pricing) = o.obj("pricing")? {
        if let Some(d) = pricing.obj("price_details")? {
            p.price_ref = d.id_string("price")?;
            p.product_ref = d.id_string("product")?;
        }
        p.unit_amount = pricing.decimal_amount("unit_amount_decimal", currency)?;
    }
    if let Some(parent) = o.obj("parent")? {
        let details = match parent.str("type")? {
            Some("subscription_item_details") => parent.obj("subscription_item_details")?,
            Some("invoice_item_details") => parent.obj("invoice_item_details")?,
            _ => None,
        };
        if let Some(d) = details {
            p.proration = d.bool("proration")?;
            p.subscription_item_ref = d.id_string("subscription_item")?;
        }
    }
    p.tax = o.sum_amounts("taxes", currency)?;
    Ok(p)
}
