//! `Workspace`: the books as the planner sees them: committed state plus the
//! changes planned so far, with batched, cached reads.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::import::alias_changes::AliasChanges;
use crate::import::keys;
use crate::import::overlay_index::OverlayIndex;
use crate::model::{ExternalKey, Id};
use crate::store::{ChangeSet, Store, customer_of};

const KINDS: usize = EntityKind::ALL.len();

/// Records of one kind by id (`None`: known absent, or a planned deletion).
/// Boxed: a record is near a kilobyte inline, and most entries of a bulk
/// import are `None` (known absent), which then take a pointer, not a record.
type Table = FxHashMap<Id, Option<Box<Entity>>>;

/// The planner's state between pages: records and aliases read so far and the
/// changes planned. Owned, so an import can drop the store lock between pages
/// (a review keeps planned changes across pages without committing them).
pub struct WorkState {
    /// Committed records read so far, per kind.
    cache: [Table; KINDS],
    /// Committed aliases read so far.
    alias_cache: FxHashMap<ExternalKey, Vec<Id>>,
    /// Planned records, per kind; every entry is uncommitted.
    overlay: [Table; KINDS],
    /// Planned alias changes per key.
    alias_overlay: FxHashMap<ExternalKey, AliasChanges>,
    /// Planned records by customer, planned allocations by payment and invoice.
    index: OverlayIndex,
    /// Cached records and aliases past which a commit drops the cache.
    bound: (usize, usize),
    /// Committed records per customer, per kind, read in one batch by
    /// [`Workspace::prefetch_by_customers`]; dropped with the planned changes.
    customer_lists: [FxHashMap<Id, Vec<Entity>>; KINDS],
    /// Committed allocations read in one batch by
    /// [`Workspace::prefetch_allocations`]; dropped with the planned changes.
    allocations: Option<PrefetchedAllocations>,
}

/// The committed allocations touching a set of payments and invoices.
#[derive(Default)]
struct PrefetchedAllocations {
    payments: FxHashSet<Id>,
    invoices: FxHashSet<Id>,
    found: Vec<Entity>,
    /// Positions in `found` by payment id, and by invoice id: an answer
    /// costs what it returns, not a pass over every prefetched allocation.
    by_payment: FxHashMap<Id, Vec<usize>>,
    by_invoice: FxHashMap<Id, Vec<usize>>,
}

impl PrefetchedAllocations {
    /// Adds allocations read from the store, each once: one touching a
    /// payment read before and a new invoice comes back a second time.
    fn add(&mut self, found: Vec<Entity>) {
        for e in found {
            let Entity::Allocation(a) = &e else { continue };
            let held = self
                .by_payment
                .get(&a.payment_id)
                .is_some_and(|at| at.iter().any(|&i| self.found[i].id() == a.id));
            if held {
                continue;
            }
            let at = self.found.len();
            self.by_payment
                .entry(a.payment_id.clone())
                .or_default()
                .push(at);
            self.by_invoice
                .entry(a.invoice_id.clone())
                .or_default()
                .push(at);
            self.found.push(e);
        }
    }

    /// The prefetched allocations touching `payments` or `invoices`, when
    /// every one of them was prefetched.
    fn answer(&self, payments: &[Id], invoices: &[Id]) -> Option<Vec<Entity>> {
        if !payments.iter().all(|p| self.payments.contains(p))
            || !invoices.iter().all(|i| self.invoices.contains(i))
        {
            return None;
        }
        let mut at: Vec<usize> = payments
            .iter()
            .filter_map(|p| self.by_payment.get(p))
            .chain(invoices.iter().filter_map(|i| self.by_invoice.get(i)))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        Some(at.into_iter().map(|i| self.found[i].clone()).collect())
    }
}

/// Past this many ids, a prefetched alias key's records are not loaded with it.
const PREFETCH_NAMED: usize = 64;

/// Default cache bound: records, aliases.
const CACHE_BOUND: (usize, usize) = (50_000, 200_000);

