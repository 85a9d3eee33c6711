//! What a fetch scope filters on, remembered per file once the file was read:
//! per object kind, how many items it holds and the created range of those
//! that carry a created time (a few dozen bytes a file, whatever its size).
//! With them a created-range total is counted without reading the files
//! again (a file is read again only when the range cuts through its items),
//! and a file holding nothing in the scope is not read at all. A backfill
//! worker fetches one created range per shard: before, each shard read and
//! mapped every file twice (a counting pass, then the pages).

use tieout_core::{FetchScope, ObjectScope, SourceItem};

/// The kind and created time of one item, as [`in_range`] filters them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Facts {
    kind: Option<ObjectScope>,
    created: Option<i64>,
}

impl Facts {
    /// The facts of `item`.
    pub(super) fn of(item: &SourceItem) -> Facts {
        match item {
            SourceItem::Record(r) => Facts {
                kind: Some(r.scope()),
                created: r.source().and_then(|s| s.created_at).map(|t| t.timestamp()),
            },
            SourceItem::Failed(f) => Facts {
                kind: ObjectScope::parse(&f.object),
                created: None,
            },
        }
    }
}

/// Whether `kind` is among `scope`'s object kinds (an unknown kind always is).
fn kind_in(kind: Option<ObjectScope>, scope: &FetchScope) -> bool {
    scope.objects.is_empty() || kind.is_none_or(|k| scope.objects.contains(&k))
}

/// Whether an item with these facts is in `scope`'s object kinds and
/// created range (invoice statuses aside: the caller checks those on the
/// item itself).
pub(super) fn in_range(f: &Facts, scope: &FetchScope) -> bool {
    kind_in(f.kind, scope)
        && f.created.is_none_or(|t| {
            !(scope.created_gte.is_some_and(|g| t < g) || scope.created_lte.is_some_and(|l| t > l))
        })
}

/// A file's items of one kind.
#[derive(Clone, Copy, Debug, PartialEq)]
struct KindFacts {
    kind: Option<ObjectScope>,
    /// Items of this kind.
    items: u64,
    /// Those without a created time (in every created range).
    undated: u64,
    /// The earliest and latest created time of the others.
    first: i64,
    last: i64,
}

impl KindFacts {
    /// Items of this kind in `scope`; `None` when the created range cuts
    /// through them (some are in it, some may not be).
    fn count(&self, scope: &FetchScope) -> Option<u64> {
        if !kind_in(self.kind, scope) {
            return Some(0);
        }
        if self.items == self.undated {
            return Some(self.items);
        }
        let (gte, lte) = (scope.created_gte, scope.created_lte);
        let all_in = gte.is_none_or(|g| self.first >= g) && lte.is_none_or(|l| self.last <= l);
        if all_in {
            return Some(self.items);
        }
        let all_out = gte.is_some_and(|g| self.last < g) || lte.is_some_and(|l| self.first > l);
        all_out.then_some(self.undated)
    }
}

/// What a file holds, per kind (most files hold one).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct FileFacts(Vec<KindFacts>);

impl FileFacts {
    /// The file's items in `scope` (invoice statuses aside), when its facts
    /// tell; `None` when the created range cuts through its items (then
    /// only the items themselves tell).
    pub(super) fn count(&self, scope: &FetchScope) -> Option<u64> {
        self.0.iter().map(|k| k.count(scope)).sum()
    }

    /// Whether the file certainly holds nothing in `scope`.
    pub(super) fn nothing_in(&self, scope: &FetchScope) -> bool {
        self.count(scope) == Some(0)
    }
}

/// The facts of a file's items.
pub(super) fn of_items(items: &[SourceItem]) -> FileFacts {
    let mut out: Vec<KindFacts> = Vec::new();
    for f in items.iter().map(Facts::of) {
        let slot = match out.iter().position(|k| k.kind == f.kind) {
            Some(i) => &mut out[i],
            None => {
                out.push(KindFacts {
                    kind: f.kind,
                    items: 0,
                    undated: 0,
                    first: i64::MAX,
                    last: i64::MIN,
                });
                out.last_mut().expect("pushed above")
            }
        };
        slot.items += 1;
        match f.created {
            Some(t) => {
                slot.first = slot.first.min(t);
                slot.last = slot.last.max(t);
            }
            None => slot.undated += 1,
        }
    }
    out.shrink_to_fit();
    FileFacts(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tieout_core::model::Failure;

    fn customer(id: &str, created: i64) -> SourceItem {
        let v = serde_json::json!({"id": id, "object": "customer", "created": created});
        let mut out = crate::map::map_object(&v, &crate::map::MapContext::new("acct_t"));
        out.pop().expect("one customer")
    }

    fn failed() -> SourceItem {
        SourceItem::Failed(Failure {
            object: "file".into(),
            external_id: "x.json".into(),
            error: "broken".into(),
        })
    }

    fn range(gte: Option<i64>, lte: Option<i64>) -> FetchScope {
        FetchScope {
            created_gte: gte,
            created_lte: lte,
            ..FetchScope::default()
        }
    }

    #[test]
    fn counts_what_a_range_holds_for_certain_and_nothing_else() {
        let items = vec![
            customer("cus_1", 100),
            customer("cus_2", 150),
            customer("cus_3", 200),
            failed(),
        ];
        let facts = of_items(&items);
        let exact = |s: &FetchScope| items.iter().filter(|i| in_range(&Facts::of(i), s)).count();
        // Ranges around all items, before, after, or cutting through them.
        for (gte, lte, told) in [
            (None, None, Some(4)),
            (Some(100), Some(200), Some(4)),
            (Some(201), None, Some(1)),
            (None, Some(99), Some(1)),
            (Some(150), None, None),
            (Some(120), Some(160), None),
        ] {
            let s = range(gte, lte);
            assert_eq!(facts.count(&s), told, "{gte:?}..{lte:?}");
            if let Some(n) = told {
                assert_eq!(n as usize, exact(&s), "{gte:?}..{lte:?}");
            }
        }
        // The failed item (kind "file", unknown) is in every range: never
        // nothing in a range, even one that excludes every customer.
        assert!(!facts.nothing_in(&range(Some(1_000), None)));
        assert!(of_items(&items[..3]).nothing_in(&range(Some(1_000), None)));
        assert!(!of_items(&items[..3]).nothing_in(&range(Some(150), None)));
        // Another kind only: nothing.
        let charges = FetchScope {
            objects: vec![ObjectScope::Payments],
            ..FetchScope::default()
        };
        assert_eq!(of_items(&items[..3]).count(&charges), Some(0));
    }
}
