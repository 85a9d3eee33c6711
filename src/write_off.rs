//! Writing an invoice off by hand (own and imported invoices): the open
//! amount given up as bad debt, the reason and the time kept on the invoice
//! and in the history. Planned by the core (`tieout_core::writeoff`).

use chrono::{DateTime, Utc};
use tieout_core::ChangeSet;
use tieout_core::CoreError;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::Invoice;
use tieout_core::writeoff::plan_write_off;

use crate::books::Books;
use crate::error::Result;

impl Books {
    /// Writes off the open amount of invoice `invoice_id` (books id) for
    /// `reason` at `now`: the open amount goes to zero as written off and the
    /// invoice becomes `uncollectible`, with the reason and time in
    /// `invoice.write_off` and a `books:manual` entry in the history. Its
    /// collection case closes (`written_off`) and follow-ups stop (nothing is
    /// open). A payment matched to it later is still allocated and recovers
    /// the write-off (`write_off.recovered`).
    ///
    /// Writing off an invoice already written off changes nothing and returns
    /// it as it is. An invoice with nothing open (paid, void, credited) is
    /// refused with `INVOICE_SETTLED`; a draft with `INVALID_ARGUMENT`.
    pub fn write_off(&self, invoice_id: &str, reason: &str, now: DateTime<Utc>) -> Result<Invoice> {
        let invoice = {
            let mut store = self.store()?;
            let inv = match store
                .get(EntityKind::Invoice, &[invoice_id.to_string()])?
                .pop()
            {
                Some(Entity::Invoice(i)) => i,
                _ => return Err(CoreError::NotFound(format!("invoice {invoice_id}")).into()),
            };
            let Some(plan) = plan_write_off(&inv, reason, now)? else {
                return Ok(inv);
            };
            let cs = ChangeSet {
                upserts: vec![Entity::Invoice(plan.invoice.clone())],
                run: Some(plan.audit),
                ..Default::default()
            };
            store.commit(cs)?;
            plan.invoice
        };
        self.sync_collection_cases(now)?;
        Ok(invoice)
    }
}
