//! The Stripe write plan: `review_writes` lists every write it would make
//! (the write-back of invoices paid outside Stripe and, when the settings ask
//! for it, invoices written off in the books marked uncollectible or voided
//! in Stripe), `apply_writes` makes them once with the review's approval,
//! through the same code.
//!
//! Write-back marks paid in Stripe an invoice the books see paid some other
//! way (see [`tieout_core::stripe_writes::plan_write_back`]). Right before
//! each write the invoice is read back from Stripe: already paid there is
//! recorded as done; changed since the import (status, amounts) is skipped
//! and reported, never overwritten. Each write is recorded before it is made
//! (key from the invoice and the books payment), its request id and outcome
//! after, and the run is an entry in the history.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tieout_core::CoreError;
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::model::{Id, Invoice, derive_id};
use tieout_core::stripe_writes::{
    KIND_ATTACH_PAYMENT, KIND_PAID_OUT_OF_BAND, KIND_PAYMENT_RECORD, StripeWriteOff,
    WriteBackMethod, WriteBackSkip, changed_in_stripe, is_open_in_stripe,
    is_written_off_stripe_invoice, paid_in_stripe, plan_stripe_write_offs, plan_write_back,
    write_off_state,
};
use tieout_core::writes::{WriteApproval, WriteIntent, WritePlan, WriteRecord, WriteStatus};
use tieout_stripe::StripeWriter;

use crate::books::Books;
use crate::error::Result;
use crate::stripe_push::StripeTarget;
use crate::writes::{Channels, Prepared, STRIPE_TARGET, StripeChannel, WriteOptions, WriteReport};

/// What a Stripe write plan covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WritesSettings {
    /// Write back invoices paid outside Stripe (default on).
    pub write_back: bool,
    /// How ([`WriteBackMethod::Auto`]: by the writer's API version).
    pub write_back_method: WriteBackMethod,
    /// Tell Stripe what the books wrote off by hand (default `None`: off):
    /// mark those Stripe invoices uncollectible, or void them (see
    /// [`tieout_core::stripe_writes::plan_stripe_write_offs`]).
    pub write_offs: Option<StripeWriteOff>,
}

impl Default for WritesSettings {
    fn default() -> Self {
        WritesSettings {
            write_back: true,
            write_back_method: WriteBackMethod::Auto,
            write_offs: None,
        }
    }
}

/// A reviewed Stripe write plan: the writes (approve them with
/// [`WritesReview::approval`]) and what was left out, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct WritesReview {
    /// The writes, in order, for the writer's account and mode.
    pub plan: WritePlan,
    /// Invoices the write-back (or the write-off writes) leave alone, and why.
    pub skipped: Vec<WriteBackSkip>,
    /// The write-back method used (resolved for the API version).
    pub write_back_method: WriteBackMethod,
}

impl WritesReview {
    /// The approval `apply_writes` needs for a live key.
    pub fn approval(&self) -> WriteApproval {
        self.plan.approval()
    }
}

fn is_write_back(kind: &str) -> bool {
    matches!(
        kind,
        KIND_PAID_OUT_OF_BAND | KIND_PAYMENT_RECORD | KIND_ATTACH_PAYMENT
    )
}

impl Books {
    fn record_by_key(&self, key: &str) -> Result<Option<WriteRecord>> {
        let id = derive_id(EntityKind::WriteRecord.id_prefix(), key);
        Ok(match self.get(EntityKind::WriteRecord, &id)? {
            Some(Entity::WriteRecord(r)) => Some(r),
            _ => None,
        })
    }

    /// The Stripe writes a run would make for `writer`'s account and mode
    /// (writes already made are left out); nothing is written, Stripe is not
    /// called except `GET /v1/account`.
    pub fn review_writes(
        &self,
        writer: &StripeWriter,
        settings: &WritesSettings,
        now: DateTime<Utc>,
    ) -> Result<WritesReview> {
        let target = StripeTarget::of(writer)?;
        self.review_writes_for(&target, writer.stripe_version(), settings, now)
    }

