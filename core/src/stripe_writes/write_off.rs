//! Written off in the books, then in Stripe (per plan, off by default): one
//! write per Stripe invoice the books wrote off by hand,
//! `POST /v1/invoices/{id}/mark_uncollectible`, or `POST
//! /v1/invoices/{id}/void` when the plan asks for it (Stripe voids only
//! `open` invoices here).
//!
//! Each write's idempotency key derives from the invoice and the action.
//! Before the write the facade reads the invoice back from Stripe: already
//! in the wanted state counts as done, paid or otherwise changed is skipped
//! and reported (never sent). A write whose answer was lost is resolved by
//! reading the invoice back, never by sending it again blindly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{WriteBackSkip, stripe_intent};
use crate::model::Invoice;
use crate::reconcile::ledger::written_off_by_hand;
use crate::writes::WriteIntent;

/// Write kind: `POST /v1/invoices/{id}/mark_uncollectible`.
pub const KIND_MARK_UNCOLLECTIBLE: &str = "invoice_mark_uncollectible";
/// Write kind: `POST /v1/invoices/{id}/void`.
pub const KIND_VOID: &str = "invoice_void";

/// What Stripe is told of an invoice the books wrote off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StripeWriteOff {
    /// `mark_uncollectible`: the invoice stays in Stripe as bad debt.
    #[default]
    MarkUncollectible,
    /// `void`: the invoice is cancelled in Stripe (only `open` ones).
    Void,
}

impl StripeWriteOff {
    /// `mark_uncollectible` or `void`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StripeWriteOff::MarkUncollectible => "mark_uncollectible",
            StripeWriteOff::Void => "void",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "mark_uncollectible" => StripeWriteOff::MarkUncollectible,
            "void" => StripeWriteOff::Void,
            _ => return None,
        })
    }

    /// The write kind.
    pub fn kind(&self) -> &'static str {
        match self {
            StripeWriteOff::MarkUncollectible => KIND_MARK_UNCOLLECTIBLE,
            StripeWriteOff::Void => KIND_VOID,
        }
    }

    /// The Stripe status the invoice has once the write is made.
    pub fn done_status(&self) -> &'static str {
        match self {
            StripeWriteOff::MarkUncollectible => "uncollectible",
            StripeWriteOff::Void => "void",
        }
    }

    /// The action of a write kind, if it is one of these.
    pub fn of_kind(kind: &str) -> Option<Self> {
        match kind {
            KIND_MARK_UNCOLLECTIBLE => Some(StripeWriteOff::MarkUncollectible),
            KIND_VOID => Some(StripeWriteOff::Void),
            _ => None,
        }
    }
}

/// The writes for Stripe account `account` and what is left out, with why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StripeWriteOffPlan {
    /// One write per invoice, in books id order.
    pub intents: Vec<WriteIntent>,
    /// Written-off invoices of the account not written (already so in
    /// Stripe as of the import, paid, void, ...), with the reason.
    pub skipped: Vec<WriteBackSkip>,
}

/// Whether `inv` is an invoice of Stripe account `account` the books wrote
/// off by hand and still hold written off.
pub fn is_written_off_stripe_invoice(inv: &Invoice, account: &str) -> bool {
    inv.source.system == "stripe"
        && inv.source.account == account
        && inv.source.object == "invoice"
        && inv.write_off.is_some()
        && written_off_by_hand(inv) > rust_decimal::Decimal::ZERO
}

/// Plans `action` for every invoice of `account` written off in the books,
/// by the Stripe status the books last imported: `open` is written;
/// already in the wanted state, or anything else, is skipped and reported.
pub fn plan_stripe_write_offs(
    invoices: &[Invoice],
    account: &str,
    action: StripeWriteOff,
    now: DateTime<Utc>,
) -> StripeWriteOffPlan {
    let mut plan = StripeWriteOffPlan::default();
    let mut invoices: Vec<&Invoice> = invoices
        .iter()
        .filter(|i| is_written_off_stripe_invoice(i, account))
        .collect();
    invoices.sort_by(|a, b| a.id.cmp(&b.id));
    for inv in invoices {
        let ext = &inv.source.external_id;
        let status = inv.source.status.as_deref().unwrap_or("-");
        if status != "open" {
            let reason = if status == action.done_status() {
                format!("already {status} in Stripe")
            } else {
                format!(
                    "{status} in Stripe as of the import: {} only applies to open invoices",
                    action.as_str()
                )
            };
            plan.skipped.push(WriteBackSkip {
                invoice_id: inv.id.clone(),
                external_id: ext.clone(),
                reason,
            });
            continue;
        }
        plan.intents
            .push(write_off_intent(inv, account, action, now));
    }
    plan
}

