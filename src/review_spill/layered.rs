//! The books as a review sees them: the books' store, with the review's
//! planned batches committed to a staging store on top. A review commits
//! each batch here exactly as an import commits it to the books, so later
//! pages read earlier pages' planned records as an import would, and the
//! planner holds no more than an import does.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{ExternalKey, Id};
use tieout_core::{ChangeSet, CoreError, Result, Store};
use tieout_sqlite::SqliteStore;

/// The staging store of one review and what it removed from the books below
/// (deletions and alias removals are rare: settling and credit changes).
pub(crate) struct Stage {
    store: SqliteStore,
    deleted: HashSet<(EntityKind, Id)>,
    unaliased: HashMap<ExternalKey, HashSet<Id>>,
}

impl Stage {
    /// A staging store in the SQLite file at `path` (created).
    pub(crate) fn open(path: &std::path::Path) -> Result<Stage> {
        Ok(Stage {
            store: SqliteStore::open(path)?,
            deleted: HashSet::new(),
            unaliased: HashMap::new(),
        })
    }
}

/// [`Store`] over the books (read only) and a [`Stage`] (where commits go).
pub(crate) struct Layered<'a> {
    base: &'a Mutex<Box<dyn Store>>,
    top: &'a mut Stage,
}

impl<'a> Layered<'a> {
    /// The books' store `base` under `top`.
    pub(crate) fn new(base: &'a Mutex<Box<dyn Store>>, top: &'a mut Stage) -> Self {
        Layered { base, top }
    }

    fn base(&self) -> Result<std::sync::MutexGuard<'a, Box<dyn Store>>> {
        self.base
            .lock()
            .map_err(|_| CoreError::Store("store lock poisoned by a panic".into()))
    }

    fn deleted(&self, kind: EntityKind, id: &str) -> bool {
        !self.top.deleted.is_empty() && self.top.deleted.contains(&(kind, id.to_string()))
    }

    /// Base records not deleted and not replaced on top, plus `top`'s, by id.
    fn merge(&self, kind: EntityKind, base: Vec<Entity>, top: Vec<Entity>) -> Result<Vec<Entity>> {
        let ids: Vec<Id> = base.iter().map(|e| e.id().to_string()).collect();
        let replaced: HashSet<String> = self
            .top
            .store
            .get(kind, &ids)?
            .iter()
            .map(|e| e.id().to_string())
            .collect();
        let mut out: Vec<Entity> = base
            .into_iter()
            .filter(|e| !replaced.contains(e.id()) && !self.deleted(kind, e.id()))
            .collect();
        out.extend(top);
        out.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(out)
    }
}

impl Store for Layered<'_> {
    fn resolve(&self, keys: &[ExternalKey]) -> Result<HashMap<ExternalKey, Vec<Id>>> {
        let mut out = self.base()?.resolve(keys)?;
        if !self.top.unaliased.is_empty() {
            for (k, ids) in out.iter_mut() {
                if let Some(gone) = self.top.unaliased.get(k) {
                    ids.retain(|id| !gone.contains(id));
                }
            }
            out.retain(|_, ids| !ids.is_empty());
        }
        for (k, ids) in self.top.store.resolve(keys)? {
            let slot = out.entry(k).or_default();
            for id in ids {
                if !slot.contains(&id) {
                    slot.push(id);
                }
            }
        }
        Ok(out)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        let mut found = self.top.store.get(kind, ids)?;
        let have: HashSet<&str> = found.iter().map(|e| e.id()).collect();
        let rest: Vec<Id> = ids
            .iter()
            .filter(|id| !have.contains(id.as_str()) && !self.deleted(kind, id))
            .cloned()
            .collect();
        drop(have);
        if !rest.is_empty() {
            found.extend(self.base()?.get(kind, &rest)?);
        }
        Ok(found)
    }

    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        let base = self.base()?.list(kind)?;
        self.merge(kind, base, self.top.store.list(kind)?)
    }

    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        let base = self.base()?.list_by_customer(kind, customer_id)?;
        self.merge(
            kind,
            base,
            self.top.store.list_by_customer(kind, customer_id)?,
        )
    }

    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>> {
        let base = self.base()?.allocations_for(payment_ids, invoice_ids)?;
        let top = self.top.store.allocations_for(payment_ids, invoice_ids)?;
        self.merge(EntityKind::Allocation, base, top)
    }

    fn checkpoint(&self, stream: &str) -> Result<Option<String>> {
        self.base()?.checkpoint(stream)
    }

    /// Commits to the staging store, in the order a store applies a change
    /// set: deletions, then upserts; alias removals, then additions.
    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        let top = &mut *self.top;
        for (kind, id) in &changes.deletes {
            top.deleted.insert((*kind, id.clone()));
        }
        if !top.deleted.is_empty() {
            for e in &changes.upserts {
                top.deleted.remove(&(e.kind(), e.id().to_string()));
            }
        }
        for (k, id) in &changes.aliases_remove {
            top.unaliased
                .entry(k.clone())
                .or_default()
                .insert(id.clone());
        }
        if !top.unaliased.is_empty() {
            for (k, id) in &changes.aliases_add {
                if let Some(gone) = top.unaliased.get_mut(k) {
                    gone.remove(id);
                }
            }
        }
        top.store.commit(changes)
    }
}
