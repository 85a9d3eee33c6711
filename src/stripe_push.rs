//! Books customers pushed to Stripe: reviewed as a write plan, approved for
//! live keys, each create or update made once through the Stripe channel,
//! then the two-way link kept (customer metadata in the books, and an alias
//! of the Stripe customer's key so imports land on the same customer;
//! `metadata[tieout_customer]` on the Stripe side).

use chrono::{DateTime, Utc};
use serde_json::Value;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{ExternalKey, Id};
use tieout_core::stripe_writes::{
    LINK_ACCOUNT, LINK_CUSTOMER, PUSHED_FIELDS, customer_fields, plan_customer_pushes,
    stripe_customer_of,
};
use tieout_core::writes::{WriteApproval, WriteIntent, WritePlan, WriteStatus};
use tieout_core::{ChangeSet, CoreError};
use tieout_stripe::StripeWriter;

use crate::books::Books;
use crate::error::Result;
use crate::writes::{Channels, Prepared, STRIPE_TARGET, StripeChannel, WriteOptions, WriteReport};

/// Where Stripe writes go: the account a writer's key acts for, and its mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeTarget {
    /// `acct_...` (`acct_unknown` where the server has no `/v1/account`).
    pub account: String,
    /// Live key: every plan needs its approval.
    pub livemode: bool,
}

impl StripeTarget {
    /// The target of `writer` (one `GET /v1/account`).
    pub fn of(writer: &StripeWriter) -> Result<StripeTarget> {
        Ok(StripeTarget {
            account: writer.account()?,
            livemode: writer.livemode(),
        })
    }
}

impl Books {
    fn push_candidates(&self, only: Option<&[Id]>) -> Result<Vec<tieout_core::model::Customer>> {
        let all = self.customers()?;
        Ok(match only {
            Some(ids) => all.into_iter().filter(|c| ids.contains(&c.id)).collect(),
            None => all,
        })
    }

    /// The customer pushes a run would make (creates of unlinked customers,
    /// updates of linked ones whose fields changed), as a write plan for
    /// `target`; nothing is written. `only` limits it to these customers.
    pub fn review_customer_pushes(
        &self,
        target: &StripeTarget,
        only: Option<&[Id]>,
        now: DateTime<Utc>,
    ) -> Result<WritePlan> {
        let customers = self.push_candidates(only)?;
        Ok(WritePlan {
            account: target.account.clone(),
            livemode: target.livemode,
            intents: plan_customer_pushes(&customers, &target.account, now),
        })
    }

    /// Pushes customers to Stripe through `writer`: reviews again (the same
    /// code path), refuses a live key without the review's approval, makes
    /// each write once (resolving writes a crash left in flight by their
    /// `metadata[tieout_key]`), then links every pushed customer.
    pub fn push_customers(
        &self,
        writer: &StripeWriter,
        only: Option<&[Id]>,
        approval: Option<&WriteApproval>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        let target = StripeTarget::of(writer)?;
        let plan = self.review_customer_pushes(&target, only, now)?;
        if plan.livemode && !approval.is_some_and(|a| a.covers(&plan)) {
            return Err(CoreError::ApprovalRequired(
                "live Stripe key: run review_customer_pushes and pass its approval".into(),
            )
            .into());
        }
        let channels = Channels::new().with(STRIPE_TARGET, StripeChannel::new(writer.clone()));
        let prepare = |intent: &WriteIntent| -> Result<Prepared> {
            let Some(id) = &intent.subject else {
                return Ok(Prepared::Send(intent.clone()));
            };
            Ok(match self.get(EntityKind::Customer, id)? {
                Some(Entity::Customer(c)) if !c.deleted => Prepared::Send(intent.clone()),
                _ => Prepared::Cancel(format!("customer {id} is gone or deleted")),
            })
        };
        let report = self.perform_writes(&plan.intents, &channels, &prepare, now, options)?;
        self.link_pushed(&plan, &target)?;
        Ok(report)
    }

    /// Records the link of every succeeded push of `plan`.
    fn link_pushed(&self, plan: &WritePlan, target: &StripeTarget) -> Result<()> {
        let mut cs = ChangeSet::default();
        for intent in &plan.intents {
            let Some(rec) = self.write_record(intent)? else {
                continue;
            };
            if rec.status != WriteStatus::Succeeded {
                continue;
            }
            let stripe_id = rec
                .outcome
                .as_ref()
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let (Some(cid), Some(cus)) = (&intent.subject, stripe_id) else {
                continue;
            };
            let Some(Entity::Customer(mut c)) = self.get(EntityKind::Customer, cid)? else {
                continue;
            };
            c.metadata.insert(LINK_CUSTOMER.into(), cus.clone());
            c.metadata
                .insert(LINK_ACCOUNT.into(), target.account.clone());
            c.metadata
                .insert(PUSHED_FIELDS.into(), customer_fields(&c).1);
            cs.aliases_add.push((
                ExternalKey::new("stripe", &target.account, "customer", &cus),
                c.id.clone(),
            ));
            cs.upserts.push(Entity::Customer(c));
        }
        if !cs.is_empty() {
            self.store()?.commit(cs)?;
        }
        Ok(())
    }

    /// The Stripe customer a books customer is linked to in `account`
    /// (pushed, or imported from there).
    pub fn stripe_customer_link(&self, customer_id: &str, account: &str) -> Result<Option<String>> {
        Ok(match self.get(EntityKind::Customer, customer_id)? {
            Some(Entity::Customer(c)) => stripe_customer_of(&c, account),
            _ => None,
        })
    }
}
