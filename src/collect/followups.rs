//! Follow-ups: planned by the core, rendered, reviewed, then sent through
//! channels exactly once by the write executor.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tieout_core::collect::{
    CustomerHistory, PlannedFollowUp, histories, is_collectible, plan_follow_ups,
};
use tieout_core::entity::{Entity, EntityKind};
use tieout_core::writes::{WriteApproval, WriteIntent, WritePlan, WriteRecord, WriteStatus};
use tieout_core::{CoreError, Money};

use super::CompiledPolicy;
use crate::books::{Books, InvoiceFilter};
use crate::error::Result;
use crate::writes::{Channels, Prepared, WriteOptions, WriteReport};

/// One follow-up as a person reviews it.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowUpItem {
    /// What the core planned.
    pub planned: PlannedFollowUp,
    /// The write, with the rendered message in its payload
    /// (`to_email`, `to_name`, `subject`, `text`, `html`).
    pub intent: WriteIntent,
    /// Already sent under this key (a re-run skips it).
    pub already_sent: bool,
    /// Already sent or cancelled: not part of the plan a run makes.
    pub already_done: bool,
}

/// What a follow-up run would send, and the approval live-mode books need.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowUpReview {
    /// The messages, by invoice.
    pub items: Vec<FollowUpItem>,
    /// The write plan the approval covers.
    pub plan: WritePlan,
    /// Approval token for this plan.
    pub approval: WriteApproval,
}

fn history_json(h: Option<&CustomerHistory>) -> serde_json::Value {
    let h = h.cloned().unwrap_or_default();
    serde_json::json!({
        "invoices_paid_late": h.invoices_paid_late,
        "invoices_paid": h.invoices_paid,
        "average_days_late": h.average_days_late,
        "last_payment_at": h.last_payment_at.map(|t| t.to_rfc3339()),
        "reminders_sent": h.reminders_sent,
        "open_total": h.open_total.iter().map(|(c, d)| (c.code().to_string(), d.to_string())).collect::<HashMap<_, _>>(),
    })
}

/// Renders the intent of `p` at open amount `open`.
fn render(
    policy: &CompiledPolicy,
    p: &PlannedFollowUp,
    open: Decimal,
    paid: Decimal,
    history: Option<&CustomerHistory>,
) -> Result<WriteIntent> {
    let step = &policy.policy().steps[p.step_index];
    let ctx = serde_json::json!({
        "invoice": {
            "id": p.invoice_id, "external_id": p.invoice_external_id,
            "number": p.invoice_number, "url": p.invoice_url,
            "currency": p.currency.code(), "amount_due": p.amount_due.to_string(),
            "amount_paid": paid.to_string(), "open_amount": open.to_string(),
            "due_date": p.due_at.date_naive().to_string(),
            "partially_paid": paid > Decimal::ZERO,
        },
        "customer": { "id": p.customer_id, "name": p.customer_name, "email": p.customer_email },
        "history": history_json(history),
        "step": { "name": step.name, "days": step.days },
        "key": p.key,
    });
    let subject = policy
        .render(&step.name, "subject", &ctx)?
        .unwrap_or_default();
    let text = policy.render(&step.name, "text", &ctx)?.unwrap_or_default();
    let html = policy.render(&step.name, "html", &ctx)?;
    let mut intent = WriteIntent::new(
        &p.channel,
        "follow_up",
        &p.purpose,
        serde_json::json!({
            "to_email": p.customer_email, "to_name": p.customer_name,
            "subject": subject, "text": text, "html": html,
            "invoice_id": p.invoice_id, "invoice_external_id": p.invoice_external_id,
            "customer_id": p.customer_id, "step": p.step,
            "open_amount": open.to_string(), "currency": p.currency.code(),
        }),
        p.planned_at,
    );
    intent.subject = Some(p.invoice_id.clone());
    intent.amount = Some(Money::new(open, p.currency));
    Ok(intent)
}

/// What planning and rendering read from the books: the plan, histories,
/// amounts paid per invoice, live mode, the account and the follow-up
/// writes already recorded (by record id).
type Inputs = (
    Vec<PlannedFollowUp>,
    HashMap<String, CustomerHistory>,
    HashMap<String, Decimal>,
    bool,
    String,
    HashMap<String, WriteRecord>,
);

impl Books {
    fn follow_up_inputs(&self, policy: &CompiledPolicy, now: DateTime<Utc>) -> Result<Inputs> {
        let invoices = self.invoices(&InvoiceFilter::default())?;
        let customers = self.customers()?;
        let payments = self.payments()?;
        let by_id: HashMap<&str, _> = customers.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut reminders: HashMap<String, u32> = HashMap::new();
        let mut recorded: HashMap<String, WriteRecord> = HashMap::new();
        for w in self.writes()? {
            if w.intent.kind == "follow_up" && w.status == WriteStatus::Succeeded {
                if let Some(c) = w.intent.payload.get("customer_id").and_then(|v| v.as_str()) {
                    *reminders.entry(c.to_string()).or_default() += 1;
                }
            }
            recorded.insert(w.id.clone(), w);
        }
        let hist = histories(&invoices, &payments, &reminders);
        let planned = plan_follow_ups(&invoices, &by_id, &hist, policy.policy(), now);
        let paid: HashMap<String, Decimal> = invoices
            .iter()
            .map(|i| (i.id.clone(), i.amount_paid))
            .collect();
        let live = invoices.iter().any(|i| i.source.livemode);
        let account = invoices
            .first()
            .map(|i| i.source.account.clone())
            .unwrap_or_else(|| "books".into());
        Ok((planned, hist, paid, live, account, recorded))
    }

