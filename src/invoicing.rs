//! Invoices the books issue themselves: create (a draft), issue (numbered
//! from the prefix's gap-free sequence), void. Each step is one commit; the
//! number sequence's checkpoint commits with the invoice it numbers, so a
//! crash or a failed commit neither skips nor reuses a number.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::invoicing::{self, InvoiceDraft};
use tieout_core::model::{Invoice, derive_id};
use tieout_core::{ChangeSet, CoreError};

use crate::books::Books;
use crate::error::Result;

static DRAFTS: AtomicU64 = AtomicU64::new(0);

impl Books {
    fn own_invoice(&self, id: &str) -> Result<Invoice> {
        match self.get(EntityKind::Invoice, id)? {
            Some(Entity::Invoice(i)) => Ok(i),
            _ => Err(CoreError::NotFound(format!("invoice {id}")).into()),
        }
    }

    /// Creates a draft invoice for a books customer. With `key` (the
    /// caller's own reference for it), creating again with the same key
    /// returns the invoice already made instead of a second one.
    pub fn create_invoice(
        &self,
        draft: &InvoiceDraft,
        key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Invoice> {
        let id = match key {
            Some(k) => derive_id(EntityKind::Invoice.id_prefix(), &format!("books/own/{k}")),
            None => derive_id(
                EntityKind::Invoice.id_prefix(),
                &format!(
                    "books/own/{}/{}/{}/{}",
                    draft.customer_id,
                    now.timestamp_nanos_opt().unwrap_or(0),
                    Utc::now().timestamp_nanos_opt().unwrap_or(0),
                    DRAFTS.fetch_add(1, Ordering::Relaxed)
                ),
            ),
        };
        if let Some(Entity::Invoice(existing)) = self.get(EntityKind::Invoice, &id)? {
            return Ok(existing);
        }
        if !matches!(
            self.get(EntityKind::Customer, &draft.customer_id)?,
            Some(Entity::Customer(_))
        ) {
            return Err(CoreError::NotFound(format!("customer {}", draft.customer_id)).into());
        }
        let inv = invoicing::build_draft(id, draft, now)?;
        let mut cs = ChangeSet::default();
        for k in invoicing::own_keys(&inv) {
            cs.aliases_add.push((k, inv.id.clone()));
        }
        cs.upserts.push(Entity::Invoice(inv.clone()));
        self.store()?.commit(cs)?;
        Ok(inv)
    }

    /// Issues a draft own invoice: it takes the next number of its prefix
    /// and is open (receivable, matched, aged and collected) from `now`.
    pub fn issue_invoice(&self, invoice_id: &str, now: DateTime<Utc>) -> Result<Invoice> {
        let mut store = self.store()?;
        let inv = match store
            .get(EntityKind::Invoice, &[invoice_id.to_string()])?
            .pop()
        {
            Some(Entity::Invoice(i)) => i,
            _ => return Err(CoreError::NotFound(format!("invoice {invoice_id}")).into()),
        };
        let prefix = invoicing::prefix_of(&inv);
        let stream = invoicing::number_stream(&prefix);
        // Read, number and commit under the stream's lock (shared books:
        // another process waits, then numbers after us), so no number is
        // skipped or given out twice.
        let (draft, p) = (inv.clone(), prefix.clone());
        let build: tieout_core::store::SequencedBuild = std::sync::Arc::new(move |last| {
            let (seq, number) = invoicing::next_number(&p, last.as_deref())?;
            let issued = invoicing::issue(&draft, &number, now)?;
            let mut cs = ChangeSet::default();
            for k in invoicing::own_keys(&issued) {
                cs.aliases_add.push((k, issued.id.clone()));
            }
            cs.upserts.push(Entity::Invoice(issued));
            cs.checkpoint = Some((stream.clone(), seq.to_string()));
            Ok(cs)
        });
        let stream = invoicing::number_stream(&prefix);
        let last = store.commit_sequenced(&stream, build)?;
        let (_, number) = invoicing::next_number(&prefix, last.as_deref())?;
        Ok(invoicing::issue(&inv, &number, now)?)
    }

    /// Voids an own invoice (a draft, or open with nothing paid). Its number,
    /// if it had one, stays used.
    pub fn void_invoice(&self, invoice_id: &str, now: DateTime<Utc>) -> Result<Invoice> {
        let inv = self.own_invoice(invoice_id)?;
        let voided = invoicing::void(&inv, now)?;
        let mut cs = ChangeSet::default();
        cs.upserts.push(Entity::Invoice(voided.clone()));
        self.store()?.commit(cs)?;
        Ok(voided)
    }
}
