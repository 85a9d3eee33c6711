//! The books as a review sees them: the books' store, with the review's
//! planned batches committed to a staging store on top. A review commits
//! each batch here exactly as an import commits it to the books, so later
//! pages read earlier pages' planned records as an import would, and the
//! planner holds no more than an import does.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{ExternalKey, Id};
use tieout_core::{ChangeSet, CoreError, Resolved, Result, ScaledStore, Store};
use tieout_sqlite::SqliteStore;

use super::filter::Seen;
use super::tombstones::Tombstones;

/// [`Seen`] tags: alias keys; then allocations' payment and invoice ids;
/// then record ids, one tag per kind.
const ALIAS: u8 = 0;
const ALLOC_PAYMENT: u8 = 1;
const ALLOC_INVOICE: u8 = 2;

fn id_tag(kind: EntityKind) -> u8 {
    3 + u8::try_from(kind.index()).unwrap_or(u8::MAX - 3)
}

/// Entries a staged record adds to [`Stage`]'s filter, about: its id, its
/// alias keys, an allocation's payment and invoice (4.0 for an export of
/// invoices, half of them paid, with their customers and payments).
const ENTRIES_PER_RECORD: usize = 4;

/// The staging store of one review and what it removed from the books below
/// (deletions and alias removals: settling and credit changes, and a
/// payment replacing the one a paid invoice implied).
pub(crate) struct Stage {
    /// Through [`ScaledStore`], as the books are: the staged rows are what
    /// the books' commits would write.
    store: ScaledStore,
    /// Deletions and alias removals, on disk (they grow with the review).
    removed: Tombstones,
    /// What was committed here (alias keys, ids, allocations' payments and
    /// invoices): the staging store is asked only about what may be in it.
    seen: Seen,
    /// Whether the books below held nothing when the review began (a first
    /// import): then every read is answered by the staging store alone. A
    /// commit to the books during the review makes the import plan again.
    base_empty: Option<bool>,
    /// Whether the books below can adopt this staging file as it is
    /// ([`Store::adopt_staged`]).
    base_adopts: bool,
}

impl Stage {
    /// A staging store in the SQLite scratch file at `path` (created), its
    /// removals in `tombstones.db` next to it.
    pub(crate) fn open(path: &Path) -> Result<Stage> {
        Ok(Stage {
            store: ScaledStore::new(Box::new(SqliteStore::open_scratch(path)?)),
            removed: Tombstones::at(&path.with_file_name("tombstones.db")),
            seen: Seen::default(),
            base_empty: None,
            base_adopts: false,
        })
    }

    /// Whether the books below held nothing when the review began and can
    /// adopt the staging file: then the staged rows are exactly what the
    /// review's batches would leave in them (known once a [`Layered`] was
    /// made over them).
    pub(crate) fn adoptable(&self) -> bool {
        self.base_empty == Some(true) && self.base_adopts
    }

    /// Sizes the filter of what was staged for a review of `records`
    /// records (see [`Seen::reserve`]), once the source tells its size.
    pub(crate) fn expect(&mut self, records: u64) {
        let entries = usize::try_from(records)
            .unwrap_or(usize::MAX)
            .saturating_mul(ENTRIES_PER_RECORD);
        self.seen.reserve(entries);
    }

    /// Ends the staging store's transaction (see [`Store::finish`]): an
    /// import may then copy the file.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.store.finish()
    }
}

/// [`Store`] over the books (read only) and a [`Stage`] (where commits go).
pub(crate) struct Layered<'a> {
    base: &'a Mutex<Box<dyn Store>>,
    top: &'a mut Stage,
}

impl<'a> Layered<'a> {
    /// The books' store `base` under `top`.
    pub(crate) fn new(base: &'a Mutex<Box<dyn Store>>, top: &'a mut Stage) -> Result<Self> {
        if top.base_empty.is_none() {
            let base = base
                .lock()
                .map_err(|_| CoreError::Store("store lock poisoned by a panic".into()))?;
            top.base_empty = Some(base.is_empty()?);
            top.base_adopts = base.adopts_staged();
        }
        Ok(Layered { base, top })
    }

