//! Records a writer read before planning, checked again inside its commit:
//! the compare half of a compare-and-set over whole records. A commit made
//! with [`Store::commit_if_unchanged`](super::Store::commit_if_unchanged)
//! is refused when any of them changed since (another process wrote it
//! meanwhile), so a plan derived from them never overwrites that write.

use crate::entity::{Entity, EntityKind};
use crate::error::CoreError;
use crate::model::Id;

/// One record as a writer read it before planning: `record` is `None` when
/// there was none of that kind and id.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadRecord {
    /// The record's kind.
    pub kind: EntityKind,
    /// The record's id.
    pub id: Id,
    /// The record as read, or `None` when it was absent.
    pub record: Option<Entity>,
}

impl ReadRecord {
    /// Reads `kind` `id` through `get` (a store's batched lookup) as it is now.
    pub fn now(
        kind: EntityKind,
        id: &str,
        get: impl FnOnce(EntityKind, &[Id]) -> crate::Result<Vec<Entity>>,
    ) -> crate::Result<ReadRecord> {
        let record = get(kind, &[id.to_string()])?.into_iter().next();
        Ok(ReadRecord {
            kind,
            id: id.to_string(),
            record,
        })
    }
}

/// The refusal for the first of `read` whose stored state (`stored(kind,
/// id)`, as found inside the commit) differs from what was read; `None`
/// when every record is as it was. The refusal is an allocation conflict
/// (`ALLOCATION_REJECTED`): the caller plans again on what is there now.
pub fn first_changed(
    read: &[ReadRecord],
    mut stored: impl FnMut(EntityKind, &str) -> Option<Entity>,
) -> Option<CoreError> {
    read.iter().find_map(|r| {
        let now = stored(r.kind, &r.id);
        (now != r.record).then(|| {
            let was = |e: &Option<Entity>| if e.is_some() { "present" } else { "absent" };
            CoreError::Allocation(format!(
                "{} {} changed meanwhile (another process wrote it since it was read: {} then, \
                 {} now): plan again",
                r.kind.as_str(),
                r.id,
                was(&r.record),
                was(&now)
            ))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Allocation;

    fn alloc(amount: i64) -> Entity {
        Entity::Allocation(Allocation::manual_for_test(
            "al_1", "pay_1", "inv_1", amount,
        ))
    }

    fn read(record: Option<Entity>) -> Vec<ReadRecord> {
        vec![ReadRecord {
            kind: EntityKind::Allocation,
            id: "al_1".into(),
            record,
        }]
    }

    #[test]
    fn refuses_a_record_written_since_it_was_read() {
        assert!(first_changed(&read(Some(alloc(100))), |_, _| Some(alloc(100))).is_none());
        assert!(first_changed(&read(None), |_, _| None).is_none());
        let grown = first_changed(&read(Some(alloc(100))), |_, _| Some(alloc(250)));
        assert!(matches!(grown, Some(CoreError::Allocation(m)) if m.contains("changed meanwhile")));
        let inserted = first_changed(&read(None), |_, _| Some(alloc(100)));
        assert!(
            matches!(inserted, Some(CoreError::Allocation(m)) if m.contains("absent then, present now"))
        );
        let deleted = first_changed(&read(Some(alloc(100))), |_, _| None);
        assert!(deleted.is_some());
    }
}
