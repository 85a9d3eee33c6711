//! The planned alias changes of one key, set in constant time however many
//! ids the key names (a key such as a customer's credit or an awaited
//! subscription can name many records over a run).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::Id;

/// Past this many changes a key's changes are hash-indexed by id.
const SMALL: usize = 8;

/// For each id, whether it is added (`true`) or removed (`false`); the last
/// change of an id wins, so each id appears once and order does not matter.
#[derive(Default)]
pub(crate) struct AliasChanges {
    list: Vec<(Id, bool)>,
    index: Option<FxHashMap<Id, usize>>,
}

impl AliasChanges {
    /// Records that `id` is added or removed (replacing an earlier change of it).
    pub(crate) fn set(&mut self, id: &str, add: bool) {
        let found = match &self.index {
            Some(ix) => ix.get(id).copied(),
            None => self.list.iter().position(|(x, _)| x == id),
        };
        if let Some(i) = found {
            self.list[i].1 = add;
            return;
        }
        if let Some(ix) = &mut self.index {
            ix.insert(id.to_string(), self.list.len());
        }
        self.list.push((id.to_string(), add));
        if self.index.is_none() && self.list.len() > SMALL {
            let ix = self.list.iter().enumerate();
            self.index = Some(ix.map(|(i, (id, _))| (id.clone(), i)).collect());
        }
    }

    /// Applies the changes to the ids a key names (order not kept).
    pub(crate) fn apply_to(&self, ids: &mut Vec<Id>) {
        apply_all(ids, self.list.iter().map(|(id, add)| (id.as_str(), *add)));
    }

    /// The changes, each id once.
    pub(crate) fn into_vec(self) -> Vec<(Id, bool)> {
        self.list
    }

    /// Number of ids changed.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

/// Applies `(id, add)` changes to a list of ids with set semantics: small
/// lists in place, larger ones through a hash set (order not kept).
pub(crate) fn apply_all<'a>(
    ids: &mut Vec<Id>,
    changes: impl ExactSizeIterator<Item = (&'a str, bool)>,
) {
    if changes.len() <= SMALL && ids.len() <= 4 * SMALL {
        for (id, add) in changes {
            let pos = ids.iter().position(|x| x == id);
            match (add, pos) {
                (true, None) => ids.push(id.to_string()),
                (false, Some(i)) => {
                    ids.swap_remove(i);
                }
                _ => {}
            }
        }
        return;
    }
    let mut set: FxHashSet<Id> = ids.drain(..).collect();
    for (id, add) in changes {
        if add {
            if !set.contains(id) {
                set.insert(id.to_string());
            }
        } else {
            set.remove(id);
        }
    }
    ids.extend(set);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<Id>) -> Vec<Id> {
        v.sort();
        v
    }

    #[test]
    fn last_change_of_an_id_wins_small_and_large() {
        for n in [3usize, 50] {
            let mut c = AliasChanges::default();
            for i in 0..n {
                c.set(&format!("id{i}"), true);
            }
            c.set("id1", false);
            c.set("id1", true);
            c.set("id2", false);
            assert_eq!(c.len(), n);
            let mut ids = vec!["id2".to_string(), "old".to_string()];
            c.apply_to(&mut ids);
            let mut want: Vec<Id> = (0..n)
                .filter(|i| *i != 2)
                .map(|i| format!("id{i}"))
                .collect();
            want.push("old".into());
            assert_eq!(sorted(ids), sorted(want), "n = {n}");
            let v = c.into_vec();
            assert_eq!(v.iter().filter(|(id, _)| id == "id1").count(), 1);
            assert!(v.contains(&("id2".to_string(), false)));
        }
    }
}
