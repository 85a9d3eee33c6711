//! The card a completed checkout saved: a Checkout Session that asked to save
//! the card (`payment_intent_data.setup_future_usage`) completes with a
//! PaymentIntent that carries the payment method and `setup_future_usage`.

use serde_json::Value;

/// What a completed checkout saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedCard {
    /// `cs_...`.
    pub session: String,
    /// The Stripe customer (`cus_...`).
    pub stripe_customer: String,
    /// The saved payment method (`pm_...`).
    pub payment_method: String,
    /// The books invoice the session was for (its metadata or
    /// `client_reference_id`), if it names one.
    pub invoice: Option<String>,
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The card `session` (a `checkout.session` object) saved, reading its
/// PaymentIntent from `payment_intent` or, when expanded, from the session.
/// `None` when the session is not complete and paid, did not ask to save the
/// card, or names no customer or payment method.
pub fn saved_card(session: &Value, payment_intent: Option<&Value>) -> Option<SavedCard> {
    if session.get("object").and_then(Value::as_str) != Some("checkout.session") {
        return None;
    }
    let complete = session.get("status").and_then(Value::as_str) == Some("complete");
    let paid = session
        .get("payment_status")
        .and_then(Value::as_str)
        .is_none_or(|s| s == "paid");
    if !complete || !paid {
        return None;
    }
    let pi = payment_intent.or_else(|| session.get("payment_intent").filter(|v| v.is_object()))?;
    let sfu = pi.get("setup_future_usage").and_then(Value::as_str);
    if !matches!(sfu, Some("off_session" | "on_session")) {
        return None;
    }
    let payment_method = id_of(pi.get("payment_method"))?;
    let stripe_customer = id_of(session.get("customer")).or_else(|| id_of(pi.get("customer")))?;
    let meta = |k: &str| {
        session
            .get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let invoice = meta("tieout_invoice")
        .or_else(|| meta("invoice"))
        .or_else(|| id_of(session.get("client_reference_id")));
    Some(SavedCard {
        session: id_of(session.get("id"))?,
        stripe_customer,
        payment_method,
        invoice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_completed_session_that_saved_the_card() {
        let s = json!({"id": "cs_1", "object": "checkout.session", "status": "complete",
            "payment_status": "paid", "customer": "cus_1", "client_reference_id": "inv_9",
            "metadata": {"tieout_invoice": "inv_1"},
            "payment_intent": {"id": "pi_1", "setup_future_usage": "off_session",
                "payment_method": {"id": "pm_1", "object": "payment_method"}}});
        let c = saved_card(&s, None).unwrap();
        assert_eq!(
            c,
            SavedCard {
                session: "cs_1".into(),
                stripe_customer: "cus_1".into(),
                payment_method: "pm_1".into(),
                invoice: Some("inv_1".into()),
            }
        );
        // The intent given apart (the session names it by id).
        let mut by_id = s.clone();
        by_id["payment_intent"] = json!("pi_1");
        assert!(saved_card(&by_id, None).is_none());
        let pi =
            json!({"id": "pi_1", "setup_future_usage": "off_session", "payment_method": "pm_2"});
        assert_eq!(
            saved_card(&by_id, Some(&pi)).unwrap().payment_method,
            "pm_2"
        );
        // Not asked to save, not complete, not paid: nothing saved.
        let mut no_save = s.clone();
        no_save["payment_intent"]["setup_future_usage"] = Value::Null;
        assert!(saved_card(&no_save, None).is_none());
        let mut open = s.clone();
        open["status"] = json!("open");
        assert!(saved_card(&open, None).is_none());
        let mut unpaid = s.clone();
        unpaid["payment_status"] = json!("unpaid");
        assert!(saved_card(&unpaid, None).is_none());
        // Without metadata the client reference names the invoice.
        let mut bare = s;
        bare["metadata"] = json!({});
        assert_eq!(
            saved_card(&bare, None).unwrap().invoice.as_deref(),
            Some("inv_9")
        );
    }
}