impl Default for WorkState {
    fn default() -> Self {
        WorkState {
            cache: std::array::from_fn(|_| Table::default()),
            alias_cache: FxHashMap::default(),
            overlay: std::array::from_fn(|_| Table::default()),
            alias_overlay: FxHashMap::default(),
            index: OverlayIndex::default(),
            bound: CACHE_BOUND,
            customer_lists: std::array::from_fn(|_| FxHashMap::default()),
            allocations: None,
        }
    }
}

impl WorkState {
    /// Empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empty state whose cache is dropped after a commit once it holds more
    /// than `records` records or `aliases` alias keys (default 50,000 and
    /// 200,000): what an import keeps between commits besides the batch.
    pub fn with_cache_bound(records: usize, aliases: usize) -> Self {
        WorkState {
            bound: (records, aliases),
            ..Self::default()
        }
    }

    /// After a successful commit of [`Workspace::take_changes`] (which already
    /// moved the planned changes out): drops the cache when it grows past a
    /// bound, so memory stays bounded by a page (plus that bound) however
    /// large the import.
    pub fn committed(&mut self) {
        debug_assert!(self.overlay.iter().all(|t| t.is_empty()) && self.alias_overlay.is_empty());
        let cached: usize = self.cache.iter().map(|t| t.len()).sum();
        if cached > self.bound.0 || self.alias_cache.len() > self.bound.1 {
            self.cache.iter_mut().for_each(|t| t.clear());
            self.alias_cache.clear();
        }
    }

    /// After a failed commit: forgets the planned changes and everything read.
    pub fn discard(&mut self) {
        *self = WorkState::with_cache_bound(self.bound.0, self.bound.1);
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
        self.prefetch_owned(keys.to_vec())
    }

    /// [`Workspace::prefetch`] taking the keys by value (no copies).
    pub fn prefetch_owned(&mut self, keys: Vec<ExternalKey>) -> Result<()> {
        self.prefetch_split(keys, Vec::new())
    }

    /// [`Workspace::prefetch_owned`] for `keys`, and for `ids_only` the
    /// aliases alone: keys whose records planning does not read (an
    /// invoice's customer, whose id is all the invoice needs). Loading those
    /// would decode a stored customer per invoice of every page.
    pub fn prefetch_split(
        &mut self,
        keys: Vec<ExternalKey>,
        ids_only: Vec<ExternalKey>,
    ) -> Result<()> {
        // Unknown keys, each once (a map: no sorting of long keys), and
        // whether any asker wants the records they name.
        let cache = &self.st.alias_cache;
        // Sized once: grown from empty, each page's map rehashed several times.
        let mut unknown: FxHashMap<ExternalKey, bool> =
            FxHashMap::with_capacity_and_hasher(keys.len() + ids_only.len(), Default::default());
        for (list, records) in [(keys, true), (ids_only, false)] {
            for k in list {
                if !cache.contains_key(&k) {
                    *unknown.entry(k).or_default() |= records;
                }
            }
        }
        let (keys, records): (Vec<ExternalKey>, Vec<bool>) = unknown.into_iter().unzip();
        if keys.is_empty() {
            return Ok(());
        }
        let mut found = self.store.resolve(&keys)?;
        let mut by_kind: [Vec<Id>; KINDS] = std::array::from_fn(|_| Vec::new());
        for (k, records) in keys.into_iter().zip(records) {
            // A new account's page finds nothing: no need to hash each key again.
            let ids = if found.is_empty() {
                Vec::new()
            } else {
                found.remove(&k).unwrap_or_default()
            };
            // The records a key names come along, unless it names many (an
            // email shared by every customer, a customer's credit): those
            // load when read, else each prefetch of the key would load them
            // all (every customer of a 1M-invoice export, hundreds of MB).
            if records && ids.len() <= PREFETCH_NAMED {
                for id in &ids {
                    if let Some(kind) = kind_of_id(id) {
                        if !self.st.cache[kind.index()].contains_key(id) {
                            by_kind[kind.index()].push(id.clone());
                        }
                    }
                }
            }
            self.st.alias_cache.insert(k, ids);
        }
        for (kind, ids) in EntityKind::ALL.into_iter().zip(by_kind) {
            if !ids.is_empty() {
                self.load(kind, &ids)?;
            }
        }
        Ok(())
    }

