//! Writing one record into the workspace: its id, the stale guard, the diff,
//! its alias keys, and the links that wait for records arriving later.

use std::collections::BTreeSet;

use super::Workspace;
use super::diff::diff_records;
use super::planner::Planned;
use super::review::Action;
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::model::*;
use crate::money::Currency;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The books id for a source key: existing, or derived from the key and the
/// source's creation time ([`derive_id_at`]).
///
/// Every record is aliased by its own key, so a key naming nothing means the
/// derived id is free: the workspace learns that without asking the store.
pub fn existing_or_new(
    ws: &mut Workspace<'_>,
    key: &ExternalKey,
    kind: EntityKind,
    created: Option<DateTime<Utc>>,
) -> Result<Id> {
    match ws.resolve_kind(key, kind)?.into_iter().next() {
        Some(id) => Ok(id),
        None => {
            let id = derive_id_at(kind.id_prefix(), key.joined(), created);
            ws.assume_absent(kind, &id);
            Ok(id)
        }
    }
}

/// Plans an insert or an update of `new` (whose id is set), with its alias keys.
/// Older snapshots never overwrite newer ones; unchanged records write nothing.
pub fn upsert(
    ws: &mut Workspace<'_>,
    mut new: Entity,
    aliases: Vec<ExternalKey>,
    amount: Option<(Currency, Decimal)>,
) -> Result<Planned> {
    let id = new.id().to_string();
    // Both sides at their currency's scale, so a diff never reports `0` vs
    // `0.00` (a source's zero against the books' own) as a change.
    new.at_currency_scale();
    let old = ws.get(new.kind(), &id)?.map(|mut o| {
        o.at_currency_scale();
        o
    });
    let action = match &old {
        None => Action::Create,
        Some(old) => {
            if let (Some(a), Some(b)) = (old.source(), new.source()) {
                if let (Some(ta), Some(tb)) = (a.updated_at, b.updated_at) {
                    if tb < ta && a.key() == b.key() {
                        return Ok((
                            Action::Skipped {
                                reason: format!(
                                    "stale snapshot: the books hold a newer one ({ta} > {tb})"
                                ),
                            },
                            id,
                            None,
                        ));
                    }
                }
            }
            if old == &new {
                Action::Unchanged
            } else {
                let changes = diff_records(old, &new);
                if changes.is_empty() {
                    Action::Unchanged
                } else {
                    Action::Update { changes }
                }
            }
        }
    };
    match action {
        // The same record names the same keys: they were added when it was written.
        Action::Unchanged => {}
        // A new record's id has no aliases yet: no need to look them up.
        Action::Create => {
            ws.put(new);
            for k in aliases {
                ws.alias_new(k, &id);
            }
        }
        _ => {
            ws.put(new);
            ws.alias_all(aliases, &id)?;
        }
    }
    Ok((action, id, amount))
}

/// A refund's or dispute's alias keys (its own, and one per charge or payment
/// intent it reverses, built by `key_for`) and the payment it reverses, if the
/// books have it (marked touched so settling applies the reversal).
pub(crate) fn reversal_links(
    ws: &mut Workspace<'_>,
    src: &SourceRef,
    refs: &PaymentRefs,
    key_for: fn(&SourceRef, &str) -> ExternalKey,
    touched: &mut BTreeSet<Id>,
) -> Result<(Option<Id>, Vec<ExternalKey>)> {
    let mut aliases = vec![src.key()];
    let mut payment = None;
    for (obj, ext) in refs.pairs() {
        if obj == "charge" || obj == "payment_intent" {
            aliases.push(key_for(src, ext));
            if let Some(pid) = ws
                .resolve_kind(&src.sibling(obj, ext), EntityKind::Payment)?
                .into_iter()
                .next()
            {
                touched.insert(pid.clone());
                payment = Some(pid);
            }
        }
    }
    Ok((payment, aliases))
}

/// Fills a reference on records that arrived before what they reference.
pub(crate) fn backfill(
    ws: &mut Workspace<'_>,
    key: &ExternalKey,
    kind: EntityKind,
    mut set: impl FnMut(&mut Entity) -> bool,
) -> Result<()> {
    for id in ws.resolve_kind(key, kind)? {
        if let Some(mut e) = ws.get(kind, &id)? {
            if set(&mut e) {
                ws.put(e);
            }
        }
    }
    Ok(())
}
