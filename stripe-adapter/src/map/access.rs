//! Typed, non-panicking accessors over a Stripe JSON object.
//!
//! Missing and `null` fields read as `None`; a field of the wrong type is an
//! error naming the field, so a malformed payload becomes a `Failed` item.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use tieout_core::Currency;

use super::money::{stripe_amount, stripe_decimal_amount};

/// Why a payload could not be mapped: a field path and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MapError(pub String);

impl MapError {
    /// An error about one field.
    pub(crate) fn field(key: &str, msg: impl std::fmt::Display) -> Self {
        MapError(format!("field `{key}`: {msg}"))
    }

    /// Prefixes the message with where the failing part sits (`lines.data[3]`).
    pub(crate) fn within(self, at: impl std::fmt::Display) -> Self {
        MapError(format!("in {at}: {}", self.0))
    }
}

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Result of a mapping step.
pub(crate) type MResult<T> = Result<T, MapError>;

/// Short name of a JSON value's type, for error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a fractional number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An expandable field: the id, and the object when Stripe expanded it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expand<'a> {
    /// Id of the referenced object.
    pub id: &'a str,
    /// The expanded object, when present.
    pub obj: Option<Obj<'a>>,
}

/// A hash index over an object's keys: `serde_json`'s `BTreeMap` compares keys
/// linearly inside each node, which dominated mapping time on wide objects
/// (invoices have ~80 keys). One pass builds it; a lookup is then about one compare.
#[derive(Debug)]
pub(crate) struct KeyIndex<'a> {
    /// Slot -> entry position + 1 (0 = empty); open addressing, linear probing.
    slots: [u8; INDEX_SLOTS],
    entries: Vec<(&'a str, &'a Value)>,
}

const INDEX_SLOTS: usize = 256;
/// Objects with fewer keys are searched directly; more than this are not indexed.
const INDEX_MIN_KEYS: usize = 12;
const INDEX_MAX_KEYS: usize = 160;

fn key_hash(k: &str) -> usize {
    (key_mix(k) >> 56) as usize
}