    /// Loads records by id into the cache (batched).
    pub fn load(&mut self, kind: EntityKind, ids: &[Id]) -> Result<()> {
        let want = missing(&self.st.cache[kind.index()], ids);
        if want.is_empty() {
            return Ok(());
        }
        let got = self.store.get(kind, &want)?;
        let table = &mut self.st.cache[kind.index()];
        for id in want {
            table.insert(id, None);
        }
        for e in got {
            table.insert(e.id().to_string(), Some(Box::new(e)));
        }
        Ok(())
    }

    /// Drops these keys' committed aliases from the cache (a later read
    /// loads them again): for a pass over many keys that needs each once.
    pub fn forget_aliases(&mut self, keys: &[ExternalKey]) {
        for k in keys {
            self.st.alias_cache.remove(k);
        }
    }

    /// Ids an alias key names, committed and planned.
    pub fn resolve(&mut self, key: &ExternalKey) -> Result<Vec<Id>> {
        if !self.st.alias_cache.contains_key(key) {
            self.prefetch_owned(vec![key.clone()])?;
        }
        let mut ids = self.st.alias_cache.get(key).cloned().unwrap_or_default();
        if let Some(changes) = self.st.alias_overlay.get(key) {
            changes.apply_to(&mut ids);
        }
        ids.sort();
        Ok(ids)
    }

    /// Ids of `kind` an alias key names.
    pub fn resolve_kind(&mut self, key: &ExternalKey, kind: EntityKind) -> Result<Vec<Id>> {
        let mut ids = self.resolve(key)?;
        ids.retain(|id| kind_of_id(id) == Some(kind));
        Ok(ids)
    }

    /// The current version of a record (planned or committed).
    pub fn get(&mut self, kind: EntityKind, id: &str) -> Result<Option<Entity>> {
        if let Some(e) = self.st.overlay[kind.index()].get(id) {
            return Ok(e.as_deref().cloned());
        }
        self.committed(kind, id)
    }

    /// Plans `e` unless it is already the committed version, compared in
    /// place (a record already planned is simply replaced: it is written
    /// either way).
    pub fn put_if_changed(&mut self, e: Entity) -> Result<()> {
        let (k, id) = (e.kind().index(), e.id());
        if !self.st.overlay[k].contains_key(id) {
            if !self.st.cache[k].contains_key(id) {
                self.load(e.kind(), &[id.to_string()])?;
            }
            if matches!(self.st.cache[k].get(id), Some(Some(c)) if **c == e) {
                return Ok(());
            }
        }
        self.put(e);
        Ok(())
    }

    /// A record planned in this workspace (created or changed), by reference.
    pub fn planned(&self, kind: EntityKind, id: &str) -> Option<&Entity> {
        self.st.overlay[kind.index()].get(id)?.as_deref()
    }

    /// Whether the store is known not to hold this record (it is new here).
    pub fn known_absent(&self, kind: EntityKind, id: &str) -> bool {
        matches!(self.st.cache[kind.index()].get(id), Some(None))
    }

    /// The committed version of a record, ignoring planned changes.
    pub fn committed(&mut self, kind: EntityKind, id: &str) -> Result<Option<Entity>> {
        if !self.st.cache[kind.index()].contains_key(id) {
            self.load(kind, &[id.to_string()])?;
        }
        Ok(self.st.cache[kind.index()]
            .get(id)
            .and_then(|e| e.as_deref())
            .cloned())
    }

    /// Records that no committed record of `kind` has this id (known from its
    /// alias), so reading it costs no store query.
    pub fn assume_absent(&mut self, kind: EntityKind, id: &str) {
        let table = &mut self.st.cache[kind.index()];
        if !table.contains_key(id) {
            table.insert(id.to_string(), None);
        }
    }

    /// Plans an insert or replacement.
    pub fn put(&mut self, e: Entity) {
        let kind = e.kind();
        if let Entity::Payment(p) = &e {
            self.index_credit(&p.id, Some(p));
        }
        let table = &mut self.st.overlay[kind.index()];
        let old = table.get(e.id()).and_then(|o| o.as_deref());
        self.st.index.note(old, &e);
        table.insert(e.id().to_string(), Some(Box::new(e)));
    }

