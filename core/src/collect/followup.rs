//! Planning follow-ups: pure, per invoice, from the books, a policy and `now`.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::cases::{age_from, is_collectible};
use super::history::CustomerHistory;
use super::policy::{FollowUpPolicy, FollowUpStep};
use crate::model::{Customer, Id, Invoice};
use crate::money::Currency;
use crate::writes::write_key;

/// One follow-up that is due: the latest due step of one invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedFollowUp {
    /// Idempotency key: [`write_key`] of `purpose`.
    pub key: String,
    /// `followup/<invoice source id>/<step>/<policy version>`.
    pub purpose: String,
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Its source id.
    pub invoice_external_id: String,
    /// Its number.
    pub invoice_number: Option<String>,
    /// Hosted invoice URL.
    pub invoice_url: Option<String>,
    /// Books id of the customer.
    pub customer_id: Id,
    /// The customer's name.
    pub customer_name: Option<String>,
    /// The customer's email.
    pub customer_email: Option<String>,
    /// Position of the step in the policy.
    pub step_index: usize,
    /// Name of the step.
    pub step: String,
    /// Channel name.
    pub channel: String,
    /// When the step was due (the due date plus the step's days, moved past
    /// quiet days).
    pub planned_at: DateTime<Utc>,
    /// The due date the steps count from.
    pub due_at: DateTime<Utc>,
    /// Open amount when planned (re-read before the send).
    pub open_amount: Decimal,
    /// Amount due on the invoice.
    pub amount_due: Decimal,
    /// Currency.
    pub currency: Currency,
}

/// The purpose (and so, via [`write_key`], the key) of a follow-up.
pub fn follow_up_purpose(
    invoice: &Invoice,
    step: &FollowUpStep,
    policy: &FollowUpPolicy,
) -> String {
    format!(
        "followup/{}/{}/{}",
        invoice.source.external_id, step.name, policy.version
    )
}

/// `at` moved forward to the first day that is not quiet.
pub fn skip_quiet_days(policy: &FollowUpPolicy, mut at: DateTime<Utc>) -> DateTime<Utc> {
    for _ in 0..7 {
        if !policy.quiet_days.contains(&at.weekday()) {
            return at;
        }
        at += Duration::days(1);
    }
    at
}

/// When `step` is due for an invoice due at `due`.
pub fn step_date(
    policy: &FollowUpPolicy,
    step: &FollowUpStep,
    due: DateTime<Utc>,
) -> DateTime<Utc> {
    skip_quiet_days(policy, due + Duration::days(step.days))
}

/// The follow-ups due at `now`: for each collectible invoice of an active
/// customer, only the latest step whose date has come (a missed run catches
/// up with that one, not every missed step), whose minimum open amount is met
/// and whose tone fits the customer's history. Nothing on a quiet day. Steps
/// already sent are not filtered here: the executor skips a key it already
/// made. Pure and deterministic; ordered by invoice id.
pub fn plan_follow_ups<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    customers: &HashMap<&str, &Customer>,
    histories: &HashMap<Id, CustomerHistory>,
    policy: &FollowUpPolicy,
    now: DateTime<Utc>,
) -> Vec<PlannedFollowUp> {
    let mut out = Vec::new();
    let mut quiet = [false; 7];
    for d in &policy.quiet_days {
        quiet[d.num_days_from_monday() as usize] = true;
    }
    if quiet[now.weekday().num_days_from_monday() as usize] {
        return out;
    }
    // The date a step falls on, moved past quiet days (a table, not a scan).
    let step_at = |due: DateTime<Utc>, days: i64| {
        let mut at = due + Duration::days(days);
        for _ in 0..7 {
            if !quiet[at.weekday().num_days_from_monday() as usize] {
                break;
            }
            at += Duration::days(1);
        }
        at
    };
    let latest_first: Vec<(usize, &FollowUpStep)> = policy.steps.iter().enumerate().rev().collect();
    let any_tone = policy
        .steps
        .iter()
        .any(|s| s.skip_if_average_days_late_at_least.is_some());
    for inv in invoices {
        if !is_collectible(inv) {
            continue;
        }
        let Some(cust) = inv.customer_id.as_deref() else {
            continue;
        };
        if !policy.active_for(cust) {
            continue;
        }
        let Some((due, _)) = age_from(inv) else {
            continue;
        };
        let avg_late = if any_tone {
            histories.get(cust).and_then(|h| h.average_days_late)
        } else {
            None
        };
        // Steps are ordered by days and quiet days only move a date forward,
        // so the first step (from the last) whose date has come is the latest.
        let due_step = latest_first
            .iter()
            .filter(|(_, s)| s.min_open_amount.is_none_or(|m| inv.amount_remaining >= m))
            .filter(|(_, s)| {
                s.skip_if_average_days_late_at_least
                    .is_none_or(|n| avg_late.is_none_or(|a| a < n))
            })
            .map(|(i, s)| (*i, *s, step_at(due, s.days)))
            .find(|(_, _, at)| *at <= now);
        let Some((index, step, at)) = due_step else {
            continue;
        };
        let customer = customers.get(cust);
        let purpose = follow_up_purpose(inv, step, policy);
        out.push(PlannedFollowUp {
            key: write_key(&purpose),
            purpose,
            invoice_id: inv.id.clone(),
            invoice_external_id: inv.source.external_id.clone(),
            invoice_number: inv.number.clone(),
            invoice_url: inv.source.url.clone(),
            customer_id: cust.to_string(),
            customer_name: customer.and_then(|c| c.name.clone()),
            customer_email: customer.and_then(|c| c.email.clone()),
            step_index: index,
            step: step.name.clone(),
            channel: step.channel.clone(),
            planned_at: at,
            due_at: due,
            open_amount: inv.amount_remaining,
            amount_due: inv.amount_due,
            currency: inv.currency,
        });
    }
    // Books list invoices by id already: sorting is then one check.
    if !out.is_sorted_by(|a, b| a.invoice_id <= b.invoice_id) {
        out.sort_by(|a, b| a.invoice_id.cmp(&b.invoice_id));
    }
    out
}
