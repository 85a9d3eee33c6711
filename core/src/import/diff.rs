//! Field-level diff of two records.

use serde_json::Value;

use super::review::FieldChange;

/// Paths ignored by diffs: bookkeeping that changes without the record changing.
const IGNORED: &[&str] = &["source.updated_at"];

/// The fields that differ between `before` and `after` (JSON forms of one record).
pub fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
    if a == b || IGNORED.contains(&path) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(
                    &p,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}.{i}"), u, v, out);
            }
        }
        _ => out.push(FieldChange {
            path: path.to_string(),
            before: a.clone(),
            after: b.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_nested_changes_and_ignores_timestamps() {
        let a = json!({"a": 1, "source": {"updated_at": "x", "status": "open"}, "l": [1, 2]});
        let b = json!({"a": 1, "source": {"updated_at": "y", "status": "paid"}, "l": [1, 3]});
        let d = diff(&a, &b);
        let paths: Vec<_> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["l.1", "source.status"]);
    }
}
