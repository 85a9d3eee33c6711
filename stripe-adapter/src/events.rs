//! Stripe events (webhook deliveries and the Events API).

use serde_json::Value;

use crate::error::{Result, StripeError};
pub use crate::map::event::event_items;

/// A Stripe event: its identity and the object snapshot it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct StripeEvent {
    /// Event id (`evt_...`); deliveries are at least once, dedupe by it.
    pub id: String,
    /// Event type, e.g. `invoice.paid`.
    pub event_type: String,
    /// Creation time (unix seconds).
    pub created: i64,
    /// API version `data.object` is rendered at.
    pub api_version: Option<String>,
    /// Live or test mode.
    pub livemode: bool,
    /// Connected account the event belongs to (Connect), if any.
    pub account: Option<String>,
    /// `data.object`.
    pub object: Value,
    /// `data.previous_attributes` (on `*.updated` events).
    pub previous_attributes: Option<Value>,
}

fn not_event(why: &str) -> StripeError {
    StripeError::Decode(format!("payload is not a Stripe event: {why}"))
}

impl StripeEvent {
    /// Parses an event from raw JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<StripeEvent> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| not_event(&format!("invalid JSON ({e})")))?;
        Self::from_value(v)
    }

    /// Reads an event from a JSON value (takes ownership to avoid copying `data.object`).
    pub fn from_value(mut v: Value) -> Result<StripeEvent> {
        let Some(map) = v.as_object_mut() else {
            return Err(not_event("not a JSON object"));
        };
        match map.get("object") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s == "event" => {}
            Some(other) => return Err(not_event(&format!("`object` is {other}"))),
        }
        let text = |map: &serde_json::Map<String, Value>, k: &str| -> Result<Option<String>> {
            match map.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(not_event(&format!("`{k}` is not a string"))),
            }
        };
        let id = text(map, "id")?.ok_or_else(|| not_event("no `id`"))?;
        let event_type = text(map, "type")?.ok_or_else(|| not_event("no `type`"))?;
        let created = map
            .get("created")
            .and_then(Value::as_i64)
            .ok_or_else(|| not_event("no integer `created`"))?;
        let api_version = text(map, "api_version")?;
        let account = text(map, "account")?;
        let livemode = map
            .get("livemode")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let data = match map.get_mut("data") {
            Some(Value::Object(d)) => d,
            _ => return Err(not_event("no `data` object")),
        };
        let object = match data.remove("object") {
            Some(o @ Value::Object(_)) => o,
            _ => return Err(not_event("no `data.object`")),
        };
        let previous_attributes = data.remove("previous_attributes").filter(|p| !p.is_null());
        Ok(StripeEvent {
            id,
            event_type,
            created,
            api_version,
            livemode,
            account,
            object,
            previous_attributes,
        })
    }

    /// Maps `data.object` to records (see [`event_items`]).
    pub fn items(&self, account: &str) -> Vec<tieout_core::SourceItem> {
        event_items(self, account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_event_and_rejects_others() {
        let ev = StripeEvent::parse(
            br#"{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,
                "api_version":"2025-03-31.basil","livemode":false,
                "data":{"object":{"id":"in_1","object":"invoice"},"previous_attributes":null}}"#,
        )
        .unwrap();
        assert_eq!(ev.event_type, "invoice.paid");
        assert_eq!(ev.object["id"], "in_1");
        assert!(ev.previous_attributes.is_none());
        assert!(StripeEvent::parse(b"[]").is_err());
        assert!(StripeEvent::parse(br#"{"object":"invoice","id":"in_1"}"#).is_err());
        assert!(StripeEvent::parse(br#"{"id":"e","type":"t","created":1,"data":{}}"#).is_err());
    }
}