    /// [`Books::review_writes`] for a known target and API version.
    pub fn review_writes_for(
        &self,
        target: &StripeTarget,
        api_version: &str,
        settings: &WritesSettings,
        now: DateTime<Utc>,
    ) -> Result<WritesReview> {
        let method = settings.write_back_method.resolve(api_version);
        let mut review = WritesReview {
            plan: WritePlan {
                account: target.account.clone(),
                livemode: target.livemode,
                intents: Vec::new(),
            },
            skipped: Vec::new(),
            write_back_method: method,
        };
        if settings.write_back {
            let store = self.store()?;
            let invoices: Vec<Invoice> = store
                .list(EntityKind::Invoice)?
                .into_iter()
                .filter_map(|e| match e {
                    Entity::Invoice(i) if is_open_in_stripe(&i, &target.account) => Some(i),
                    _ => None,
                })
                .collect();
            let ids: Vec<Id> = invoices.iter().map(|i| i.id.clone()).collect();
            let allocations: Vec<_> = store
                .allocations_for(&[], &ids)?
                .into_iter()
                .filter_map(|e| match e {
                    Entity::Allocation(a) => Some(a),
                    _ => None,
                })
                .collect();
            let mut pay_ids: Vec<Id> = allocations.iter().map(|a| a.payment_id.clone()).collect();
            pay_ids.sort();
            pay_ids.dedup();
            let payments: Vec<_> = store
                .get(EntityKind::Payment, &pay_ids)?
                .into_iter()
                .filter_map(|e| match e {
                    Entity::Payment(p) => Some(p),
                    _ => None,
                })
                .collect();
            drop(store);
            let wb = plan_write_back(
                &invoices,
                &allocations,
                &payments,
                &target.account,
                method,
                now,
            )?;
            for intent in wb.intents {
                let done = self
                    .write_record(&intent)?
                    .is_some_and(|r| r.status == WriteStatus::Succeeded);
                if !done {
                    review.plan.intents.push(intent);
                }
            }
            review.skipped = wb.skipped;
        }
        if let Some(action) = settings.write_offs {
            let invoices: Vec<Invoice> = self
                .store()?
                .list(EntityKind::Invoice)?
                .into_iter()
                .filter_map(|e| match e {
                    Entity::Invoice(i) if is_written_off_stripe_invoice(&i, &target.account) => {
                        Some(i)
                    }
                    _ => None,
                })
                .collect();
            let wo = plan_stripe_write_offs(&invoices, &target.account, action, now);
            for intent in wo.intents {
                let done = self
                    .write_record(&intent)?
                    .is_some_and(|r| r.status == WriteStatus::Succeeded);
                if !done {
                    review.plan.intents.push(intent);
                }
            }
            review.skipped.extend(wo.skipped);
        }
        Ok(review)
    }

    /// Makes the Stripe writes [`Books::review_writes`] lists, each once:
    /// reviews again (the same code), refuses a live key without that
    /// review's approval, then writes through `writer`. Returns what each
    /// write came to, by key; the run is an entry in the history.
    pub fn apply_writes(
        &self,
        writer: &StripeWriter,
        settings: &WritesSettings,
        approval: Option<&WriteApproval>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        let review = self.review_writes(writer, settings, now)?;
        let plan = &review.plan;
        if plan.livemode && !approval.is_some_and(|a| a.covers(plan)) {
            return Err(CoreError::ApprovalRequired(
                "live Stripe key: run review_writes and pass its approval".into(),
            )
            .into());
        }
        let channels = Channels::new().with(STRIPE_TARGET, StripeChannel::new(writer.clone()));
        let prepare = |intent: &WriteIntent| self.prepare_stripe_write(writer, intent);
        // Payment records first: an attach needs its record's id.
        let (first, then): (Vec<WriteIntent>, Vec<WriteIntent>) = plan
            .intents
            .iter()
            .cloned()
            .partition(|i| i.kind != KIND_ATTACH_PAYMENT);
        let result = self
            .perform_writes(&first, &channels, &prepare, now, options)
            .and_then(|mut report| {
                let ready: Vec<WriteIntent> =
                    then.into_iter().filter(|i| self.record_ready(i)).collect();
                let more = self.perform_writes(&ready, &channels, &prepare, now, options)?;
                merge(&mut report, more);
                Ok(report)
            });
        // The history shows the run even when it stopped part way.
        self.record_write_run(plan, now)?;
        result
    }

    /// Write-back only: [`Books::apply_writes`] with the default settings.
    pub fn write_back(
        &self,
        writer: &StripeWriter,
        approval: Option<&WriteApproval>,
        now: DateTime<Utc>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        self.apply_writes(writer, &WritesSettings::default(), approval, now, options)
    }

    /// What this books' own payment-record write-backs attached to an
    /// invoice so far (Stripe's `amount_paid` may include it).
    fn written_back_on(&self, invoice_id: &str) -> Result<rust_decimal::Decimal> {
        Ok(self
            .writes()?
            .iter()
            .filter(|r| {
                r.intent.kind == KIND_ATTACH_PAYMENT
                    && r.status == WriteStatus::Succeeded
                    && r.intent.subject.as_deref() == Some(invoice_id)
            })
            .filter_map(|r| r.intent.amount.map(|m| m.amount))
            .sum())
    }

