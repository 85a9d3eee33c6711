//! In-memory bulk matching over slices of payments and invoices, indexed by
//! key in hash maps (no nested scans). It runs the same cascade
//! ([`claims_with`]), the same allocation rules ([`ledger`]) and the same
//! policy decision ([`OpenBook::take`]) as the store-backed path; only the
//! lookups differ. For benchmarks and for hosts matching data they hold.
//!
//! State is the books' view: a payment may allocate
//! `available - allocated` (zero unless settled); an invoice is open for
//! `amount_remaining`.

use rust_decimal::Decimal;

use super::ReconcilePolicy;
use super::claims::{InvoiceLookup, Misses, claims_with};
use super::ledger;
use super::policy_match::{OpenBook, PolicyFill, fill_detail};
use crate::error::Result;
use crate::model::*;
use crate::money::Currency;

/// A `HashMap` with the Fx hasher (the keys are the host's own data).
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

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
        self.matches
            .iter()
            .filter(|m| m.strategy.is_explicit())
            .count()
    }

    /// Full [`Allocation`] records (ids and readable reasons), as the
    /// store-backed path would write them.
    pub fn allocations(
        &self,
        payments: &[Payment],
        invoices: &[Invoice],
        policy: &ReconcilePolicy,
    ) -> Vec<Allocation> {
        let mut ix = BulkIndex::new(invoices).with_details(true);
        self.matches
            .iter()
            .map(|m| {
                let p = &payments[m.payment as usize];
                let inv = &invoices[m.invoice as usize];
                let (id, detail) = if m.kind == AllocationKind::WriteOff {
                    (
                        ledger::write_off_id(&inv.id),
                        format!(
                            "write-off of {} {} within tolerance",
                            m.amount, inv.currency
                        ),
                    )
                } else if m.strategy.is_explicit() {
                    (
                        ledger::allocation_id(&p.id, &inv.id, m.strategy),
                        claims_with(&mut ix, p, policy, &mut Misses::ignore())
                            .ok()
                            .and_then(|c| c.into_iter().find(|c| c.invoice_id == m.invoice))
                            .map(|c| c.detail)
                            .unwrap_or_default(),
                    )
                } else {
                    let f = PolicyFill {
                        invoice: (),
                        amount: m.amount,
                        open_before: m.open_before,
                        strategy: m.strategy,
                        write_off: Decimal::ZERO,
                    };
                    (
                        ledger::allocation_id(&p.id, &inv.id, m.strategy),
                        fill_detail(&f, inv),
                    )
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
    by_id: FxMap<&'a str, u32>,
    by_number: FxMap<&'a str, u32>,
    by_pi: FxMap<&'a str, Vec<u32>>,
    by_charge: FxMap<&'a str, Vec<u32>>,
    details: bool,
}

impl<'a> BulkIndex<'a> {
    /// Indexes the invoices (one pass).
    pub fn new(invoices: &'a [Invoice]) -> Self {
        let n = invoices.len();
        let mut ix = BulkIndex {
            invoices,
            by_id: FxMap::with_capacity_and_hasher(n, Default::default()),
            by_number: FxMap::with_capacity_and_hasher(n, Default::default()),
            by_pi: FxMap::default(),
            by_charge: FxMap::default(),
            details: false,
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

    /// Whether claims carry readable details (off by default; the bulk
    /// matcher renders them only for [`BulkOutcome::allocations`]).
    pub fn with_details(mut self, on: bool) -> Self {
        self.details = on;
        self
    }
}

impl InvoiceLookup for BulkIndex<'_> {
    type Key = u32;

    fn details(&self) -> bool {
        self.details
    }

    fn named(&mut self, _p: &Payment, name: &str) -> Result<Option<u32>> {
        Ok(self
            .by_id
            .get(name)
            .or_else(|| self.by_number.get(name))
            .copied())
    }

    fn sharing(
        &mut self,
        _p: &Payment,
        strategy: MatchStrategy,
        id: &str,
    ) -> Result<Vec<(u32, String)>> {
        let map = if strategy == MatchStrategy::PaymentIntent {
            &self.by_pi
        } else {
            &self.by_charge
        };
        Ok(map
            .get(id)
            .map(|v| {
                v.iter()
                    .map(|i| (*i, self.invoices[*i as usize].source.external_id.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

fn canonical_order(payments: &[Payment]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..payments.len() as u32).collect();
    order.sort_unstable_by(|a, b| {
        let (x, y) = (&payments[*a as usize], &payments[*b as usize]);
        x.received_at
            .cmp(&y.received_at)
            .then_with(|| x.id.cmp(&y.id))
    });
    order
}

fn start(payments: &[Payment], invoices: &[Invoice]) -> BulkOutcome {
    BulkOutcome {
        matches: Vec::new(),
        payment_open: payments
            .iter()
            .map(|p| ledger::payment_open(p, p.allocated))
            .collect(),
        invoice_open: invoices.iter().map(|i| i.amount_remaining).collect(),
    }
}

/// Strategies 1-5 for every payment, in `(received_at, id)` order, then
/// write-offs within tolerance on the invoices that received money.
pub fn match_exact(
    payments: &[Payment],
    invoices: &[Invoice],
    policy: &ReconcilePolicy,
) -> Result<BulkOutcome> {
    let mut out = start(payments, invoices);
    exact_pass(&mut out, payments, invoices, policy)?;
    Ok(out)
}

fn exact_pass(
    out: &mut BulkOutcome,
    payments: &[Payment],
    invoices: &[Invoice],
    policy: &ReconcilePolicy,
) -> Result<()> {
    let mut ix = BulkIndex::new(invoices);
    let mut last_match: FxMap<u32, usize> = FxMap::default();
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
pub fn match_policy(
    payments: &[Payment],
    invoices: &[Invoice],
    policy: &ReconcilePolicy,
) -> BulkOutcome {
    let mut out = start(payments, invoices);
    policy_pass(&mut out, payments, invoices, policy);
    out
}

fn policy_pass(
    out: &mut BulkOutcome,
    payments: &[Payment],
    invoices: &[Invoice],
    policy: &ReconcilePolicy,
) {
    type Group<'a> = Vec<(u32, &'a Invoice, Decimal)>;
    let mut groups: FxMap<(&str, Currency), Group<'_>> = FxMap::default();
    for (i, inv) in invoices.iter().enumerate() {
        let open = out.invoice_open[i];
        if let (Some(c), true) = (
            &inv.customer_id,
            open > Decimal::ZERO && ledger::policy_candidate(inv),
        ) {
            groups
                .entry((c.as_str(), inv.currency))
                .or_default()
                .push((i as u32, inv, open));
        }
    }
    let mut books: FxMap<(&str, Currency), OpenBook<u32>> = groups
        .into_iter()
        .map(|(k, v)| (k, OpenBook::new(v)))
        .collect();
    for pi in canonical_order(payments) {
        let p = &payments[pi as usize];
        let left = out.payment_open[pi as usize];
        if left <= Decimal::ZERO {
            continue;
        }
        let Some(c) = &p.customer_id else { continue };
        let Some(book) = books.get_mut(&(c.as_str(), p.currency)) else {
            continue;
        };
        let Ok(fills) = book.take(left, policy) else {
            continue;
        };
        for f in fills {
            out.payment_open[pi as usize] -= f.amount;
            out.invoice_open[f.invoice as usize] = f.open_before - f.amount - f.write_off;
            out.matches.push(BulkMatch {
                payment: pi,
                invoice: f.invoice,
                amount: f.amount,
                strategy: f.strategy,
                kind: AllocationKind::Payment,
                open_before: f.open_before,
            });
            if f.write_off > Decimal::ZERO {
                out.matches.push(BulkMatch {
                    payment: pi,
                    invoice: f.invoice,
                    amount: f.write_off,
                    strategy: f.strategy,
                    kind: AllocationKind::WriteOff,
                    open_before: f.open_before - f.amount,
                });
            }
        }
    }
}

/// The whole cascade: strategies 1-5, then policy matching for what is left.
pub fn reconcile(
    payments: &[Payment],
    invoices: &[Invoice],
    policy: &ReconcilePolicy,
) -> Result<BulkOutcome> {
    let mut out = start(payments, invoices);
    exact_pass(&mut out, payments, invoices, policy)?;
    policy_pass(&mut out, payments, invoices, policy);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceRef;
    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;

    fn inv(i: usize, cus: &str, total: Decimal, day: i64) -> Invoice {
        let t = Utc.timestamp_opt(1_735_689_600 + day * 86_400, 0).single();
        Invoice {
            id: format!("inv_{i}"),
            source: SourceRef::new("stripe", "acct", "invoice", &format!("in_{i}")),
            customer_id: Some(cus.into()),
            customer_ref: None,
            subscription_id: None,
            subscription_ref: None,
            number: Some(format!("N-{i}")),
            status: InvoiceStatus::Open,
            currency: Currency::USD,
            subtotal: total,
            discount: Decimal::ZERO,
            tax: Decimal::ZERO,
            total,
            amount_due: total,
            amount_paid: Decimal::ZERO,
            amount_remaining: total,
            amount_written_off: Decimal::ZERO,
            source_amount_paid: Decimal::ZERO,
            amount_credited: Default::default(),
            source_credited: Default::default(),
            write_off: None,
            lines_complete: true,
            issued_at: t,
            due_date: t,
            paid_at: None,
            lines: Vec::new(),
            payment_refs: PaymentRefs::default(),
            metadata: Default::default(),
        }
    }

    fn pay(j: usize, cus: &str, amount: Decimal, day: i64) -> Payment {
        Payment {
            customer_id: Some(cus.into()),
            received_at: Utc.timestamp_opt(1_735_689_600 + day * 86_400, 0).single(),
            ..Payment::received(
                format!("pay_{j}"),
                SourceRef::new("stripe", "acct", "charge", &format!("ch_{j}")),
                Currency::USD,
                amount,
            )
        }
    }

    #[test]
    fn bulk_runs_the_same_cascade_and_policy() {
        let invoices = vec![
            inv(0, "c1", dec!(50), 1),
            inv(1, "c1", dec!(120), 5),
            inv(2, "c2", dec!(30), 1),
            inv(3, "c1", dec!(80), 9),
        ];
        let mut linked = pay(0, "c1", dec!(80), 2);
        linked.links.invoices = vec!["in_3".into()];
        let mut meta = pay(1, "c2", dec!(30), 3);
        meta.metadata.insert("invoice".into(), "N-2".into());
        let payments = vec![
            linked,
            meta,
            pay(2, "c1", dec!(120), 4),
            pay(3, "c1", dec!(70), 6),
            pay(4, "c2", dec!(5), 7),
        ];
        let out = reconcile(&payments, &invoices, &ReconcilePolicy::default()).unwrap();
        let got: Vec<(u32, u32, Decimal, MatchStrategy)> = out
            .matches
            .iter()
            .map(|m| (m.payment, m.invoice, m.amount, m.strategy))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 3, dec!(80), MatchStrategy::ExplicitLink),
                (1, 2, dec!(30), MatchStrategy::Metadata),
                (2, 1, dec!(120), MatchStrategy::ExactAmount),
                (3, 0, dec!(50), MatchStrategy::OldestFirst),
            ]
        );
        assert_eq!(out.exact_key_count(), 2);
        assert_eq!(out.payment_open[3], dec!(20), "overpayment stays as credit");
        assert_eq!(
            out.payment_open[4],
            dec!(5),
            "never moved to another customer's invoice"
        );
        let allocs = out.allocations(&payments, &invoices, &ReconcilePolicy::default());
        assert_eq!(allocs[0].reason.detail, "charge ch_0 names invoice in_3");
        assert!(
            allocs[3]
                .reason
                .detail
                .starts_with("policy oldest_first: 50 USD to invoice in_0"),
            "{}",
            allocs[3].reason.detail
        );
    }

    #[test]
    fn open_book_exact_newest_and_write_off() {
        let invoices = [
            inv(0, "c", dec!(50), 1),
            inv(1, "c", dec!(40), 2),
            inv(2, "c", dec!(100), 3),
        ];
        let mut book = OpenBook::new(
            invoices
                .iter()
                .enumerate()
                .map(|(i, v)| (i, v, v.total))
                .collect(),
        );
        let mut policy = ReconcilePolicy {
            order: crate::reconcile::AllocationOrder::NewestFirst,
            ..ReconcilePolicy::default()
        };
        let f = book.take(dec!(40), &policy).unwrap();
        assert_eq!(
            (f[0].invoice, f[0].strategy),
            (1, MatchStrategy::ExactAmount)
        );
        policy.write_off_abs = dec!(1);
        let f = book.take(dec!(99.5), &policy).unwrap();
        assert_eq!(
            (f[0].invoice, f[0].amount, f[0].write_off),
            (2, dec!(99.5), dec!(0.5))
        );
        policy.order = crate::reconcile::AllocationOrder::LeaveUnapplied;
        assert_eq!(
            book.take(dec!(10), &policy),
            Err(crate::reconcile::policy_match::PolicyMiss::LeaveUnapplied)
        );
        let f = book.take(dec!(50), &policy).unwrap();
        assert_eq!(f[0].strategy, MatchStrategy::ExactAmount);
        assert!(book.is_empty());
        assert_eq!(
            book.take(dec!(1), &policy),
            Err(crate::reconcile::policy_match::PolicyMiss::NothingOpen)
        );
    }

    #[test]
    fn business_days_skip_weekends() {
        use crate::reconcile::payouts::business_days_between;
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            business_days_between(d("2025-01-03"), d("2025-01-06")),
            1,
            "Fri -> Mon"
        );
        assert_eq!(business_days_between(d("2025-01-06"), d("2025-01-03")), 1);
        assert_eq!(business_days_between(d("2025-01-03"), d("2025-01-03")), 0);
        assert_eq!(business_days_between(d("2025-01-01"), d("2025-01-15")), 10);
    }

    #[test]
    fn amounts_parse_exactly() {
        use crate::reconcile::bank::parse_amount;
        assert_eq!(parse_amount("1.234,56", true).unwrap(), dec!(1234.56));
        assert_eq!(parse_amount("1,234.56", false).unwrap(), dec!(1234.56));
        assert_eq!(parse_amount("(12.00)", false).unwrap(), dec!(-12.00));
        assert_eq!(parse_amount("12,00-", true).unwrap(), dec!(-12.00));
        assert!(parse_amount("12a", false).is_err());
    }
}
