//! The allocation caps, checked inside the commit that writes allocations:
//! the payments and invoices they name are locked (`FOR UPDATE`, in id
//! order), then every allocation of them is summed. Of two processes
//! allocating the same payment or invoice at once, the second waits for the
//! first to commit and then sees its allocations, so their sum never exceeds
//! what a payment can give (its amount less refunds and disputes) or what an
//! invoice is due, whatever each process read before; and a payment's
//! `allocated` total, written with them, must be their sum (else the writer
//! planned from allocations that changed since it read them).
//!
//! The invoice side is checked by comparing before and after: every invoice
//! the commit writes, or whose allocations it writes or deletes, is locked
//! first thing in the transaction; one whose stored paid and written-off
//! amounts then agree with its allocations must still agree after the
//! commit's writes. Two writers deriving an invoice's totals at once each saw
//! only their own allocation: the second to commit would leave totals that
//! miss the first's, and is refused here (its caller plans again, or reports
//! the conflict) instead. (Records a writer stores as they are, agreeing or
//! not, like the store conformance suite's, are not second-guessed: only a
//! commit that breaks agreement is.)

use std::collections::{BTreeMap, BTreeSet};

use postgres::Transaction;
use rust_decimal::Decimal;
use tieout_core::model::{AllocationKind, Invoice};
use tieout_core::reconcile::invoice_totals_agree;
use tieout_core::{Entity, EntityKind};

use crate::error::PostgresError;
use crate::statements::Statements;
use crate::store::decode;
use crate::typed;

/// What the allocations of some payments and invoices add up to.
#[derive(Default)]
struct Sums {
    /// Per payment: what its (non write-off) allocations give.
    given: BTreeMap<String, Decimal>,
    /// Per invoice: what its payment allocations pay.
    paid: BTreeMap<String, Decimal>,
    /// Per invoice: what its write-off allocations write off.
    written_off: BTreeMap<String, Decimal>,
}

impl Sums {
    fn read(
        tx: &mut Transaction<'_>,
        sql: &Statements,
        payments: &[&str],
        invoices: &[&str],
    ) -> Result<Sums, PostgresError> {
        let rows = typed::query(tx, &sql.allocations_for, &[&payments, &invoices])?;
        let mut sums = Sums::default();
        for e in decode(EntityKind::Allocation, rows)? {
            let Entity::Allocation(a) = e else { continue };
            if a.kind == AllocationKind::WriteOff {
                *sums.written_off.entry(a.invoice_id).or_default() += a.amount;
            } else {
                *sums.paid.entry(a.invoice_id).or_default() += a.amount;
                *sums.given.entry(a.payment_id).or_default() += a.amount;
            }
        }
        Ok(sums)
    }

    fn of(map: &BTreeMap<String, Decimal>, id: &str) -> Decimal {
        map.get(id).copied().unwrap_or_default()
    }

    fn agree(&self, inv: &Invoice) -> bool {
        invoice_totals_agree(
            inv,
            Sums::of(&self.paid, &inv.id),
            Sums::of(&self.written_off, &inv.id),
        )
    }
}

/// The rows of `kind` with the ids in `ids`, locked (`FOR UPDATE`, in id
/// order, so two commits lock shared rows in one order).
fn locked(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    kind: EntityKind,
    ids: &[&str],
) -> Result<Vec<Entity>, PostgresError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = format!(
        "SELECT id, data FROM {}.{} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        sql.schema,
        kind.as_str()
    );
    decode(kind, typed::query(tx, &q, &[&ids])?)
}

/// Locks the stored invoices of `invoices` (before the commit writes) and
/// returns those whose paid and written-off amounts agree with their
/// allocations now.
pub(crate) fn agreeing(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    invoices: &BTreeSet<String>,
) -> Result<BTreeSet<String>, PostgresError> {
    let i: Vec<&str> = invoices.iter().map(String::as_str).collect();
    let invs = locked(tx, sql, EntityKind::Invoice, &i)?;
    if invs.is_empty() {
        return Ok(BTreeSet::new());
    }
    let sums = Sums::read(tx, sql, &[], &i)?;
    Ok(invs
        .into_iter()
        .filter_map(|e| match e {
            Entity::Invoice(inv) if sums.agree(&inv) => Some(inv.id),
            _ => None,
        })
        .collect())
}

/// Checks, after the commit's writes: the caps of `payments` and `capped`
/// invoices (named by the allocations this commit writes) and each
/// payment's `allocated` total; and that the invoices of `agreed` (see
/// [`agreeing`]) still agree with their allocations.
pub(crate) fn check(
    tx: &mut Transaction<'_>,
    sql: &Statements,
    payments: &BTreeSet<String>,
    capped: &BTreeSet<String>,
    agreed: &BTreeSet<String>,
) -> Result<(), PostgresError> {
    if payments.is_empty() && capped.is_empty() && agreed.is_empty() {
        return Ok(());
    }
    let p: Vec<&str> = payments.iter().map(String::as_str).collect();
    let i: Vec<&str> = capped.union(agreed).map(String::as_str).collect();
    let pays = locked(tx, sql, EntityKind::Payment, &p)?;
    let invs = locked(tx, sql, EntityKind::Invoice, &i)?;
    let sums = Sums::read(tx, sql, &p, &i)?;
    for e in &pays {
        if let Entity::Payment(p) = e {
            let sum = Sums::of(&sums.given, &p.id);
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
        let Entity::Invoice(inv) = e else { continue };
        if agreed.contains(&inv.id) && !sums.agree(inv) {
            // The writer derived the invoice's totals from allocations that
            // changed since it read them (or wrote a snapshot over totals
            // another process derived meanwhile).
            return Err(PostgresError::Allocation(format!(
                "invoice {} changed meanwhile ({} paid and {} written off by its \
                 allocations now, {} and {} as this commit saw it): plan again",
                inv.source.external_id,
                Sums::of(&sums.paid, &inv.id),
                Sums::of(&sums.written_off, &inv.id),
                inv.amount_paid,
                inv.amount_written_off
            )));
        }
        let sum = Sums::of(&sums.paid, &inv.id) + Sums::of(&sums.written_off, &inv.id);
        if capped.contains(&inv.id) && sum > inv.amount_due {
            return Err(PostgresError::Allocation(format!(
                "invoice {} would receive {sum} {} of {} due \
                 (another process allocated it meanwhile)",
                inv.source.external_id, inv.currency, inv.amount_due
            )));
        }
    }
    Ok(())
}