    /// Whether the books below are known to hold nothing.
    /// The records of `kind` a list read gives, from the books (unless
    /// they held nothing) merged with the staged ones.
    fn listed(
        &self,
        kind: EntityKind,
        read: impl Fn(&dyn Store) -> Result<Vec<Entity>>,
    ) -> Result<Vec<Entity>> {
        if self.base_empty() {
            return read(&self.top.store);
        }
        let base = read(self.base()?.as_ref())?;
        self.merge(kind, base, read(&self.top.store)?)
    }

    fn base_empty(&self) -> bool {
        self.top.base_empty == Some(true)
    }

    fn base(&self) -> Result<std::sync::MutexGuard<'a, Box<dyn Store>>> {
        self.base
            .lock()
            .map_err(|_| CoreError::Store("store lock poisoned by a panic".into()))
    }

    fn deleted(&self, kind: EntityKind, id: &str) -> Result<bool> {
        self.top.removed.is_deleted(kind, id)
    }

    /// Base records not deleted and not replaced on top, plus `top`'s, by id.
    fn merge(&self, kind: EntityKind, base: Vec<Entity>, top: Vec<Entity>) -> Result<Vec<Entity>> {
        if base.is_empty() {
            let mut top = top;
            top.sort_by(|a, b| a.id().cmp(b.id()));
            return Ok(top);
        }
        let ids: Vec<Id> = base.iter().map(|e| e.id().to_string()).collect();
        let replaced: HashSet<String> = self
            .top_get(kind, &ids)?
            .iter()
            .map(|e| e.id().to_string())
            .collect();
        let mut out: Vec<Entity> = Vec::with_capacity(base.len() + top.len());
        for e in base {
            if !replaced.contains(e.id()) && !self.deleted(kind, e.id())? {
                out.push(e);
            }
        }
        out.extend(top);
        out.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(out)
    }
}

impl Layered<'_> {
    /// Records of the staging store among `ids` (only those it may hold are asked for).
    fn top_get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        let tag = id_tag(kind);
        let maybe: Vec<Id> = ids
            .iter()
            .filter(|id| self.top.seen.may_contain(tag, id))
            .cloned()
            .collect();
        if maybe.is_empty() {
            return Ok(Vec::new());
        }
        self.top.store.get(kind, &maybe)
    }
}

