//! `review_auto_pay` / `run_auto_pay`: charge every due own invoice of an
//! opted-in customer once, through the write executor (each attempt recorded
//! before the request, resolved by the same key or a lookup after a crash),
//! record each succeeded charge as the invoice's payment, and turn auto-pay
//! off with a notice when a refusal says so.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tieout_core::autopay::{
    AutoPaySource, CHARGE_KIND, Disabling, PlannedCharge, is_due, notice_intent,
    pending_disablings, plan_charges,
};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::import::keys;
use tieout_core::model::{ExternalKey, Id};
use tieout_core::stripe_writes::CheckoutSettings;
use tieout_core::writes::{WriteApproval, WriteIntent, WritePlan, WriteRecord, WriteStatus};
use tieout_core::{CoreError, ImportPlan};
use tieout_stripe::{StripeEvent, StripeWriter};

use super::channel::ChargeChannel;
use crate::books::{Books, InvoiceFilter};
use crate::error::Result;
use crate::stripe_push::StripeTarget;
use crate::writes::{Channels, Prepared, STRIPE_TARGET, WriteOptions, WriteReport};

/// How an auto-pay run tells customers about a refusal that turned auto-pay off.
#[derive(Clone, Debug, Default)]
pub struct AutoPayOptions {
    /// The follow-up channels (`email`, `slack`, host callbacks).
    pub channels: Channels,
    /// The channels each notice goes through (names in `channels`).
    pub notify: Vec<String>,
    /// How the notice's payment link (a Checkout Session) is made; `None`:
    /// the notice has no link.
    pub checkout: Option<CheckoutSettings>,
}

/// What an auto-pay run would charge, and the approval a live key needs.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoPayReview {
    /// The charges, by invoice: new attempts and attempts to resolve.
    pub charges: Vec<PlannedCharge>,
    /// The write plan the approval covers.
    pub plan: WritePlan,
    /// Its approval.
    pub approval: WriteApproval,
}

/// What an auto-pay run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AutoPayReport {
    /// The charges, by write key (delivered = charged now; resolved = found
    /// made by a lookup; failed = refused; unknown = for the next run).
    pub charges: WriteReport,
    /// Invoices whose charge was recorded as their payment in this run.
    pub paid: Vec<Id>,
    /// Refusals that turned a customer's auto-pay off in this run.
    pub disabled: Vec<Disabling>,
    /// The notices, by write key.
    pub notices: WriteReport,
}

/// The id of the event a succeeded charge is applied as.
fn event_id(rec: &WriteRecord) -> String {
    format!("evt_tieout_{}", rec.key)
}

fn charge_event(
    rec: &WriteRecord,
    target: &StripeTarget,
    now: DateTime<Utc>,
) -> Option<StripeEvent> {
    let pi = rec.outcome.clone()?;
    if pi.get("object").and_then(Value::as_str) != Some("payment_intent")
        || pi.get("status").and_then(Value::as_str) != Some("succeeded")
    {
        return None;
    }
    Some(StripeEvent {
        id: event_id(rec),
        event_type: "payment_intent.succeeded".into(),
        created: pi
            .get("created")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| now.timestamp()),
        api_version: None,
        livemode: target.livemode,
        account: Some(target.account.clone()),
        object: pi,
        previous_attributes: None,
    })
}

impl Books {
    fn charge_records(&self) -> Result<Vec<WriteRecord>> {
        Ok(self
            .writes()?
            .into_iter()
            .filter(|r| r.intent.kind == CHARGE_KIND)
            .collect())
    }

    /// The charges an auto-pay run would make at `now` for `target`, as a
    /// plan to review; nothing is written.
    pub fn review_auto_pay(
        &self,
        target: &StripeTarget,
        now: DateTime<Utc>,
    ) -> Result<AutoPayReview> {
        let records = self.charge_records()?;
        self.review_charges(target, &records, now)
    }

    fn review_charges(
        &self,
        target: &StripeTarget,
        records: &[WriteRecord],
        now: DateTime<Utc>,
    ) -> Result<AutoPayReview> {
        let invoices = self.invoices(&InvoiceFilter::default())?;
        let settings = self.auto_pay_settings()?;
        let charges = plan_charges(&invoices, &settings, records, &target.account, now)?;
        let plan = WritePlan {
            account: target.account.clone(),
            livemode: target.livemode,
            intents: charges.iter().map(|c| c.intent.clone()).collect(),
        };
        let approval = plan.approval();
        Ok(AutoPayReview {
            charges,
            plan,
            approval,
        })
    }

