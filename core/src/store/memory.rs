//! `MemoryStore`: the books in memory, for tests and embedding.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{ChangeSet, Resolved, Store};
use crate::entity::{Entity, EntityKind};
use crate::error::{CoreError, Result};
use crate::model::{ExternalKey, Id};

/// Books held in memory. Commits are atomic: a change set is validated and
/// applied to a copy-on-write view, so a failing commit changes nothing.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    records: BTreeMap<(EntityKind, Id), Entity>,
    aliases: HashMap<ExternalKey, BTreeSet<Id>>,
    checkpoints: HashMap<String, String>,
    fail_next_commit: Option<String>,
}

impl MemoryStore {
    /// Empty books.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next commit fail with `reason` (for interruption tests).
    pub fn fail_next_commit(&mut self, reason: &str) {
        self.fail_next_commit = Some(reason.to_string());
    }

    /// Number of stored records of every kind.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// The books customer id of records that have one (invoices, payments, subscriptions).
pub fn customer_of(e: &Entity) -> Option<&str> {
    match e {
        Entity::Invoice(r) => r.customer_id.as_deref(),
        Entity::Payment(r) => r.customer_id.as_deref(),
        Entity::Subscription(r) => r.customer_id.as_deref(),
        _ => None,
    }
}

impl Store for MemoryStore {
    fn resolve(&self, keys: &[ExternalKey]) -> Result<Resolved> {
        let mut out = Resolved::default();
        for k in keys {
            if let Some(ids) = self.aliases.get(k) {
                if !ids.is_empty() {
                    out.insert(k.clone(), ids.iter().cloned().collect());
                }
            }
        }
        Ok(out)
    }

    fn get(&self, kind: EntityKind, ids: &[Id]) -> Result<Vec<Entity>> {
        Ok(ids
            .iter()
            .filter_map(|id| self.records.get(&(kind, id.clone())).cloned())
            .collect())
    }

    fn list(&self, kind: EntityKind) -> Result<Vec<Entity>> {
        Ok(self
            .records
            .range((kind, String::new())..)
            .take_while(|((k, _), _)| *k == kind)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn list_by_customer(&self, kind: EntityKind, customer_id: &str) -> Result<Vec<Entity>> {
        Ok(self
            .list(kind)?
            .into_iter()
            .filter(|e| customer_of(e) == Some(customer_id))
            .collect())
    }

    fn list_by_customers(&self, kind: EntityKind, customer_ids: &[Id]) -> Result<Vec<Entity>> {
        let wanted: BTreeSet<&str> = customer_ids.iter().map(String::as_str).collect();
        Ok(self
            .list(kind)?
            .into_iter()
            .filter(|e| customer_of(e).is_some_and(|c| wanted.contains(c)))
            .collect())
    }

    fn allocations_for(&self, payment_ids: &[Id], invoice_ids: &[Id]) -> Result<Vec<Entity>> {
        let p: BTreeSet<&str> = payment_ids.iter().map(String::as_str).collect();
        let i: BTreeSet<&str> = invoice_ids.iter().map(String::as_str).collect();
        Ok(self
            .list(EntityKind::Allocation)?
            .into_iter()
            .filter(|e| match e {
                Entity::Allocation(a) => {
                    p.contains(a.payment_id.as_str()) || i.contains(a.invoice_id.as_str())
                }
                _ => false,
            })
            .collect())
    }

    fn checkpoint(&self, stream: &str) -> Result<Option<String>> {
        Ok(self.checkpoints.get(stream).cloned())
    }

    fn commit(&mut self, c: ChangeSet) -> Result<()> {
        if let Some(reason) = self.fail_next_commit.take() {
            return Err(CoreError::Store(reason));
        }
        for e in &c.upserts {
            if e.id().is_empty() {
                return Err(CoreError::Store(format!(
                    "{} without id",
                    e.kind().as_str()
                )));
            }
        }
        for (kind, id) in c.deletes {
            self.records.remove(&(kind, id));
        }
        for e in c.upserts {
            self.records.insert((e.kind(), e.id().to_string()), e);
        }
        if let Some(run) = c.run {
            self.records.insert(
                (EntityKind::ImportRun, run.id.clone()),
                Entity::ImportRun(run),
            );
        }
        for (k, id) in &c.aliases_remove {
            if let Some(set) = self.aliases.get_mut(k) {
                set.remove(id);
            }
        }
        for (k, id) in c.aliases_add {
            self.aliases.entry(k).or_default().insert(id);
        }
        if let Some((stream, pos)) = c.checkpoint {
            self.checkpoints.insert(stream, pos);
        }
        Ok(())
    }

    fn inject_commit_failure(&mut self, reason: &str) -> bool {
        self.fail_next_commit(reason);
        true
    }
}
