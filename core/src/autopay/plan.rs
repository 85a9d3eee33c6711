//! Planning auto-pay charges (pure: `now` is passed in).
//!
//! Each charge attempt is its own `stripe` write: a PaymentIntent with
//! `confirm=true` and `off_session=true`, the saved payment method, the
//! Stripe customer and `metadata` naming the invoice; its purpose, and so its
//! `Idempotency-Key`, is `stripe/<account>/autopay/<invoice>/<attempt>`.
//! What the books already recorded decides the next step per invoice:
//! nothing yet -> attempt 1; an attempt in flight or unknown -> the same
//! attempt again (resolved by the executor with the same key or a lookup,
//! never a new key); a refusal -> the decision table ([`super::decide`]);
//! a success -> nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Action, AutoPay, Refusal, decide};
use crate::error::Result;
use crate::invoicing::is_own;
use crate::model::{Id, Invoice};
use crate::money::Money;
use crate::stripe_writes::stripe_intent;
use crate::writes::{WriteIntent, WriteRecord, WriteStatus};

/// The `kind` of an auto-pay charge write.
pub const CHARGE_KIND: &str = "autopay_charge";

/// How many attempts an invoice gets before auto-pay is turned off.
pub const MAX_ATTEMPTS: u32 = 4;

/// The attempt number a charge write carries (1 for the first).
pub fn attempt_of(intent: &WriteIntent) -> u32 {
    intent
        .payload
        .get("attempt")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// Whether `inv` is an own invoice auto-pay may charge at `now`: issued,
/// open (or part paid) with something left, due by `now`.
pub fn is_due(inv: &Invoice, now: DateTime<Utc>) -> bool {
    is_own(inv)
        && matches!(inv.source.status.as_deref(), Some("open"))
        && inv.amount_remaining > Decimal::ZERO
        && inv.due_date.is_none_or(|d| d <= now)
}

/// The charge write of attempt `attempt` on `inv` with the card of `setting`,
/// for its open amount.
pub fn charge_intent(
    inv: &Invoice,
    setting: &AutoPay,
    account: &str,
    attempt: u32,
    now: DateTime<Utc>,
) -> Result<WriteIntent> {
    let minor = Money::new(inv.amount_remaining, inv.currency).to_minor()?;
    let cus = setting.stripe_customer.clone().unwrap_or_default();
    let params = json!({
        "amount": minor,
        "currency": inv.currency.lower(),
        "customer": cus,
        "payment_method": setting.payment_method,
        "confirm": true,
        "off_session": true,
        "metadata": {
            "invoice": inv.id,
            "tieout_invoice": inv.id,
            "tieout_attempt": attempt.to_string(),
        },
    });
    let mut i = stripe_intent(
        CHARGE_KIND,
        &format!("stripe/{account}/autopay/{}/{attempt}", inv.id),
        "/v1/payment_intents",
        params,
        Some(("/v1/payment_intents", json!({ "customer": cus }))),
        now,
    );
    i.payload["attempt"] = json!(attempt);
    i.payload["customer_id"] = json!(setting.customer_id);
    i.subject = Some(inv.id.clone());
    i.amount = Some(Money::new(inv.amount_remaining, inv.currency));
    Ok(i)
}

/// One planned charge.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedCharge {
    /// The invoice charged.
    pub invoice_id: Id,
    /// Its customer.
    pub customer_id: Id,
    /// The attempt (1 for the first).
    pub attempt: u32,
    /// True when it resumes an attempt already recorded (in flight, unknown,
    /// or a transient failure retried with the same key).
    pub resumes: bool,
    /// The write.
    pub intent: WriteIntent,
}

/// The charge records of each invoice, by attempt.
pub fn charges_by_invoice(records: &[WriteRecord]) -> BTreeMap<Id, Vec<&WriteRecord>> {
    let mut out: BTreeMap<Id, Vec<&WriteRecord>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.intent.kind == CHARGE_KIND) {
        if let Some(inv) = &r.intent.subject {
            out.entry(inv.clone()).or_default().push(r);
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|r| attempt_of(&r.intent));
    }
    out
}

/// When the latest attempt of a record started.
fn started(r: &WriteRecord) -> DateTime<Utc> {
    r.attempts.last().map_or(r.updated_at, |a| a.started_at)
}

