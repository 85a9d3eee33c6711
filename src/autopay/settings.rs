//! Per-customer auto-pay in the books: the saved card (from a completed
//! checkout that asked to save it, or set explicitly), opt-in and opt-out,
//! each change kept with when and how, and noted in the history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tieout_core::autopay::{AutoPay, AutoPaySource, SavedCard, saved_card, stream};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{ExternalKey, Id, ImportRun, ManualEntry};
use tieout_core::{ChangeSet, CoreError};

use crate::books::Books;
use crate::error::Result;

/// The `source` of the history entries auto-pay changes write.
pub const AUTOPAY_SOURCE: &str = "books:autopay";

fn audit(customer_id: &str, note: String, at: DateTime<Utc>) -> ImportRun {
    let key = format!(
        "autopay/{customer_id}/{}/{note}",
        at.timestamp_nanos_opt().unwrap_or(0)
    );
    ImportRun::manual(
        ManualEntry {
            key: &key,
            source: AUTOPAY_SOURCE,
            mode: "books",
            object: "customer",
            note,
        },
        at,
    )
}

/// Adds a changed auto-pay setting to `cs`: the setting (the customer's
/// auto-pay checkpoint) and its history entry. `cs` must not carry another
/// checkpoint or run.
pub(crate) fn auto_pay_change(cs: &mut ChangeSet, a: &AutoPay, note: String) {
    cs.checkpoint = Some((stream(&a.customer_id), a.to_text()));
    cs.run = Some(audit(&a.customer_id, note, a.updated_at));
}

/// What a saved card does to a customer's auto-pay setting.
pub(crate) enum CardSetting {
    /// The setting already has this card from this checkout.
    Unchanged(AutoPay),
    /// The new setting, and the history note saying why.
    Changed(AutoPay, String),
}

impl Books {
    /// The auto-pay setting of a books customer (`None`: never set).
    pub fn auto_pay(&self, customer_id: &str) -> Result<Option<AutoPay>> {
        let text = self.store()?.checkpoint(&stream(customer_id))?;
        Ok(text.as_deref().and_then(AutoPay::from_text))
    }

    /// Every customer's auto-pay setting that was ever set, by customer id.
    pub fn auto_pay_settings(&self) -> Result<BTreeMap<Id, AutoPay>> {
        let ids: Vec<Id> = self.customers()?.into_iter().map(|c| c.id).collect();
        let store = self.store()?;
        let mut out = BTreeMap::new();
        for id in ids {
            if let Some(a) = store
                .checkpoint(&stream(&id))?
                .as_deref()
                .and_then(AutoPay::from_text)
            {
                out.insert(id, a);
            }
        }
        Ok(out)
    }

    pub(crate) fn save_auto_pay(&self, a: &AutoPay, note: String) -> Result<()> {
        let mut cs = ChangeSet::default();
        auto_pay_change(&mut cs, a, note);
        self.store()?.commit(cs)?;
        Ok(())
    }

    fn customer_exists(&self, customer_id: &str) -> Result<()> {
        match self.get(EntityKind::Customer, customer_id)? {
            Some(Entity::Customer(_)) => Ok(()),
            _ => Err(CoreError::NotFound(format!("customer {customer_id}")).into()),
        }
    }