    /// Plans a deletion.
    pub fn delete(&mut self, kind: EntityKind, id: &str) {
        if kind == EntityKind::Payment {
            self.index_credit(id, None);
        }
        self.st.overlay[kind.index()].insert(id.to_string(), None);
    }

    /// Keeps the customer-credit index ([`keys::customer_credit`]) in step with
    /// a payment's new version: listed while it has unapplied money. A stale
    /// entry only costs a look at a customer without credit; a missing one
    /// would hide credit, so entries are removed only when known to be stale.
    fn index_credit(&mut self, id: &str, new: Option<&crate::model::Payment>) {
        let credit_of = |p: &crate::model::Payment| {
            (p.is_settled() && p.unapplied > rust_decimal::Decimal::ZERO)
                .then(|| p.customer_id.clone())
                .flatten()
        };
        let k = EntityKind::Payment.index();
        let known = self.st.overlay[k]
            .get(id)
            .or_else(|| self.st.cache[k].get(id));
        let before = match known.map(Option::as_deref) {
            Some(Some(Entity::Payment(old))) => credit_of(old),
            _ => None,
        };
        let after = new.and_then(credit_of);
        if before == after {
            return;
        }
        if let Some(c) = before {
            self.push_alias(keys::customer_credit(&c), id, false);
        }
        if let Some(c) = after {
            self.push_alias(keys::customer_credit(&c), id, true);
        }
    }

    /// Plans an alias.
    pub fn alias(&mut self, key: ExternalKey, id: &str) -> Result<()> {
        if self.resolve(&key)?.iter().any(|x| x == id) {
            return Ok(());
        }
        self.push_alias(key, id, true);
        Ok(())
    }

    /// Plans aliases of `id` for each of `keys` without asking the store: a
    /// key the workspace knows is checked there (as [`Workspace::alias`]
    /// does), one it does not know is planned as it is. Adding an alias that
    /// exists is harmless (stores ignore it, the workspace keeps each id
    /// once) and costs a store no more than the lookup it replaces: for a
    /// record updated from a page that did not name all its keys (a payment
    /// merging a later invoice payment), one lookup per record is gone.
    pub fn alias_all(&mut self, keys: Vec<ExternalKey>, id: &str) -> Result<()> {
        for k in keys {
            if self.st.alias_cache.contains_key(&k) {
                self.alias(k, id)?;
            } else {
                self.push_alias(k, id, true);
            }
        }
        Ok(())
    }

    /// Plans an alias for a record created in this workspace, without looking
    /// the key up (adding an alias that exists is harmless: stores ignore it).
    pub fn alias_new(&mut self, key: ExternalKey, id: &str) {
        self.push_alias(key, id, true);
    }

    /// Plans an alias removal.
    pub fn unalias(&mut self, key: ExternalKey, id: &str) {
        self.push_alias(key, id, false);
    }

    fn push_alias(&mut self, key: ExternalKey, id: &str, add: bool) {
        self.st.alias_overlay.entry(key).or_default().set(id, add);
    }

    /// Reads the committed records of `kind` of these customers in one
    /// batch, so [`Workspace::by_customer`] answers for them without a store
    /// read (until the planned changes are taken, or
    /// [`Workspace::forget_prefetched_lists`]).
    pub fn prefetch_by_customers(&mut self, kind: EntityKind, customers: &[Id]) -> Result<()> {
        let want = missing(&self.st.customer_lists[kind.index()], customers);
        if want.is_empty() {
            return Ok(());
        }
        let found = self.store.list_by_customers(kind, &want)?;
        let lists = &mut self.st.customer_lists[kind.index()];
        for c in want {
            lists.insert(c, Vec::new());
        }
        for e in found {
            if let Some(list) = customer_of(&e).and_then(|c| lists.get_mut(c)) {
                list.push(e);
            }
        }
        Ok(())
    }

    /// Reads the committed allocations touching these payments or invoices
    /// in one batch, so [`Workspace::allocations_for`] answers for any of
    /// them without a store read (until the planned changes are taken, or
    /// [`Workspace::forget_prefetched_lists`]). Replaces an earlier batch.
    pub fn prefetch_allocations(&mut self, payments: &[Id], invoices: &[Id]) -> Result<()> {
        self.st.allocations = None;
        self.add_prefetched_allocations(payments, invoices)
    }

