//! The message a customer gets when auto-pay is turned off by a refused
//! charge: the reason in plain words and a link to pay the invoice by hand.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Disabling;
use crate::model::{Customer, Invoice};
use crate::writes::WriteIntent;

/// The `kind` of an auto-pay notice write.
pub const NOTICE_KIND: &str = "autopay_notice";

/// The notice of `d` to `customer` about `inv` through channel `channel`,
/// with `link` (the invoice's payment link) when there is one. Its purpose
/// names the refused charge, so each refusal is told once per channel. The
/// payload is what the follow-up channels read (`to_email`, `to_name`,
/// `subject`, `text`) plus `reason`, `payment_link` and `invoice_id`.
pub fn notice_intent(
    d: &Disabling,
    customer: &Customer,
    inv: &Invoice,
    link: Option<&str>,
    channel: &str,
    now: DateTime<Utc>,
) -> WriteIntent {
    let name = customer.name.clone().unwrap_or_else(|| "there".to_string());
    let number = inv.number.clone().unwrap_or_else(|| inv.id.clone());
    let amount = format!("{} {}", inv.amount_remaining, inv.currency.code());
    let mut text = format!(
        "Hello {name},\n\nwe could not charge your saved card for invoice {number} ({amount} open): {}.\n\
         Automatic payment is now turned off for your account and the invoice stays open.\n",
        d.reason
    );
    match link {
        Some(l) => text.push_str(&format!("\nYou can pay it here: {l}\n")),
        None => text.push_str("\nPlease pay it by another means or contact us.\n"),
    }
    let mut i = WriteIntent::new(
        channel,
        NOTICE_KIND,
        &format!("autopay_notice/{}/{channel}", d.write_key),
        json!({
            "to_email": customer.email,
            "to_name": customer.name,
            "subject": format!("Automatic payment of invoice {number} failed"),
            "text": text,
            "reason": d.reason,
            "payment_link": link,
            "invoice_id": inv.id,
            "customer_id": customer.id,
        }),
        now,
    );
    i.subject = Some(inv.id.clone());
    i
}
