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

/// One follow-up that is due, borrowed from the books and the policy: the
/// latest due step of one invoice. Planning a million invoices allocates
/// nothing per invoice; [`DueFollowUp::to_planned`] makes the owned record
/// (with its key) for the follow-ups that are reviewed or sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DueFollowUp<'a> {
    /// The invoice.
    pub invoice: &'a Invoice,
    /// Position of the step in the policy.
    pub step_index: usize,
    /// The step.
    pub step: &'a FollowUpStep,
    /// When the step was due (moved past quiet days).
    pub planned_at: DateTime<Utc>,
    /// The due date the steps count from.
    pub due_at: DateTime<Utc>,
}

impl DueFollowUp<'_> {
    /// `followup/<invoice source id>/<step>/<policy version>`.
    pub fn purpose(&self, policy: &FollowUpPolicy) -> String {
        follow_up_purpose(self.invoice, self.step, policy)
    }

    /// The idempotency key: [`write_key`] of the purpose.
    pub fn key(&self, policy: &FollowUpPolicy) -> String {
        write_key(&self.purpose(policy))
    }

    /// The owned record, with the customer's name and email.
    pub fn to_planned(
        &self,
        customers: &HashMap<&str, &Customer>,
        policy: &FollowUpPolicy,
    ) -> PlannedFollowUp {
        let inv = self.invoice;
        let cust = inv.customer_id.as_deref().unwrap_or_default();
        let customer = customers.get(cust);
        let purpose = self.purpose(policy);
        PlannedFollowUp {
            key: write_key(&purpose),
            purpose,
            invoice_id: inv.id.clone(),
            invoice_external_id: inv.source.external_id.clone(),
            invoice_number: inv.number.clone(),
            invoice_url: inv.source.url.clone(),
            customer_id: cust.to_string(),
            customer_name: customer.and_then(|c| c.name.clone()),
            customer_email: customer.and_then(|c| c.email.clone()),
            step_index: self.step_index,
            step: self.step.name.clone(),
            channel: self.step.channel.clone(),
            planned_at: self.planned_at,
            due_at: self.due_at,
            open_amount: inv.amount_remaining,
            amount_due: inv.amount_due,
            currency: inv.currency,
        }
    }
}

const DAY: i64 = 86_400;

/// Monday = 0 for a Unix time (1970-01-01 was a Thursday).
fn weekday_of(ts: i64) -> usize {
    (ts.div_euclid(DAY) + 3).rem_euclid(7) as usize
}

/// The follow-ups due at `now`: for each collectible invoice of an active
/// customer, only the latest step whose date has come (a missed run catches
/// up with that one, not every missed step), whose minimum open amount is met
/// and whose tone fits the customer's history. Nothing on a quiet day. Steps
/// already sent are not filtered here: the executor skips a key it already
/// made. Pure and deterministic; ordered by invoice id. Borrows the invoices
/// and the policy: dates are compared as Unix seconds and nothing is
/// allocated per invoice.
pub fn due_follow_ups<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    histories: &HashMap<Id, CustomerHistory>,
    policy: &'a FollowUpPolicy,
    now: DateTime<Utc>,
) -> Vec<DueFollowUp<'a>> {
    let mut out = Vec::new();
    let mut quiet = [false; 7];
    for d in &policy.quiet_days {
        quiet[d.num_days_from_monday() as usize] = true;
    }
    let (now_ts, now_ns) = (now.timestamp(), now.timestamp_subsec_nanos());
    if quiet[weekday_of(now_ts)] {
        return out;
    }
    let any_quiet = quiet.iter().any(|q| *q);
    // The time a step falls on, moved past quiet days (a table, not a scan).
    let step_at = |due: i64, days: i64| {
        let mut at = due + days * DAY;
        if any_quiet {
            for _ in 0..7 {
                if !quiet[weekday_of(at)] {
                    break;
                }
                at += DAY;
            }
        }
        at
    };
    let latest_first: Vec<(usize, &FollowUpStep)> = policy.steps.iter().enumerate().rev().collect();
    let any_tone = policy
        .steps
        .iter()
        .any(|s| s.skip_if_average_days_late_at_least.is_some());
    let any_min = policy.steps.iter().any(|s| s.min_open_amount.is_some());
    let everyone = policy.paused.is_empty() && policy.opted_out.is_empty();
    for inv in invoices {
        if !is_collectible(inv) {
            continue;
        }
        let Some(cust) = inv.customer_id.as_deref() else {
            continue;
        };
        if !everyone && !policy.active_for(cust) {
            continue;
        }
        let Some((due, _)) = age_from(inv) else {
            continue;
        };
        let (due_ts, due_ns) = (due.timestamp(), due.timestamp_subsec_nanos());
        let avg_late = if any_tone {
            histories.get(cust).and_then(|h| h.average_days_late)
        } else {
            None
        };
        // Steps are ordered by days and quiet days only move a date forward,
        // so the first step (from the last) whose date has come is the latest.
        let due_step = latest_first.iter().find_map(|&(i, s)| {
            if any_min && s.min_open_amount.is_some_and(|m| inv.amount_remaining < m) {
                return None;
            }
            if any_tone
                && s.skip_if_average_days_late_at_least
                    .is_some_and(|n| avg_late.is_some_and(|a| a >= n))
            {
                return None;
            }
            let at = step_at(due_ts, s.days);
            ((at, due_ns) <= (now_ts, now_ns)).then_some((i, s, at))
        });
        let Some((step_index, step, at)) = due_step else {
            continue;
        };
        out.push(DueFollowUp {
            invoice: inv,
            step_index,
            step,
            // `at` is `due` moved by whole days: the same sub-second part.
            planned_at: due + Duration::seconds(at - due_ts),
            due_at: due,
        });
    }
    // Books list invoices by id already: sorting is then one check.
    if !out.is_sorted_by(|a, b| a.invoice.id <= b.invoice.id) {
        out.sort_by(|a, b| a.invoice.id.cmp(&b.invoice.id));
    }
    out
}

/// [`due_follow_ups`] as owned records, each with its key and the
/// customer's name and email.
pub fn plan_follow_ups<'a>(
    invoices: impl IntoIterator<Item = &'a Invoice>,
    customers: &HashMap<&str, &Customer>,
    histories: &HashMap<Id, CustomerHistory>,
    policy: &'a FollowUpPolicy,
    now: DateTime<Utc>,
) -> Vec<PlannedFollowUp> {
    due_follow_ups(invoices, histories, policy, now)
        .iter()
        .map(|d| d.to_planned(customers, policy))
        .collect()
}
