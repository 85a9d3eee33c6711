//! Stripe JSON parsed into `Value`s holding only what mapping reads.
//!
//! Stripe objects are wide (an invoice has about 80 keys) and the mappers
//! read a fraction of them; a full `Value` still costs a `String`, a `Value`
//! and a map insert for every other key. [`LeanValue`] parses the same JSON
//! into a `Value` whose objects keep only the keys of
//! [`kept_keys`](super::kept_keys) (and everything under `metadata` and
//! `status_transitions`); the other keys' values are parsed and checked
//! exactly as a `Value` would be (same errors, same positions) but not built.
//! Mapping a lean value gives the same items as mapping the full one.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::kept_keys::{KeyUse, key_use};

/// A JSON value parsed for mapping: objects keep only the keys mapping reads.
#[derive(Debug)]
pub(crate) struct LeanValue(pub(crate) Value);

impl From<LeanValue> for Value {
    fn from(v: LeanValue) -> Value {
        v.0
    }
}

impl<'de> Deserialize<'de> for LeanValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LeanVisitor).map(LeanValue)
    }
}

/// Builds values as `serde_json`'s own visitor does, filtering object keys.
struct LeanVisitor;

impl<'de> Visitor<'de> for LeanVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        LeanValue::deserialize(d).map(Value::from)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(LeanValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // Collected, then built in one go: sorting keys that mostly come in
        // order and building the tree in bulk is cheaper than inserting them
        // one by one. Of equal keys the last is kept, as `insert` would.
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Kept(k) => {
                    let LeanValue(v) = map.next_value()?;
                    entries.push((k, v));
                }
                Key::Whole(k) => {
                    let v: Value = map.next_value()?;
                    entries.push((k, v));
                }
                Key::Dropped => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Value::Object(entries.into_iter().collect::<Map<_, _>>()))
    }
}

/// An object key, owned only when it is kept.
enum Key {
    Kept(String),
    Whole(String),
    Dropped,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(match key_use(v) {
            KeyUse::Kept => Key::Kept(v.to_owned()),
            KeyUse::Whole => Key::Whole(v.to_owned()),
            KeyUse::Dropped => Key::Dropped,
        })
    }
}

/// A value parsed and checked like a `Value` (strings decoded and checked
/// as UTF-8, numbers read in range), then forgotten. Unlike `IgnoredAny`,
/// which `serde_json` skips without those checks, so that input a full parse
/// rejects is rejected here too, with the same error.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
        Skip::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Skip>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}
