//! Field-level diff of two records.

use std::cmp::Ordering;
use std::iter::Peekable;

use serde_json::{Map, Value};

use super::review::FieldChange;

/// Paths ignored by diffs: bookkeeping that changes without the record changing.
const IGNORED: &[&str] = &["source.updated_at"];

/// What a field missing on one side compares as.
const MISSING: Value = Value::Null;

/// The fields that differ between `before` and `after` (JSON forms of one record).
pub fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(&mut String::new(), before, after, &mut out);
    out
}

/// Appends the changes under `path` (grown and restored in place: a path is
/// written only for a field that differs).
fn walk(path: &mut String, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
    if a == b || IGNORED.contains(&path.as_str()) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, u, v) in fields(x, y) {
                if u != v {
                    within(path, k, |p| walk(p, u, v, out));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                if u != v {
                    within(path, &i.to_string(), |p| walk(p, u, v, out));
                }
            }
        }
        _ => out.push(FieldChange {
            path: path.clone(),
            before: a.clone(),
            after: b.clone(),
        }),
    }
}

/// Runs `f` with `key` appended to `path` as one more segment, then restores it.
fn within(path: &mut String, key: &str, f: impl FnOnce(&mut String)) {
    let len = path.len();
    if len > 0 {
        path.push('.');
    }
    path.push_str(key);
    f(path);
    path.truncate(len);
}

/// Every key of `x` or `y` in key order, with its value on each side
/// ([`MISSING`] where one side lacks it). Both maps iterate in key order.
fn fields<'a>(
    x: &'a Map<String, Value>,
    y: &'a Map<String, Value>,
) -> impl Iterator<Item = (&'a str, &'a Value, &'a Value)> {
    Merge {
        x: x.iter().peekable(),
        y: y.iter().peekable(),
    }
}

/// The sorted merge behind [`fields`].
struct Merge<I: Iterator> {
    x: Peekable<I>,
    y: Peekable<I>,
}

impl<'a, I> Iterator for Merge<I>
where
    I: Iterator<Item = (&'a String, &'a Value)>,
{
    type Item = (&'a str, &'a Value, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        let order = match (self.x.peek(), self.y.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        Some(match order {
            Ordering::Less => {
                let (k, u) = self.x.next()?;
                (k.as_str(), u, &MISSING)
            }
            Ordering::Greater => {
                let (k, v) = self.y.next()?;
                (k.as_str(), &MISSING, v)
            }
            Ordering::Equal => {
                let (k, u) = self.x.next()?;
                let (_, v) = self.y.next()?;
                (k.as_str(), u, v)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn reports_nested_changes_and_ignores_timestamps() {
        let a = json!({"a": 1, "source": {"updated_at": "x", "status": "open"}, "l": [1, 2]});
        let b = json!({"a": 1, "source": {"updated_at": "y", "status": "paid"}, "l": [1, 3]});
        let d = diff(&a, &b);
        let paths: Vec<_> = d.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["l.1", "source.status"]);
    }

    #[test]
    fn a_field_on_one_side_only_is_a_change_from_or_to_null() {
        let a = json!({"a": 1, "b": null, "n": {"x": [1, {"y": 2}]}});
        let b = json!({"c": 3, "n": {"x": [1, {"y": 2, "z": 4}]}});
        let d = diff(&a, &b);
        let got: Vec<_> = d
            .iter()
            .map(|c| (c.path.as_str(), c.before.clone(), c.after.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", json!(1), Value::Null),
                ("c", Value::Null, json!(3)),
                ("n.x.1.z", Value::Null, json!(4)),
            ]
        );
    }

    /// The diff as first written (keys collected and sorted, a path built
    /// for every key): what the merge must keep giving.
    fn reference(path: &str, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
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
                    let u = x.get(k).unwrap_or(&Value::Null);
                    reference(&p, u, y.get(k).unwrap_or(&Value::Null), out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    reference(&format!("{path}.{i}"), u, v, out);
                }
            }
            _ => out.push(FieldChange {
                path: path.to_string(),
                before: a.clone(),
                after: b.clone(),
            }),
        }
    }

    /// Small JSON values over few keys, so two of them share fields often.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0i64..3).prop_map(Value::from),
            "[ab]".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[a-c]|source|updated_at", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_merge_gives_what_the_sorted_keys_gave(
            a in prop::collection::btree_map("[a-d]|source", value(), 0..5),
            b in prop::collection::btree_map("[a-d]|source", value(), 0..5),
        ) {
            let (a, b) = (
                Value::Object(a.into_iter().collect()),
                Value::Object(b.into_iter().collect()),
            );
            let mut want = Vec::new();
            reference("", &a, &b, &mut want);
            prop_assert_eq!(diff(&a, &b), want);
        }
    }
}
