//! Write-back: a Stripe invoice the books see paid some other way (a bank
//! transfer or another manual payment allocated to it) is marked paid in
//! Stripe.
//!
//! Two ways, by API version:
//! - [`WriteBackMethod::PaidOutOfBand`]: `POST /v1/invoices/{id}/pay` with
//!   `paid_out_of_band=true`, once the books see the invoice fully paid (Stripe
//!   marks the whole invoice paid that way). Every version accepts it.
//! - [`WriteBackMethod::PaymentRecord`] (from `2025-10-29.clover`, where
//!   invoices take Payment Records): per books payment, `POST
//!   /v1/payment_records/report_payment` for the amount it pays, then `POST
//!   /v1/invoices/{id}/attach_payment` with that record; partial payments
//!   are written back as they come.
//!
//! Each write's idempotency key derives from the invoice and the books
//! payment(s) paying it. Before each write the facade re-reads the invoice
//! from Stripe: already paid there counts as done, anything else changed
//! since the import is skipped and reported (never overwritten).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::stripe_intent;
use crate::error::Result;
use crate::model::{Allocation, AllocationKind, Id, Invoice, InvoiceStatus, Payment};
use crate::money::Money;
use crate::writes::WriteIntent;

/// Write kind: mark paid out of band (`/pay`).
pub const KIND_PAID_OUT_OF_BAND: &str = "invoice_paid_out_of_band";
/// Write kind: report a payment record for a books payment.
pub const KIND_PAYMENT_RECORD: &str = "invoice_payment_record";
/// Write kind: attach that record to the invoice.
pub const KIND_ATTACH_PAYMENT: &str = "invoice_attach_payment";

/// The first API version whose invoices take Payment Records
/// (`attach_payment` with `payment_record`).
pub const PAYMENT_RECORDS_SINCE: &str = "2025-10-29";

/// How paid-elsewhere invoices are written back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteBackMethod {
    /// By the writer's API version: payment records from
    /// [`PAYMENT_RECORDS_SINCE`], paid out of band before.
    #[default]
    Auto,
    /// `POST /v1/invoices/{id}/pay` with `paid_out_of_band=true`.
    PaidOutOfBand,
    /// `report_payment` + `attach_payment`.
    PaymentRecord,
}

impl WriteBackMethod {
    /// The concrete method for API version `api_version` (`Auto` resolved).
    pub fn resolve(self, api_version: &str) -> WriteBackMethod {
        match self {
            WriteBackMethod::Auto => {
                let date = api_version.get(..10).unwrap_or(api_version);
                if date >= PAYMENT_RECORDS_SINCE {
                    WriteBackMethod::PaymentRecord
                } else {
                    WriteBackMethod::PaidOutOfBand
                }
            }
            m => m,
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "auto" => WriteBackMethod::Auto,
            "paid_out_of_band" => WriteBackMethod::PaidOutOfBand,
            "payment_record" => WriteBackMethod::PaymentRecord,
            _ => return None,
        })
    }
}

/// An invoice the write-back leaves alone, and why (shown in the review).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteBackSkip {
    /// Books id of the invoice.
    pub invoice_id: Id,
    /// Its Stripe id.
    pub external_id: String,
    /// Why.
    pub reason: String,
}

/// The write-back writes and the invoices left alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteBackPlan {
    /// The writes, in order (for payment records: report, then attach).
    pub intents: Vec<WriteIntent>,
    /// Candidates not written back, with the reason.
    pub skipped: Vec<WriteBackSkip>,
}

/// What the books paid on one invoice from outside Stripe account `account`:
/// `(payment, amount)` per payment, in payment id order.
fn paid_elsewhere<'a>(
    inv: &Invoice,
    allocations: &[&Allocation],
    payments: &'a HashMap<&str, &Payment>,
    account: &str,
) -> Vec<(&'a Payment, Decimal)> {
    let mut by: BTreeMap<&str, Decimal> = BTreeMap::new();
    for a in allocations {
        if a.invoice_id != inv.id || a.kind != AllocationKind::Payment {
            continue;
        }
        let Some(p) = payments.get(a.payment_id.as_str()) else {
            continue;
        };
        let from_stripe = p.source.system == "stripe" && p.source.account == account;
        if !from_stripe {
            *by.entry(p.id.as_str()).or_default() += a.amount;
        }
    }
    by.into_iter()
        .filter(|(_, amt)| *amt > Decimal::ZERO)
        .filter_map(|(id, amt)| payments.get(id).map(|p| (*p, amt)))
        .collect()
}

