//! In-memory bulk matching over slices of payments and invoices, indexed by
//! key in hash maps (no nested scans). It runs the same cascade
//! ([`claims_with`]), the same allocation rules ([`ledger`]) and the same
//! policy decision ([`OpenBook::take`]) as the store-backed path; only the
//! lookups differ. For benchmarks and for hosts matching data they hold.
//!
//! State is the books' view: a payment may allocate
//! `available - allocated` (zero unless settled); an invoice is open for
//! `amount_remaining`.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::claims::{InvoiceLookup, Misses, claims_with};
use super::ledger;
use super::policy_match::{OpenBook, PolicyFill, fill_detail};
use super::ReconcilePolicy;
use crate::error::Result;
use crate::model::*;
use crate::money::Currency;

/// One allocation the bulk matcher decided (indexes into the input slices).
#[derive(Clone, Debug, PartialEq)]
pub struct BulkMatch {
    /// Index of the payment.
    pub payment: u32,
    /// Index of the invoice.
    pub invoice: u32,
    /// Amount.
    pub amount: Decimal,
    /// Deciding strategy.
    pub strategy: MatchStrategy,
    /// Payment money or write-off.
    pub kind: AllocationKind,
    /// The cascade's reason (empty for policy matches: rendered by [`BulkOutcome::allocations`]).
    pub detail: String,
    /// Open amount of the invoice before this allocation.
    pub open_before: Decimal,
}

/// What a bulk run decided, and the state it leaves.
#[derive(Clone, Debug, Default)]
pub struct BulkOutcome {
    /// Allocations in decision order.
    pub matches: Vec<BulkMatch>,
    /// Per payment: what is still unapplied.
    pub payment_open: Vec<Decimal>,
    /// Per invoice: what is still open.
    pub invoice_open: Vec<Decimal>,
}

impl BulkOutcome {
    /// Allocations decided by strategies 1-5.
    pub fn exact_key_count(&self) -> usize {
        self.matches.iter().filter(|m| m.strategy.is_explicit()).count()
    }

    /// Full [`Allocation`] records (ids and readable reasons), as the
    /// store-backed path would write them.
    pub fn allocations(&self, payments: &[Payment], invoices: &[Invoice]) -> Vec<Allocation> {
        self.matches
            .iter()
            .map(|m| {
                let p = &payments[m.payment as usize];
                let inv = &invoices[m.invoice as usize];
                let (id, detail) = if m.kind == AllocationKind::WriteOff {
                    (ledger::write_off_id(&inv.id), format!("write-off of {} {} within tolerance", m.amount, inv.currency))
                } else if m.strategy.is_explicit() {
                    (ledger::allocation_id(&p.id, &inv.id, m.strategy), m.detail.clone())
                } else {
                    let f = PolicyFill {
                        invoice: (),
                        amount: m.amount,
                        open_before: m.open_before,
                        strategy: m.strategy,
                        write_off: Decimal::ZERO,
                    };
                    (ledger::allocation_id(&p.id, &inv.id, m.strategy), fill_detail(&f, inv))
                };
                Allocation {
                    id,
                    payment_id: p.id.clone(),
                    invoice_id: inv.id.clone(),
                    amount: m.amount,
                    currency: inv.currency,
                    reason: AllocationReason {
                        strategy: m.strategy,
                        detail,
                    },
                    kind: m.kind,
                    allocated_at: p.received_at,
                }
            })
            .collect()
    }
}

/// Hash indexes over invoices: by source id, number, payment intent and charge.
pub struct BulkIndex<'a> {
    invoices: &'a [Invoice],
    by_id: HashMap<&'a str, u32>,
    by_number: HashMap<&'a str, u32>,
    by_pi: HashMap<&'a str, Vec<u32>>,
    by_charge: HashMap<&'a str, Vec<u32>>,
}

impl<'a> BulkIndex<'a> {
    /// Indexes the invoices (one pass).
    pub fn new(invoices: &'a [Invoice]) -> Self {
        let n = invoices.len();
        let mut ix = BulkIndex {
            invoices,
            by_id: HashMap::with_capacity(n),
            by_number: HashMap::with_capacity(n),
            by_pi: HashMap::new(),
            by_charge: HashMap::new(),
        };
        for (i, inv) in invoices.iter().enumerate() {
            let i = i as u32;
            ix.by_id.entry(inv.source.external_id.as_str()).or_insert(i);
            if let Some(num) = &inv.number {
                ix.by_number.entry(num.as_str()).or_insert(i);
            }
            if let Some(pi) = &inv.payment_refs.payment_intent {
                ix.by_pi.entry(pi.as_str()).or_default().push(i);
            }
            if let Some(c) = &inv.payment_refs.charge {
                ix.by_charge.entry(c.as_str()).or_default().push(i);
            }
        }
        ix
    }
}

impl InvoiceLookup for BulkIndex<'_> {
    type Key = u32;

    fn named(&mut self, _p: &Payment, name: &str) -> Result<Option<u32>> {
        Ok(self.by_id.get(name).or_else(|| self.by_number.get(name)).copied())
    }

    fn sharing(&mut self, _p: &Payment, strategy: MatchStrategy, id: &str) -> Result<Vec<(u32, String)>> {
        let map = if strategy == MatchStrategy::PaymentIntent { &self.by_pi } else { &self.by_charge };
        Ok(map
            .get(id)
            .map(|v| v.iter().map(|i| (*i, self.invoices[*i as usize].source.external_id.clone())).collect())
            .unwrap_or_default())
    }
}

fn canonical_order(payments: &[Payment]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..payments.len() as u32).collect();
    order.sort_unstable_by(|a, b| {
        let (x, y) = (&payments[*a as usize], &payments[*b as usize]);
        x.received_at.cmp(&y.received_at).then_with(|| x.id.cmp(&y.id))
    });
    order
}

