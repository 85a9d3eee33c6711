//! Field-level diff of two records.

use std::cmp::Ordering;
use std::iter::Peekable;

use serde_json::{Map, Value};

use super::fields::Fields;
use super::review::FieldChange;
use crate::entity::Entity;

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

/// The fields that differ between two versions of one record: what [`diff`]
/// of their JSON forms ([`Entity::to_json`]) gives. Their top-level fields
/// are compared as JSON text, and only the fields whose text differs are
/// built as JSON trees and walked (a record's JSON is deterministic: the
/// same value always writes the same text).
pub fn diff_records(before: &Entity, after: &Entity) -> Vec<FieldChange> {
    let changed = match (Fields::of(&before.record()), Fields::of(&after.record())) {
        (Some(a), Some(b)) => changed_fields(&a, &b),
        _ => None,
    };
    let Some(changed) = changed else {
        return diff(&before.to_json(), &after.to_json());
    };
    let mut out = Vec::new();
    let mut path = String::new();
    for (name, u, v) in &changed {
        within(&mut path, name, |p| walk(p, u, v, &mut out));
    }
    out
}

/// The fields whose text differs between `a` and `b`, as trees, in key
/// order (the order of a JSON object's keys, which `diff` follows); `None`
/// when a field's text does not parse, or when the two did not list their
/// fields in one order (a field then pairs with nothing on both sides and
/// comes twice): a caller compares whole trees then.
fn changed_fields(a: &Fields, b: &Fields) -> Option<Vec<(&'static str, Value, Value)>> {
    let mut changed = Vec::new();
    for (name, u, v) in a.paired(b) {
        if u == v {
            continue;
        }
        let (u, v) = (tree(u)?, tree(v)?);
        if u != v {
            changed.push((name, u, v));
        }
    }
    changed.sort_unstable_by_key(|(name, ..)| *name);
    let twice = changed.windows(2).any(|w| w[0].0 == w[1].0);
    (!twice).then_some(changed)
}

/// A field's JSON tree from its text ([`MISSING`] for a field not written).
fn tree(text: Option<&[u8]>) -> Option<Value> {
    match text {
        None => Some(MISSING),
        Some(t) => serde_json::from_slice(t).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityKind;
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

    /// `e` with the string leaves at `picks` (indexes into its string
    /// leaves, in path order) changed and the top-level fields at `drops`
    /// removed, each change kept only when the record still reads back.
    fn mutated(e: &Entity, picks: &[usize], drops: &[usize]) -> Entity {
        let mut json = e.to_json();
        let mut leaves = Vec::new();
        string_leaves(&json, &mut leaves);
        for &i in picks {
            let Some(at) = leaves.get(i) else { continue };
            let mut next = json.clone();
            if let Some(Value::String(s)) = next.pointer_mut(at) {
                s.push_str("-2");
            }
            if Entity::from_json(e.kind(), next.clone()).is_ok() {
                json = next;
            }
        }
        let keys: Vec<String> = json
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for &i in drops {
            let Some(k) = keys.get(i) else { continue };
            let mut next = json.clone();
            if let Some(m) = next.as_object_mut() {
                m.remove(k);
            }
            if Entity::from_json(e.kind(), next.clone()).is_ok() {
                json = next;
            }
        }
        Entity::from_json(e.kind(), json).expect("every change kept reads back")
    }

    /// JSON pointers of every string leaf under `v`, in path order.
    fn string_leaves(v: &Value, out: &mut Vec<String>) {
        fn go(v: &Value, at: String, out: &mut Vec<String>) {
            match v {
                Value::String(_) => out.push(at),
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .for_each(|(i, x)| go(x, format!("{at}/{i}"), out)),
                Value::Object(m) => m.iter().for_each(|(k, x)| go(x, format!("{at}/{k}"), out)),
                _ => {}
            }
        }
        go(v, String::new(), out);
    }

    #[derive(serde::Serialize)]
    struct Xy {
        t: u8,
        x: u8,
        y: u8,
    }

    #[derive(serde::Serialize)]
    struct Yx {
        t: u8,
        y: u8,
        x: u8,
    }

    #[test]
    fn fields_listed_in_two_orders_are_not_diffed_field_by_field() {
        let a = Fields::of(&Xy { t: 0, x: 1, y: 2 }).unwrap();
        let b = Fields::of(&Yx { t: 0, y: 3, x: 1 }).unwrap();
        assert!(changed_fields(&a, &b).is_none());
        let c = Fields::of(&Xy { t: 0, x: 1, y: 3 }).unwrap();
        let got = changed_fields(&a, &c).unwrap();
        assert_eq!(got, vec![("y", json!(2), json!(3))]);
    }

    #[test]
    fn a_record_diffs_against_itself_changed_as_its_json_does() {
        for e in crate::store::conformance::one_of_every_kind() {
            let changed = mutated(&e, &[0, 3, 7, 11, 20], &[1, 4]);
            assert_ne!(
                changed,
                e,
                "{}: the mutation changed nothing",
                e.kind().as_str()
            );
            let d = diff_records(&e, &changed);
            assert!(!d.is_empty(), "{}", e.kind().as_str());
            assert_eq!(
                d,
                diff(&e.to_json(), &changed.to_json()),
                "{}",
                e.kind().as_str()
            );
        }
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

        #[test]
        fn diff_records_gives_what_the_whole_json_diff_gives(
            kind in 0usize..EntityKind::ALL.len(),
            picks_a in prop::collection::vec(0usize..60, 0..6),
            picks_b in prop::collection::vec(0usize..60, 0..6),
            drops_a in prop::collection::vec(0usize..30, 0..3),
            drops_b in prop::collection::vec(0usize..30, 0..3),
        ) {
            let records = crate::store::conformance::one_of_every_kind();
            let e = &records[kind];
            let (a, b) = (mutated(e, &picks_a, &drops_a), mutated(e, &picks_b, &drops_b));
            prop_assert_eq!(diff_records(&a, &b), diff(&a.to_json(), &b.to_json()));
        }
    }
}