    /// Whether an attach's payment record was made.
    fn record_ready(&self, attach: &WriteIntent) -> bool {
        let from = attach.payload.get("record_from").and_then(Value::as_str);
        from.and_then(|k| self.record_by_key(k).ok().flatten())
            .is_some_and(|r| r.status == WriteStatus::Succeeded)
    }

    /// Right before a write: re-read the Stripe invoice it changes.
    fn prepare_stripe_write(
        &self,
        writer: &StripeWriter,
        intent: &WriteIntent,
    ) -> Result<Prepared> {
        if let Some(action) = StripeWriteOff::of_kind(&intent.kind) {
            return self.prepare_write_off(writer, intent, action);
        }
        if !is_write_back(&intent.kind) {
            return Ok(Prepared::Send(intent.clone()));
        }
        let Some(inv_id) = &intent.subject else {
            return Ok(Prepared::Send(intent.clone()));
        };
        let inv = match self.get(EntityKind::Invoice, inv_id)? {
            Some(Entity::Invoice(i)) => i,
            _ => return Ok(Prepared::Cancel(format!("invoice {inv_id} is gone"))),
        };
        let live = writer.get(&format!("/v1/invoices/{}", inv.source.external_id), &[])?;
        if paid_in_stripe(&live) {
            return Ok(Prepared::AlreadyDone(serde_json::json!({
                "already_paid": true,
                "invoice": live.get("id"),
            })));
        }
        let ours = self.written_back_on(&inv.id)?;
        let changes = changed_in_stripe(&inv, &live, ours)?;
        if !changes.is_empty() {
            return Ok(Prepared::Cancel(format!(
                "invoice {} changed in Stripe since the import ({}); not overwritten: import it again",
                inv.source.external_id,
                changes.join(", ")
            )));
        }
        let mut fresh = intent.clone();
        if intent.kind == KIND_ATTACH_PAYMENT {
            let from = intent.payload.get("record_from").and_then(Value::as_str);
            let record = from
                .and_then(|k| self.record_by_key(k).ok().flatten())
                .and_then(|r| r.outcome)
                .and_then(|o| o.get("id").and_then(Value::as_str).map(str::to_string));
            let Some(record) = record else {
                return Err(CoreError::Invalid(format!(
                    "write {} waits for its payment record",
                    intent.key
                ))
                .into());
            };
            fresh.payload["params"] = serde_json::json!({ "payment_record": record });
        }
        Ok(Prepared::Send(fresh))
    }
}

impl Books {
    /// Right before a write-off write: the invoice still written off in the
    /// books, and read back from Stripe: already in the wanted state is done,
    /// open is sent, anything else (paid, void, ...) is skipped and reported.
    fn prepare_write_off(
        &self,
        writer: &StripeWriter,
        intent: &WriteIntent,
        action: StripeWriteOff,
    ) -> Result<Prepared> {
        let Some(inv_id) = &intent.subject else {
            return Ok(Prepared::Send(intent.clone()));
        };
        let inv = match self.get(EntityKind::Invoice, inv_id)? {
            Some(Entity::Invoice(i)) => i,
            _ => return Ok(Prepared::Cancel(format!("invoice {inv_id} is gone"))),
        };
        if !is_written_off_stripe_invoice(&inv, &inv.source.account) {
            return Ok(Prepared::Cancel(format!(
                "invoice {} is no longer written off in the books",
                inv.source.external_id
            )));
        }
        let live = writer.get(&format!("/v1/invoices/{}", inv.source.external_id), &[])?;
        match write_off_state(action, &live) {
            Ok(true) => Ok(Prepared::AlreadyDone(serde_json::json!({
                "already": action.done_status(),
                "invoice": live.get("id"),
            }))),
            Ok(false) => Ok(Prepared::Send(intent.clone())),
            Err(why) => Ok(Prepared::Cancel(format!(
                "invoice {} is {why}",
                inv.source.external_id
            ))),
        }
    }
}

fn merge(into: &mut WriteReport, more: WriteReport) {
    into.delivered.extend(more.delivered);
    into.resolved.extend(more.resolved);
    into.already_done.extend(more.already_done);
    into.cancelled.extend(more.cancelled);
    into.retrying.extend(more.retrying);
    into.failed.extend(more.failed);
    into.unknown.extend(more.unknown);
}
