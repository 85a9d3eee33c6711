//! Events: `data.object` mapped as a snapshot observed at the event's `created`.

use chrono::DateTime;
use tieout_core::{Record, SourceItem};

use super::{Cx, MapContext, is_supported, map_into};
use crate::events::StripeEvent;

/// Maps an event's `data.object` (observed at `created`, rendered at the event's
/// `api_version`). Connect events (with `account`) belong to that account, others to
/// `account`. Unsupported types give no items: acknowledged, not an error.
pub fn event_items(ev: &StripeEvent, account: &str) -> Vec<SourceItem> {
    let object = ev
        .object
        .get("object")
        .and_then(|o| o.as_str())
        .unwrap_or("");
    if !is_supported(object) {
        return Vec::new();
    }
    // A deleted draft invoice leaves nothing to book.
    if ev.event_type == "invoice.deleted" {
        return Vec::new();
    }
    let ctx = MapContext {
        system: "stripe".to_string(),
        account: ev.account.clone().unwrap_or_else(|| account.to_string()),
        api_version: ev.api_version.clone(),
        observed_at: DateTime::from_timestamp(ev.created, 0),
    };
    let mut out = Vec::new();
    map_into(&ev.object, &Cx::new(&ctx), &mut out);
    if ev.event_type.ends_with(".deleted") {
        for item in &mut out {
            if let SourceItem::Record(r) = item {
                mark_deleted(r, object);
            }
        }
    }
    out
}

/// `customer.deleted`, `product.deleted`, `price.deleted`, `plan.deleted` carry the
/// object as it was; mark the top-level record deleted.
fn mark_deleted(r: &mut Record, object: &str) {
    match r {
        Record::Customer(c) if object == "customer" => {
            c.deleted = true;
            if let Some(s) = &mut c.source {
                s.status = Some("deleted".to_string());
            }
        }
        Record::Product(p) if object == "product" => {
            p.active = false;
            p.source.status = Some("deleted".to_string());
        }
        Record::Price(p) if object == "price" || object == "plan" => {
            p.active = false;
            p.source.status = Some("deleted".to_string());
        }
        _ => {}
    }
}
