//! `Books::payment_link`: one Stripe Checkout Session per invoice, made
//! through the write executor (recorded before the call, resolved by its
//! `metadata[tieout_key]` when the answer was lost) and kept on the invoice.

use chrono::{DateTime, Utc};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::Invoice;
use tieout_core::stripe_writes::{
    ActiveSession, CheckoutSettings, LinkPlan, active_session, plan_payment_link, record_session,
};
use tieout_core::writes::{WriteApproval, WriteIntent, WritePlan, WriteStatus};
use tieout_core::{ChangeSet, CoreError};
use tieout_stripe::StripeWriter;

use crate::books::Books;
use crate::error::Result;
use crate::stripe_push::StripeTarget;
use crate::writes::{Channels, Prepared, STRIPE_TARGET, StripeChannel, WriteOptions};

/// The link `payment_link` returns.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentLink {
    /// The session's page, where the customer pays.
    pub url: String,
    /// The session (`cs_...`).
    pub session_id: String,
    /// The open amount it charges.
    pub amount: rust_decimal::Decimal,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// False when the active session was returned again.
    pub created: bool,
}

impl From<(ActiveSession, bool)> for PaymentLink {
    fn from((a, created): (ActiveSession, bool)) -> Self {
        PaymentLink {
            url: a.url,
            session_id: a.id,
            amount: a.amount,
            expires_at: a.expires_at,
            created,
        }
    }
}

impl Books {
    fn invoice_and_customer(&self, invoice_id: &str, account: &str) -> Result<(Invoice, String)> {
        let inv = match self.get(EntityKind::Invoice, invoice_id)? {
            Some(Entity::Invoice(i)) => i,
            _ => return Err(CoreError::NotFound(format!("invoice {invoice_id}")).into()),
        };
        let cid = inv
            .customer_id
            .clone()
            .ok_or_else(|| CoreError::Invalid(format!("invoice {invoice_id} has no customer")))?;
        let cus = self.stripe_customer_link(&cid, account)?.ok_or_else(|| {
            CoreError::Invalid(format!(
                "customer {cid} has no Stripe customer in {account}: push it first (push_customers)"
            ))
        })?;
        Ok((inv, cus))
    }

    /// The writes `payment_link` would make for this invoice (none when the
    /// active session is reused), as a plan to review; nothing is written.
    pub fn review_payment_link(
        &self,
        invoice_id: &str,
        target: &StripeTarget,
        settings: &CheckoutSettings,
        now: DateTime<Utc>,
    ) -> Result<WritePlan> {
        let (inv, cus) = self.invoice_and_customer(invoice_id, &target.account)?;
        let intents = match plan_payment_link(&inv, &cus, &target.account, settings, now)? {
            LinkPlan::Reuse(_) => Vec::new(),
            LinkPlan::Create(i) => i,
        };
        Ok(WritePlan {
            account: target.account.clone(),
            livemode: target.livemode,
            intents,
        })
    }

    /// The invoice's payment link: the active Checkout Session while it is
    /// unexpired and charges the open amount, else a new one (the old one
    /// expired through the API first). Live keys need the approval of
    /// [`Books::review_payment_link`].
    pub fn payment_link(
        &self,
        invoice_id: &str,
        writer: &StripeWriter,
        settings: &CheckoutSettings,
        approval: Option<&WriteApproval>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<PaymentLink> {
        let target = StripeTarget::of(writer)?;
        let (inv, cus) = self.invoice_and_customer(invoice_id, &target.account)?;
        let intents = match plan_payment_link(&inv, &cus, &target.account, settings, now)? {
            LinkPlan::Reuse(a) => return Ok((a, false).into()),
            LinkPlan::Create(i) => i,
        };
        let plan = WritePlan {
            account: target.account.clone(),
            livemode: target.livemode,
            intents,
        };
        if plan.livemode && !approval.is_some_and(|a| a.covers(&plan)) {
            return Err(CoreError::ApprovalRequired(
                "live Stripe key: run review_payment_link and pass its approval".into(),
            )
            .into());
        }
        let channels = Channels::new().with(STRIPE_TARGET, StripeChannel::new(writer.clone()));
        let open = inv.amount_remaining;
        // Re-read right before each call: a paid invoice gets no new link.
        let prepare = |intent: &WriteIntent| -> Result<Prepared> {
            Ok(match self.get(EntityKind::Invoice, invoice_id)? {
                Some(Entity::Invoice(i)) if i.amount_remaining == open => {
                    Prepared::Send(intent.clone())
                }
                _ => Prepared::Cancel(format!("invoice {invoice_id} changed before the call")),
            })
        };
        self.perform_writes(&plan.intents, &channels, &prepare, now, options)?;
        let create = plan.intents.last().expect("a create is planned");
        let rec = self
            .write_record(create)?
            .ok_or_else(|| CoreError::Store("the checkout write was not recorded".into()))?;
        if rec.status != WriteStatus::Succeeded {
            let why = rec
                .attempts
                .last()
                .and_then(|a| a.error.clone())
                .unwrap_or_else(|| rec.status.as_str().to_string());
            return Err(CoreError::Invalid(format!(
                "payment link for invoice {invoice_id} not made ({}): {why}",
                rec.status.as_str()
            ))
            .into());
        }
        let session = rec.outcome.clone().unwrap_or_default();
        let generation = active_session(&inv).map_or(1, |a| a.generation + 1);
        let mut fresh = match self.get(EntityKind::Invoice, invoice_id)? {
            Some(Entity::Invoice(i)) => i,
            _ => inv,
        };
        let active = record_session(&mut fresh, &session, open, generation)?;
        let mut cs = ChangeSet::default();
        cs.upserts.push(Entity::Invoice(fresh));
        self.store()?.commit(cs)?;
        Ok((active, true).into())
    }
}
