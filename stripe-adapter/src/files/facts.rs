//! What a fetch scope filters on, remembered per file once the file was read:
//! each item's kind and created time (16 bytes or so an item). With them a
//! created-range total is counted without reading the files again, and a
//! file holding nothing in the scope is not read at all. A backfill worker
//! fetches one created range per shard: before, each shard read and mapped
//! every file twice (a counting pass, then the pages).

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

/// Whether an item with these facts is in `scope`'s object kinds and
/// created range (invoice statuses aside: the caller checks those on the
/// item itself).
pub(super) fn in_range(f: &Facts, scope: &FetchScope) -> bool {
    let kind_ok = scope.objects.is_empty() || f.kind.is_none_or(|k| scope.objects.contains(&k));
    kind_ok
        && f.created.is_none_or(|t| {
            !(scope.created_gte.is_some_and(|g| t < g) || scope.created_lte.is_some_and(|l| t > l))
        })
}

/// The facts of every item of a file.
pub(super) fn of_items(items: &[SourceItem]) -> Vec<Facts> {
    items.iter().map(Facts::of).collect()
}
