//! The decline decision table: what a refused off-session charge means for
//! the customer's auto-pay. One typed table, read top to bottom, the first
//! row that matches decides. Stripe's `advice_code` comes first (it is the
//! issuer's own word on retrying), then the `decline_code`, then the error
//! `code`; anything not listed disables auto-pay (never charge blindly again).
//!
//! Rows follow Stripe's decline code reference (docs.stripe.com/declines/codes)
//! and card decline guide (advice codes `do_not_try_again`,
//! `confirm_card_data`, `try_again_later`).

use serde_json::Value;

/// Which field of Stripe's error a row matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `error.advice_code`.
    Advice,
    /// `error.decline_code`.
    Decline,
    /// `error.code`.
    Code,
}

/// What to do after a refused charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Turn auto-pay off for the customer, tell them why with a payment
    /// link, leave the invoice open. No new attempt.
    Disable,
    /// Keep auto-pay on and make a new attempt (a new idempotency key) after
    /// this many hours; after the last allowed attempt, disable.
    RetryAfterHours(i64),
    /// Not the card's fault (a request the books got wrong): no new attempt,
    /// auto-pay stays on, the failure is reported for a person.
    Report,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The field matched.
    pub field: Field,
    /// Its value.
    pub value: &'static str,
    /// What follows.
    pub action: Action,
    /// The reason in plain words, for the customer and the history.
    pub reason: &'static str,
}

const fn rule(field: Field, value: &'static str, action: Action, reason: &'static str) -> Rule {
    Rule {
        field,
        value,
        action,
        reason,
    }
}

use Action::{Disable, Report, RetryAfterHours};
use Field::{Advice, Code, Decline};

/// The table, first match wins.
pub const RULES: &[Rule] = &[
    // The issuer's advice decides first.
    rule(
        Advice,
        "do_not_try_again",
        Disable,
        "your bank asked us not to charge this card again",
    ),
    rule(
        Advice,
        "confirm_card_data",
        Disable,
        "your bank needs the card details confirmed before it can be charged",
    ),
    rule(
        Advice,
        "try_again_later",
        RetryAfterHours(24),
        "your bank could not approve the charge right now",
    ),
    // Decline codes: the issuer refused.
    rule(
        Decline,
        "authentication_required",
        Disable,
        "your bank asks you to confirm this payment yourself",
    ),
    rule(
        Decline,
        "insufficient_funds",
        Disable,
        "the card has insufficient funds",
    ),
    rule(
        Decline,
        "expired_card",
        Disable,
        "the saved card has expired",
    ),
    rule(
        Decline,
        "lost_card",
        Disable,
        "the saved card was reported lost",
    ),
    rule(
        Decline,
        "stolen_card",
        Disable,
        "the saved card was reported stolen",
    ),
    rule(
        Decline,
        "fraudulent",
        Disable,
        "the charge was declined by your bank",
    ),
    rule(
        Decline,
        "do_not_honor",
        Disable,
        "the charge was declined by your bank",
    ),
    rule(
        Decline,
        "do_not_try_again",
        Disable,
        "your bank asked us not to charge this card again",
    ),
    rule(
        Decline,
        "card_velocity_exceeded",
        Disable,
        "the card's spending limit was reached",
    ),
    rule(
        Decline,
        "revocation_of_authorization",
        Disable,
        "the card's authorization for automatic charges was withdrawn",
    ),
    rule(
        Decline,
        "revocation_of_all_authorizations",
        Disable,
        "the card's authorization for automatic charges was withdrawn",
    ),
    rule(
        Decline,
        "stop_payment_order",
        Disable,
        "a stop-payment order was placed on the card",
    ),
    rule(
        Decline,
        "card_not_supported",
        Disable,
        "the saved card does not support this kind of payment",
    ),
    rule(
        Decline,
        "currency_not_supported",
        Disable,
        "the saved card does not support the invoice's currency",
    ),
    rule(
        Decline,
        "generic_decline",
        Disable,
        "the charge was declined by your bank",
    ),
    rule(
        Decline,
        "try_again_later",
        RetryAfterHours(24),
        "your bank could not approve the charge right now",
    ),
    rule(
        Decline,
        "processing_error",
        RetryAfterHours(1),
        "the charge could not be processed",
    ),
    rule(
        Decline,
        "issuer_not_available",
        RetryAfterHours(1),
        "your bank could not be reached",
    ),
    rule(
        Decline,
        "reenter_transaction",
        RetryAfterHours(1),
        "the charge could not be processed",
    ),
    // Error codes, when no decline code says more.
    rule(
        Code,
        "authentication_required",
        Disable,
        "your bank asks you to confirm this payment yourself",
    ),
    rule(Code, "expired_card", Disable, "the saved card has expired"),
    rule(
        Code,
        "insufficient_funds",
        Disable,
        "the card has insufficient funds",
    ),
    rule(
        Code,
        "incorrect_cvc",
        Disable,
        "the card's details were not accepted",
    ),
    rule(
        Code,
        "incorrect_number",
        Disable,
        "the card's details were not accepted",
    ),
    rule(
        Code,
        "card_declined",
        Disable,
        "the charge was declined by your bank",
    ),
    rule(
        Code,
        "resource_missing",
        Disable,
        "the saved card is no longer on file",
    ),
    rule(
        Code,
        "payment_method_unactivated",
        Disable,
        "the saved card cannot be charged",
    ),
    rule(
        Code,
        "processing_error",
        RetryAfterHours(1),
        "the charge could not be processed",
    ),
    rule(
        Code,
        "amount_too_small",
        Report,
        "the amount is below the card network's minimum",
    ),
    rule(
        Code,
        "amount_too_large",
        Report,
        "the amount is above what can be charged at once",
    ),
    rule(
        Code,
        "parameter_invalid_integer",
        Report,
        "the charge request was invalid",
    ),
];

