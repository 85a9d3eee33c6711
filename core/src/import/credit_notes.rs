//! Credit notes: filed against their invoice, whose credited amount they set.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::planner::Planned;
use super::upsert::upsert;
use super::{Workspace, keys};
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::model::{CreditNote, ExternalKey, Id, Invoice};

/// What credit notes took off `inv` before payment: the larger of the invoice
/// snapshot's own figure and the sum of the effective credit notes in the books
/// (the snapshot may predate a credit note; a credit note may not be imported).
/// With `link`, credit notes that arrived before the invoice get its books id.
pub(crate) fn credited(ws: &mut Workspace<'_>, inv: &Invoice, link: bool) -> Result<Decimal> {
    let mut sum = Decimal::ZERO;
    let key = keys::credit_note_for(&inv.source, &inv.source.external_id);
    for id in ws.resolve_kind(&key, EntityKind::CreditNote)? {
        if let Some(Entity::CreditNote(mut c)) = ws.get(EntityKind::CreditNote, &id)? {
            if c.currency == inv.currency {
                sum += c.credited_before_payment();
            }
            if link && c.invoice_id.as_deref() != Some(inv.id.as_str()) {
                c.invoice_id = Some(inv.id.clone());
                ws.put(Entity::CreditNote(c));
            }
        }
    }
    Ok(sum.max(inv.source_credited))
}

/// Plans a credit note: stores it, then refreshes its invoice's credited amount
/// and has the invoice settled again.
pub(crate) fn plan(
    ws: &mut Workspace<'_>,
    mut c: CreditNote,
    key: ExternalKey,
    ti: &mut BTreeSet<Id>,
) -> Result<Planned> {
    let invoice_key = c.source.sibling("invoice", &c.invoice_ref);
    c.invoice_id = ws
        .resolve_kind(&invoice_key, EntityKind::Invoice)?
        .into_iter()
        .next()
        .or(c.invoice_id);
    let extra = vec![key, keys::credit_note_for(&c.source, &c.invoice_ref)];
    let amt = Some((c.currency, c.amount));
    let invoice_id = c.invoice_id.clone();
    let r = upsert(ws, Entity::CreditNote(c), extra, amt)?;
    if let Some(iid) = invoice_id
        && let Some(Entity::Invoice(mut inv)) = ws.get(EntityKind::Invoice, &iid)?
    {
        let now = credited(ws, &inv, false)?;
        if now != inv.amount_credited {
            inv.amount_credited = now;
            ws.put(Entity::Invoice(inv));
        }
        ti.insert(iid);
    }
    Ok(r)
}
