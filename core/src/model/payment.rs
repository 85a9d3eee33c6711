//! Payments: one real movement of money, however many source objects name it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Id, OriginalCustomer, SourceRef};
use crate::money::Currency;

/// The source ids that name one payment. All of them resolve to the same record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefs {
    /// Charge id (`ch_...` / `py_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    /// Payment intent id (`pi_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    /// Invoice payment ids (`inpay_...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invoice_payments: Vec<String>,
    /// Balance transaction id (`txn_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_transaction: Option<String>,
    /// Checkout session id (`cs_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_session: Option<String>,
    /// Invoice id, for a payment only known from a paid invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_invoice: Option<String>,
}

impl PaymentRefs {
    /// Every `(alias object, id)` pair, in a fixed order. The balance transaction
    /// is named `payment_txn` so it never collides with the balance transaction
    /// record's own key.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut v = Vec::new();
        if let Some(c) = &self.charge {
            v.push(("charge", c.as_str()));
        }
        if let Some(p) = &self.payment_intent {
            v.push(("payment_intent", p.as_str()));
        }
        for p in &self.invoice_payments {
            v.push(("invoice_payment", p.as_str()));
        }
        if let Some(b) = &self.balance_transaction {
            v.push(("payment_txn", b.as_str()));
        }
        if let Some(c) = &self.checkout_session {
            v.push(("checkout.session", c.as_str()));
        }
        if let Some(i) = &self.paid_invoice {
            v.push(("invoice_paid", i.as_str()));
        }
        v
    }

    /// Adds what `other` knows and `self` does not.
    pub fn merge(&mut self, other: &PaymentRefs) {
        fn fill(a: &mut Option<String>, b: &Option<String>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.charge, &other.charge);
        fill(&mut self.payment_intent, &other.payment_intent);
        fill(&mut self.balance_transaction, &other.balance_transaction);
        fill(&mut self.checkout_session, &other.checkout_session);
        fill(&mut self.paid_invoice, &other.paid_invoice);
        for p in &other.invoice_payments {
            if !self.invoice_payments.contains(p) {
                self.invoice_payments.push(p.clone());
            }
        }
        self.invoice_payments.sort();
    }

    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }
}

/// What a payment says it pays: the signals the matching cascade reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLinks {
    /// Invoices named explicitly (invoice payment, `invoice` on charge / payment intent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invoices: Vec<String>,
    /// Invoice named by a checkout session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_invoice: Option<String>,
    /// Checkout session `client_reference_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_reference_id: Option<String>,
    /// Amount each explicitly linked invoice receives, when the source says
    /// (an invoice payment's `amount_paid`), keyed by invoice source id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub invoice_amounts: BTreeMap<String, Decimal>,
}

impl PaymentLinks {
    /// Adds what `other` knows and `self` does not.
    pub fn merge(&mut self, other: &PaymentLinks) {
        for i in &other.invoices {
            if !self.invoices.contains(i) {
                self.invoices.push(i.clone());
            }
        }
        self.invoices.sort();
        if self.checkout_invoice.is_none() {
            self.checkout_invoice.clone_from(&other.checkout_invoice);
        }
        if self.client_reference_id.is_none() {
            self.client_reference_id
                .clone_from(&other.client_reference_id);
        }
        for (k, v) in &other.invoice_amounts {
            self.invoice_amounts.entry(k.clone()).or_insert(*v);
        }
    }
}

/// Payment status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Money received.
    Succeeded,
    /// In flight.
    Pending,
    /// Failed.
    Failed,
    /// Cancelled before capture.
    Canceled,
    /// A value this version does not know.
    Other(String),
}

impl PaymentStatus {
    /// The snake_case name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Pending => "pending",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Other(s) => s,
        }
    }
}

/// One part of a fee (Stripe's `fee_details[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeDetail {
    /// Amount in major units.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Kind: `stripe_fee`, `application_fee`, `tax`, ...
    pub kind: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A payment received.
