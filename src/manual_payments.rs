//! Payments the books receive outside Stripe (a bank transfer, a cheque),
//! recorded by hand and keyed by the caller's reference, so recording the
//! same one again changes nothing.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{Id, Payment, SourceRef, derive_id};
use tieout_core::{ChangeSet, CoreError, Currency};

use crate::books::Books;
use crate::error::Result;

/// The `source.system` of payments recorded by hand.
pub const MANUAL_SYSTEM: &str = "books";
/// Their `source.account`.
pub const MANUAL_ACCOUNT: &str = "manual";

/// A payment received outside Stripe.
#[derive(Clone, Debug, PartialEq)]
pub struct ManualPayment {
    /// The caller's reference for it (the bank transaction id): its key.
    pub reference: String,
    /// Books id of the paying customer.
    pub customer_id: Option<Id>,
    /// Amount received, major units.
    pub amount: Decimal,
    /// Currency.
    pub currency: Currency,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// How (`bank_transfer`, `check`, ...).
    pub method: Option<String>,
    /// A note.
    pub description: Option<String>,
}

impl Books {
    /// Records a payment received outside Stripe; the same `reference` again
    /// returns the payment already recorded. Allocate it with
    /// [`Books::allocate`] (or let `reconcile` match it).
    pub fn record_payment(&self, p: &ManualPayment) -> Result<Payment> {
        if p.reference.trim().is_empty() {
            return Err(CoreError::Invalid("a manual payment needs a reference".into()).into());
        }
        if p.amount <= Decimal::ZERO {
            return Err(CoreError::Invalid(format!(
                "payment {} has amount {}: it must be positive",
                p.reference, p.amount
            ))
            .into());
        }
        let source = SourceRef {
            status: Some("succeeded".into()),
            created_at: Some(p.received_at),
            updated_at: Some(p.received_at),
            ..SourceRef::new(MANUAL_SYSTEM, MANUAL_ACCOUNT, "payment", &p.reference)
        };
        let id = derive_id(
            EntityKind::Payment.id_prefix(),
            &format!("{MANUAL_SYSTEM}/{MANUAL_ACCOUNT}/{}", p.reference),
        );
        if let Some(Entity::Payment(existing)) = self.get(EntityKind::Payment, &id)? {
            return Ok(existing);
        }
        if let Some(c) = &p.customer_id {
            if !matches!(
                self.get(EntityKind::Customer, c)?,
                Some(Entity::Customer(_))
            ) {
                return Err(CoreError::NotFound(format!("customer {c}")).into());
            }
        }
        let payment = Payment {
            customer_id: p.customer_id.clone(),
            // Money received outside Stripe settles as it is, with no fee.
            settlement_amount: Some(p.amount),
            settlement_currency: Some(p.currency),
            net: Some(p.amount),
            method: p.method.clone(),
            received_at: Some(p.received_at),
            description: p.description.clone(),
            ..Payment::received(id.clone(), source, p.currency, p.amount)
        };
        let mut cs = ChangeSet::default();
        cs.aliases_add.push((payment.source.key(), id));
        cs.upserts.push(Entity::Payment(payment.clone()));
        self.store()?.commit(cs)?;
        Ok(payment)
    }
}
