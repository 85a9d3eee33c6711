//! What a balance transaction belongs to, for the cash layer: the payment
//! (customer, presentment currency and original rate), the refund or dispute
//! it moves money for, and whether a credit note already reversed the revenue
//! of that refund.
//!
//! Refunds and disputes of a charge presented in another currency reverse at
//! the charge's original rate: the receivable side is booked in the
//! presentment currency, at the refund's or dispute's own presentment amount
//! when the books hold it, otherwise at the settlement amount converted back
//! at the rate of the original charge. Whatever Stripe converted at a
//! different rate lands on FX gain/loss, never on revenue or AR.

use std::collections::{HashMap, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{BalanceTransaction, CreditNote, Dispute, Payment, Refund};
use crate::money::Currency;

use super::cash::{Counter, category, classify};

/// The payment, refund or dispute behind one balance transaction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Origin<'a> {
    /// The payment the money belongs to.
    pub payment: Option<&'a Payment>,
    /// The refund's or dispute's own amount in its currency (unsigned).
    pub presentment: Option<(Decimal, Currency)>,
    /// A refund made through a credit note: its revenue was reversed by the
    /// credit note, so the refund settles AR instead of hitting refunds.
    pub credited_refund: bool,
}

impl Origin<'_> {
    /// The transaction's amount in the payment's (presentment) currency,
    /// signed like `b.amount`, when that currency differs from the
    /// transaction's: the refund's or dispute's own amount when known, else
    /// `b.amount` at the original charge's rate. `None` in one currency.
    pub fn presented(&self, b: &BalanceTransaction) -> Option<(Decimal, Currency)> {
        let pay = self.payment?;
        if pay.currency == b.currency || pay.amount.is_zero() {
            return None;
        }
        let signed = |a: Decimal| {
            if b.amount.is_sign_negative() {
                -a.abs()
            } else {
                a.abs()
            }
        };
        if let Some((amount, c)) = self.presentment.filter(|(_, c)| *c == pay.currency) {
            return Some((signed(amount), c));
        }
        let settled = pay
            .settlement_amount
            .filter(|s| !s.is_zero() && pay.settlement_currency == Some(b.currency));
        let amount = match (settled, pay.fx_rate) {
            (Some(s), _) => b.amount * pay.amount / s,
            (None, Some(r)) if !r.is_zero() => b.amount / r,
            _ => return None,
        };
        let rounded = amount.round_dp_with_strategy(
            pay.currency.exponent(),
            RoundingStrategy::MidpointNearestEven,
        );
        Some((rounded, pay.currency))
    }
}

/// Finds the origin of balance transactions by id, once per journal.
pub struct Origins<'a> {
    by_id: HashMap<&'a str, &'a Payment>,
    by_ref: HashMap<&'a str, &'a Payment>,
    refunds: HashMap<&'a str, &'a Refund>,
    disputes: HashMap<&'a str, &'a Dispute>,
    credited_refunds: HashSet<&'a str>,
}

impl<'a> Origins<'a> {
    /// Indexes payments, refunds, disputes and the refunds effective credit
    /// notes made.
    pub fn new(
        payments: &'a [Payment],
        refunds: &'a [Refund],
        disputes: &'a [Dispute],
        credit_notes: &'a [CreditNote],
    ) -> Origins<'a> {
        let mut by_id = HashMap::new();
        let mut by_ref = HashMap::new();
        for p in payments {
            by_id.insert(p.id.as_str(), p);
            by_ref.insert(p.source.external_id.as_str(), p);
            for (_, r) in p.refs.pairs() {
                by_ref.insert(r, p);
            }
        }
        Origins {
            by_id,
            by_ref,
            refunds: refunds
                .iter()
                .map(|r| (r.source.external_id.as_str(), r))
                .collect(),
            disputes: disputes
                .iter()
                .map(|d| (d.source.external_id.as_str(), d))
                .collect(),
            credited_refunds: credit_notes
                .iter()
                .filter(|c| c.is_effective())
                .flat_map(|c| c.refund_refs.iter().map(String::as_str))
                .collect(),
        }
    }

    fn payment_of(
        &self,
        id: Option<&str>,
        refs: &'a crate::model::PaymentRefs,
    ) -> Option<&'a Payment> {
        id.and_then(|i| self.by_id.get(i))
            .or_else(|| refs.pairs().iter().find_map(|(_, r)| self.by_ref.get(r)))
            .copied()
    }

    /// The origin of `b`.
    pub fn of(&self, b: &BalanceTransaction) -> Origin<'a> {
        let source = b.source_object.as_deref();
        match classify(category(b)) {
            Counter::Receivable => Origin {
                payment: b
                    .payment_id
                    .as_deref()
                    .and_then(|i| self.by_id.get(i))
                    .or_else(|| source.and_then(|s| self.by_ref.get(s)))
                    .or_else(|| self.by_ref.get(b.source.external_id.as_str()))
                    .copied(),
                ..Origin::default()
            },
            Counter::Refunds => {
                let refund = source.and_then(|s| self.refunds.get(s)).copied();
                Origin {
                    payment: refund
                        .and_then(|r| self.payment_of(r.payment_id.as_deref(), &r.payment_refs)),
                    presentment: refund.map(|r| (r.amount, r.currency)),
                    credited_refund: source.is_some_and(|s| self.credited_refunds.contains(s)),
                }
            }
            Counter::Disputes => {
                let dispute = source.and_then(|s| self.disputes.get(s)).copied();
                Origin {
                    payment: dispute
                        .and_then(|d| self.payment_of(d.payment_id.as_deref(), &d.payment_refs)),
                    presentment: dispute.map(|d| (d.amount, d.currency)),
                    credited_refund: false,
                }
            }
            _ => Origin::default(),
        }
    }
}