///
/// Invariant kept by the reconcile engine:
/// `amount = allocated + unapplied + refunded + disputed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    /// The books' own id.
    pub id: Id,
    /// Source details of the most authoritative object seen (charge > payment intent > ...).
    pub source: SourceRef,
    /// Books id of the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Id>,
    /// The customer as the source named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<OriginalCustomer>,
    /// Every source id naming this payment.
    pub refs: PaymentRefs,
    /// What the payment says it pays.
    pub links: PaymentLinks,
    /// Status.
    pub status: PaymentStatus,
    /// Presentment amount (what the customer paid), major units.
    pub amount: Decimal,
    /// Presentment currency.
    pub currency: Currency,
    /// Amount settled into the account, in `settlement_currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_amount: Option<Decimal>,
    /// Settlement currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_currency: Option<Currency>,
    /// Presentment to settlement rate (`amount * fx_rate ~= settlement_amount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx_rate: Option<Decimal>,
    /// Processing fee, in the settlement currency.
    pub fee: Decimal,
    /// Fee breakdown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_details: Vec<FeeDetail>,
    /// Settlement amount less fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<Decimal>,
    /// Payment method type (`card`, `us_bank_account`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// When the money was received.
    #[serde(with = "super::time::opt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// Refunded so far, presentment currency: the larger of the source's own total
    /// (`refunded_reported`) and the sum of the effective refund records.
    pub refunded: Decimal,
    /// Total refunded as the charge itself states it (Stripe's `amount_refunded`),
    /// presentment currency. Authoritative for the total even when the refund objects
    /// are not in the books; refund records add detail without adding to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_reported: Option<Decimal>,
    /// Withdrawn by open or lost disputes, presentment currency.
    pub disputed: Decimal,
    /// Allocated to invoices.
    pub allocated: Decimal,
    /// Not allocated: customer credit awaiting a match.
    pub unapplied: Decimal,
    /// Why the matcher left it unapplied, one reason per strategy tried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unapplied_reasons: Vec<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Source metadata (read by the metadata matching strategy).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl Payment {
    /// A succeeded payment `id` of `amount` in `currency` from `source`:
    /// nothing allocated (all of it unapplied), refunded or disputed, no fee,
    /// no settlement, references, links, customer, date or metadata. Set the
    /// rest with struct update syntax (`Payment { received_at, ..Payment::received(..) }`).
    pub fn received(id: Id, source: SourceRef, currency: Currency, amount: Decimal) -> Payment {
        Payment {
            id,
            source,
            customer_id: None,
            customer_ref: None,
            refs: PaymentRefs::default(),
            links: PaymentLinks::default(),
            status: PaymentStatus::Succeeded,
            amount,
            currency,
            settlement_amount: None,
            settlement_currency: None,
            fx_rate: None,
            fee: Decimal::ZERO,
            fee_details: Vec::new(),
            net: None,
            method: None,
            received_at: None,
            refunded: Decimal::ZERO,
            refunded_reported: None,
            disputed: Decimal::ZERO,
            allocated: Decimal::ZERO,
            unapplied: amount,
            unapplied_reasons: Vec::new(),
            description: None,
            metadata: BTreeMap::new(),
        }
    }

    /// What can still be allocated: `amount - refunded - disputed`.
    pub fn available(&self) -> Decimal {
        self.amount - self.refunded - self.disputed
    }

    /// Every source id naming this payment (charge, payment intent, invoice
    /// payments, balance transaction, checkout session, paid invoice), its own first.
    pub fn external_ids(&self) -> Vec<String> {
        let mut out = vec![self.source.external_id.clone()];
        for (_, id) in self.refs.pairs() {
            if !out.iter().any(|x| x == id) {
                out.push(id.to_string());
            }
        }
        out
    }

    /// Whether money was actually received.
    pub fn is_settled(&self) -> bool {
        self.status == PaymentStatus::Succeeded
    }
}
