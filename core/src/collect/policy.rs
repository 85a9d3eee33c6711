//! `FollowUpPolicy`: when and how overdue invoices are followed up.

use std::collections::BTreeSet;

use chrono::Weekday;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::Id;

/// The text of a follow-up: minijinja templates over the invoice, the
/// customer and their payment history (see the facade's template docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate {
    /// Subject line (email) or heading (Slack).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (email only; optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// One step of a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowUpStep {
    /// Unique name within the policy (part of each message's key).
    pub name: String,
    /// Days relative to the due date (negative: before it).
    pub days: i64,
    /// Channel name: `email`, `slack`, or one the host registered.
    pub channel: String,
    /// The message.
    pub template: MessageTemplate,
    /// Only when at least this much is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_open_amount: Option<Decimal>,
    /// Tone by payment history: skip this step for a customer whose paid
    /// invoices were on average at least this many days late (e.g. skip the
    /// friendly reminder for a customer who is usually 30 days late).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_if_average_days_late_at_least: Option<i64>,
}

/// Ordered follow-up steps, pauses and opt-outs, quiet days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowUpPolicy {
    /// Version; part of each message's key, so a new version may send again.
    pub version: String,
    /// Steps, ordered by `days`.
    pub steps: Vec<FollowUpStep>,
    /// Customers (books ids) whose follow-ups are paused.
    #[serde(default)]
    pub paused: BTreeSet<Id>,
    /// Customers (books ids) who opted out.
    #[serde(default)]
    pub opted_out: BTreeSet<Id>,
    /// Days nothing is sent; a step falling on one moves to the next other day.
    #[serde(default = "weekend")]
    pub quiet_days: Vec<Weekday>,
}

fn weekend() -> Vec<Weekday> {
    vec![Weekday::Sat, Weekday::Sun]
}

impl FollowUpPolicy {
    /// A policy with `steps` (sorted by `days`), weekends quiet.
    pub fn new(version: &str, mut steps: Vec<FollowUpStep>) -> Result<FollowUpPolicy> {
        steps.sort_by_key(|s| s.days);
        let p = FollowUpPolicy {
            version: version.to_string(),
            steps,
            paused: BTreeSet::new(),
            opted_out: BTreeSet::new(),
            quiet_days: weekend(),
        };
        p.validate()?;
        Ok(p)
    }

    /// Checks names are unique and non-empty, the version is set and not
    /// every day is quiet.
    pub fn validate(&self) -> Result<()> {
        if self.version.trim().is_empty() {
            return Err(CoreError::Invalid(
                "follow-up policy version is empty".into(),
            ));
        }
        let mut names = BTreeSet::new();
        for s in &self.steps {
            if s.name.trim().is_empty() || !names.insert(s.name.as_str()) {
                return Err(CoreError::Invalid(format!(
                    "follow-up step names must be unique and non-empty: {:?}",
                    s.name
                )));
            }
            if s.channel.trim().is_empty() {
                return Err(CoreError::Invalid(format!(
                    "step {} has no channel",
                    s.name
                )));
            }
        }
        let quiet: BTreeSet<u32> = self
            .quiet_days
            .iter()
            .map(|d| d.num_days_from_monday())
            .collect();
        if quiet.len() >= 7 {
            return Err(CoreError::Invalid("every day is a quiet day".into()));
        }
        Ok(())
    }

    /// Whether a customer gets follow-ups.
    pub fn active_for(&self, customer_id: &str) -> bool {
        !self.paused.contains(customer_id) && !self.opted_out.contains(customer_id)
    }
}
