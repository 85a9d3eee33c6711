//! Strategy 6, policy matching: a customer's unapplied payments against its
//! open invoices in the same currency: an exact open amount first, else the
//! policy's fill order (oldest first, newest first, or leave for review).
//!
//! The per-payment decision lives in [`OpenBook::take`], shared by the
//! [`Workspace`] path here and the in-memory bulk matcher ([`super::bulk`]).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::ledger::{self, rules_outside_import};
use super::{AllocationOrder, ReconcilePolicy};
use crate::entity::{Entity, EntityKind};
use crate::error::Result;
use crate::import::Workspace;
use crate::model::*;
use crate::money::Currency;
use crate::store::Store;

/// One allocation a policy match decided, by position in the [`OpenBook`].
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyFill<K> {
    /// The invoice.
    pub invoice: K,
    /// Amount applied from the payment.
    pub amount: Decimal,
    /// Its open amount before this fill.
    pub open_before: Decimal,
    /// `ExactAmount`, `OldestFirst` or `NewestFirst`.
    pub strategy: MatchStrategy,
    /// Remainder written off under the tolerance (zero when none).
    pub write_off: Decimal,
}

/// Why a policy match allocated nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyMiss {
    /// The customer has no open invoice in the payment's currency.
    NothingOpen,
    /// No invoice equals the amount and the order is `leave_unapplied`.
    LeaveUnapplied,
}

/// A customer's open invoices in one currency, ranked oldest first (due date,
/// then issue date, then id), indexed by open amount for exact matches.
/// Every operation is a hash lookup, a heap operation or a cursor step:
/// no scans.
#[derive(Clone, Debug)]
pub struct OpenBook<K> {
    keys: Vec<K>,
    open: Vec<Decimal>,
    totals: Vec<Decimal>,
    by_amount: super::bulk::FxMap<Decimal, BinaryHeap<Reverse<usize>>>,
    front: usize,
    back: usize,
    live: usize,
}

/// Sort rank of an invoice: undated last, due date (or issue date), issue date, source id, books id.
type Rank<'a> = (
    bool,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    &'a str,
    &'a str,
);

/// Sort rank of an invoice for the fill order: due date (or, lacking one, the
/// issue date), then issue date, then source id; undated invoices last.
fn rank(inv: &Invoice) -> Rank<'_> {
    let when = inv.due_date.or(inv.issued_at);
    (
        when.is_none(),
        when,
        inv.issued_at,
        &inv.source.external_id,
        &inv.id,
    )
}

impl<K: Clone> OpenBook<K> {
    /// A book over `(key, invoice, open amount)`; entries with nothing open are ignored.
    pub fn new(mut entries: Vec<(K, &Invoice, Decimal)>) -> Self {
        entries.retain(|(_, _, open)| *open > Decimal::ZERO);
        entries.sort_by(|a, b| rank(a.1).cmp(&rank(b.1)));
        let n = entries.len();
        let mut book = OpenBook {
            keys: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            totals: Vec::with_capacity(n),
            by_amount: super::bulk::FxMap::with_capacity_and_hasher(n, Default::default()),
            front: 0,
            back: n,
            live: n,
        };
        for (pos, (k, inv, open)) in entries.into_iter().enumerate() {
            book.keys.push(k);
            book.open.push(open);
            book.totals.push(inv.total);
            book.by_amount.entry(open).or_default().push(Reverse(pos));
        }
        book
    }

