//! Follow-up templates: compiled with `minijinja` when the policy is loaded,
//! so a template error is an error at load, not at send time.
//!
//! A template sees `invoice` (`id`, `external_id`, `number`, `url`,
//! `currency`, `amount_due`, `amount_paid`, `open_amount`, `due_date`,
//! `partially_paid`), `customer` (`id`, `name`, `email`), `history`
//! (`invoices_paid_late`, `invoices_paid`, `average_days_late`,
//! `last_payment_at`, `reminders_sent`, `open_total` per currency), `step`
//! (`name`, `days`) and `key`. Amounts are decimal strings.

use minijinja::{Environment, UndefinedBehavior};
use tieout_core::CoreError;
use tieout_core::collect::FollowUpPolicy;

use crate::error::Result;

/// A validated policy with its templates compiled.
#[derive(Debug)]
pub struct CompiledPolicy {
    policy: FollowUpPolicy,
    env: Environment<'static>,
}

fn name(step: &str, part: &str) -> String {
    format!("{step}/{part}")
}

impl CompiledPolicy {
    /// Validates `policy` and compiles every step's templates; the first
    /// template error names the step and part.
    pub fn new(policy: FollowUpPolicy) -> Result<CompiledPolicy> {
        policy.validate()?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for s in &policy.steps {
            let t = &s.template;
            let mut parts = vec![("subject", t.subject.clone()), ("text", t.text.clone())];
            if let Some(h) = &t.html {
                parts.push(("html", h.clone()));
            }
            for (part, src) in parts {
                env.add_template_owned(name(&s.name, part), src)
                    .map_err(|e| crate::error::Error::Template {
                        step: s.name.clone(),
                        part: part.to_string(),
                        message: e.to_string(),
                    })?;
            }
        }
        let compiled = CompiledPolicy { policy, env };
        // Render every template once against a sample: an unknown variable or
        // a bad filter call fails here, at load.
        let sample = sample_context();
        for s in &compiled.policy.steps {
            for part in ["subject", "text", "html"] {
                let Ok(t) = compiled.env.get_template(&name(&s.name, part)) else {
                    continue;
                };
                t.render(&sample)
                    .map_err(|e| crate::error::Error::Template {
                        step: s.name.clone(),
                        part: part.to_string(),
                        message: e.to_string(),
                    })?;
            }
        }
        Ok(compiled)
    }

    /// The policy.
    pub fn policy(&self) -> &FollowUpPolicy {
        &self.policy
    }

    /// Renders `part` (`subject`, `text`, `html`) of `step`; `None` when the
    /// step has no such part.
    pub fn render(
        &self,
        step: &str,
        part: &str,
        ctx: &serde_json::Value,
    ) -> Result<Option<String>> {
        let Ok(t) = self.env.get_template(&name(step, part)) else {
            return Ok(None);
        };
        t.render(ctx)
            .map(Some)
            .map_err(|e| CoreError::Invalid(format!("rendering {part} of step {step}: {e}")).into())
    }
}

/// A context with every variable a template may use, for the load check.
fn sample_context() -> serde_json::Value {
    serde_json::json!({
        "invoice": {
            "id": "inv_sample", "external_id": "in_sample", "number": "S-1",
            "url": "https://invoice.example/in_sample", "currency": "EUR",
            "amount_due": "100.00", "amount_paid": "40.00", "open_amount": "60.00",
            "due_date": "2026-01-01", "partially_paid": true,
        },
        "customer": { "id": "cust_sample", "name": "Sample", "email": "ap@example.com" },
        "history": {
            "invoices_paid_late": 1, "invoices_paid": 2, "average_days_late": 3,
            "last_payment_at": "2026-01-01T00:00:00Z", "reminders_sent": 1,
            "open_total": { "EUR": "60.00" },
        },
        "step": { "name": "sample", "days": 0 },
        "key": "wk_sample",
    })
}