/// Whether `inv` is an invoice of Stripe account `account` that Stripe, as of
/// the last import, still expects to be paid (`open` or `uncollectible`).
pub fn is_open_in_stripe(inv: &Invoice, account: &str) -> bool {
    inv.source.system == "stripe"
        && inv.source.account == account
        && inv.source.object == "invoice"
        && matches!(inv.source.status.as_deref(), Some("open" | "uncollectible"))
}

/// The `stripe` write `kind` for `purpose` with no metadata in its params
/// (the endpoints it calls take none), about invoice `inv`.
fn bare_intent(
    kind: &str,
    purpose: &str,
    path: &str,
    params: Value,
    inv: &Invoice,
    now: DateTime<Utc>,
) -> WriteIntent {
    let mut i = stripe_intent(kind, purpose, path, json!({}), None, now);
    i.payload["params"] = params;
    // Resolved by reading the invoice back: paid there means made.
    i.payload["lookup"] = json!({
        "get": format!("/v1/invoices/{}", inv.source.external_id),
        "done_when": { "status": ["paid"] },
    });
    i.subject = Some(inv.id.clone());
    i
}

/// Plans the write-back for Stripe account `account` with `method` (already
/// resolved for the API version): every invoice of that account open in
/// Stripe as of its import and paid in the books by payments from outside
/// that account. `allocations` and `payments` need to cover those invoices.
pub fn plan_write_back(
    invoices: &[Invoice],
    allocations: &[Allocation],
    payments: &[Payment],
    account: &str,
    method: WriteBackMethod,
    now: DateTime<Utc>,
) -> Result<WriteBackPlan> {
    let by_id: HashMap<&str, &Payment> = payments.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut by_invoice: HashMap<&str, Vec<&Allocation>> = HashMap::new();
    for a in allocations {
        by_invoice.entry(a.invoice_id.as_str()).or_default().push(a);
    }
    let mut plan = WriteBackPlan::default();
    let mut invoices: Vec<&Invoice> = invoices
        .iter()
        .filter(|i| is_open_in_stripe(i, account))
        .collect();
    invoices.sort_by(|a, b| a.id.cmp(&b.id));
    for inv in invoices {
        let allocs = by_invoice.get(inv.id.as_str()).cloned().unwrap_or_default();
        let paid = paid_elsewhere(inv, &allocs, &by_id, account);
        if paid.is_empty() {
            continue;
        }
        let ext = &inv.source.external_id;
        let skip = |reason: String| WriteBackSkip {
            invoice_id: inv.id.clone(),
            external_id: ext.clone(),
            reason,
        };
        match method {
            WriteBackMethod::PaidOutOfBand | WriteBackMethod::Auto => {
                if inv.status != InvoiceStatus::Paid || inv.amount_remaining > Decimal::ZERO {
                    plan.skipped.push(skip(format!(
                        "{} of {} still open in the books; paid out of band marks the whole \
                         invoice paid, so it waits until the books see it paid",
                        inv.amount_remaining, inv.amount_due
                    )));
                    continue;
                }
                let ids: Vec<&str> = paid.iter().map(|(p, _)| p.id.as_str()).collect();
                let purpose = format!(
                    "stripe/{account}/invoice_paid_out_of_band/{ext}/{}",
                    ids.join("+")
                );
                let mut i = bare_intent(
                    KIND_PAID_OUT_OF_BAND,
                    &purpose,
                    &format!("/v1/invoices/{ext}/pay"),
                    json!({ "paid_out_of_band": true }),
                    inv,
                    now,
                );
                let total: Decimal = paid.iter().map(|(_, a)| *a).sum();
                i.amount = Some(Money::new(total, inv.currency));
                i.payload["payments"] = json!(ids);
                plan.intents.push(i);
            }
            WriteBackMethod::PaymentRecord => {
                for (p, amount) in paid {
                    let minor = Money::new(amount, inv.currency).to_minor()?;
                    let at = p.received_at.unwrap_or(now).timestamp();
                    let base = format!("stripe/{account}/invoice_payment/{ext}/{}", p.id);
                    let mut report = stripe_intent(
                        KIND_PAYMENT_RECORD,
                        &format!("{base}/record"),
                        "/v1/payment_records/report_payment",
                        json!({
                            "amount_requested": { "value": minor, "currency": inv.currency.lower() },
                            "initiated_at": at,
                            "customer_presence": "off_session",
                            "outcome": "guaranteed",
                            "guaranteed": { "guaranteed_at": at },
                            "payment_method_details": {
                                "type": "custom",
                                "custom": { "display_name": p.method.as_deref().unwrap_or("bank_transfer") },
                            },
                            "processor_details": {
                                "type": "custom",
                                "custom": { "payment_reference": p.source.external_id },
                            },
                            "description": format!("Paid outside Stripe ({})", p.id),
                            "metadata": { "tieout_payment": p.id, "tieout_invoice": inv.id },
                        }),
                        None,
                        now,
                    );
                    report.subject = Some(inv.id.clone());
                    report.amount = Some(Money::new(amount, inv.currency));
                    let mut attach = bare_intent(
                        KIND_ATTACH_PAYMENT,
                        &format!("{base}/attach"),
                        &format!("/v1/invoices/{ext}/attach_payment"),
                        json!({}),
                        inv,
                        now,
                    );
                    // No lookup for an attach: it is resent under its key,
                    // which Stripe answers from its idempotency cache.
                    attach.payload["lookup"] = Value::Null;
                    attach.payload["record_from"] = json!(report.key);
                    attach.amount = report.amount;
                    plan.intents.push(report);
                    plan.intents.push(attach);
                }
            }
        }
    }
    Ok(plan)
}