    /// [`Workspace::prefetch_allocations`] for more payments and invoices,
    /// keeping what an earlier batch read: only those not read yet are asked
    /// of the store. A page's settlement adds its synthetic payments this
    /// way, so removing each costs no store read of its own.
    pub fn add_prefetched_allocations(&mut self, payments: &[Id], invoices: &[Id]) -> Result<()> {
        let mut pf = self.st.allocations.take().unwrap_or_default();
        let new_p: Vec<Id> = payments
            .iter()
            .filter(|p| !pf.payments.contains(*p))
            .cloned()
            .collect();
        let new_i: Vec<Id> = invoices
            .iter()
            .filter(|i| !pf.invoices.contains(*i))
            .cloned()
            .collect();
        let (sp, si) = (
            self.stored(EntityKind::Payment, &new_p),
            self.stored(EntityKind::Invoice, &new_i),
        );
        if !sp.is_empty() || !si.is_empty() {
            pf.add(self.store.allocations_for(&sp, &si)?);
        }
        pf.payments.extend(new_p);
        pf.invoices.extend(new_i);
        self.st.allocations = Some(pf);
        Ok(())
    }

    /// Drops what [`Workspace::prefetch_by_customers`] and
    /// [`Workspace::prefetch_allocations`] read (to bound memory between
    /// batches of customers).
    pub fn forget_prefetched_lists(&mut self) {
        self.st.customer_lists.iter_mut().for_each(FxHashMap::clear);
        self.st.allocations = None;
    }

    /// The ids the store may hold: those not known absent.
    fn stored(&self, kind: EntityKind, ids: &[Id]) -> Vec<Id> {
        ids.iter()
            .filter(|id| !self.known_absent(kind, id))
            .cloned()
            .collect()
    }

    /// Allocations touching these payments or invoices, committed and planned.
    pub fn allocations_for(&mut self, payments: &[Id], invoices: &[Id]) -> Result<Vec<Entity>> {
        // A record the store is known not to hold has no committed allocations.
        let (sp, si) = (
            self.stored(EntityKind::Payment, payments),
            self.stored(EntityKind::Invoice, invoices),
        );
        let prefetched = self
            .st
            .allocations
            .as_ref()
            .and_then(|pf| pf.answer(&sp, &si));
        let committed = match prefetched {
            Some(found) => found,
            None => self.store.allocations_for(&sp, &si)?,
        };
        let kind = EntityKind::Allocation.index();
        let mut out: FxHashMap<Id, Entity> = FxHashMap::default();
        for e in committed {
            let id = e.id().to_string();
            self.st.cache[kind]
                .entry(id.clone())
                .or_insert_with(|| Some(Box::new(e.clone())));
            out.insert(id, e);
        }
        // A planned version replaces the committed one; planned allocations
        // of these payments and invoices come from the index (entries there
        // may be stale: the planned version decides).
        let overlay = &self.st.overlay[kind];
        if !overlay.is_empty() {
            out.retain(|id, _| !overlay.contains_key(id));
            let p: FxHashSet<&str> = payments.iter().map(String::as_str).collect();
            let i: FxHashSet<&str> = invoices.iter().map(String::as_str).collect();
            for id in self.st.index.allocations(payments, invoices) {
                if let Some(Some(e)) = overlay.get(id) {
                    if let Entity::Allocation(a) = &**e {
                        if p.contains(a.payment_id.as_str()) || i.contains(a.invoice_id.as_str()) {
                            out.insert(id.clone(), Entity::Allocation(a.clone()));
                        }
                    }
                }
            }
        }
        let mut v: Vec<Entity> = out.into_values().collect();
        v.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(v)
    }