/// The write telling Stripe `inv` is written off: key from the account, the
/// action and the invoice; resolved by reading the invoice back.
fn write_off_intent(
    inv: &Invoice,
    account: &str,
    action: StripeWriteOff,
    now: DateTime<Utc>,
) -> WriteIntent {
    let ext = &inv.source.external_id;
    let purpose = format!("stripe/{account}/{}/{ext}", action.kind());
    let mut i = stripe_intent(
        action.kind(),
        &purpose,
        &format!("/v1/invoices/{ext}/{}", action.as_str()),
        json!({}),
        None,
        now,
    );
    // These endpoints take no metadata.
    i.payload["params"] = json!({});
    i.payload["lookup"] = json!({
        "get": format!("/v1/invoices/{ext}"),
        "done_when": { "status": [action.done_status()] },
    });
    i.subject = Some(inv.id.clone());
    i.amount = Some(crate::money::Money::new(
        written_off_by_hand(inv),
        inv.currency,
    ));
    i
}

/// What the invoice Stripe returns now (`live`) means for a write-off write:
/// `Ok(true)` already done, `Ok(false)` still to do, `Err(why)` skip it.
pub fn write_off_state(action: StripeWriteOff, live: &Value) -> Result<bool, String> {
    let status = live.get("status").and_then(Value::as_str).unwrap_or("-");
    if status == action.done_status() {
        return Ok(true);
    }
    if status == "open" {
        return Ok(false);
    }
    Err(format!(
        "{status} in Stripe now; not {}: import it again",
        match action {
            StripeWriteOff::MarkUncollectible => "marked uncollectible",
            StripeWriteOff::Void => "voided",
        }
    ))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::reconcile::ReconcilePolicy;
    use crate::reconcile::ledger::{derive_invoice_totals, rules_outside_import};

    fn written_off(ext: &str, status: &str) -> Invoice {
        let mut inv: Invoice = serde_json::from_value(json!({
            "id": format!("inv_{ext}"),
            "source": { "system": "stripe", "account": "acct_1", "object": "invoice",
                        "external_id": ext, "status": status },
            "status": "open", "currency": "usd",
            "subtotal": "80.00", "discount": "0", "tax": "0", "total": "80.00",
            "amount_due": "80.00", "amount_paid": "0", "amount_remaining": "80.00",
            "amount_written_off": "0", "source_amount_paid": "0",
            "payment_refs": {},
            "write_off": { "amount": "80.00", "reason": "bust", "at": "2025-03-01T00:00:00Z" }
        }))
        .unwrap();
        let rules = rules_outside_import(&ReconcilePolicy::default());
        derive_invoice_totals(
            &mut inv,
            rust_decimal::Decimal::ZERO,
            rust_decimal::Decimal::ZERO,
            &rules,
        );
        inv
    }

    #[test]
    fn one_write_per_open_written_off_invoice_keyed_by_invoice_and_action() {
        let now = Utc.with_ymd_and_hms(2025, 3, 2, 0, 0, 0).unwrap();
        let mut other = written_off("in_other", "open");
        other.source.account = "acct_2".into();
        let mut plain = written_off("in_plain", "open");
        plain.write_off = None;
        let invoices = vec![
            written_off("in_b", "open"),
            written_off("in_a", "uncollectible"),
            written_off("in_c", "paid"),
            other,
            plain,
        ];
        let plan =
            plan_stripe_write_offs(&invoices, "acct_1", StripeWriteOff::MarkUncollectible, now);
        assert_eq!(plan.intents.len(), 1);
        let i = &plan.intents[0];
        assert_eq!(i.kind, KIND_MARK_UNCOLLECTIBLE);
        assert_eq!(i.payload["path"], "/v1/invoices/in_b/mark_uncollectible");
        assert_eq!(i.payload["params"], json!({}));
        assert_eq!(i.payload["lookup"]["get"], "/v1/invoices/in_b");
        assert_eq!(i.subject.as_deref(), Some("inv_in_b"));
        let skipped: Vec<(&str, &str)> = plan
            .skipped
            .iter()
            .map(|s| (s.external_id.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped[0].1.contains("already uncollectible"),
            "{skipped:?}"
        );
        assert!(skipped[1].1.contains("paid in Stripe"), "{skipped:?}");
        // The same plan again: the same key. Void: another key and path.
        let again =
            plan_stripe_write_offs(&invoices, "acct_1", StripeWriteOff::MarkUncollectible, now);
        assert_eq!(again.intents[0].key, i.key);
        let void = plan_stripe_write_offs(&invoices, "acct_1", StripeWriteOff::Void, now);
        assert_eq!(void.intents[0].payload["path"], "/v1/invoices/in_b/void");
        assert_ne!(void.intents[0].key, i.key);
    }

    #[test]
    fn the_invoice_read_back_decides_done_send_or_skip() {
        let m = StripeWriteOff::MarkUncollectible;
        assert_eq!(
            write_off_state(m, &json!({"status": "uncollectible"})),
            Ok(true)
        );
        assert_eq!(write_off_state(m, &json!({"status": "open"})), Ok(false));
        assert!(write_off_state(m, &json!({"status": "paid"})).is_err());
        assert!(
            write_off_state(StripeWriteOff::Void, &json!({"status": "uncollectible"})).is_err()
        );
        assert_eq!(
            write_off_state(StripeWriteOff::Void, &json!({"status": "void"})),
            Ok(true)
        );
    }
}