    /// Records every succeeded charge as its invoice's payment (the
    /// PaymentIntent Stripe returned, applied like a `payment_intent.succeeded`
    /// event: matched to the invoice through its metadata; applying it again,
    /// or importing the same PaymentIntent later, changes nothing).
    fn settle_charges(
        &self,
        records: &[WriteRecord],
        target: &StripeTarget,
        now: DateTime<Utc>,
    ) -> Result<Vec<Id>> {
        let done: Vec<&WriteRecord> = records
            .iter()
            .filter(|r| r.status == WriteStatus::Succeeded)
            .collect();
        if done.is_empty() {
            return Ok(Vec::new());
        }
        // One lookup for all: which of these charges the books already hold.
        let keys: Vec<ExternalKey> = done
            .iter()
            .map(|r| keys::event("stripe", &target.account, &event_id(r)))
            .collect();
        let seen = self.store()?.resolve(&keys)?;
        let plan = ImportPlan {
            allow_live: true,
            ..ImportPlan::default()
        };
        let mut paid = Vec::new();
        for (rec, key) in done.into_iter().zip(&keys) {
            if seen.get(key).is_some_and(|ids| !ids.is_empty()) {
                continue;
            }
            let Some(ev) = charge_event(rec, target, now) else {
                continue;
            };
            let out = self.apply_event_with(&ev, &plan)?;
            if out.status == crate::EventStatus::Applied {
                paid.extend(rec.intent.subject.clone());
            }
        }
        Ok(paid)
    }

    /// Turns off the auto-pay of each customer a refusal says to.
    fn apply_disablings(
        &self,
        records: &[WriteRecord],
        now: DateTime<Utc>,
    ) -> Result<Vec<Disabling>> {
        let settings = self.auto_pay_settings()?;
        let mut done = Vec::new();
        for d in pending_disablings(records, &settings) {
            let Some(mut a) = self.auto_pay(&d.customer_id)? else {
                continue;
            };
            if !a.enabled {
                continue;
            }
            a.disable(
                AutoPaySource::Decline {
                    write_key: d.write_key.clone(),
                },
                &d.reason,
                now,
            );
            self.save_auto_pay(
                &a,
                format!(
                    "auto-pay off for {}: {} (charge {} of invoice {}, attempt {})",
                    d.customer_id, d.reason, d.write_key, d.invoice_id, d.attempt
                ),
            )?;
            done.push(d);
        }
        Ok(done)
    }

    /// The notices owed for refusals that turned auto-pay off and are not
    /// sent yet, each with the invoice's payment link when `options` says how
    /// to make one.
    fn owed_notices(
        &self,
        records: &[WriteRecord],
        writer: &StripeWriter,
        target: &StripeTarget,
        options: &AutoPayOptions,
        now: DateTime<Utc>,
    ) -> Result<Vec<WriteIntent>> {
        if options.notify.is_empty() {
            return Ok(Vec::new());
        }
        let records: BTreeMap<&str, &WriteRecord> =
            records.iter().map(|r| (r.key.as_str(), r)).collect();
        let mut out = Vec::new();
        for (cid, a) in self.auto_pay_settings()? {
            let Some(AutoPaySource::Decline { write_key }) = &a.disabled_via else {
                continue;
            };
            if a.enabled {
                continue;
            }
            let Some(rec) = records.get(write_key.as_str()) else {
                continue;
            };
            let Some(inv_id) = &rec.intent.subject else {
                continue;
            };
            let (Some(Entity::Customer(c)), Some(Entity::Invoice(inv))) = (
                self.get(EntityKind::Customer, &cid)?,
                self.get(EntityKind::Invoice, inv_id)?,
            ) else {
                continue;
            };
            if !is_due(&inv, now) {
                continue;
            }
            let d = Disabling {
                customer_id: cid.clone(),
                invoice_id: inv.id.clone(),
                write_key: write_key.clone(),
                attempt: tieout_core::autopay::attempt_of(&rec.intent),
                reason: a.disabled_reason.clone().unwrap_or_default(),
            };
            for ch in &options.notify {
                let draft = notice_intent(&d, &c, &inv, None, ch, now);
                if self.write_record(&draft)?.is_some_and(|r| {
                    matches!(r.status, WriteStatus::Succeeded | WriteStatus::Cancelled)
                }) {
                    continue;
                }
                let link = match &options.checkout {
                    Some(settings) => self.notice_link(&inv.id, writer, target, settings, now),
                    None => None,
                };
                out.push(notice_intent(&d, &c, &inv, link.as_deref(), ch, now));
            }
        }
        Ok(out)
    }