    /// Whether nothing is open any more.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn set_open(&mut self, pos: usize, v: Decimal) {
        if self.open[pos] > Decimal::ZERO && v.is_zero() {
            self.live -= 1;
        }
        self.open[pos] = v;
        if v > Decimal::ZERO {
            self.by_amount.entry(v).or_default().push(Reverse(pos));
        }
    }

    fn exact(&mut self, amount: Decimal) -> Option<usize> {
        let heap = self.by_amount.get_mut(&amount)?;
        while let Some(Reverse(pos)) = heap.peek().copied() {
            if self.open[pos] == amount {
                return Some(pos);
            }
            heap.pop(); // stale: filled or changed since
        }
        None
    }

    fn next(&mut self, newest: bool) -> Option<usize> {
        while self.front < self.back {
            let pos = if newest { self.back - 1 } else { self.front };
            if self.open[pos] > Decimal::ZERO {
                return Some(pos);
            }
            if newest {
                self.back -= 1;
            } else {
                self.front += 1;
            }
        }
        None
    }

    fn fill(
        &mut self,
        pos: usize,
        amount: Decimal,
        strategy: MatchStrategy,
        policy: &ReconcilePolicy,
    ) -> PolicyFill<K> {
        let before = self.open[pos];
        let mut left = before - amount;
        let mut write_off = Decimal::ZERO;
        if ledger::writes_off(policy, self.totals[pos], left) {
            write_off = left;
            left = Decimal::ZERO;
        }
        self.set_open(pos, left);
        PolicyFill {
            invoice: self.keys[pos].clone(),
            amount,
            open_before: before,
            strategy,
            write_off,
        }
    }

    /// Decides where `amount` of one payment goes: the oldest invoice whose
    /// open amount equals it exactly; else, per `policy.order`, the open
    /// invoices oldest (or newest) first until the amount is used up. What is
    /// left is the payment's unapplied credit. A remainder within the write-off
    /// tolerance on the last invoice filled is written off.
    pub fn take(
        &mut self,
        amount: Decimal,
        policy: &ReconcilePolicy,
    ) -> std::result::Result<Vec<PolicyFill<K>>, PolicyMiss> {
        if amount <= Decimal::ZERO {
            return Ok(Vec::new());
        }
        if let Some(pos) = self.exact(amount) {
            return Ok(vec![self.fill(
                pos,
                amount,
                MatchStrategy::ExactAmount,
                policy,
            )]);
        }
        let (newest, strategy) = match policy.order {
            AllocationOrder::LeaveUnapplied => {
                return Err(if self.is_empty() {
                    PolicyMiss::NothingOpen
                } else {
                    PolicyMiss::LeaveUnapplied
                });
            }
            AllocationOrder::OldestFirst => (false, MatchStrategy::OldestFirst),
            AllocationOrder::NewestFirst => (true, MatchStrategy::NewestFirst),
        };
        let mut left = amount;
        let mut out = Vec::new();
        while left > Decimal::ZERO {
            let Some(pos) = self.next(newest) else { break };
            let amt = left.min(self.open[pos]);
            out.push(self.fill(pos, amt, strategy, policy));
            left -= amt;
        }
        if out.is_empty() {
            return Err(PolicyMiss::NothingOpen);
        }
        Ok(out)
    }
}

/// The readable reason of a policy allocation.
pub fn fill_detail<K>(f: &PolicyFill<K>, inv: &Invoice) -> String {
    let cur = inv.currency;
    let due = inv
        .due_date
        .or(inv.issued_at)
        .map(|d| format!(", due {}", d.date_naive()))
        .unwrap_or_default();
    match f.strategy {
        MatchStrategy::ExactAmount => format!(
            "policy exact amount: open {} {cur} of invoice {} equals the payment's unapplied amount",
            f.open_before, inv.source.external_id
        ),
        s => format!(
            "policy {}: {} {cur} to invoice {}{due}, the {} open {cur} invoice of the customer ({} open)",
            s.as_str(),
            f.amount,
            inv.source.external_id,
            if s == MatchStrategy::NewestFirst {
                "newest"
            } else {
                "oldest"
            },
            f.open_before
        ),
    }
}

/// The reason a policy match gave for leaving (part of) a payment unapplied.
pub fn miss_reason(miss: Option<PolicyMiss>, currency: Currency, left: Decimal) -> String {
    match miss {
        Some(PolicyMiss::NothingOpen) => {
            format!("policy: no open invoice in {currency} for this customer")
        }
        Some(PolicyMiss::LeaveUnapplied) => {
            format!(
                "policy: no open invoice equals {left} {currency} and the order is leave_unapplied"
            )
        }
        None => format!(
            "policy: {left} {currency} left as customer credit: no other open {currency} invoice"
        ),
    }
}

/// Allocations made or grown by a policy match, and the payments it considered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MatchOutcome {
    /// Allocations created or changed (payments and write-offs).
    pub upserted: Vec<Allocation>,
    /// Payments still (partly) unapplied, with the reasons.
    pub unapplied: BTreeMap<Id, Vec<String>>,
    /// Payments whose derived fields changed.
    pub payments_changed: Vec<Id>,
    /// Invoices whose derived fields changed.
    pub invoices_changed: Vec<Id>,
}

/// Customers with unapplied money, from the committed books (for "match everything").
pub fn unapplied_customers(store: &dyn Store) -> Result<BTreeSet<Id>> {
    let mut out = BTreeSet::new();
    for e in store.list(EntityKind::Payment)? {
        if let Entity::Payment(p) = e {
            if p.unapplied > Decimal::ZERO {
                if let Some(c) = p.customer_id {
                    out.insert(c);
                }
            }
        }
    }
    Ok(out)
}