fn start(payments: &[Payment], invoices: &[Invoice]) -> BulkOutcome {
    BulkOutcome {
        matches: Vec::new(),
        payment_open: payments.iter().map(|p| ledger::payment_open(p, p.allocated)).collect(),
        invoice_open: invoices.iter().map(|i| i.amount_remaining).collect(),
    }
}

/// Strategies 1-5 for every payment, in `(received_at, id)` order, then
/// write-offs within tolerance on the invoices that received money.
pub fn match_exact(payments: &[Payment], invoices: &[Invoice], policy: &ReconcilePolicy) -> Result<BulkOutcome> {
    let mut out = start(payments, invoices);
    exact_pass(&mut out, payments, invoices, policy)?;
    Ok(out)
}

fn exact_pass(out: &mut BulkOutcome, payments: &[Payment], invoices: &[Invoice], policy: &ReconcilePolicy) -> Result<()> {
    let mut ix = BulkIndex::new(invoices);
    let mut last_match: HashMap<u32, usize> = HashMap::new();
    for pi in canonical_order(payments) {
        let p = &payments[pi as usize];
        if out.payment_open[pi as usize] <= Decimal::ZERO {
            continue;
        }
        for cl in claims_with(&mut ix, p, policy, &mut Misses::ignore())? {
            let inv = &invoices[cl.invoice_id as usize];
            if ledger::claim_rejection(inv, p).is_some() {
                continue;
            }
            let room = out.invoice_open[cl.invoice_id as usize];
            let avail = out.payment_open[pi as usize];
            let amt = ledger::claim_amount(avail, cl.cap, room);
            if amt <= Decimal::ZERO {
                continue;
            }
            out.payment_open[pi as usize] -= amt;
            out.invoice_open[cl.invoice_id as usize] -= amt;
            last_match.insert(cl.invoice_id, out.matches.len());
            out.matches.push(BulkMatch {
                payment: pi,
                invoice: cl.invoice_id,
                amount: amt,
                strategy: cl.strategy,
                kind: AllocationKind::Payment,
                detail: cl.detail,
                open_before: room,
            });
        }
    }
    if ledger::has_tolerance(policy) {
        let mut touched: Vec<(u32, usize)> = last_match.into_iter().collect();
        touched.sort_unstable();
        for (ii, last) in touched {
            let inv = &invoices[ii as usize];
            let left = out.invoice_open[ii as usize];
            if ledger::writes_off(policy, inv.total, left) && inv.status.accepts_payments() {
                let last = out.matches[last].clone();
                out.invoice_open[ii as usize] = Decimal::ZERO;
                out.matches.push(BulkMatch {
                    kind: AllocationKind::WriteOff,
                    amount: left,
                    detail: String::new(),
                    open_before: left,
                    ..last
                });
            }
        }
    }
    Ok(())
}

/// Strategy 6 for every payment with unapplied money: per customer and
/// currency, an [`OpenBook`] over its open invoices; payments in
/// `(received_at, id)` order take from it.
pub fn match_policy(payments: &[Payment], invoices: &[Invoice], policy: &ReconcilePolicy) -> BulkOutcome {
    let mut out = start(payments, invoices);
    policy_pass(&mut out, payments, invoices, policy);
    out
}

fn policy_pass(out: &mut BulkOutcome, payments: &[Payment], invoices: &[Invoice], policy: &ReconcilePolicy) {
    let mut groups: HashMap<(&str, Currency), Vec<(u32, &Invoice, Decimal)>> = HashMap::new();
    for (i, inv) in invoices.iter().enumerate() {
        let open = out.invoice_open[i];
        if let (Some(c), true) = (&inv.customer_id, open > Decimal::ZERO && ledger::policy_candidate(inv)) {
            groups.entry((c.as_str(), inv.currency)).or_default().push((i as u32, inv, open));
        }
    }
    let mut books: HashMap<(&str, Currency), OpenBook<u32>> =
        groups.into_iter().map(|(k, v)| (k, OpenBook::new(v))).collect();
    for pi in canonical_order(payments) {
        let p = &payments[pi as usize];
        let left = out.payment_open[pi as usize];
        if left <= Decimal::ZERO {
            continue;
        }
        let Some(c) = &p.customer_id else { continue };
        let Some(book) = books.get_mut(&(c.as_str(), p.currency)) else { continue };
        let Ok(fills) = book.take(left, policy) else { continue };
        for f in fills {
            out.payment_open[pi as usize] -= f.amount;
            out.invoice_open[f.invoice as usize] = f.open_before - f.amount - f.write_off;
            out.matches.push(BulkMatch {
                payment: pi,
                invoice: f.invoice,
                amount: f.amount,
                strategy: f.strategy,
                kind: AllocationKind::Payment,
                detail: String::new(),
                open_before: f.open_before,
            });
            if f.write_off > Decimal::ZERO {
                out.matches.push(BulkMatch {
                    payment: pi,
                    invoice: f.invoice,
                    amount: f.write_off,
                    strategy: f.strategy,
                    kind: AllocationKind::WriteOff,
                    detail: String::new(),
                    open_before: f.open_before - f.amount,
                });
            }
        }
    }
}

/// The whole cascade: strategies 1-5, then policy matching for what is left.
pub fn reconcile(payments: &[Payment], invoices: &[Invoice], policy: &ReconcilePolicy) -> Result<BulkOutcome> {
    let mut out = start(payments, invoices);
    exact_pass(&mut out, payments, invoices, policy)?;
    policy_pass(&mut out, payments, invoices, policy);
    Ok(out)
}