/// Stripe's error fields a decision reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusal {
    /// `error.code`.
    pub code: Option<String>,
    /// `error.decline_code`.
    pub decline_code: Option<String>,
    /// `error.advice_code`.
    pub advice_code: Option<String>,
}

impl Refusal {
    /// The fields of a refusal as the charge write recorded it (its outcome:
    /// `code`, `decline_code`, `advice_code` at the top or under `error`).
    pub fn from_detail(detail: &Value) -> Refusal {
        let base = detail.get("error").unwrap_or(detail);
        let s = |k: &str| base.get(k).and_then(Value::as_str).map(str::to_string);
        Refusal {
            code: s("code"),
            decline_code: s("decline_code"),
            advice_code: s("advice_code"),
        }
    }

    fn field(&self, f: Field) -> Option<&str> {
        match f {
            Field::Advice => self.advice_code.as_deref(),
            Field::Decline => self.decline_code.as_deref(),
            Field::Code => self.code.as_deref(),
        }
    }
}

/// The decision for one refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// What follows.
    pub action: Action,
    /// The reason in plain words.
    pub reason: String,
    /// The row that matched (`None`: nothing matched, the default applied).
    pub rule: Option<Rule>,
}

/// Decides what a refusal means: the first matching row, by advice, then
/// decline code, then error code; a refusal no row knows disables auto-pay.
pub fn decide(r: &Refusal) -> Decision {
    for field in [Field::Advice, Field::Decline, Field::Code] {
        let Some(v) = r.field(field) else { continue };
        if let Some(rule) = RULES.iter().find(|x| x.field == field && x.value == v) {
            return Decision {
                action: rule.action,
                reason: rule.reason.to_string(),
                rule: Some(*rule),
            };
        }
    }
    Decision {
        action: Action::Disable,
        reason: "the saved card could not be charged".to_string(),
        rule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: Option<&str>, decline: Option<&str>, advice: Option<&str>) -> Refusal {
        Refusal {
            code: code.map(str::to_string),
            decline_code: decline.map(str::to_string),
            advice_code: advice.map(str::to_string),
        }
    }

    #[test]
    fn every_row_is_reachable_and_decides_as_written() {
        for rule in RULES {
            let refusal = match rule.field {
                Field::Advice => r(Some("card_declined"), None, Some(rule.value)),
                Field::Decline => r(Some("card_declined"), Some(rule.value), None),
                Field::Code => r(Some(rule.value), None, None),
            };
            let d = decide(&refusal);
            assert_eq!(d.rule, Some(*rule), "{rule:?}");
            assert_eq!(d.action, rule.action, "{rule:?}");
            assert_eq!(d.reason, rule.reason);
            assert!(
                !d.reason.is_empty() && !d.reason.contains('_'),
                "plain words"
            );
        }
    }

    #[test]
    fn rows_are_not_shadowed() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    !(a.field == b.field && a.value == b.value),
                    "duplicate row {a:?}"
                );
            }
        }
    }

    #[test]
    fn named_cases_row_by_row() {
        use Action::*;
        let cases: &[(Refusal, Action)] = &[
            // card_declined with decline codes
            (
                r(Some("card_declined"), Some("insufficient_funds"), None),
                Disable,
            ),
            (
                r(Some("card_declined"), Some("generic_decline"), None),
                Disable,
            ),
            (r(Some("card_declined"), Some("lost_card"), None), Disable),
            (r(Some("card_declined"), Some("stolen_card"), None), Disable),
            (
                r(Some("card_declined"), Some("do_not_honor"), None),
                Disable,
            ),
            (
                r(Some("card_declined"), Some("try_again_later"), None),
                RetryAfterHours(24),
            ),
            (
                r(Some("card_declined"), Some("processing_error"), None),
                RetryAfterHours(1),
            ),
            // card_declined alone (localstripe's declines carry no decline code)
            (r(Some("card_declined"), None, None), Disable),
            (r(Some("expired_card"), None, None), Disable),
            (r(Some("expired_card"), Some("expired_card"), None), Disable),
            (r(Some("insufficient_funds"), None, None), Disable),
            (r(Some("authentication_required"), None, None), Disable),
            (
                r(Some("card_declined"), Some("authentication_required"), None),
                Disable,
            ),
            // the issuer's advice wins over the decline code
            (
                r(
                    Some("card_declined"),
                    Some("insufficient_funds"),
                    Some("try_again_later"),
                ),
                RetryAfterHours(24),
            ),
            (
                r(
                    Some("card_declined"),
                    Some("try_again_later"),
                    Some("do_not_try_again"),
                ),
                Disable,
            ),
            (
                r(
                    Some("card_declined"),
                    Some("generic_decline"),
                    Some("confirm_card_data"),
                ),
                Disable,
            ),
            (r(Some("processing_error"), None, None), RetryAfterHours(1)),
            (r(Some("amount_too_small"), None, None), Report),
            // nothing known: off, never charged blindly again
            (r(Some("something_new"), Some("unheard_of"), None), Disable),
            (r(None, None, None), Disable),
        ];
        for (refusal, want) in cases {
            assert_eq!(decide(refusal).action, *want, "{refusal:?}");
        }
        assert!(decide(&r(Some("x"), None, None)).rule.is_none());
    }

    #[test]
    fn refusal_is_read_from_the_recorded_error() {
        let detail = serde_json::json!({"status": 402, "error": {"code": "card_declined",
            "decline_code": "insufficient_funds", "advice_code": "try_again_later"}});
        let f = Refusal::from_detail(&detail);
        assert_eq!(
            f,
            r(
                Some("card_declined"),
                Some("insufficient_funds"),
                Some("try_again_later")
            )
        );
        let flat = serde_json::json!({"code": "expired_card"});
        assert_eq!(
            Refusal::from_detail(&flat).code.as_deref(),
            Some("expired_card")
        );
    }
}