/// The latest of two optional times.
fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// Policy matching (strategy 6) for these customers' unapplied payments,
/// planned in the workspace. Payments go in `(received_at, id)` order; each
/// customer's invoices in the same currency are the only candidates, so money
/// never moves across customers or currencies. Deterministic: the result
/// depends on the books, not on the order records arrived in.
pub fn match_unapplied(
    ws: &mut Workspace<'_>,
    policy: &ReconcilePolicy,
    customers: &BTreeSet<Id>,
) -> Result<MatchOutcome> {
    let mut out = MatchOutcome::default();
    let customers: Vec<&Id> = customers.iter().collect();
    for batch in customers.chunks(MATCH_BATCH) {
        prefetch_customers(ws, batch)?;
        for cid in batch {
            match_customer(ws, policy, cid, &mut out)?;
        }
        ws.forget_prefetched_lists();
    }
    Ok(out)
}

/// Customers whose records policy matching reads in one batch.
const MATCH_BATCH: usize = 500;

/// Reads what [`match_customer`] reads for each of `batch` in three store
/// reads (their payments, the invoices of those holding credit, and the
/// allocations of both), instead of three per customer.
fn prefetch_customers(ws: &mut Workspace<'_>, batch: &[&Id]) -> Result<()> {
    let ids: Vec<Id> = batch.iter().map(|c| c.to_string()).collect();
    ws.prefetch_by_customers(EntityKind::Payment, &ids)?;
    let mut pids: Vec<Id> = Vec::new();
    let mut with_credit: Vec<Id> = Vec::new();
    for cid in &ids {
        let payments = ws.by_customer(EntityKind::Payment, cid)?;
        if payments.iter().any(
            |e| matches!(e, Entity::Payment(p) if p.is_settled() && p.unapplied > Decimal::ZERO),
        ) {
            with_credit.push(cid.clone());
            pids.extend(payments.iter().map(|e| e.id().to_string()));
        }
    }
    if with_credit.is_empty() {
        return Ok(());
    }
    ws.prefetch_by_customers(EntityKind::Invoice, &with_credit)?;
    let mut iids: Vec<Id> = Vec::new();
    for cid in &with_credit {
        let invoices = ws.by_customer(EntityKind::Invoice, cid)?;
        iids.extend(invoices.iter().map(|e| e.id().to_string()));
    }
    ws.prefetch_allocations(&pids, &iids)
}

