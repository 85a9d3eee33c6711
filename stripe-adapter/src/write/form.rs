//! Stripe's form encoding of nested parameters (`metadata[k]=v`,
//! `line_items[0][price_data][currency]=usd`).

use serde_json::Value;

/// The form pairs of a JSON object of parameters: nested objects and arrays
/// become bracketed keys; `null` is left out; numbers and booleans are their
/// JSON text.
pub fn form_pairs(params: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Object(m) = params {
        for (k, v) in m {
            push(&mut out, k.clone(), v);
        }
    }
    out
}

fn push(out: &mut Vec<(String, String)>, key: String, v: &Value) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push((key, s.clone())),
        Value::Bool(b) => out.push((key, b.to_string())),
        Value::Number(n) => out.push((key, n.to_string())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                push(out, format!("{key}[{i}]"), item);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                push(out, format!("{key}[{k}]"), item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_params_become_bracketed_keys() {
        let p = serde_json::json!({
            "customer": "cus_1",
            "confirm": true,
            "amount": 1250,
            "skip": null,
            "metadata": {"tieout_invoice": "inv_1"},
            "line_items": [{"quantity": 1, "price_data": {"currency": "usd"}}],
        });
        let pairs = form_pairs(&p);
        let has = |k: &str, v: &str| pairs.iter().any(|(a, b)| a == k && b == v);
        assert!(has("customer", "cus_1"));
        assert!(has("confirm", "true"));
        assert!(has("amount", "1250"));
        assert!(has("metadata[tieout_invoice]", "inv_1"));
        assert!(has("line_items[0][quantity]", "1"));
        assert!(has("line_items[0][price_data][currency]", "usd"));
        assert!(!pairs.iter().any(|(k, _)| k == "skip"));
        assert_eq!(pairs.len(), 6);
    }
}