    /// The invoice's payment link for a notice. The person who approved the
    /// auto-pay plan approved telling refused customers with a link, so the
    /// link's own plan is approved here; a link that cannot be made leaves
    /// the notice without one.
    fn notice_link(
        &self,
        invoice_id: &str,
        writer: &StripeWriter,
        target: &StripeTarget,
        settings: &CheckoutSettings,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let plan = self
            .review_payment_link(invoice_id, target, settings, now)
            .ok()?;
        self.payment_link(
            invoice_id,
            writer,
            settings,
            Some(&plan.approval()),
            now,
            &WriteOptions::default(),
        )
        .ok()
        .map(|l| l.url)
    }

    /// Charges every due own invoice (open, something left, due by `now`) of
    /// each customer with auto-pay on and a saved card, once: a PaymentIntent
    /// with `confirm=true`, `off_session=true`, the card, the Stripe customer
    /// and `metadata` naming the invoice, `Idempotency-Key` from the invoice
    /// and the attempt number. Each attempt is recorded before the request;
    /// one left in flight or unknown is resolved (lookup by
    /// `metadata[tieout_key]`, or the same key) before any new attempt; the
    /// invoice and the setting are re-read right before each request (a paid
    /// invoice, a changed amount or an opt-out cancels it). A succeeded
    /// charge is recorded as the invoice's payment and allocated to it. A
    /// refusal is decided by the decline table: auto-pay off with a notice
    /// (reason and payment link) through `options.notify`, the invoice left
    /// open; or a later attempt. Live keys need the approval of
    /// [`Books::review_auto_pay`].
    pub fn run_auto_pay(
        &self,
        writer: &StripeWriter,
        approval: Option<&WriteApproval>,
        now: DateTime<Utc>,
        options: &AutoPayOptions,
        write_options: &WriteOptions,
    ) -> Result<AutoPayReport> {
        let target = StripeTarget::of(writer)?;
        let records = self.charge_records()?;
        let mut report = AutoPayReport {
            paid: self.settle_charges(&records, &target, now)?,
            disabled: self.apply_disablings(&records, now)?,
            ..AutoPayReport::default()
        };
        let review = self.review_charges(&target, &records, now)?;
        if review.plan.livemode && !approval.is_some_and(|a| a.covers(&review.plan)) {
            return Err(CoreError::ApprovalRequired(
                "live Stripe key: run review_auto_pay and pass its approval".into(),
            )
            .into());
        }
        let charger = Arc::new(ChargeChannel::new(writer.clone()));
        let channels = Channels::new().with_arc(STRIPE_TARGET, charger.clone());
        let prepare = |intent: &WriteIntent| -> Result<Prepared> {
            let inv_id = intent.subject.clone().unwrap_or_default();
            let cid = intent
                .payload
                .get("customer_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let inv = match self.get(EntityKind::Invoice, &inv_id)? {
                Some(Entity::Invoice(i)) => i,
                _ => return Ok(Prepared::Cancel(format!("invoice {inv_id} is gone"))),
            };
            if !is_due(&inv, now) {
                return Ok(Prepared::Cancel(format!(
                    "invoice {inv_id} is {} with {} open",
                    inv.status.as_str(),
                    inv.amount_remaining
                )));
            }
            if intent.amount.as_ref().map(|m| m.amount) != Some(inv.amount_remaining) {
                return Ok(Prepared::Cancel(format!(
                    "invoice {inv_id}'s open amount changed to {}",
                    inv.amount_remaining
                )));
            }
            let pm = intent
                .payload
                .pointer("/params/payment_method")
                .and_then(Value::as_str);
            let on = self.auto_pay(&cid)?.is_some_and(|a| {
                a.chargeable_in(&target.account) && a.payment_method.as_deref() == pm
            });
            if !on {
                return Ok(Prepared::Cancel(format!(
                    "customer {cid}'s auto-pay is off or its card changed"
                )));
            }
            if charger.refused(&cid) {
                return Ok(Prepared::Cancel(format!(
                    "a charge of customer {cid} was refused in this run"
                )));
            }
            Ok(Prepared::Send(intent.clone()))
        };
        report.charges = self.perform_writes(
            &review.plan.intents,
            &channels,
            &prepare,
            now,
            write_options,
        )?;
        let records = self.charge_records()?;
        report
            .paid
            .extend(self.settle_charges(&records, &target, now)?);
        report
            .disabled
            .extend(self.apply_disablings(&records, now)?);
        self.record_write_run(&review.plan, now)?;
        let notices = self.owed_notices(&records, writer, &target, options, now)?;
        if !notices.is_empty() {
            let send = |i: &WriteIntent| -> Result<Prepared> { Ok(Prepared::Send(i.clone())) };
            report.notices =
                self.perform_writes(&notices, &options.channels, &send, now, write_options)?;
            let plan = WritePlan {
                account: target.account.clone(),
                livemode: target.livemode,
                intents: notices,
            };
            self.record_write_run(&plan, now)?;
        }
        Ok(report)
    }
}