/// A 64-bit hash of an object key whose top bits are well mixed; constant
/// time: the first and last 8 bytes (all of a key up to 16 bytes) and the
/// length, mixed by multiplies.
pub(crate) fn key_mix(k: &str) -> u64 {
    let b = k.as_bytes();
    let n = b.len();
    // Fixed-size loads (no copy of a variable length): overlapping words,
    // or the bytes one by one under 4.
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let half = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    let (head, tail) = if n >= 8 {
        (word(0), word(n - 8))
    } else if n >= 4 {
        (half(0) | (half(n - 4) << 32), 0)
    } else {
        (b.iter().fold(0, |a, c| (a << 8) | u64::from(*c)), 0)
    };
    let x = (head ^ (n as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ tail.rotate_left(29);
    x.wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

impl<'a> KeyIndex<'a> {
    /// Indexes `map` when it is wide enough to benefit.
    pub(crate) fn build(map: &'a Map<String, Value>) -> Option<Self> {
        if map.len() < INDEX_MIN_KEYS || map.len() > INDEX_MAX_KEYS {
            return None;
        }
        let mut ix = KeyIndex {
            slots: [0; INDEX_SLOTS],
            entries: Vec::with_capacity(map.len()),
        };
        for (k, v) in map {
            let mut s = key_hash(k);
            while ix.slots[s] != 0 {
                s = (s + 1) % INDEX_SLOTS;
            }
            ix.entries.push((k.as_str(), v));
            // At most INDEX_MAX_KEYS (< 255) entries, so the position fits.
            ix.slots[s] = u8::try_from(ix.entries.len()).unwrap_or(u8::MAX);
        }
        Some(ix)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        let mut s = key_hash(key);
        loop {
            let e = self.slots[s];
            if e == 0 {
                return None;
            }
            let (k, v) = self.entries[usize::from(e) - 1];
            if k.len() == key.len() && k == key {
                return Some(v);
            }
            s = (s + 1) % INDEX_SLOTS;
        }
    }
}

/// A borrowed Stripe JSON object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    idx: Option<&'a KeyIndex<'a>>,
}

impl<'a> Obj<'a> {
    /// Wraps a JSON value that must be an object.
    pub(crate) fn of(v: &'a Value, what: &str) -> MResult<Self> {
        match v {
            Value::Object(map) => Ok(Obj { map, idx: None }),
            other => Err(MapError(format!(
                "{what}: expected an object, got {}",
                kind(other)
            ))),
        }
    }

    /// The same object, looked up through `idx` (built from this object's map).
    pub(crate) fn with_index(self, idx: Option<&'a KeyIndex<'a>>) -> Self {
        Obj { map: self.map, idx }
    }

    /// The underlying map.
    pub(crate) fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// Whether the key is present (even as `null`).
    pub(crate) fn has(&self, key: &str) -> bool {
        match self.idx {
            Some(ix) => ix.get(key).is_some(),
            None => self.map.contains_key(key),
        }
    }

    /// A field's value; `None` when missing or `null`.
    pub(crate) fn raw(&self, key: &str) -> Option<&'a Value> {
        let found = match self.idx {
            Some(ix) => ix.get(key),
            None => self.map.get(key),
        };
        match found {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// An optional string field.
    pub(crate) fn str(&self, key: &str) -> MResult<Option<&'a str>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected a string, got {}", kind(v)),
            )),
        }
    }

    /// An optional string field, as an owned `String`.
    pub(crate) fn string(&self, key: &str) -> MResult<Option<String>> {
        Ok(self.str(key)?.map(str::to_string))
    }

    /// A required string field.
    pub(crate) fn req_str(&self, key: &str) -> MResult<&'a str> {
        self.str(key)?
            .ok_or_else(|| MapError::field(key, "missing"))
    }

    /// An optional integer field (Stripe amounts and timestamps are integers).
    pub(crate) fn i64(&self, key: &str) -> MResult<Option<i64>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None if n.is_u64() => Err(MapError::field(key, "integer out of range")),
                None => Err(MapError::field(
                    key,
                    format_args!("expected an integer, got {n}"),
                )),
            },
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected an integer, got {}", kind(v)),
            )),
        }
    }

    /// An optional boolean field.
    pub(crate) fn bool(&self, key: &str) -> MResult<Option<bool>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected a boolean, got {}", kind(v)),
            )),
        }
    }

    /// A boolean field that defaults to `false`.
    pub(crate) fn flag(&self, key: &str) -> MResult<bool> {
        Ok(self.bool(key)?.unwrap_or(false))
    }

    /// An optional unix-seconds timestamp.
    pub(crate) fn ts(&self, key: &str) -> MResult<Option<DateTime<Utc>>> {
        match self.i64(key)? {
            None => Ok(None),
            Some(secs) => DateTime::from_timestamp(secs, 0)
                .map(Some)
                .ok_or_else(|| MapError::field(key, format_args!("timestamp {secs} out of range"))),
        }
    }

    /// An optional nested object.
    pub(crate) fn obj(&self, key: &str) -> MResult<Option<Obj<'a>>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map, idx: None })),
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected an object, got {}", kind(v)),
            )),
        }
    }

    /// An expandable field: an id string, or an object with an `id`.
    pub(crate) fn expandable(&self, key: &str) -> MResult<Option<Expand<'a>>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(id)) => Ok(Some(Expand { id, obj: None })),
            Some(Value::Object(map)) => {
                let obj = Obj { map, idx: None };
                let id = obj
                    .req_str("id")
                    .map_err(|e| e.within(format_args!("`{key}`")))?;
                Ok(Some(Expand { id, obj: Some(obj) }))
            }
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected an id or an object, got {}", kind(v)),
            )),
        }
    }

    /// The id of an expandable field.
    pub(crate) fn id_of(&self, key: &str) -> MResult<Option<&'a str>> {
        Ok(self.expandable(key)?.map(|e| e.id))
    }

    /// The id of an expandable field, owned.
    pub(crate) fn id_string(&self, key: &str) -> MResult<Option<String>> {
        Ok(self.id_of(key)?.map(str::to_string))
    }

    /// The elements of an embedded list (`{"object":"list","data":[...]}`) or a plain array.
    pub(crate) fn list(&self, key: &str) -> MResult<&'a [Value]> {
        match self.raw(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a.as_slice()),
            Some(Value::Object(m)) => match m.get("data") {
                None | Some(Value::Null) => Ok(&[]),
                Some(Value::Array(a)) => Ok(a.as_slice()),
                Some(v) => Err(MapError::field(
                    key,
                    format_args!("expected `data` to be an array, got {}", kind(v)),
                )),
            },
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected a list, got {}", kind(v)),
            )),
        }
    }

    /// Sum of `amount` over the objects of a list field (`total_taxes`, `tax_amounts`, ...).
    /// `None` when the field is missing or `null`.
    pub(crate) fn sum_amounts(&self, key: &str, currency: Currency) -> MResult<Option<Decimal>> {
        if self.raw(key).is_none() {
            return Ok(None);
        }
        let mut total = Decimal::ZERO;
        for (i, v) in self.list(key)?.iter().enumerate() {
            let a = Obj::of(v, "element")
                .and_then(|o| o.amount("amount", currency))
                .map_err(|e| e.within(format_args!("{key}[{i}]")))?
                .unwrap_or_default();
            total += a;
        }
        Ok(Some(total))
    }

    /// `metadata` as a string map (non-string values are kept as their JSON text).
    pub(crate) fn metadata(&self) -> BTreeMap<String, String> {
        match self.raw("metadata") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), s)
                })
                .collect(),
            _ => BTreeMap::new(),
        }
    }

    /// A required currency field.
    pub(crate) fn currency(&self, key: &str) -> MResult<Currency> {
        let code = self.req_str(key)?;
        Currency::parse(code)
            .map_err(|_| MapError::field(key, format_args!("unknown currency {code:?}")))
    }

    /// An optional currency field.
    pub(crate) fn opt_currency(&self, key: &str) -> MResult<Option<Currency>> {
        match self.str(key)? {
            None => Ok(None),
            Some(code) => Currency::parse(code)
                .map(Some)
                .map_err(|_| MapError::field(key, format_args!("unknown currency {code:?}"))),
        }
    }

    /// An optional minor-unit amount, converted to major units.
    pub(crate) fn amount(&self, key: &str, currency: Currency) -> MResult<Option<Decimal>> {
        Ok(self.i64(key)?.map(|m| stripe_amount(m, currency)))
    }

    /// A minor-unit amount that defaults to zero.
    pub(crate) fn amount_or_zero(&self, key: &str, currency: Currency) -> MResult<Decimal> {
        Ok(self.amount(key, currency)?.unwrap_or_default())
    }

    /// A required minor-unit amount.
    pub(crate) fn req_amount(&self, key: &str, currency: Currency) -> MResult<Decimal> {
        self.amount(key, currency)?
            .ok_or_else(|| MapError::field(key, "missing"))
    }

    /// A decimal string in minor units (`unit_amount_decimal`), converted to major units.
    pub(crate) fn decimal_amount(&self, key: &str, currency: Currency) -> MResult<Option<Decimal>> {
        match self.decimal(key)? {
            None => Ok(None),
            Some(d) => stripe_decimal_amount(d, currency)
                .map(Some)
                .ok_or_else(|| MapError::field(key, "too many decimal places")),
        }
    }

    /// An exact decimal from a JSON number or decimal string (`exchange_rate`,
    /// `quantity_decimal`). Floats are read from their shortest text form.
    pub(crate) fn decimal(&self, key: &str) -> MResult<Option<Decimal>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => parse_decimal(s)
                .map(Some)
                .ok_or_else(|| MapError::field(key, format_args!("not a decimal: {s:?}"))),
            Some(Value::Number(n)) => {
                let s = n.to_string();
                parse_decimal(&s)
                    .map(Some)
                    .ok_or_else(|| MapError::field(key, format_args!("not a decimal: {s}")))
            }
            Some(v) => Err(MapError::field(
                key,
                format_args!("expected a decimal, got {}", kind(v)),
            )),
        }
    }
}

/// Parses plain or scientific decimal text exactly.
fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.contains(['e', 'E']) {
        Decimal::from_scientific(s).ok()
    } else {
        Decimal::from_str(s).ok()
    }
}
