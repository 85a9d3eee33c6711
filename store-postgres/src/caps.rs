//! The allocation caps, checked inside the commit that writes allocations:
//! the payments and invoices they name are locked (`FOR UPDATE`, in id
//! order), then every allocation of them is summed. Of two processes
//! allocating the same payment or invoice at once, the second waits for the
//! first to commit and then sees its allocations, so their sum never exceeds
//! what a payment can give (its amount less refunds and disputes) or what an
//! invoice is due, whatever each process read before; and a payment's
//! `allocated` total, written with them, must be their sum (else the writer
//! planned from allocations that changed since it read them).

use std::collections::{BTreeMap, BTreeSet};

use postgres::Transaction;
use rust_decimal::Decimal;
use tieout_core::model::AllocationKind;
use tieout_core::{Entity, EntityKind};

use crate::error::PostgresError;
use crate::statements::Statements;
use crate::store::decode;

/// Checks the caps of `payments` and `invoices` (ids named by the
/// allocations this commit writes), after the commit's writes.
pub(crate) fn check(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    payments: &BTreeSet<String>,
    invoices: &BTreeSet<String>,
) -> Result<(), PostgresError> {
    if payments.is_empty() && invoices.is_empty() {
        return Ok(());
    }
    let p: Vec<&str> = payments.iter().map(String::as_str).collect();
    let i: Vec<&str> = invoices.iter().map(String::as_str).collect();
    let s = &sql.schema;
    let locked = |kind: &str| {
        format!("SELECT id, data FROM {s}.{kind} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE")
    };
    let pays = decode(EntityKind::Payment, tx.query(&locked("payment"), &[&p])?)?;
    let invs = decode(EntityKind::Invoice, tx.query(&locked("invoice"), &[&i])?)?;
    let allocs = decode(
        EntityKind::Allocation,
        tx.query(&sql.allocations_for, &[&p, &i])?,
    )?;
    let mut given: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut received: BTreeMap<&str, Decimal> = BTreeMap::new();
    for e in &allocs {
        if let Entity::Allocation(a) = e {
            *received.entry(a.invoice_id.as_str()).or_default() += a.amount;
            if a.kind != AllocationKind::WriteOff {
                *given.entry(a.payment_id.as_str()).or_default() += a.amount;
            }
        }
    }
    for e in &pays {
        if let Entity::Payment(p) = e {
            let sum = given.get(p.id.as_str()).copied().unwrap_or_default();
            if p.allocated != sum {
                // The writer computed the payment's totals from allocations
                // that changed since it read them: a lost update otherwise.
                return Err(PostgresError::Allocation(format!(
                    "payment {} changed meanwhile ({} allocated by another process, \
                     {} as this commit saw it): plan again",
                    p.source.external_id, sum, p.allocated
                )));
            }
            if p.is_settled() && sum > p.available() {
                return Err(PostgresError::Allocation(format!(
                    "payment {} would have {sum} {} allocated of {} available \
                     (another process allocated it meanwhile)",
                    p.source.external_id,
                    p.currency,
                    p.available()
                )));
            }
        }
    }
    for e in &invs {
        if let Entity::Invoice(inv) = e {
            let sum = received.get(inv.id.as_str()).copied().unwrap_or_default();
            if sum > inv.amount_due {
                return Err(PostgresError::Allocation(format!(
                    "invoice {} would receive {sum} {} of {} due \
                     (another process allocated it meanwhile)",
                    inv.source.external_id, inv.currency, inv.amount_due
                )));
            }
        }
    }
    Ok(())
}
