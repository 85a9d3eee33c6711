//! Re-reading an object from the API (for events whose snapshot may be stale).

use serde_json::Value;

use super::paginate::{complete_embedded, id_of};
use super::source::StripeSource;
use crate::error::{Result, StripeError};

/// The API path of one object of a Stripe object type, if tieout imports it.
pub fn object_path(object: &str, id: &str) -> Option<String> {
    let collection = match object {
        "customer" => "customers",
        "product" => "products",
        "price" => "prices",
        "plan" => "plans",
        "invoice" => "invoices",
        "invoice_payment" => "invoice_payments",
        "subscription" => "subscriptions",
        "charge" => "charges",
        "payment_intent" => "payment_intents",
        "refund" => "refunds",
        "credit_note" => "credit_notes",
        "dispute" => "disputes",
        "balance_transaction" => "balance_transactions",
        "payout" => "payouts",
        "checkout.session" => "checkout/sessions",
        _ => return None,
    };
    Some(format!("/v1/{collection}/{id}"))
}

impl StripeSource {
    /// The current version of `object` (a Stripe object, e.g. an event's
    /// `data.object`) read from the API, with its embedded lists completed
    /// (a checkout session with its payment intent expanded).
    /// `None` when the type is not imported or the object no longer exists.
    pub async fn refetch(&self, object: &Value) -> Result<Option<Value>> {
        let kind = object.get("object").and_then(Value::as_str).unwrap_or("");
        let Some(id) = id_of(object) else {
            return Ok(None);
        };
        let Some(path) = object_path(kind, id) else {
            return Ok(None);
        };
        // A session's payment intent, expanded, says whether the checkout
        // saved the card and which one (the session itself does not).
        let query: &[(&str, &str)] = if kind == "checkout.session" {
            &[("expand[]", "payment_intent")]
        } else {
            &[]
        };
        match self.get_json(&path, query).await {
            Ok(mut fresh) => {
                complete_embedded(self.http(), &mut fresh, true).await?;
                Ok(Some(fresh))
            }
            Err(StripeError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