/// What changed in Stripe since the import, comparing the invoice Stripe
/// returns now (`live`) with the books' copy: its status and amounts. Empty
/// when nothing did. `ours` is what this books' own payment-record
/// write-backs attached since (Stripe's `amount_paid` may include it). A
/// `paid` status is not reported here: see [`paid_in_stripe`].
pub fn changed_in_stripe(inv: &Invoice, live: &Value, ours: Decimal) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let status = live.get("status").and_then(Value::as_str);
    if status != inv.source.status.as_deref() {
        out.push(format!(
            "status {} -> {}",
            inv.source.status.as_deref().unwrap_or("-"),
            status.unwrap_or("-")
        ));
    }
    let minor = |d: Decimal| Money::new(d, inv.currency).to_minor();
    for (field, books) in [
        ("total", minor(inv.total)?),
        ("amount_due", minor(inv.amount_due)?),
    ] {
        if let Some(v) = live.get(field).and_then(Value::as_i64) {
            if v != books {
                out.push(format!("{field} {books} -> {v}"));
            }
        }
    }
    if let Some(v) = live.get("amount_paid").and_then(Value::as_i64) {
        let books = minor(inv.source_amount_paid)?;
        if v != books && v != books + minor(ours)? {
            out.push(format!("amount_paid {books} -> {v}"));
        }
    }
    if live.get("currency").and_then(Value::as_str) != Some(inv.currency.lower().as_str()) {
        out.push("currency".into());
    }
    Ok(out)
}

/// Whether Stripe's invoice (as returned now) is already paid.
pub fn paid_in_stripe(live: &Value) -> bool {
    live.get("status").and_then(Value::as_str) == Some("paid")
}

/// Whether a refusal of a write-back means the invoice is already paid
/// (Stripe answers 400 "Invoice is already paid"): counted as done.
pub fn already_paid_refusal(code: Option<&str>, message: &str) -> bool {
    code == Some("invoice_already_paid") || message.to_ascii_lowercase().contains("already paid")
}

#[cfg(test)]
mod tests;
