//! `Workspace`: the books as the planner sees them: committed state plus the
//! changes planned so far, with batched, cached reads.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::model::{ExternalKey, Id};
use crate::store::{ChangeSet, Store};

/// The planner's state between pages: records and aliases read so far and the
/// changes planned. Owned, so an import can drop the store lock between pages
/// (a review keeps planned changes across pages without committing them).
#[derive(Default)]
pub struct WorkState {
    /// Committed records read so far (`None`: known absent).
    cache: HashMap<(EntityKind, Id), Option<Entity>>,
    /// Committed aliases read so far.
    alias_cache: HashMap<ExternalKey, BTreeSet<Id>>,
    /// Planned records (`None`: planned deletion).
    overlay: BTreeMap<(EntityKind, Id), Option<Entity>>,
    /// Planned alias changes: `true` add, `false` remove.
    alias_overlay: BTreeMap<(ExternalKey, Id), bool>,
    /// Changes not yet taken for a commit.
    pending: BTreeSet<(EntityKind, Id)>,
    pending_aliases: BTreeSet<(ExternalKey, Id)>,
}

impl WorkState {
    /// Empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// After a successful commit: folds the overlay into the cache so memory
    /// stays bounded by one page.
    pub fn committed(&mut self) {
        for (k, e) in std::mem::take(&mut self.overlay) {
            self.cache.insert(k, e);
        }
        for ((key, id), add) in std::mem::take(&mut self.alias_overlay) {
            let set = self.alias_cache.entry(key).or_default();
            if add {
                set.insert(id);
            } else {
                set.remove(&id);
            }
        }
        if self.cache.len() > 100_000 || self.alias_cache.len() > 200_000 {
            self.cache.clear();
            self.alias_cache.clear();
        }
    }

    /// After a failed commit: forgets the planned changes and everything read.
    pub fn discard(&mut self) {
        *self = WorkState::default();
    }
}

/// A read-through overlay over a [`Store`]: the store plus a [`WorkState`].
///
/// Reads hit the planned changes first, then the cache, then the store (batched
/// by [`Workspace::prefetch`]). Writes go to the overlay only;
/// [`Workspace::take_changes`] turns them into a [`ChangeSet`].
pub struct Workspace<'s> {
    store: &'s dyn Store,
    st: &'s mut WorkState,
}

impl<'s> Workspace<'s> {
    /// A workspace over `store` continuing from `state`.
    pub fn new(store: &'s dyn Store, state: &'s mut WorkState) -> Self {
        Workspace { store, st: state }
    }