    /// Makes `payment_method` (a card saved on the customer's Stripe customer
    /// in `account`) the customer's default for auto-pay and opts the
    /// customer in, explicitly, at `now`.
    pub fn set_default_payment_method(
        &self,
        customer_id: &str,
        account: &str,
        payment_method: &str,
        now: DateTime<Utc>,
    ) -> Result<AutoPay> {
        self.customer_exists(customer_id)?;
        let cus = self
            .stripe_customer_link(customer_id, account)?
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "customer {customer_id} has no Stripe customer in {account}: push it first (push_customers)"
                ))
            })?;
        let mut a = self
            .auto_pay(customer_id)?
            .unwrap_or_else(|| AutoPay::none(customer_id, now));
        a.save_card(account, &cus, payment_method, AutoPaySource::Explicit, now);
        self.save_auto_pay(
            &a,
            format!("auto-pay on for {customer_id}: {payment_method} set as default (explicit)"),
        )?;
        Ok(a)
    }

    /// Opts a customer with a saved card in again (explicitly, at `now`).
    pub fn enable_auto_pay(&self, customer_id: &str, now: DateTime<Utc>) -> Result<AutoPay> {
        let mut a = self
            .auto_pay(customer_id)?
            .filter(|a| a.payment_method.is_some())
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "customer {customer_id} has no saved payment method: set_default_payment_method first"
                ))
            })?;
        a.enable(AutoPaySource::Explicit, now);
        self.save_auto_pay(&a, format!("auto-pay on for {customer_id} (explicit)"))?;
        Ok(a)
    }

    /// Opts a customer out (the saved card is kept), with `reason`.
    pub fn disable_auto_pay(
        &self,
        customer_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<AutoPay> {
        self.customer_exists(customer_id)?;
        let mut a = self
            .auto_pay(customer_id)?
            .unwrap_or_else(|| AutoPay::none(customer_id, now));
        a.disable(AutoPaySource::Explicit, reason, now);
        self.save_auto_pay(&a, format!("auto-pay off for {customer_id}: {reason}"))?;
        Ok(a)
    }

    /// Records the card a completed Checkout Session saved
    /// (`checkout.session` JSON; its PaymentIntent expanded in it or given as
    /// `payment_intent`) as the customer's default and opts the customer in,
    /// via that checkout. The customer is the one of the books invoice the
    /// session names, else the one linked to its Stripe customer in
    /// `account`. `None` when the session did not save a card; the same
    /// session again changes nothing.
    pub fn save_card_from_checkout(
        &self,
        session: &Value,
        payment_intent: Option<&Value>,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AutoPay>> {
        let Some(card) = saved_card(session, payment_intent) else {
            return Ok(None);
        };
        Ok(Some(match self.card_setting(&card, account, now)? {
            CardSetting::Unchanged(a) => a,
            CardSetting::Changed(a, note) => {
                self.save_auto_pay(&a, note)?;
                a
            }
        }))
    }

    /// The books customer a saved card belongs to: the customer of the books
    /// invoice the checkout names, else the one linked to its Stripe
    /// customer in `account`.
    fn card_customer(&self, card: &SavedCard, account: &str) -> Result<Id> {
        let by_invoice = match &card.invoice {
            Some(id) => match self.get(EntityKind::Invoice, id)? {
                Some(Entity::Invoice(i)) => i.customer_id,
                _ => None,
            },
            None => None,
        };
        if let Some(c) = by_invoice {
            return Ok(c);
        }
        let key = ExternalKey::new("stripe", account, "customer", &card.stripe_customer);
        let found = self.store()?.resolve(std::slice::from_ref(&key))?;
        Ok(found
            .get(&key)
            .and_then(|ids| ids.first().cloned())
            .ok_or_else(|| {
                CoreError::NotFound(format!(
                    "no books customer for Stripe customer {} of checkout {}",
                    card.stripe_customer, card.session
                ))
            })?)
    }

    /// The customer's auto-pay setting once `card` (saved by a completed
    /// checkout) is its default, opted in via that checkout at `now`; nothing
    /// is written. [`Books::save_card_from_checkout`] and a
    /// `checkout.session.completed` event both go through here.
    pub(crate) fn card_setting(
        &self,
        card: &SavedCard,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<CardSetting> {
        let customer_id = self.card_customer(card, account)?;
        let mut a = self
            .auto_pay(&customer_id)?
            .unwrap_or_else(|| AutoPay::none(&customer_id, now));
        let via = AutoPaySource::Checkout {
            session: card.session.clone(),
        };
        if a.payment_method.as_deref() == Some(card.payment_method.as_str())
            && a.enabled_via.as_ref() == Some(&via)
        {
            return Ok(CardSetting::Unchanged(a));
        }
        a.save_card(
            account,
            &card.stripe_customer,
            &card.payment_method,
            via,
            now,
        );
        let note = format!(
            "auto-pay on for {customer_id}: {} saved by checkout {}",
            card.payment_method, card.session
        );
        Ok(CardSetting::Changed(a, note))
    }
}
