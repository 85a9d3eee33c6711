//! Building a Stripe write intent.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::writes::{WriteIntent, write_key};

/// The `stripe` write of `kind` for `purpose`: POST `params` to `path`, its
/// key also written into `params.metadata.tieout_key`; a lost answer is
/// looked up in `lookup_list` (with `lookup_filter` query pairs) when given.
pub fn stripe_intent(
    kind: &str,
    purpose: &str,
    path: &str,
    mut params: Value,
    lookup_list: Option<(&str, Value)>,
    now: DateTime<Utc>,
) -> WriteIntent {
    let key = write_key(purpose);
    if let Value::Object(m) = &mut params {
        let meta = m.entry("metadata").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert("tieout_key".into(), Value::String(key.clone()));
        }
    }
    let mut payload = json!({ "path": path, "params": params });
    if let Some((list, filter)) = lookup_list {
        payload["lookup"] = json!({ "list": list, "filter": filter });
    }
    WriteIntent::new("stripe", kind, purpose, payload, now)
}