impl Store for Layered<'_> {
    fn resolve(&self, keys: &[ExternalKey]) -> Result<Resolved> {
        let mut out = if self.base_empty() {
            Resolved::default()
        } else {
            self.base()?.resolve(keys)?
        };
        if self.top.removed.any_unaliased() {
            for (k, ids) in out.iter_mut() {
                let gone = self.top.removed.unaliased(k)?;
                if !gone.is_empty() {
                    ids.retain(|id| !gone.contains(id));
                }
            }
            out.retain(|_, ids| !ids.is_empty());
        }
        let staged: Vec<ExternalKey> = keys
            .iter()
            .filter(|k| self.top.seen.may_contain(ALIAS, k.joined()))
            .cloned()
            .collect();
        if staged.is_empty() {
            return Ok(out);
        }
        for (k, ids) in self.top.store.resolve(&staged)? {
            let slot = out.entry(k).or_default();
            if slot.is_empty() {
                *slot = ids;
                continue;
            }
            // A key may name many records (every invoice awaiting one
            // subscription): merge through a set, not a scan per id.
            let have: HashSet<Id> = slot.iter().cloned().collect();
            slot.extend(ids.into_iter().filter(|id| !have.contains(id)));
        }
        Ok(out)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        let mut found = self.top_get(kind, ids)?;
        let have: HashSet<&str> = found.iter().map(|e| e.id()).collect();
        let mut rest: Vec<Id> = Vec::new();
        for id in ids {
            if !have.contains(id.as_str()) && !self.deleted(kind, id)? {
                rest.push(id.clone());
            }
        }
        drop(have);
        if !rest.is_empty() && !self.base_empty() {
            found.extend(self.base()?.get(kind, &rest)?);
        }
        Ok(found)
    }

    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        self.listed(kind, |s| s.list(kind))
    }

    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        self.listed(kind, |s| s.list_by_customer(kind, customer_id))
    }

    fn list_by_customers(&self, kind: EntityKind, customer_ids: &[Id]) -> Result<Vec<Entity>> {
        self.listed(kind, |s| s.list_by_customers(kind, customer_ids))
    }

    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>> {
        let seen = &self.top.seen;
        let payments: Vec<Id> = payment_ids
            .iter()
            .filter(|id| seen.may_contain(ALLOC_PAYMENT, id))
            .cloned()
            .collect();
        let invoices: Vec<Id> = invoice_ids
            .iter()
            .filter(|id| seen.may_contain(ALLOC_INVOICE, id))
            .cloned()
            .collect();
        let top = if payments.is_empty() && invoices.is_empty() {
            Vec::new()
        } else {
            self.top.store.allocations_for(&payments, &invoices)?
        };
        if self.base_empty() {
            return self.merge(EntityKind::Allocation, Vec::new(), top);
        }
        let base = self.base()?.allocations_for(payment_ids, invoice_ids)?;
        self.merge(EntityKind::Allocation, base, top)
    }

    fn checkpoint(&self, stream: &str) -> Result<Option<String>> {
        self.base()?.checkpoint(stream)
    }

    /// Commits to the staging store, in the order a store applies a change
    /// set: deletions, then upserts; alias removals, then additions.
    fn commit(&mut self, changes: ChangeSet) -> Result<()> {
        let top = &mut *self.top;
        for e in &changes.upserts {
            top.seen.insert(id_tag(e.kind()), e.id());
            if let Entity::Allocation(a) = e {
                top.seen.insert(ALLOC_PAYMENT, &a.payment_id);
                top.seen.insert(ALLOC_INVOICE, &a.invoice_id);
            }
        }
        for (k, _) in &changes.aliases_add {
            top.seen.insert(ALIAS, k.joined());
        }
        if top.base_empty != Some(true) {
            // With empty books below there is nothing to hide: a deletion or
            // alias removal of a staged record or alias is done by the
            // staging store itself.
            top.removed.record(&changes)?;
        }
        top.store.commit(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ext: &str) -> ExternalKey {
        ExternalKey::new("stripe", "acct_t", "charge", ext)
    }

    /// A change set removing a payment and one of its aliases.
    fn removal() -> ChangeSet {
        ChangeSet {
            deletes: vec![(EntityKind::Payment, "pay_1".to_string())],
            aliases_remove: vec![(key("ch_1"), "pay_1".to_string())],
            ..ChangeSet::default()
        }
    }

    fn base(seeded: bool) -> Mutex<Box<dyn Store>> {
        let mut store = SqliteStore::open_in_memory().unwrap();
        if seeded {
            store
                .commit(ChangeSet {
                    aliases_add: vec![(key("ch_0"), "pay_0".to_string())],
                    ..ChangeSet::default()
                })
                .unwrap();
        }
        Mutex::new(Box::new(store))
    }

    #[test]
    fn removals_are_kept_only_when_the_books_below_hold_something() {
        let dir = tempfile::tempdir().unwrap();
        // Empty books: nothing below to hide, nothing kept (it grew with
        // the review: one planned payment per paid invoice is replaced).
        let books = base(false);
        let mut stage = Stage::open(&dir.path().join("a.db")).unwrap();
        Layered::new(&books, &mut stage)
            .unwrap()
            .commit(removal())
            .unwrap();
        assert!(stage.removed.is_empty());
        // Books holding something: kept, and hidden from reads below.
        let books = base(true);
        let mut stage = Stage::open(&dir.path().join("b.db")).unwrap();
        let mut layered = Layered::new(&books, &mut stage).unwrap();
        layered.commit(removal()).unwrap();
        assert!(layered.deleted(EntityKind::Payment, "pay_1").unwrap());
        assert!(!layered.deleted(EntityKind::Payment, "pay_0").unwrap());
        books
            .lock()
            .unwrap()
            .commit(ChangeSet {
                aliases_add: vec![(key("ch_1"), "pay_1".to_string())],
                ..ChangeSet::default()
            })
            .unwrap();
        let found = layered.resolve(&[key("ch_0"), key("ch_1")]).unwrap();
        assert_eq!(found.get(&key("ch_0")).unwrap(), &["pay_0".to_string()]);
        assert!(!found.contains_key(&key("ch_1")), "{found:?}");
        assert!(!stage.removed.is_empty());
    }
}
