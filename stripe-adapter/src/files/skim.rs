//! The first pass's skim: what paging needs of a file (each item's object
//! kind, livemode, the balance transactions listed under payouts) without
//! building a JSON tree or mapping a record.
//!
//! A skim reads only the few fields it needs and skips the rest in place.
//! It declines any file it cannot account for exactly as the full read would
//! (events, `balance` objects, error bodies, broken JSON, values that are not
//! objects): the first pass then reads and maps that file as the import will.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tieout_core::ObjectScope;

use super::payout_in_url;
use crate::map::is_supported;

/// What a skimmed file holds.
#[derive(Debug, Default)]
pub(super) struct Skimmed {
    /// The kind of each item the full read would give, in order.
    pub kinds: Vec<Option<ObjectScope>>,
    /// Whether any object says `livemode: true`.
    pub livemode: bool,
    /// Balance transactions (ids) listed under a payout, by payout id.
    pub payout_bts: BTreeMap<String, Vec<String>>,
}

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

/// Files skimmed at a time by [`skim_files`]: what it holds at once.
const SKIM_CHUNK: usize = 256;

/// Skims each file of `paths` (read from disk) as [`skim`] does, on up to
/// four threads, `SKIM_CHUNK` files at a time, and hands each result to
/// `take` in path order: `None` for a file the skim declines or cannot read
/// (the caller reads it in full). A first pass over a large export is all
/// parsing, with nothing else to run beside it.
pub(super) fn skim_files(paths: Vec<PathBuf>, mut take: impl FnMut(PathBuf, Option<Skimmed>)) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let one = |path: &PathBuf| {
        fs::read(path)
            .ok()
            .and_then(|bytes| skim(&bytes, is_lines(path)))
    };
    let mut paths = paths.into_iter().peekable();
    while paths.peek().is_some() {
        let chunk: Vec<PathBuf> = paths.by_ref().take(SKIM_CHUNK).collect();
        // Contiguous shares, one per worker (the first on this thread; one
        // worker or one file: no thread started), joined back in order.
        let mut shares = chunk.chunks(chunk.len().div_ceil(workers));
        let mine = shares.next().unwrap_or_default();
        let skims: Vec<Option<Skimmed>> = std::thread::scope(|s| {
            let handles: Vec<_> = shares
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            let mut out: Vec<Option<Skimmed>> = mine.iter().map(one).collect();
            for h in handles {
                // As the same skim on this thread would.
                out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            out
        });
        for (path, skimmed) in chunk.into_iter().zip(skims) {
            take(path, skimmed);
        }
    }
}

/// Whether a path names a `.jsonl` file.
pub(super) fn is_lines(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("jsonl")
}

/// The kind of item the full read maps an object of type `object` to.
fn kind_of_object(object: &str) -> Option<ObjectScope> {
    match object {
        "checkout.session" => Some(ObjectScope::Payments),
        o => ObjectScope::parse(o),
    }
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
    error: bool,
    data: Option<Box<Node<'a>>>,
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_page_gives_its_items_kinds_and_payout_transactions() {
        let page = br#"{"object":"list","url":"/v1/balance_transactions?payout=po_1",
            "data":[
              {"object":"balance_transaction","id":"txn_1","type":"charge","source":"ch_1","livemode":false},
              {"object":"balance_transaction","id":"txn_2","type":"payout","source":"po_1"},
              {"object":"balance_transaction","id":"txn_3","type":"refund","source":{"id":"po_2","object":"payout"}},
              {"object":"application_fee","id":"fee_1"},
              {"object":"checkout.session","id":"cs_1","livemode":true,"metadata":{"object":"x"}}
            ],"has_more":false}"#;
        let s = skim(page, false).expect("skimmed");
        assert_eq!(
            s.kinds,
            vec![
                Some(ObjectScope::BalanceTransactions),
                Some(ObjectScope::BalanceTransactions),
                Some(ObjectScope::BalanceTransactions),
                Some(ObjectScope::Payments),
            ]
        );
        assert!(s.livemode);
        assert_eq!(s.payout_bts.get("po_1"), Some(&vec!["txn_1".to_string()]));
        assert_eq!(s.payout_bts.get("po_2"), Some(&vec!["txn_3".to_string()]));
    }

    #[test]
    fn files_are_skimmed_on_threads_and_handed_over_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        // More files than a chunk, so chunks and shares both split; every
        // seventh file is one the skim declines, one path does not exist.
        let n = SKIM_CHUNK + 37;
        let mut paths = Vec::new();
        for i in 0..n {
            let path = dir.path().join(format!("{i:04}.json"));
            let text = if i % 7 == 3 {
                format!(r#"{{"object":"event","id":"evt_{i}"}}"#)
            } else {
                let items = (0..=i % 3)
                    .map(|k| format!(r#"{{"object":"customer","id":"cus_{i}_{k}"}}"#))
                    .collect::<Vec<_>>()
                    .join(",");
                format!(r#"{{"object":"list","data":[{items}]}}"#)
            };
            std::fs::write(&path, text).unwrap();
            paths.push(path);
        }
        paths.insert(5, dir.path().join("missing.json"));
        let mut seen = Vec::new();
        skim_files(paths.clone(), |path, skimmed| {
            seen.push((path, skimmed.map(|s| s.kinds.len())));
        });
        let expected: Vec<(PathBuf, Option<usize>)> = paths
            .iter()
            .map(|p| {
                let name = p.file_stem().unwrap().to_str().unwrap();
                let kinds = name
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| (i % 7 != 3).then_some(i % 3 + 1));
                (p.clone(), kinds)
            })
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn what_the_full_read_must_see_is_declined() {
        for text in [
            &br#"{"object":"event","id":"evt_1","data":{"object":{"object":"customer","id":"cus_1"}}}"#[..],
            br#"{"object":"balance","available":[]}"#,
            br#"{"error":{"type":"invalid_request_error"}}"#,
            br#"{"id":"cus_1"}"#,
            br#"[1, 2]"#,
            br#"{"object":"list","data":[{"object":"customer""#,
            br#"{"object":"list","data":{"object":"customer"}}"#,
        ] {
            assert!(skim(text, false).is_none(), "{}", String::from_utf8_lossy(text));
        }
        let lines = b"{\"object\":\"customer\",\"id\":\"cus_1\"}\n\n{\"object\":\"invoice\",\"id\":\"in_1\"}\n";
        let s = skim(lines, true).expect("skimmed");
        assert_eq!(
            s.kinds,
            vec![Some(ObjectScope::Customers), Some(ObjectScope::Invoices)]
        );
        assert!(skim(b"{\"object\":\"customer\"}\nnot json\n", true).is_none());
    }
}
