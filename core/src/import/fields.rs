//! A record's top-level fields, each as its compact JSON text, written
//! straight from the typed record: what lets a diff compare two versions
//! field by field as text and build JSON trees only for the fields that
//! differ (a payment updated by its invoice payment changes two fields of
//! thirty; building both records' whole trees was more than half of
//! planning the update).

use std::fmt;
use std::ops::Range;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// The fields of one serialized struct: their names, and where each one's
/// JSON text lies in one shared buffer. Fields a record skips (empty
/// options and lists) are absent, as they are from its JSON object.
pub(crate) struct Fields {
    text: Vec<u8>,
    spans: Vec<(&'static str, Range<usize>)>,
}

impl Fields {
    /// The fields of `value` when it serializes as a plain struct (as every
    /// record does), in the order it writes them; `None` for anything else
    /// (a map, an enum, a scalar), which a caller compares as a whole tree.
    pub(crate) fn of<T: Serialize + ?Sized>(value: &T) -> Option<Fields> {
        let mut fields = Fields {
            text: Vec::with_capacity(512),
            spans: Vec::with_capacity(32),
        };
        value.serialize(Splitter(&mut fields)).ok()?;
        Some(fields)
    }

    /// Every field of `self` or `other` once, with its JSON text on each
    /// side (`None` where that side lacks it). The two are values of one
    /// struct type: both list their fields in its declaration order, each
    /// without the fields it skipped. Fields come in that order, but for
    /// one side's skipped fields, which may come a little late.
    pub(crate) fn paired<'a>(
        &'a self,
        other: &'a Fields,
    ) -> impl Iterator<Item = (&'static str, Option<&'a [u8]>, Option<&'a [u8]>)> + 'a {
        let (mut i, mut j) = (0, 0);
        let text = |f: &'a Fields, span: &Range<usize>| &f.text[span.clone()];
        std::iter::from_fn(move || {
            let theirs = other.spans.get(j);
            if let Some((x, u)) = self.spans.get(i) {
                match theirs {
                    Some((y, v)) if y == x => {
                        (i, j) = (i + 1, j + 1);
                        return Some((*x, Some(text(self, u)), Some(text(other, v))));
                    }
                    // `other` holds `x` further on: its fields before that
                    // are ones `self` skipped (earlier in the declaration).
                    Some(_) if other.spans[j..].iter().any(|(y, _)| y == x) => {}
                    _ => {
                        i += 1;
                        return Some((*x, Some(text(self, u)), None));
                    }
                }
            }
            let (y, v) = theirs?;
            j += 1;
            Some((*y, None, Some(text(other, v))))
        })
    }

    /// `(name, JSON text)` of every field, in the order written.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (&'static str, &[u8])> + '_ {
        self.spans
            .iter()
            .map(|(name, span)| (*name, &self.text[span.clone()]))
    }
}

/// Why a value was not split: it is not a plain struct, or a field failed
/// to serialize.
#[derive(Debug)]
struct NotAStruct;

impl fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a plain struct")
    }
}

impl std::error::Error for NotAStruct {}

impl ser::Error for NotAStruct {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NotAStruct
    }
}

/// The serializer that accepts a struct alone.
struct Splitter<'a>(&'a mut Fields);

/// Every serializer method but `serialize_struct`: not a plain struct.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), NotAStruct> {
            Err(NotAStruct)
        })*
    };
}

impl<'a> ser::Serializer for Splitter<'a> {
    type Ok = ();
    type Error = NotAStruct;
    type SerializeSeq = Impossible<(), NotAStruct>;
    type SerializeTuple = Impossible<(), NotAStruct>;
    type SerializeTupleStruct = Impossible<(), NotAStruct>;
    type SerializeTupleVariant = Impossible<(), NotAStruct>;
    type SerializeMap = Impossible<(), NotAStruct>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), NotAStruct>;

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotAStruct> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAStruct> {
        Err(NotAStruct)
    }
}

impl ser::SerializeStruct for Splitter<'_> {
    type Ok = ();
    type Error = NotAStruct;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NotAStruct> {
        let start = self.0.text.len();
        serde_json::to_writer(&mut self.0.text, value).map_err(|_| NotAStruct)?;
        self.0.spans.push((name, start..self.0.text.len()));
        Ok(())
    }

    fn end(self) -> Result<(), NotAStruct> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Rec {
        z: u32,
        a: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
        nested: BTreeMap<String, Vec<u8>>,
    }

    #[test]
    fn a_struct_splits_into_its_fields_in_order_as_json_text() {
        let r = Rec {
            z: 7,
            a: "x\"y".into(),
            gone: None,
            nested: BTreeMap::from([("k".to_string(), vec![1, 2])]),
        };
        let f = Fields::of(&r).expect("a struct");
        let got: Vec<(&str, String)> = f
            .iter()
            .map(|(k, v)| (k, String::from_utf8(v.to_vec()).unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("z", "7".to_string()),
                ("a", r#""x\"y""#.to_string()),
                ("nested", r#"{"k":[1,2]}"#.to_string()),
            ]
        );
    }

    #[derive(Serialize)]
    struct Sparse {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<u8>,
        b: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        c: Option<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        d: Option<u8>,
    }

    fn pairs(x: &Sparse, y: &Sparse) -> Vec<(&'static str, Option<String>, Option<String>)> {
        let (x, y) = (Fields::of(x).unwrap(), Fields::of(y).unwrap());
        let text = |t: Option<&[u8]>| t.map(|t| String::from_utf8(t.to_vec()).unwrap());
        let mut got: Vec<_> = x
            .paired(&y)
            .map(|(k, u, v)| (k, text(u), text(v)))
            .collect();
        got.sort();
        got
    }

    #[test]
    fn two_values_pair_every_field_once_whichever_side_skipped_it() {
        let s = |v: u8| Some(v.to_string());
        let x = Sparse {
            a: Some(1),
            b: 2,
            c: None,
            d: Some(4),
        };
        let y = Sparse {
            a: None,
            b: 3,
            c: Some(5),
            d: None,
        };
        let want = vec![
            ("a", s(1), None),
            ("b", s(2), s(3)),
            ("c", None, s(5)),
            ("d", s(4), None),
        ];
        assert_eq!(pairs(&x, &y), want);
        let flipped: Vec<_> = want.into_iter().map(|(k, u, v)| (k, v, u)).collect();
        assert_eq!(pairs(&y, &x), flipped);
        let none = Sparse {
            a: None,
            b: 0,
            c: None,
            d: None,
        };
        let all = Sparse {
            a: Some(1),
            b: 0,
            c: Some(3),
            d: Some(4),
        };
        assert_eq!(
            pairs(&none, &all),
            vec![
                ("a", None, s(1)),
                ("b", s(0), s(0)),
                ("c", None, s(3)),
                ("d", None, s(4))
            ]
        );
    }

    #[test]
    fn anything_but_a_struct_is_not_split() {
        assert!(Fields::of(&BTreeMap::from([("a", 1)])).is_none());
        assert!(Fields::of(&5u8).is_none());
        assert!(Fields::of(&vec![1]).is_none());
        assert!(Fields::of(&Some(3)).is_none());
    }
}
