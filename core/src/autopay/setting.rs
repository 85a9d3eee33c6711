//! A customer's auto-pay: the saved payment method it charges, whether it is
//! on, and when and how that was decided (the checkout that saved the card,
//! an explicit call, a decline that turned it off).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Id;

/// How a customer's auto-pay came to be what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AutoPaySource {
    /// A Checkout Session that asked to save the card completed.
    Checkout {
        /// `cs_...`.
        session: String,
    },
    /// An explicit call (`set_default_payment_method`, `enable_auto_pay`,
    /// `disable_auto_pay`).
    Explicit,
    /// A refused charge turned it off (see `disabled_reason`).
    Decline {
        /// The key of the refused charge.
        write_key: String,
    },
}

impl AutoPaySource {
    /// One word: `checkout`, `explicit`, `decline`.
    pub fn kind(&self) -> &'static str {
        match self {
            AutoPaySource::Checkout { .. } => "checkout",
            AutoPaySource::Explicit => "explicit",
            AutoPaySource::Decline { .. } => "decline",
        }
    }
}

/// A customer's auto-pay setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoPay {
    /// The books customer.
    pub customer_id: Id,
    /// Opted in: due invoices are charged to `payment_method`.
    pub enabled: bool,
    /// The saved payment method (`pm_...`), the customer's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    /// The Stripe customer the payment method belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_customer: Option<String>,
    /// The Stripe account of both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// When the customer opted in (the latest opt-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_at: Option<DateTime<Utc>>,
    /// How the latest opt-in was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_via: Option<AutoPaySource>,
    /// When it was turned off (the latest opt-out or disabling decline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
    /// How it was turned off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_via: Option<AutoPaySource>,
    /// Why, in plain words (a decline's reason, or the caller's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The checkpoint stream a customer's setting is kept under.
pub fn stream(customer_id: &str) -> String {
    format!("books:autopay:{customer_id}")
}

impl AutoPay {
    /// Off, no card: a customer who never opted in.
    pub fn none(customer_id: &str, now: DateTime<Utc>) -> AutoPay {
        AutoPay {
            customer_id: customer_id.to_string(),
            enabled: false,
            payment_method: None,
            stripe_customer: None,
            account: None,
            enabled_at: None,
            enabled_via: None,
            disabled_at: None,
            disabled_via: None,
            disabled_reason: None,
            updated_at: now,
        }
    }

    /// Saves `payment_method` of Stripe customer `stripe_customer` in
    /// `account` as the default and opts in, `via` how, at `now`.
    pub fn save_card(
        &mut self,
        account: &str,
        stripe_customer: &str,
        payment_method: &str,
        via: AutoPaySource,
        now: DateTime<Utc>,
    ) {
        self.payment_method = Some(payment_method.to_string());
        self.stripe_customer = Some(stripe_customer.to_string());
        self.account = Some(account.to_string());
        self.enable(via, now);
    }

    /// Opts in (keeps the saved card).
    pub fn enable(&mut self, via: AutoPaySource, now: DateTime<Utc>) {
        self.enabled = true;
        self.enabled_at = Some(now);
        self.enabled_via = Some(via);
        self.updated_at = now;
    }

    /// Opts out, `via` how and `reason` why.
    pub fn disable(&mut self, via: AutoPaySource, reason: &str, now: DateTime<Utc>) {
        self.enabled = false;
        self.disabled_at = Some(now);
        self.disabled_via = Some(via);
        self.disabled_reason = Some(reason.to_string());
        self.updated_at = now;
    }

    /// Whether invoices can be charged in `account`: on, with a card saved there.
    pub fn chargeable_in(&self, account: &str) -> bool {
        self.enabled
            && self.payment_method.is_some()
            && self.stripe_customer.is_some()
            && self.account.as_deref() == Some(account)
    }

    /// The setting as stored.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored setting (`None` when unreadable).
    pub fn from_text(text: &str) -> Option<AutoPay> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn opt_in_and_out_keep_when_and_how() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let mut a = AutoPay::none("cust_1", t);
        assert!(!a.chargeable_in("acct_1"));
        a.save_card(
            "acct_1",
            "cus_1",
            "pm_1",
            AutoPaySource::Checkout {
                session: "cs_1".into(),
            },
            t,
        );
        assert!(a.chargeable_in("acct_1"));
        assert!(!a.chargeable_in("acct_2"));
        assert_eq!(a.enabled_via.as_ref().unwrap().kind(), "checkout");
        let later = t + chrono::Duration::days(1);
        a.disable(
            AutoPaySource::Decline {
                write_key: "wk_1".into(),
            },
            "the saved card has expired",
            later,
        );
        assert!(!a.chargeable_in("acct_1"));
        assert_eq!(a.disabled_at, Some(later));
        let back = AutoPay::from_text(&a.to_text()).unwrap();
        assert_eq!(back, a);
        assert_eq!(stream("cust_1"), "books:autopay:cust_1");
    }
}
