//! Timestamp serialization: the exact text chrono's own `Serialize` writes
//! (RFC 3339, `Z`, fractional seconds only when present), formatted on the
//! stack in one piece, and read back the same way. chrono writes it through
//! `collect_str` in many small pieces, which costs a JSON encoder one escape
//! pass per piece, and reads it through its general RFC 3339 parser: records
//! carry several timestamps each, bulk imports encode every record they write
//! and read back every record a later page names.
//!
//! Fields use `#[serde(with = "super::time::one")]` (or `opt` for an
//! `Option`).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// `YYYY-MM-DDTHH:MM:SSZ` for whole seconds in years 0..=9999; `None` for
/// anything else (fractions, leap seconds, far years), which chrono formats.
fn whole_seconds<'b>(t: &DateTime<Utc>, buf: &'b mut [u8; 20]) -> Option<&'b str> {
    let t = t.naive_utc();
    let year = t.year();
    if t.nanosecond() != 0 || !(0..=9999).contains(&year) {
        return None;
    }
    let mut put = |at: usize, v: u32, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    put(17, t.second(), 2);
    buf[4] = b'-';
    buf[7] = b'-';
    buf[10] = b'T';
    buf[13] = b':';
    buf[16] = b':';
    buf[19] = b'Z';
    std::str::from_utf8(&buf[..]).ok()
}

/// Reads the text [`whole_seconds`] writes (a valid date and time, `Z`,
/// exactly 20 bytes); `None` for anything else, which chrono reads.
fn parse_whole_seconds(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(5, 7)?, num(8, 10)?)?;
    let time = NaiveTime::from_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some(date.and_time(time).and_utc())
}

/// A timestamp read from its text: [`parse_whole_seconds`], else exactly
/// as chrono's own `Deserialize` reads it (same values, same errors).
struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<DateTime<Utc>, E> {
        match parse_whole_seconds(s) {
            Some(t) => Ok(t),
            None => DateTime::<Utc>::deserialize(s.into_deserializer()),
        }
    }
}

/// A timestamp field, written and read as chrono does.
pub(crate) mod one {
    use super::*;

    /// Serializes a timestamp as chrono does.
    pub(crate) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 20];
        match whole_seconds(t, &mut buf) {
            Some(text) => s.serialize_str(text),
            None => t.serialize(s),
        }
    }

    /// Deserializes a timestamp as chrono does.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_str(TimeVisitor)
    }
}

/// An optional timestamp field (`None` as null), written and read as chrono
/// does.
pub(crate) mod opt {
    use super::*;

    /// Serializes an optional timestamp as chrono does (`None` as null).
    pub(crate) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => one::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    /// Deserializes an optional timestamp as chrono does (null as `None`).
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        struct OptVisitor;
        impl<'de> Visitor<'de> for OptVisitor {
            type Value = Option<DateTime<Utc>>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an RFC 3339 timestamp or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                one::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(OptVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Ours(#[serde(with = "one")] DateTime<Utc>);

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Chronos(DateTime<Utc>);

    #[derive(Deserialize, Debug, PartialEq)]
    struct Both {
        #[serde(default, with = "opt")]
        ours: Option<DateTime<Utc>>,
        #[serde(default)]
        chronos: Option<DateTime<Utc>>,
    }

    /// Reads `text` (a JSON value) both ways: ours and chrono's, each `Ok`
    /// with the same time or `Err` with the same message.
    fn read_both(text: &str) -> (Result<DateTime<Utc>, String>, Result<DateTime<Utc>, String>) {
        let ours = serde_json::from_str::<Ours>(text).map(|o| o.0);
        let chronos = serde_json::from_str::<Chronos>(text).map(|c| c.0);
        (
            ours.map_err(|e| e.to_string()),
            chronos.map_err(|e| e.to_string()),
        )
    }

    proptest! {
        #[test]
        fn reads_what_it_wrote_as_chrono_reads_it(secs in -70_000_000_000i64..300_000_000_000, nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000]) {
            let t = Utc.timestamp_opt(secs, nanos).single().expect("valid");
            let text = serde_json::to_string(&Ours(t)).unwrap();
            let (ours, chronos) = read_both(&text);
            prop_assert_eq!(&ours, &Ok(t));
            prop_assert_eq!(ours, chronos);
        }

        #[test]
        fn reads_any_text_as_chrono_reads_it(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T t][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|z|[.][0-9]{1,9}Z|[+-][0-9]{2}:[0-9]{2})",
            cut in 0usize..24,
        ) {
            for t in [text.clone(), text[..cut.min(text.len())].to_string()] {
                let (ours, chronos) = read_both(&format!("{t:?}"));
                prop_assert_eq!(ours, chronos, "{}", t);
            }
        }

        #[test]
        fn writes_exactly_what_chrono_writes(secs in -70_000_000_000i64..300_000_000_000, nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000]) {
            let t = Utc.timestamp_opt(secs, nanos).single().expect("valid");
            prop_assert_eq!(
                serde_json::to_string(&Ours(t)).unwrap(),
                serde_json::to_string(&t).unwrap()
            );
        }
    }

    #[test]
    fn edge_texts_read_as_chrono_reads_them() {
        for text in [
            r#""2024-02-29T23:59:59Z""#,
            r#""2023-02-29T00:00:00Z""#,
            r#""2016-12-31T23:59:60Z""#,
            r#""0000-01-01T00:00:00Z""#,
            r#""9999-12-31T23:59:59Z""#,
            r#""2024-13-01T00:00:00Z""#,
            r#""2024-01-01T24:00:00Z""#,
            r#""2024-01-01 10:00:00Z""#,
            r#""2024-01-01T10:00:00+02:00""#,
            r#""+2024-01-01T10:00:00Z""#,
            r#""２024-01-01T10:00:00Z""#,
            r#""""#,
            "17",
            "null",
        ] {
            let (ours, chronos) = read_both(text);
            assert_eq!(ours, chronos, "{text}");
        }
        assert_eq!(
            read_both(r#""2024-02-29T23:59:59Z""#).0,
            Ok(Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap())
        );
        // An optional field: null and absent are None, a time is read.
        let both: Both = serde_json::from_str(r#"{"ours": null, "chronos": null}"#).unwrap();
        assert_eq!(
            both,
            Both {
                ours: None,
                chronos: None
            }
        );
        let both: Both = serde_json::from_str("{}").unwrap();
        assert_eq!(
            both,
            Both {
                ours: None,
                chronos: None
            }
        );
        let t = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let both: Both = serde_json::from_str(
            r#"{"ours": "2024-01-02T03:04:05Z", "chronos": "2024-01-02T03:04:05Z"}"#,
        )
        .unwrap();
        assert_eq!(
            both,
            Both {
                ours: Some(t),
                chronos: Some(t)
            }
        );
    }

    #[test]
    fn none_is_null_and_fractions_fall_back_to_chrono() {
        #[derive(Serialize)]
        struct O(#[serde(with = "opt")] Option<DateTime<Utc>>);
        assert_eq!(serde_json::to_string(&O(None)).unwrap(), "null");
        let t = Utc
            .timestamp_opt(1_700_000_000, 5_000_000)
            .single()
            .unwrap();
        assert_eq!(
            serde_json::to_string(&O(Some(t))).unwrap(),
            "\"2023-11-14T22:13:20.005Z\""
        );
        let t = Utc.timestamp_opt(1_700_000_000, 0).single().unwrap();
        assert_eq!(
            serde_json::to_string(&O(Some(t))).unwrap(),
            "\"2023-11-14T22:13:20Z\""
        );
    }
}