fn match_customer(
    ws: &mut Workspace<'_>,
    policy: &ReconcilePolicy,
    cid: &str,
    out: &mut MatchOutcome,
) -> Result<()> {
    let mut payments: Vec<Payment> = ws
        .by_customer(EntityKind::Payment, cid)?
        .into_iter()
        .filter_map(|e| match e {
            Entity::Payment(p) => Some(p),
            _ => None,
        })
        .collect();
    if !payments
        .iter()
        .any(|p| p.is_settled() && p.unapplied > Decimal::ZERO)
    {
        // No customer credit to place: nothing to match, no invoices to load.
        return Ok(());
    }
    let mut invoices: Vec<Invoice> = ws
        .by_customer(EntityKind::Invoice, cid)?
        .into_iter()
        .filter_map(|e| match e {
            Entity::Invoice(i) => Some(i),
            _ => None,
        })
        .collect();
    let pids: Vec<Id> = payments.iter().map(|p| p.id.clone()).collect();
    let iids: Vec<Id> = invoices.iter().map(|i| i.id.clone()).collect();
    let mut allocs: BTreeMap<Id, Allocation> = BTreeMap::new();
    for e in ws.allocations_for(&pids, &iids)? {
        if let Entity::Allocation(a) = e {
            allocs.insert(a.id.clone(), a);
        }
    }
    let sums = |allocs: &BTreeMap<Id, Allocation>| {
        let mut allocated: HashMap<Id, Decimal> = HashMap::new();
        let mut paid: HashMap<Id, (Decimal, Decimal)> = HashMap::new();
        for a in allocs.values() {
            let slot = paid.entry(a.invoice_id.clone()).or_default();
            if a.kind == AllocationKind::WriteOff {
                slot.1 += a.amount;
            } else {
                slot.0 += a.amount;
                *allocated.entry(a.payment_id.clone()).or_default() += a.amount;
            }
        }
        (allocated, paid)
    };
    let (allocated, paid) = sums(&allocs);
    let open_of = |inv: &Invoice| {
        let (p, w) = paid.get(&inv.id).copied().unwrap_or_default();
        (inv.amount_due - p - w).max(Decimal::ZERO)
    };
    let mut books: BTreeMap<Currency, OpenBook<usize>> = BTreeMap::new();
    {
        let mut per: BTreeMap<Currency, Vec<(usize, &Invoice, Decimal)>> = BTreeMap::new();
        for (i, inv) in invoices.iter().enumerate() {
            if ledger::policy_candidate(inv) {
                per.entry(inv.currency)
                    .or_default()
                    .push((i, inv, open_of(inv)));
            }
        }
        for (cur, entries) in per {
            books.insert(cur, OpenBook::new(entries));
        }
    }
    let mut order: Vec<usize> = (0..payments.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&payments[*a], &payments[*b]);
        x.received_at.cmp(&y.received_at).then(x.id.cmp(&y.id))
    });
    let mut changed_allocs: BTreeSet<Id> = BTreeSet::new();
    let mut reasons: HashMap<usize, String> = HashMap::new();
    for pi in order {
        let p = &payments[pi];
        let left = ledger::payment_open(p, allocated.get(&p.id).copied().unwrap_or_default());
        if left <= Decimal::ZERO {
            continue;
        }
        let result = match books.get_mut(&p.currency) {
            Some(book) => book.take(left, policy),
            None => Err(PolicyMiss::NothingOpen),
        };
        let fills = match result {
            Ok(f) => f,
            Err(miss) => {
                reasons.insert(pi, miss_reason(Some(miss), p.currency, left));
                continue;
            }
        };
        let mut rest = left;
        for f in &fills {
            let inv = &invoices[f.invoice];
            let at = later(p.received_at, inv.issued_at);
            let id = ledger::allocation_id(&p.id, &inv.id, f.strategy);
            let a = allocs.entry(id.clone()).or_insert_with(|| Allocation {
                id: id.clone(),
                payment_id: p.id.clone(),
                invoice_id: inv.id.clone(),
                amount: Decimal::ZERO,
                currency: inv.currency,
                reason: AllocationReason {
                    strategy: f.strategy,
                    detail: fill_detail(f, inv),
                },
                kind: AllocationKind::Payment,
                allocated_at: at,
            });
            a.amount += f.amount;
            changed_allocs.insert(id);
            rest -= f.amount;
            if f.write_off > Decimal::ZERO {
                let wid = ledger::write_off_id(&inv.id);
                let limit = ledger::write_off_limit(policy, inv.total);
                let w = allocs.entry(wid.clone()).or_insert_with(|| Allocation {
                    id: wid.clone(),
                    payment_id: p.id.clone(),
                    invoice_id: inv.id.clone(),
                    amount: Decimal::ZERO,
                    currency: inv.currency,
                    reason: AllocationReason {
                        strategy: f.strategy,
                        detail: String::new(),
                    },
                    kind: AllocationKind::WriteOff,
                    allocated_at: at,
                });
                w.amount += f.write_off;
                w.reason.detail = format!(
                    "write-off of {} {} within tolerance {limit}",
                    w.amount, inv.currency
                );
                changed_allocs.insert(wid);
            }
        }
        if rest > Decimal::ZERO {
            reasons.insert(pi, miss_reason(None, p.currency, rest));
        }
    }

    // Write the allocations and the derived totals.
    for id in &changed_allocs {
        let a = allocs[id].clone();
        ws.put(Entity::Allocation(a.clone()));
        out.upserted.push(a);
    }
    let (allocated, paid) = sums(&allocs);
    for (pi, p) in payments.iter_mut().enumerate() {
        let before = p.clone();
        ledger::set_payment_totals(p, allocated.get(&p.id).copied().unwrap_or_default());
        if p.unapplied > Decimal::ZERO {
            p.unapplied_reasons.retain(|r| !r.starts_with("policy"));
            if let Some(r) = reasons.remove(&pi) {
                p.unapplied_reasons.push(r);
            }
            out.unapplied
                .insert(p.id.clone(), p.unapplied_reasons.clone());
        } else {
            p.unapplied_reasons.clear();
        }
        if *p != before {
            ws.put(Entity::Payment(p.clone()));
            out.payments_changed.push(p.id.clone());
        }
    }
    for inv in invoices.iter_mut() {
        let Some((p, w)) = paid.get(&inv.id).copied() else {
            continue;
        };
        if !ledger::policy_candidate(inv) {
            continue;
        }
        let before = inv.clone();
        ledger::derive_invoice_totals(inv, p, w, &rules_outside_import(policy));
        if *inv != before {
            ws.put(Entity::Invoice(inv.clone()));
            out.invoices_changed.push(inv.id.clone());
        }
    }
    Ok(())
}
