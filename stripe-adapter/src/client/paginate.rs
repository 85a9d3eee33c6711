//! List pagination (`limit`, `starting_after`, `has_more`) and embedded-list completion.

use std::collections::HashSet;

use serde_json::Value;

use super::http::{Admission, Http, Params};
use super::shards::Shard;
use crate::error::{Result, StripeError};

/// One page of a list endpoint.
#[derive(Debug, Default)]
pub(crate) struct ListPage {
    pub data: Vec<Value>,
    pub has_more: bool,
}

/// Parses `{"object":"list","data":[...],"has_more":..}`. `total_count` is ignored.
pub(crate) fn parse_list(v: Value, path: &str) -> Result<ListPage> {
    let Value::Object(mut m) = v else {
        return Err(StripeError::Decode(format!(
            "{path}: expected a list object"
        )));
    };
    let data = match m.remove("data") {
        Some(Value::Array(a)) => a,
        _ => {
            return Err(StripeError::Decode(format!(
                "{path}: list without a data array"
            )));
        }
    };
    let has_more = m.get("has_more").and_then(Value::as_bool).unwrap_or(false);
    Ok(ListPage { data, has_more })
}

/// Fetches one page of `path` for a shard (adds `created[...]` when
/// `filtered`), sent on the turn `admission` took.
pub(crate) async fn shard_page(
    http: &Http,
    admission: Admission,
    path: &str,
    params: &[(String, String)],
    shard: &Shard,
    filtered: bool,
) -> Result<ListPage> {
    let mut q: Params = params.to_vec();
    q.push((
        "limit".into(),
        http.config.page_limit.clamp(1, 100).to_string(),
    ));
    if filtered {
        if let Some(g) = shard.gte {
            q.push(("created[gte]".into(), g.to_string()));
        }
        if let Some(l) = shard.lte {
            q.push(("created[lte]".into(), l.to_string()));
        }
    }
    if let Some(a) = &shard.after {
        q.push(("starting_after".into(), a.clone()));
    }
    parse_list(http.get_admitted(admission, path, &q).await?, path)
}

/// Reads `path` from `starting_after` to the end.
pub(crate) async fn list_rest(
    http: &Http,
    path: &str,
    params: &[(String, String)],
    mut starting_after: Option<String>,
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    loop {
        let mut q: Params = params.to_vec();
        q.push(("limit".into(), "100".into()));
        if let Some(a) = &starting_after {
            q.push(("starting_after".into(), a.clone()));
        }
        let page = parse_list(http.get(path, &q).await?, path)?;
        let last = page.data.last().and_then(id_of).map(str::to_string);
        out.extend(page.data);
        // Guard against a server that repeats itself (unknown cursor restarts the list).
        if !page.has_more || last.is_none() || last == starting_after {
            return Ok(out);
        }
        starting_after = last;
    }
}

/// The `id` of an object.
pub(crate) fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

/// Embedded lists that hold only their first page, and where to read the rest.
fn embedded(object: &str, id: &str) -> Vec<(&'static str, String, Params)> {
    match object {
        "invoice" => vec![
            ("lines", format!("/v1/invoices/{id}/lines"), vec![]),
            (
                "payments",
                "/v1/invoice_payments".to_string(),
                vec![("invoice".into(), id.to_string())],
            ),
        ],
        "subscription" => vec![(
            "items",
            "/v1/subscription_items".to_string(),
            vec![("subscription".into(), id.to_string())],
        )],
        "credit_note" => vec![("lines", format!("/v1/credit_notes/{id}/lines"), vec![])],
        "charge" => vec![(
            "refunds",
            "/v1/refunds".to_string(),
            vec![("charge".into(), id.to_string())],
        )],
        _ => vec![],
    }
}

/// True when some embedded list of `obj` has more than its first page.
pub(crate) fn needs_completion(obj: &Value) -> bool {
    let object = obj.get("object").and_then(Value::as_str).unwrap_or("");
    let id = id_of(obj).unwrap_or("");
    embedded(object, id).iter().any(|(field, _, _)| {
        obj.get(*field)
            .and_then(|l| l.get("has_more"))
            .and_then(Value::as_bool)
            == Some(true)
    })
}

/// Follows every embedded list whose `has_more` is true and splices the rest
/// into `data`, leaving `has_more: false`. With `tolerate_missing`, a 404 (the
/// object was deleted since) leaves the list as it was.
pub(crate) async fn complete_embedded(
    http: &Http,
    obj: &mut Value,
    tolerate_missing: bool,
) -> Result<()> {
    let object = obj
        .get("object")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(id) = id_of(obj).map(str::to_string) else {
        return Ok(());
    };
    for (field, path, params) in embedded(&object, &id) {
        let Some(list) = obj.get_mut(field) else {
            continue;
        };
        if list.get("has_more").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let existing = list
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let last = existing.last().and_then(id_of).map(str::to_string);
        let rest = match list_rest(http, &path, &params, last).await {
            Ok(r) => r,
            Err(StripeError::Api { status: 404, .. }) if tolerate_missing => continue,
            Err(e) => return Err(e),
        };
        let mut seen: HashSet<String> = existing
            .iter()
            .filter_map(id_of)
            .map(str::to_string)
            .collect();
        let mut data = existing;
        for item in rest {
            let fresh = match id_of(&item) {
                Some(i) => seen.insert(i.to_string()),
                None => true,
            };
            if fresh {
                data.push(item);
            }
        }
        tracing::debug!(object = %object, id = %id, field, total = data.len(), "completed embedded list");
        if let Value::Object(m) = list {
            m.insert("data".into(), Value::Array(data));
            m.insert("has_more".into(), Value::Bool(false));
        }
    }
    Ok(())
}
