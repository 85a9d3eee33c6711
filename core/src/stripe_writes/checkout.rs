//! A payment link per invoice: one active Stripe Checkout Session, reused
//! until it expires or the open amount changes, then expired through the API
//! and replaced. The active session is kept in the invoice's metadata.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::stripe_intent;
use crate::error::{CoreError, Result};
use crate::model::Invoice;
use crate::money::Money;
use crate::writes::WriteIntent;

/// Invoice metadata keys of the active session.
pub const SESSION_ID: &str = "stripe_checkout_session";
/// Its URL.
pub const SESSION_URL: &str = "stripe_checkout_url";
/// The open amount it charges.
pub const SESSION_AMOUNT: &str = "stripe_checkout_amount";
/// When Stripe expires it (unix seconds).
pub const SESSION_EXPIRES: &str = "stripe_checkout_expires_at";
/// How many sessions the invoice has had.
pub const SESSION_GENERATION: &str = "stripe_checkout_generation";

/// How payment links are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutSettings {
    /// Save the card for later off-session charges
    /// (`payment_intent_data.setup_future_usage=off_session`).
    pub save_card: bool,
    /// Where Stripe sends the customer after paying.
    pub success_url: String,
    /// Where Stripe sends the customer who cancels.
    pub cancel_url: String,
}

/// An invoice's current Checkout Session, from its metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveSession {
    /// `cs_...`.
    pub id: String,
    /// The page the customer pays on.
    pub url: String,
    /// The amount it charges.
    pub amount: Decimal,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Its number among the invoice's sessions (1 for the first).
    pub generation: u32,
}

/// The session recorded on `inv`, if any.
pub fn active_session(inv: &Invoice) -> Option<ActiveSession> {
    let m = &inv.metadata;
    Some(ActiveSession {
        id: m.get(SESSION_ID)?.clone(),
        url: m.get(SESSION_URL)?.clone(),
        amount: m.get(SESSION_AMOUNT)?.parse().ok()?,
        expires_at: DateTime::from_timestamp(m.get(SESSION_EXPIRES)?.parse().ok()?, 0)?,
        generation: m.get(SESSION_GENERATION)?.parse().ok()?,
    })
}

/// What asking for an invoice's payment link comes to.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkPlan {
    /// The active session still fits: its URL.
    Reuse(ActiveSession),
    /// Writes to make, in order: expire the old session (when still open),
    /// then create a new one (the last intent).
    Create(Vec<WriteIntent>),
}

/// Plans the payment link of `inv` for Stripe customer `customer` in
/// `account`: reuse the active session while it is unexpired at `now` and
/// charges the open amount; otherwise expire it (if not yet expired) and
/// create a new one. Fails for an invoice with nothing open.
pub fn plan_payment_link(
    inv: &Invoice,
    customer: &str,
    account: &str,
    settings: &CheckoutSettings,
    now: DateTime<Utc>,
) -> Result<LinkPlan> {
    if !matches!(inv.source.status.as_deref(), Some("open"))
        || inv.amount_remaining <= Decimal::ZERO
    {
        return Err(CoreError::Invalid(format!(
            "invoice {} has nothing open to pay ({} with {} open)",
            inv.id,
            inv.status.as_str(),
            inv.amount_remaining
        )));
    }
    let open = inv.amount_remaining;
    let minor = Money::new(open, inv.currency).to_minor()?;
    let active = active_session(inv);
    let mut out = Vec::new();
    if let Some(a) = &active {
        let live = a.expires_at > now;
        if live && a.amount == open {
            return Ok(LinkPlan::Reuse(a.clone()));
        }
        if live {
            let mut x = stripe_intent(
                "checkout_expire",
                &format!("stripe/{account}/checkout_expire/{}", a.id),
                &format!("/v1/checkout/sessions/{}/expire", a.id),
                json!({}),
                None,
                now,
            );
            x.subject = Some(inv.id.clone());
            // Expiring needs no metadata: drop the key the helper added.
            x.payload["params"] = json!({});
            out.push(x);
        }
    }
    let generation = active.map_or(1, |a| a.generation + 1);
    let name = match &inv.number {
        Some(n) => format!("Invoice {n}"),
        None => format!("Invoice {}", inv.id),
    };
    let mut pi_data = json!({ "metadata": { "invoice": inv.id, "tieout_invoice": inv.id } });
    if settings.save_card {
        pi_data["setup_future_usage"] = Value::String("off_session".into());
    }
    let params = json!({
        "mode": "payment",
        "customer": customer,
        "client_reference_id": inv.id,
        "success_url": settings.success_url,
        "cancel_url": settings.cancel_url,
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": inv.currency.lower(),
                "unit_amount": minor,
                "product_data": { "name": name },
            },
        }],
        "metadata": { "invoice": inv.id, "tieout_invoice": inv.id },
        "payment_intent_data": pi_data,
    });
    let mut create = stripe_intent(
        "checkout_create",
        &format!("stripe/{account}/checkout/{}/{minor}/{generation}", inv.id),
        "/v1/checkout/sessions",
        params,
        Some(("/v1/checkout/sessions", json!({ "customer": customer }))),
        now,
    );
    create.subject = Some(inv.id.clone());
    create.amount = Some(Money::new(open, inv.currency));
    out.push(create);
    Ok(LinkPlan::Create(out))
}

/// The invoice metadata recording a created session (`session` is Stripe's
/// Checkout Session object), for generation `generation` charging `amount`.
pub fn record_session(
    inv: &mut Invoice,
    session: &Value,
    amount: Decimal,
    generation: u32,
) -> Result<ActiveSession> {
    let s = |k: &str| session.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(id), Some(url)) = (s("id"), s("url")) else {
        return Err(CoreError::Invalid(format!(
            "Stripe's checkout session answer has no id or url: {session}"
        )));
    };
    let expires = session
        .get("expires_at")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let m = &mut inv.metadata;
    m.insert(SESSION_ID.into(), id.clone());
    m.insert(SESSION_URL.into(), url.clone());
    m.insert(SESSION_AMOUNT.into(), amount.normalize().to_string());
    m.insert(SESSION_EXPIRES.into(), expires.to_string());
    m.insert(SESSION_GENERATION.into(), generation.to_string());
    Ok(ActiveSession {
        id,
        url,
        amount,
        expires_at: DateTime::from_timestamp(expires, 0).unwrap_or_default(),
        generation,
    })
}