    /// Records of `kind` for a customer, committed and planned, ordered by id.
    pub fn by_customer(&mut self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        let mut out: FxHashMap<Id, Entity> = FxHashMap::default();
        let committed = match self.st.customer_lists[kind.index()].get(customer_id) {
            Some(list) => list.clone(),
            None => self.store.list_by_customer(kind, customer_id)?,
        };
        for e in committed {
            out.insert(e.id().to_string(), e);
        }
        // As in `allocations_for`: the planned version decides.
        let overlay = &self.st.overlay[kind.index()];
        if !overlay.is_empty() {
            out.retain(|id, _| !overlay.contains_key(id));
            for id in self.st.index.of_customer(kind, customer_id) {
                if let Some(Some(e)) = overlay.get(id) {
                    if customer_of(e) == Some(customer_id) {
                        out.insert(id.clone(), Entity::clone(e));
                    }
                }
            }
        }
        let mut v: Vec<Entity> = out.into_values().collect();
        v.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(v)
    }

    /// Moves the planned changes into a change set for a commit (no copies).
    /// Committed records leave the cache (a later read loads them again);
    /// aliases the cache knows are updated in place. After a failed commit,
    /// call [`WorkState::discard`].
    pub fn take_changes(&mut self) -> ChangeSet {
        let mut cs = ChangeSet::default();
        // What was read in batches is the committed state before this commit.
        self.forget_prefetched_lists();
        // Sized up front: a commit can hold thousands of records, and growing
        // a vector of records copies all of them each time.
        cs.upserts
            .reserve(self.st.overlay.iter().map(|t| t.len()).sum::<usize>());
        self.st.index.clear();
        let aliases: usize = self.st.alias_overlay.values().map(AliasChanges::len).sum();
        cs.aliases_add.reserve(aliases);
        for (kind, (overlay, cache)) in EntityKind::ALL
            .into_iter()
            .zip(self.st.overlay.iter_mut().zip(self.st.cache.iter_mut()))
        {
            let mut planned: Vec<(Id, Option<Box<Entity>>)> = overlay.drain().collect();
            // In id order (cheap: boxes move, not records): stores write in key
            // order, and records created one after another (ids lead with the
            // creation time) are then read and freed in the order they were
            // built in memory, rather than all over it.
            planned.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (id, e) in planned {
                cache.remove(&id);
                match e {
                    Some(e) => cs.upserts.push(*e),
                    None => cs.deletes.push((kind, id)),
                }
            }
        }
        for (key, changes) in self.st.alias_overlay.drain() {
            if let Some(ids) = self.st.alias_cache.get_mut(&key) {
                changes.apply_to(ids);
            }
            let changes = changes.into_vec();
            let last = changes.len().saturating_sub(1);
            let mut key = Some(key);
            for (i, (id, add)) in changes.into_iter().enumerate() {
                // The key moves into the last change; earlier ones copy it.
                let k = if i == last { key.take() } else { key.clone() };
                let Some(k) = k else { continue };
                if add {
                    cs.aliases_add.push((k, id));
                } else {
                    cs.aliases_remove.push((k, id));
                }
            }
        }
        cs
    }
}

/// The ids of `ids` that `map` does not hold yet, each once, in order.
fn missing<V>(map: &FxHashMap<Id, V>, ids: &[Id]) -> Vec<Id> {
    let mut seen: FxHashSet<&Id> = FxHashSet::default();
    ids.iter()
        .filter(|id| !map.contains_key(*id) && seen.insert(*id))
        .cloned()
        .collect()
}

