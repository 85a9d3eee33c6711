//! A compact JSON writer for record rows: the same text `serde_json` writes
//! for a record (tests hold it to that byte for byte), faster on the shape of
//! record data. Records are mostly short ASCII strings (ids, keys, decimal
//! amounts, timestamps); a string that needs no escaping is copied in one
//! piece after one scan, where `serde_json` escapes byte by byte. A string that
//! does need escaping is written by `serde_json` itself.

use serde::ser::{self, Serialize};

/// Why a value could not be written (only map keys that are not strings or
/// integers, and serde errors raised by a type's own `Serialize`).
#[derive(Debug)]
pub(crate) struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Appends `value` as JSON to `out`.
pub(crate) fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// Whether `s` can be written between quotes as it is: no control byte, no
/// `"` and no backslash. Checks eight bytes per step (SWAR): short strings, which
/// records are made of, do not reach a vector loop's main body.
fn plain(s: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes of `x` that are zero get their high bit set (exact for the first
    // zero byte; enough to tell whether there is one).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let bad = |x: u64| {
        // Below 0x20: subtracting 0x20 borrows into the high bit only for
        // bytes < 0x20 among bytes < 0x80 (UTF-8 bytes >= 0x80 are excluded
        // by `!x`).
        (x.wrapping_sub(0x20 * ONES) & !x & HIGH)
            | zero(x ^ (u64::from(b'"') * ONES))
            | zero(x ^ (u64::from(b'\\') * ONES))
            != 0
    };
    let mut chunks = s.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if bad(u64::from_le_bytes(w)) {
            return false;
        }
    }
    // The tail, padded with a byte that needs no escaping.
    let tail = chunks.remainder();
    let mut w = [b'a'; 8];
    w[..tail.len()].copy_from_slice(tail);
    !bad(u64::from_le_bytes(w))
}

fn string(out: &mut Vec<u8>, s: &str) {
    if plain(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

fn integer(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A sequence or map being written: whether the next item needs a comma.
struct Compound<'w, 'a> {
    w: &'w mut Writer<'a>,
    first: bool,
    /// Closing text: `]`, `}`, or `]}` / `}}` for enum variants.
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.w.out.push(b',');
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.comma();
        string(self.w.out, key);
        self.w.out.push(b':');
        value.serialize(&mut *self.w)
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'w, 'a> Writer<'a> {
    fn open(&'w mut self, open: &[u8], close: &'static [u8]) -> Compound<'w, 'a> {
        self.out.extend_from_slice(open);
        Compound {
            w: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` before an enum variant's content.
    fn variant_open(&mut self, variant: &str) {
        self.out.push(b'{');
        string(self.out, variant);
        self.out.push(b':');
    }
}

/// `Serializer` methods for integers: all written by `itoa`.
macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), Error> {
            integer(self.out, v);
            Ok(())
        })*
    };
}

/// The sequence-like compounds (sequences, tuples, tuple structs, tuple
/// variants): items separated by commas, closed by [`Compound::finish`].
macro_rules! sequences {
    ($($trait:ident::$method:ident),*) => {
        $(impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        })*
    };
}

/// The struct-like compounds (structs, struct variants): `"field":value`
/// pairs, closed by [`Compound::finish`].
macro_rules! structs {
    ($($trait:ident),*) => {
        $(impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        })*
    };
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v).map_err(ser::Error::custom)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v).map_err(ser::Error::custom)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.open(b"[", b"]");
        for b in v {
            seq.item(b)?;
        }
        seq.finish()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        string(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant_open(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.variant_open(variant);
        Ok(self.open(b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.variant_open(variant);
        Ok(self.open(b"{", b"}}"))
    }
}

sequences!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

structs!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        // JSON object keys are strings: `serde_json` writes string keys as
        // they are and integer keys quoted; so does this.
        let text = serde_json::to_value(key).map_err(ser::Error::custom)?;
        match text {
            serde_json::Value::String(s) => string(self.w.out, &s),
            serde_json::Value::Number(n) => string(self.w.out, &n.to_string()),
            other => return Err(Error(format!("map key must be a string, got {other}"))),
        }
        self.w.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::write;
    use proptest::prelude::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    fn ours<T: Serialize>(v: &T) -> String {
        let mut out = Vec::new();
        write(&mut out, v).expect("write");
        String::from_utf8(out).expect("utf8")
    }

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u32),
        Tuple(i64, String),
        Struct { a: Option<bool>, b: Vec<u8> },
    }

    #[derive(Serialize)]
    struct S {
        s: String,
        n: i64,
        f: f64,
        m: BTreeMap<String, i32>,
        k: BTreeMap<u32, char>,
        e: Vec<E>,
        o: Option<()>,
    }

    #[test]
    fn writes_what_serde_json_writes_for_every_shape() {
        let v = S {
            s: "tab\there \"quoted\" \\ é \u{1}".into(),
            n: -42,
            f: 1.5,
            m: BTreeMap::from([("a\"b".into(), 1), ("c".into(), -2)]),
            k: BTreeMap::from([(7, 'x')]),
            e: vec![
                E::Unit,
                E::New(3),
                E::Tuple(-1, "t".into()),
                E::Struct {
                    a: Some(true),
                    b: vec![1, 2],
                },
            ],
            o: None,
        };
        assert_eq!(ours(&v), serde_json::to_string(&v).unwrap());
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(s in any::<String>()) {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn record_like_strings_are_written_as_serde_json_writes_them(
            s in "[ -~\\x00-\\x1f\\x7f\u{e9}\u{20ac}]{0,40}"
        ) {
            prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn every_byte_that_needs_escaping_is_found_at_every_position() {
        for len in 0..20 {
            for pos in 0..len {
                for bad in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut v = vec![b'x'; len];
                    v[pos] = bad;
                    let s = String::from_utf8(v).unwrap();
                    assert_eq!(ours(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
                }
            }
        }
    }
}