/// The charges to make at `now`: for each due own invoice whose customer's
/// auto-pay is on with a card in `account`, the next step (see the module
/// docs), in invoice order.
pub fn plan_charges(
    invoices: &[Invoice],
    settings: &BTreeMap<Id, AutoPay>,
    records: &[WriteRecord],
    account: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PlannedCharge>> {
    let by_inv = charges_by_invoice(records);
    let mut out = Vec::new();
    for inv in invoices.iter().filter(|i| is_due(i, now)) {
        let Some(cid) = &inv.customer_id else {
            continue;
        };
        let Some(setting) = settings.get(cid) else {
            continue;
        };
        let prior = by_inv.get(&inv.id).map(Vec::as_slice).unwrap_or(&[]);
        let last = prior.last();
        let (attempt, resume) = match last {
            None => (1, None),
            Some(r) => {
                let n = attempt_of(&r.intent);
                match r.status {
                    // Resolved before anything else, whatever the setting says now.
                    WriteStatus::InFlight | WriteStatus::Unknown | WriteStatus::Planned => {
                        (n, Some((*r).clone()))
                    }
                    WriteStatus::Succeeded => continue,
                    WriteStatus::Cancelled => (n + 1, None),
                    WriteStatus::Failed => {
                        if r.retry_due(now) {
                            (n, Some((*r).clone()))
                        } else if r.attempts.last().is_some_and(|a| a.retryable) {
                            continue;
                        } else {
                            let refusal =
                                Refusal::from_detail(r.outcome.as_ref().unwrap_or(&Value::Null));
                            let d = decide(&refusal);
                            let opted_in_since = setting.enabled_at.is_some_and(|t| t > started(r));
                            match d.action {
                                // A fresh opt-in after the refusal starts over.
                                Action::Disable | Action::Report if opted_in_since => (n + 1, None),
                                Action::Disable | Action::Report => continue,
                                Action::RetryAfterHours(h) => {
                                    let at = r.updated_at + Duration::hours(h);
                                    if n >= MAX_ATTEMPTS && !opted_in_since {
                                        continue;
                                    }
                                    if at > now && !opted_in_since {
                                        continue;
                                    }
                                    (n + 1, None)
                                }
                            }
                        }
                    }
                }
            }
        };
        if let Some(rec) = resume {
            out.push(PlannedCharge {
                invoice_id: inv.id.clone(),
                customer_id: cid.clone(),
                attempt,
                resumes: true,
                intent: rec.intent,
            });
            continue;
        }
        if !setting.chargeable_in(account) {
            continue;
        }
        out.push(PlannedCharge {
            invoice_id: inv.id.clone(),
            customer_id: cid.clone(),
            attempt,
            resumes: false,
            intent: charge_intent(inv, setting, account, attempt, now)?,
        });
    }
    Ok(out)
}

/// A refused charge that turns a customer's auto-pay off.
#[derive(Clone, Debug, PartialEq)]
pub struct Disabling {
    /// The customer.
    pub customer_id: Id,
    /// The invoice left open.
    pub invoice_id: Id,
    /// The refused charge's key.
    pub write_key: String,
    /// The attempt.
    pub attempt: u32,
    /// Why, in plain words.
    pub reason: String,
}

/// The refusals not yet applied to the settings: a refused charge whose
/// decision disables (or whose retries ran out), on a customer still opted in
/// since before that charge was attempted.
pub fn pending_disablings(
    records: &[WriteRecord],
    settings: &BTreeMap<Id, AutoPay>,
) -> Vec<Disabling> {
    let mut out = Vec::new();
    for (inv, recs) in charges_by_invoice(records) {
        let Some(r) = recs.last() else { continue };
        if r.status != WriteStatus::Failed || r.attempts.last().is_some_and(|a| a.retryable) {
            continue;
        }
        let Some(cid) = r.intent.payload.get("customer_id").and_then(Value::as_str) else {
            continue;
        };
        let Some(s) = settings.get(cid) else { continue };
        if !s.enabled || s.enabled_at.is_some_and(|t| t > started(r)) {
            continue;
        }
        let n = attempt_of(&r.intent);
        let d = decide(&Refusal::from_detail(
            r.outcome.as_ref().unwrap_or(&Value::Null),
        ));
        let reason = match d.action {
            Action::Disable => d.reason,
            Action::RetryAfterHours(_) if n >= MAX_ATTEMPTS => {
                format!("{} ({n} attempts)", d.reason)
            }
            _ => continue,
        };
        out.push(Disabling {
            customer_id: cid.to_string(),
            invoice_id: inv,
            write_key: r.key.clone(),
            attempt: n,
            reason,
        });
    }
    out
}
