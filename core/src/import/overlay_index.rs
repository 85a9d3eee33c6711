//! Hash indexes over a workspace's planned records, so that looking up the
//! planned records of one customer or the planned allocations of one payment
//! or invoice costs what it finds, not a scan of everything planned so far (a
//! review plans the whole run without committing, so that scan grew with it).

use rustc_hash::FxHashMap;

use crate::entity::{Entity, EntityKind};
use crate::model::Id;
use crate::store::customer_of;

const KINDS: usize = EntityKind::ALL.len();

/// Ids of planned records by customer (per kind) and planned allocations by
/// payment and by invoice. Entries may be stale (a record planned again under
/// another customer, or deleted): readers check the planned version, so an
/// index entry only has to exist for every planned version that matches.
#[derive(Default)]
pub(crate) struct OverlayIndex {
    by_customer: [FxHashMap<Id, Vec<Id>>; KINDS],
    alloc_by_payment: FxHashMap<Id, Vec<Id>>,
    alloc_by_invoice: FxHashMap<Id, Vec<Id>>,
}

impl OverlayIndex {
    /// Indexes a planned version `new` of a record whose previous planned
    /// version was `old` (nothing is added when the keys did not change).
    pub(crate) fn note(&mut self, old: Option<&Entity>, new: &Entity) {
        let kind = new.kind().index();
        if let Some(c) = customer_of(new) {
            if old.and_then(customer_of) != Some(c) {
                push(&mut self.by_customer[kind], c, new.id());
            }
        }
        if let Entity::Allocation(a) = new {
            let before = match old {
                Some(Entity::Allocation(o)) => Some((&o.payment_id, &o.invoice_id)),
                _ => None,
            };
            if before.map(|b| b.0) != Some(&a.payment_id) {
                push(&mut self.alloc_by_payment, &a.payment_id, &a.id);
            }
            if before.map(|b| b.1) != Some(&a.invoice_id) {
                push(&mut self.alloc_by_invoice, &a.invoice_id, &a.id);
            }
        }
    }

    /// Planned records of `kind` that were (at some point) planned for `customer`.
    pub(crate) fn of_customer(&self, kind: EntityKind, customer: &str) -> &[Id] {
        self.by_customer[kind.index()]
            .get(customer)
            .map_or(&[], Vec::as_slice)
    }

    /// Planned allocations that were (at some point) planned for these
    /// payments or invoices.
    pub(crate) fn allocations<'a>(
        &'a self,
        payments: &'a [Id],
        invoices: &'a [Id],
    ) -> impl Iterator<Item = &'a Id> + 'a {
        let p = payments.iter().filter_map(|p| self.alloc_by_payment.get(p));
        let i = invoices.iter().filter_map(|i| self.alloc_by_invoice.get(i));
        p.chain(i).flatten()
    }

    /// Forgets everything (the planned records were taken or discarded).
    pub(crate) fn clear(&mut self) {
        self.by_customer.iter_mut().for_each(FxHashMap::clear);
        self.alloc_by_payment.clear();
        self.alloc_by_invoice.clear();
    }
}

fn push(map: &mut FxHashMap<Id, Vec<Id>>, key: &str, id: &str) {
    match map.get_mut(key) {
        Some(v) => v.push(id.to_string()),
        None => {
            map.insert(key.to_string(), vec![id.to_string()]);
        }
    }
}
