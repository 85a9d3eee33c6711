//! Timestamp serialization: the exact text chrono's own `Serialize` writes
//! (RFC 3339, `Z`, fractional seconds only when present), formatted on the
//! stack in one piece. chrono writes it through `collect_str` in many small
//! pieces, which costs a JSON encoder one escape pass per piece: records carry
//! several timestamps each, and bulk imports encode every record they write.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

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

/// Serializes a timestamp as chrono does.
pub(crate) fn one<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 20];
    match whole_seconds(t, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => t.serialize(s),
    }
}

/// Serializes an optional timestamp as chrono does (`None` as null).
pub(crate) fn opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => one(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[derive(Serialize)]
    struct Ours(#[serde(serialize_with = "one")] DateTime<Utc>);

    proptest! {
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
    fn none_is_null_and_fractions_fall_back_to_chrono() {
        #[derive(Serialize)]
        struct O(#[serde(serialize_with = "opt")] Option<DateTime<Utc>>);
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