    /// Loads the aliases of `keys` and the records they name, in two batched reads.
    pub fn prefetch(&mut self, keys: &[ExternalKey]) -> Result<()> {
        let missing: Vec<ExternalKey> = keys
            .iter()
            .filter(|k| !self.st.alias_cache.contains_key(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let found = self.store.resolve(&missing)?;
        let mut by_kind: BTreeMap<EntityKind, Vec<Id>> = BTreeMap::new();
        for k in missing {
            let ids: BTreeSet<Id> = found.get(&k).cloned().unwrap_or_default().into_iter().collect();
            for id in &ids {
                if let Some(kind) = kind_of_id(id) {
                    if !self.st.cache.contains_key(&(kind, id.clone())) {
                        by_kind.entry(kind).or_default().push(id.clone());
                    }
                }
            }
            self.st.alias_cache.insert(k, ids);
        }
        for (kind, ids) in by_kind {
            self.load(kind, &ids)?;
        }
        Ok(())
    }

    /// Loads records by id into the cache (batched).
    pub fn load(&mut self, kind: EntityKind, ids: &[Id]) -> Result<()> {
        let want: Vec<Id> = ids
            .iter()
            .filter(|id| !self.st.cache.contains_key(&(kind, (*id).clone())))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if want.is_empty() {
            return Ok(());
        }
        let got = self.store.get(kind, &want)?;
        for id in &want {
            self.st.cache.insert((kind, id.clone()), None);
        }
        for e in got {
            self.st.cache.insert((kind, e.id().to_string()), Some(e));
        }
        Ok(())
    }

    /// Ids an alias key names, committed and planned.
    pub fn resolve(&mut self, key: &ExternalKey) -> Result<Vec<Id>> {
        if !self.st.alias_cache.contains_key(key) {
            self.prefetch(std::slice::from_ref(key))?;
        }
        let mut ids = self.st.alias_cache.get(key).cloned().unwrap_or_default();
        for ((k, id), add) in self
            .st
            .alias_overlay
            .range((key.clone(), String::new())..)
            .take_while(|((k, _), _)| k == key)
        {
            debug_assert!(k == key);
            if *add {
                ids.insert(id.clone());
            } else {
                ids.remove(id);
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// Ids of `kind` an alias key names.
    pub fn resolve_kind(&mut self, key: &ExternalKey, kind: EntityKind) -> Result<Vec<Id>> {
        Ok(self
            .resolve(key)?
            .into_iter()
            .filter(|id| kind_of_id(id) == Some(kind))
            .collect())
    }

    /// The current version of a record (planned or committed).
    pub fn get(&mut self, kind: EntityKind, id: &str) -> Result<Option<Entity>> {
        if let Some(e) = self.st.overlay.get(&(kind, id.to_string())) {
            return Ok(e.clone());
        }
        if !self.st.cache.contains_key(&(kind, id.to_string())) {
            self.load(kind, &[id.to_string()])?;
        }
        Ok(self.st.cache.get(&(kind, id.to_string())).cloned().flatten())
    }

    /// The committed version of a record, ignoring planned changes.
    pub fn committed(&mut self, kind: EntityKind, id: &str) -> Result<Option<Entity>> {
        if !self.st.cache.contains_key(&(kind, id.to_string())) {
            self.load(kind, &[id.to_string()])?;
        }
        Ok(self.st.cache.get(&(kind, id.to_string())).cloned().flatten())
    }

    /// Records that no committed record of `kind` has this id (known from its
    /// alias), so reading it costs no store query.
    pub fn assume_absent(&mut self, kind: EntityKind, id: &str) {
        self.st.cache.entry((kind, id.to_string())).or_insert(None);
    }

    /// Plans an insert or replacement.
    pub fn put(&mut self, e: Entity) {
        let k = (e.kind(), e.id().to_string());
        self.st.pending.insert(k.clone());
        self.st.overlay.insert(k, Some(e));
    }

    /// Plans a deletion.
    pub fn delete(&mut self, kind: EntityKind, id: &str) {
        let k = (kind, id.to_string());
        self.st.pending.insert(k.clone());
        self.st.overlay.insert(k, None);
    }

    /// Plans an alias.
    pub fn alias(&mut self, key: ExternalKey, id: &str) -> Result<()> {
        if self.resolve(&key)?.iter().any(|x| x == id) {
            return Ok(());
        }
        let k = (key, id.to_string());
        self.st.pending_aliases.insert(k.clone());
        self.st.alias_overlay.insert(k, true);
        Ok(())
    }

    /// Plans an alias removal.
    pub fn unalias(&mut self, key: ExternalKey, id: &str) {
        let k = (key, id.to_string());
        self.st.pending_aliases.insert(k.clone());
        self.st.alias_overlay.insert(k, false);
    }

    /// Allocations touching these payments or invoices, committed and planned.
    pub fn allocations_for(&mut self, payments: &[Id], invoices: &[Id]) -> Result<Vec<Entity>> {
        let committed = self.store.allocations_for(payments, invoices)?;
        let mut out: BTreeMap<Id, Entity> = BTreeMap::new();
        for e in committed {
            let id = e.id().to_string();
            self.st.cache
                .entry((EntityKind::Allocation, id.clone()))
                .or_insert_with(|| Some(e.clone()));
            out.insert(id, e);
        }
        let p: BTreeSet<&str> = payments.iter().map(String::as_str).collect();
        let i: BTreeSet<&str> = invoices.iter().map(String::as_str).collect();
        for ((kind, id), e) in &self.st.overlay {
            if *kind != EntityKind::Allocation {
                continue;
            }
            match e {
                Some(Entity::Allocation(a))
                    if p.contains(a.payment_id.as_str()) || i.contains(a.invoice_id.as_str()) =>
                {
                    out.insert(id.clone(), Entity::Allocation(a.clone()));
                }
                _ => {
                    out.remove(id);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Records of `kind` for a customer, committed and planned.
    pub fn by_customer(&mut self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        let mut out: BTreeMap<Id, Entity> = BTreeMap::new();
        for e in self.store.list_by_customer(kind, customer_id)? {
            out.insert(e.id().to_string(), e);
        }
        for ((k, id), e) in &self.st.overlay {
            if *k != kind {
                continue;
            }
            match e {
                Some(e) if crate::store::customer_of(e) == Some(customer_id) => {
                    out.insert(id.clone(), e.clone());
                }
                _ => {
                    out.remove(id);
                }
            }
        }
        Ok(out.into_values().collect())
    }

    /// Takes the planned-but-uncommitted changes as a change set, and moves them
    /// into the cache as if committed (call after a successful commit, or keep
    /// the overlay for a review by never committing).
    pub fn take_changes(&mut self) -> ChangeSet {
        let mut cs = ChangeSet::default();
        for k in std::mem::take(&mut self.st.pending) {
            match self.st.overlay.get(&k).cloned().flatten() {
                Some(e) => cs.upserts.push(e),
                None => cs.deletes.push(k),
            }
        }
        for k in std::mem::take(&mut self.st.pending_aliases) {
            if self.st.alias_overlay.get(&k).copied().unwrap_or(false) {
                cs.aliases_add.push(k);
            } else {
                cs.aliases_remove.push(k);
            }
        }
        cs
    }

}

/// The kind of a books id, from its prefix.
pub fn kind_of_id(id: &str) -> Option<EntityKind> {
    let prefix = id.split('_').next()?;
    EntityKind::ALL.into_iter().find(|k| k.id_prefix() == prefix)
}
