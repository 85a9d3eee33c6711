//! The skim as it was before the byte-level scanner: serde_json with a
//! visitor that reads the few fields the walk needs and ignores the rest.
//! Kept for tests, which check the scanner gives the same answers.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Skimmed, kind_of_object};
use crate::files::payout_in_url;
use crate::map::is_supported;

/// Skims `bytes` (a `.json` file, or a `.jsonl` one when `lines`); `None`
/// when the file needs the full read.
pub(super) fn skim(bytes: &[u8], lines: bool) -> Option<Skimmed> {
    let mut out = Skimmed::default();
    if lines {
        for line in bytes.split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let node: Node<'_> = serde_json::from_slice(line).ok()?;
            walk(&node, None, &mut out)?;
        }
    } else {
        for node in serde_json::Deserializer::from_slice(bytes).into_iter::<Node<'_>>() {
            walk(&node.ok()?, None, &mut out)?;
        }
    }
    Some(out)
}

/// Accounts for one value as the full read would; `None` to decline.
fn walk(node: &Node<'_>, list_payout: Option<&str>, out: &mut Skimmed) -> Option<()> {
    match node {
        Node::Items(items) => {
            for n in items {
                walk(n, list_payout, out)?;
            }
            Some(())
        }
        Node::Other => None,
        Node::Object(o) => {
            if o.error {
                return None;
            }
            match o.object.as_deref()? {
                "list" | "search_result" => {
                    let payout = o.url.as_deref().and_then(payout_in_url);
                    let Some(Node::Items(items)) = o.data.as_deref() else {
                        return None;
                    };
                    for n in items {
                        walk(n, payout.as_deref().or(list_payout), out)?;
                    }
                    Some(())
                }
                "event" | "balance" => None,
                object if !is_supported(object) => Some(()),
                object => {
                    out.livemode |= o.livemode;
                    out.kinds.push(kind_of_object(object));
                    let paid = o.paid_at.filter(|_| object == "invoice");
                    out.times.add(o.created, paid);
                    if object == "balance_transaction" {
                        let own = o.source.as_deref().filter(|s| s.starts_with("po_"));
                        let payout = own.or(list_payout);
                        let kind = o.kind.as_deref().unwrap_or("");
                        if let (Some(po), Some(id)) = (payout, o.id.as_deref()) {
                            if !kind.starts_with("payout") {
                                out.payout_bts
                                    .entry(po.to_string())
                                    .or_default()
                                    .push(id.to_string());
                            }
                        }
                    }
                    Some(())
                }
            }
        }
    }
}

/// A JSON value as the skim sees it.
enum Node<'a> {
    /// An array.
    Items(Vec<Node<'a>>),
    /// An object, by the fields the skim reads.
    Object(Box<Fields<'a>>),
    /// Anything else (a string, number, boolean or null).
    Other,
}

/// The fields the skim reads of an object.
#[derive(Default)]
struct Fields<'a> {
    object: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    /// `source`: an id, or an expanded object's id.
    source: Option<Cow<'a, str>>,
    url: Option<Cow<'a, str>>,
    livemode: bool,
    /// `created`, when its text is an integer.
    created: Option<i64>,
    /// `status_transitions.paid_at`, when its text is an integer.
    paid_at: Option<i64>,
    error: bool,
    data: Option<Box<Node<'a>>>,
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Visits a value into a [`Node`].
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node<'de>, E> {
        Ok(Node::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Node<'de>, E> {
        Ok(Node::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Node<'de>, E> {
        Ok(Node::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node<'de>, E> {
        Ok(Node::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Node<'de>, E> {
        Ok(Node::Other)
    }
    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(n) = seq.next_element()? {
            items.push(n);
        }
        Ok(Node::Items(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "object" => f.object = map.next_value::<Option<Str<'de>>>()?.map(|s| s.0),
                "id" => f.id = map.next_value::<Option<Str<'de>>>()?.map(|s| s.0),
                "type" => f.kind = map.next_value::<Option<Str<'de>>>()?.map(|s| s.0),
                "url" => f.url = map.next_value::<Option<Str<'de>>>()?.map(|s| s.0),
                "source" => f.source = map.next_value::<IdOf<'de>>()?.0,
                "livemode" => f.livemode = map.next_value::<Option<bool>>()?.unwrap_or(false),
                "created" => f.created = map.next_value::<Time>()?.0,
                "status_transitions" => f.paid_at = map.next_value::<PaidAt>()?.0,
                "error" => {
                    f.error = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "data" => f.data = Some(Box::new(map.next_value::<Node<'de>>()?)),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Node::Object(Box::new(f)))
    }
}

/// A time field: any value, taken as serde_json's `RawValue` takes it, and
/// kept when its text is an integer.
struct Time(Option<i64>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de serde_json::value::RawValue>::deserialize(d)?;
        Ok(Time(raw.get().parse().ok()))
    }
}

/// `status_transitions`: `null`, or an object whose `paid_at` is a
/// [`Time`].
struct PaidAt(Option<i64>);

impl<'de> Deserialize<'de> for PaidAt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PaidAt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null or an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<PaidAt, E> {
                Ok(PaidAt(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PaidAt, A::Error> {
                let mut paid = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "paid_at" {
                        paid = map.next_value::<Time>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(PaidAt(paid))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string, borrowed from the input when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// An id field that may be expanded: the string, or the object's `id`.
struct IdOf<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for IdOf<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdOf<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id or an object")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<IdOf<'de>, E> {
                Ok(IdOf(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<IdOf<'de>, E> {
                Ok(IdOf(Some(Cow::Owned(s.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<IdOf<'de>, E> {
                Ok(IdOf(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdOf<'de>, A::Error> {
                let mut id = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "id" {
                        id = map.next_value::<Option<Str<'de>>>()?.map(|s| s.0);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(IdOf(id))
            }
        }
        d.deserialize_any(V)
    }
}
