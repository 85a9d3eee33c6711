//! Records as a source delivers them, before the books resolve references.
//!
//! A `Record` holds a model struct whose books ids (`id`, `customer_id`, ...) are
//! still empty and whose references are source ids (`customer_ref`, `refs`, ...).
//! The import planner resolves them.

use serde::{Deserialize, Serialize};

use crate::model::*;

/// One object read from a source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Record {
    /// A customer.
    Customer(Customer),
    /// A product.
    Product(Product),
    /// A price or legacy plan.
    Price(Price),
    /// An invoice with its lines.
    Invoice(Invoice),
    /// A subscription with its items.
    Subscription(Subscription),
    /// A charge, payment intent, invoice payment or paid checkout session.
    Payment(Payment),
    /// A refund.
    Refund(Refund),
    /// A dispute.
    Dispute(Dispute),
    /// A balance transaction.
    BalanceTransaction(BalanceTransaction),
    /// A payout.
    Payout(Payout),
    /// A credit note against an invoice.
    CreditNote(CreditNote),
}

impl Record {
    /// Source details of the record.
    pub fn source(&self) -> Option<&SourceRef> {
        match self {
            Record::Customer(r) => r.source.as_ref(),
            Record::Product(r) => Some(&r.source),
            Record::Price(r) => Some(&r.source),
            Record::Invoice(r) => Some(&r.source),
            Record::Subscription(r) => Some(&r.source),
            Record::Payment(r) => Some(&r.source),
            Record::Refund(r) => Some(&r.source),
            Record::Dispute(r) => Some(&r.source),
            Record::BalanceTransaction(r) => Some(&r.source),
            Record::Payout(r) => Some(&r.source),
            Record::CreditNote(r) => Some(&r.source),
        }
    }

    /// The scope this record belongs to (for the plan's object filter).
    pub fn scope(&self) -> ObjectScope {
        match self {
            Record::Customer(_) => ObjectScope::Customers,
            Record::Product(_) | Record::Price(_) => ObjectScope::Products,
            Record::Invoice(_) => ObjectScope::Invoices,
            Record::Subscription(_) => ObjectScope::Subscriptions,
            Record::Payment(_) => ObjectScope::Payments,
            Record::Refund(_) => ObjectScope::Refunds,
            Record::Dispute(_) => ObjectScope::Disputes,
            Record::BalanceTransaction(_) => ObjectScope::BalanceTransactions,
            Record::Payout(_) => ObjectScope::Payouts,
            Record::CreditNote(_) => ObjectScope::CreditNotes,
        }
    }

    /// Source object type, e.g. `"invoice"`.
    pub fn object(&self) -> &str {
        self.source()
            .map(|s| s.object.as_str())
            .unwrap_or("customer")
    }

    /// Source id.
    pub fn external_id(&self) -> &str {
        self.source().map(|s| s.external_id.as_str()).unwrap_or("")
    }
}

/// The kinds of source objects a plan can import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectScope {
    /// Customers.
    Customers,
    /// Products, prices and plans.
    Products,
    /// Invoices with lines.
    Invoices,
    /// Subscriptions with items.
    Subscriptions,
    /// Charges, payment intents, invoice payments, checkout sessions.
    Payments,
    /// Refunds.
    Refunds,
    /// Disputes.
    Disputes,
    /// Balance transactions.
    BalanceTransactions,
    /// Payouts.
    Payouts,
    /// Credit notes.
    CreditNotes,
}

impl ObjectScope {
    /// Every scope, in the order an import reads them: what invoices and
    /// payments refer to first (customers, products, subscriptions), then
    /// **payments before invoices**, then what refers to payments (refunds,
    /// credit notes, disputes, balance transactions, payouts).
    ///
    /// The books end the same in any order (the import is order
    /// independent), not at the same cost: an invoice paid in Stripe that
    /// arrives before any payment claims it is settled by the payment its
    /// status implies (an `invoice_paid` payment and its allocation), which
    /// its real payment replaces when it arrives. Read invoices first, that
    /// was a payment, its aliases and its allocation made and removed again
    /// per paid invoice; read payments first, a paid invoice finds its
    /// payment when it arrives and is allocated once. An offline export
    /// goes further (`StripeFiles`): its payments and invoices files are
    /// interleaved by time, each invoices file after the payments of its
    /// invoices, so a payment and its invoice are planned pages apart
    /// rather than an export apart.
    pub const ALL: [ObjectScope; 10] = [
        ObjectScope::Customers,
        ObjectScope::Products,
        ObjectScope::Subscriptions,
        ObjectScope::Payments,
        ObjectScope::Invoices,
        ObjectScope::Refunds,
        ObjectScope::CreditNotes,
        ObjectScope::Disputes,
        ObjectScope::BalanceTransactions,
        ObjectScope::Payouts,
    ];

    /// The scope's place in [`ObjectScope::ALL`], the order imports read
    /// scopes in.
    pub fn import_rank(self) -> usize {
        ObjectScope::ALL
            .iter()
            .position(|s| *s == self)
            .expect("ALL holds every scope")
    }

    /// snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Products => "products",
            Self::Invoices => "invoices",
            Self::Subscriptions => "subscriptions",
            Self::Payments => "payments",
            Self::Refunds => "refunds",
            Self::Disputes => "disputes",
            Self::BalanceTransactions => "balance_transactions",
            Self::Payouts => "payouts",
            Self::CreditNotes => "credit_notes",
        }
    }

    /// Parses the snake_case name (singular forms accepted too).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim_end_matches('s') {
            "customer" => Self::Customers,
            "product" | "price" | "plan" => Self::Products,
            "invoice" => Self::Invoices,
            "subscription" => Self::Subscriptions,
            "payment" | "charge" | "payment_intent" | "invoice_payment" => Self::Payments,
            "refund" => Self::Refunds,
            "dispute" => Self::Disputes,
            "balance_transaction" => Self::BalanceTransactions,
            "payout" => Self::Payouts,
            "credit_note" => Self::CreditNotes,
            _ => return None,
        })
    }
}

/// A record, or why the source could not turn an input into one.
///
/// Records are the common case and are moved, not copied, through the
/// pipeline; boxing them would add an allocation per record for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SourceItem {
    /// A mapped record.
    Record(Record),
    /// Input that could not be mapped; recorded as a failure, the import goes on.
    Failed(Failure),
}

#[cfg(test)]
mod tests {
    use super::ObjectScope;

    #[test]
    fn every_scope_has_one_rank_and_payments_come_before_invoices() {
        let mut ranks: Vec<usize> = ObjectScope::ALL.iter().map(|k| k.import_rank()).collect();
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(ranks, (0..ObjectScope::ALL.len()).collect::<Vec<_>>());
        let rank = ObjectScope::import_rank;
        assert!(rank(ObjectScope::Customers) < rank(ObjectScope::Payments));
        assert!(rank(ObjectScope::Subscriptions) < rank(ObjectScope::Invoices));
        assert!(rank(ObjectScope::Payments) < rank(ObjectScope::Invoices));
        assert!(rank(ObjectScope::Invoices) < rank(ObjectScope::Refunds));
        assert!(rank(ObjectScope::Refunds) < rank(ObjectScope::Payouts));
    }
}