/// The kind of a books id, from its prefix.
pub fn kind_of_id(id: &str) -> Option<EntityKind> {
    let prefix = id.split('_').next()?;
    EntityKind::ALL
        .into_iter()
        .find(|k| k.id_prefix() == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Customer, CustomerKind};
    use crate::store::MemoryStore;

    fn customer(i: usize) -> Entity {
        let mut c = Customer::new(format!("cust_{i:04}"), "Acme", CustomerKind::Company);
        c.email = Some("billing@example.com".into());
        Entity::Customer(c)
    }

    #[test]
    fn a_key_naming_many_records_does_not_load_them_all() {
        let shared = crate::import::keys::email("billing@example.com");
        let own = ExternalKey::new("stripe", "acct_t", "customer", "cus_0");
        let mut store = MemoryStore::new();
        let many = PREFETCH_NAMED * 4;
        let mut cs = ChangeSet::default();
        for i in 0..many {
            cs.upserts.push(customer(i));
            cs.aliases_add
                .push((shared.clone(), format!("cust_{i:04}")));
        }
        cs.aliases_add.push((own.clone(), "cust_0000".into()));
        store.commit(cs).unwrap();
        let mut state = WorkState::new();
        let mut ws = Workspace::new(&store, &mut state);
        ws.prefetch(&[shared.clone(), own]).unwrap();
        // The one record of its own key came along; the shared key's did not.
        let cached = ws.st.cache[EntityKind::Customer.index()].len();
        assert_eq!(cached, 1, "{cached} customers loaded");
        // They are still there when read.
        let ids = ws.resolve(&shared).unwrap();
        assert_eq!(ids.len(), many);
        assert!(
            ws.get(EntityKind::Customer, &ids[many - 1])
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn keys_prefetched_for_their_ids_only_load_no_records() {
        let both = ExternalKey::new("stripe", "acct_t", "customer", "cus_0");
        let ids_only = ExternalKey::new("stripe", "acct_t", "customer", "cus_1");
        let mut store = MemoryStore::new();
        let mut cs = ChangeSet::default();
        for (i, key) in [&both, &ids_only].into_iter().enumerate() {
            cs.upserts.push(customer(i));
            cs.aliases_add.push((key.clone(), format!("cust_{i:04}")));
        }
        store.commit(cs).unwrap();
        let mut state = WorkState::new();
        let mut ws = Workspace::new(&store, &mut state);
        // A key asked both ways loads its record; one asked for ids does not.
        ws.prefetch_split(vec![both.clone()], vec![ids_only.clone(), both.clone()])
            .unwrap();
        let table = &ws.st.cache[EntityKind::Customer.index()];
        assert!(table.contains_key("cust_0000"));
        assert!(!table.contains_key("cust_0001"), "an ids-only key loaded");
        // Both resolve from the cache, and the record still reads.
        assert_eq!(
            ws.resolve(&ids_only).unwrap(),
            vec!["cust_0001".to_string()]
        );
        assert_eq!(ws.resolve(&both).unwrap(), vec!["cust_0000".to_string()]);
        assert!(ws.get(EntityKind::Customer, "cust_0001").unwrap().is_some());
    }

    fn alloc(id: &str, payment: &str, invoice: &str) -> Entity {
        let a = crate::model::Allocation::manual_for_test(id, payment, invoice, 100);
        Entity::Allocation(a)
    }

    #[test]
    fn prefetched_allocations_answer_by_payment_and_invoice() {
        let mut store = MemoryStore::new();
        let cs = ChangeSet {
            upserts: vec![
                alloc("al_1", "pay_1", "inv_1"),
                alloc("al_2", "pay_1", "inv_2"),
                alloc("al_3", "pay_2", "inv_2"),
                alloc("al_4", "pay_3", "inv_3"),
            ],
            ..Default::default()
        };
        store.commit(cs).unwrap();
        let mut state = WorkState::new();
        let mut ws = Workspace::new(&store, &mut state);
        let ids = |v: Vec<Entity>| v.iter().map(|e| e.id().to_string()).collect::<Vec<_>>();
        ws.prefetch_allocations(&["pay_1".into()], &[]).unwrap();
        ws.add_prefetched_allocations(&["pay_1".into(), "pay_2".into()], &["inv_2".into()])
            .unwrap();
        let pf = ws.st.allocations.as_ref().unwrap();
        // al_2 touches both a payment and an invoice asked: once.
        assert_eq!(
            ids(pf.answer(&["pay_1".into()], &["inv_2".into()]).unwrap()),
            ["al_1", "al_2", "al_3"]
        );
        assert_eq!(ids(pf.answer(&["pay_2".into()], &[]).unwrap()), ["al_3"]);
        assert_eq!(pf.found.len(), 3, "an allocation read twice is kept once");
        // Not prefetched: no answer, so the store is asked.
        assert!(pf.answer(&["pay_3".into()], &[]).is_none());
        assert_eq!(
            ids(ws.allocations_for(&["pay_3".into()], &[]).unwrap()),
            ["al_4"]
        );
    }
}