    /// The follow-ups due at `now` (pure planning over the stored books).
    pub fn plan_follow_ups(
        &self,
        policy: &CompiledPolicy,
        now: DateTime<Utc>,
    ) -> Result<Vec<PlannedFollowUp>> {
        Ok(self.follow_up_inputs(policy, now)?.0)
    }

    /// What a follow-up run at `now` would send, to whom, with the rendered
    /// text; nothing is sent. Live-mode books need its approval to run.
    pub fn review_follow_ups(
        &self,
        policy: &CompiledPolicy,
        now: DateTime<Utc>,
    ) -> Result<FollowUpReview> {
        Ok(self.review_with_histories(policy, now)?.0)
    }

    fn review_with_histories(
        &self,
        policy: &CompiledPolicy,
        now: DateTime<Utc>,
    ) -> Result<(FollowUpReview, HashMap<String, CustomerHistory>)> {
        let (planned, hist, paid, livemode, account, mut recorded) =
            self.follow_up_inputs(policy, now)?;
        let mut items = Vec::with_capacity(planned.len());
        for p in planned {
            // A message already made (or cancelled) is shown as it was made.
            let record_id =
                tieout_core::model::derive_id(EntityKind::WriteRecord.id_prefix(), &p.key);
            let stored = recorded.remove(&record_id);
            let already_sent = stored
                .as_ref()
                .is_some_and(|r| r.status == WriteStatus::Succeeded);
            let already_done = stored.as_ref().is_some_and(|r| {
                matches!(r.status, WriteStatus::Succeeded | WriteStatus::Cancelled)
            });
            let intent = match stored {
                Some(r) if matches!(r.status, WriteStatus::Succeeded | WriteStatus::Cancelled) => {
                    r.intent
                }
                _ => render(
                    policy,
                    &p,
                    p.open_amount,
                    paid.get(&p.invoice_id).copied().unwrap_or_default(),
                    hist.get(&p.customer_id),
                )?,
            };
            items.push(FollowUpItem {
                planned: p,
                intent,
                already_sent,
                already_done,
            });
        }
        // The plan (and its approval) covers what is still to be made.
        let plan = WritePlan {
            account,
            livemode,
            intents: items
                .iter()
                .filter(|i| !i.already_done)
                .map(|i| i.intent.clone())
                .collect(),
        };
        let approval = plan.approval();
        Ok((
            FollowUpReview {
                items,
                plan,
                approval,
            },
            hist,
        ))
    }

    /// Sends the follow-ups due at `now`, each exactly once, through
    /// `channels` (by the step's channel name). Reviews first (the same code
    /// path as [`Books::review_follow_ups`]); live-mode books refuse to run
    /// without that review's approval. Right before each send the invoice is
    /// re-read: paid, credited, void or written-off invoices get nothing (the
    /// write is recorded as cancelled) and a partial payment re-renders the
    /// message with the new open amount.
    pub fn run_follow_ups(
        &self,
        policy: &CompiledPolicy,
        channels: &Channels,
        now: DateTime<Utc>,
        approval: Option<&WriteApproval>,
        options: &WriteOptions,
    ) -> Result<WriteReport> {
        let (review, hist) = self.review_with_histories(policy, now)?;
        if review.plan.livemode && !approval.is_some_and(|a| a.covers(&review.plan)) {
            return Err(CoreError::ApprovalRequired(
                "live-mode books: run review_follow_ups and pass its approval".into(),
            )
            .into());
        }
        let planned: HashMap<String, (PlannedFollowUp, Option<CustomerHistory>)> = {
            review
                .items
                .iter()
                .filter(|i| !i.already_done)
                .map(|i| {
                    (
                        i.intent.key.clone(),
                        (i.planned.clone(), hist.get(&i.planned.customer_id).cloned()),
                    )
                })
                .collect()
        };
        let prepare = |intent: &WriteIntent| -> Result<Prepared> {
            let Some((p, h)) = planned.get(&intent.key) else {
                return Ok(Prepared::Send(intent.clone()));
            };
            let inv = match self.get(EntityKind::Invoice, &p.invoice_id)? {
                Some(Entity::Invoice(i)) => i,
                _ => return Ok(Prepared::Cancel("invoice no longer in the books".into())),
            };
            if !is_collectible(&inv) {
                return Ok(Prepared::Cancel(format!(
                    "invoice {} is {} with {} open",
                    inv.source.external_id,
                    inv.status.as_str(),
                    inv.amount_remaining
                )));
            }
            Ok(Prepared::Send(render(
                policy,
                p,
                inv.amount_remaining,
                inv.amount_paid,
                h.as_ref(),
            )?))
        };
        // Digest channels get one message per day; the rest one per invoice.
        let (direct, digested): (Vec<WriteIntent>, Vec<WriteIntent>) = review
            .plan
            .intents
            .iter()
            .cloned()
            .partition(|i| !channels.is_digest(&i.target));
        let mut report = self.perform_writes(&direct, channels, &prepare, now, options)?;
        let mut by_channel: std::collections::BTreeMap<&str, Vec<WriteIntent>> =
            std::collections::BTreeMap::new();
        for i in &digested {
            by_channel
                .entry(i.target.as_str())
                .or_default()
                .push(i.clone());
        }
        for (name, items) in by_channel {
            let r = self.run_digest(name, &items, channels, &prepare, now, options)?;
            super::digest::merge(&mut report, r);
        }
        self.record_write_run(&review.plan, now)?;
        Ok(report)
    }
}
