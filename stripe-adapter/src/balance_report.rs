//! What Stripe reports as the account's balance (`GET /v1/balance`, or a
//! `balance` object saved in an offline export), per currency, so the books'
//! Stripe balance statement can tie to it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use tieout_core::ledger::ReportedBalance;
use tieout_core::{Currency, Money};

use crate::error::{Result, StripeError};

/// The `available` and `pending` funds of a `balance` object per currency,
/// as read at `at`. Other pots (`connect_reserved`, `instant_available`,
/// `issuing`) are not part of the balance transactions' running total and
/// are left out. An entry without an integer amount or a known currency is an
/// error naming it.
pub fn reported_balances(balance: &Value, at: DateTime<Utc>) -> Result<Vec<ReportedBalance>> {
    if balance.get("object").and_then(Value::as_str) != Some("balance") {
        return Err(StripeError::Decode("not a `balance` object".into()));
    }
    let mut per: BTreeMap<Currency, (Decimal, Decimal)> = BTreeMap::new();
    for (pot, pending) in [("available", false), ("pending", true)] {
        let Some(entries) = balance.get(pot).and_then(Value::as_array) else {
            continue;
        };
        for e in entries {
            let code = e.get("currency").and_then(Value::as_str).unwrap_or("");
            let currency = Currency::parse(code)
                .map_err(|_| StripeError::Decode(format!("balance.{pot}: currency `{code}`")))?;
            let minor = e.get("amount").and_then(Value::as_i64).ok_or_else(|| {
                StripeError::Decode(format!("balance.{pot}: {code} without an integer amount"))
            })?;
            let amount = Money::from_minor(minor, currency).amount;
            let slot = per
                .entry(currency)
                .or_insert((Decimal::ZERO, Decimal::ZERO));
            if pending {
                slot.1 += amount;
            } else {
                slot.0 += amount;
            }
        }
    }
    Ok(per
        .into_iter()
        .map(|(currency, (available, pending))| ReportedBalance {
            at,
            currency,
            available,
            pending,
            run_id: None,
        })
        .collect())
}

/// When an offline `balance` object was read: its `retrieved_at` (unix
/// seconds, added by whoever saved it), else `fallback` (the file's time).
pub fn retrieved_at(balance: &Value, fallback: DateTime<Utc>) -> DateTime<Utc> {
    balance
        .get("retrieved_at")
        .and_then(Value::as_i64)
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn per_currency_available_and_pending_in_major_units() {
        let at = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        let v = json!({"object": "balance", "livemode": false,
            "available": [{"amount": 123_456, "currency": "usd"}, {"amount": 5000, "currency": "jpy"}],
            "pending": [{"amount": -250, "currency": "usd"}],
            "connect_reserved": [{"amount": 999, "currency": "usd"}]});
        let r = reported_balances(&v, at).unwrap();
        assert_eq!(r.len(), 2);
        let usd = r.iter().find(|b| b.currency == Currency::USD).unwrap();
        assert_eq!(usd.available, Decimal::new(123_456, 2));
        assert_eq!(usd.pending, Decimal::new(-250, 2));
        let jpy = r.iter().find(|b| b.currency == Currency::JPY).unwrap();
        assert_eq!(
            (jpy.available, jpy.pending),
            (Decimal::new(5000, 0), Decimal::ZERO)
        );
        assert!(reported_balances(&json!({"object": "list"}), at).is_err());
        let bad = json!({"object": "balance", "available": [{"amount": 1.5, "currency": "usd"}]});
        assert!(
            reported_balances(&bad, at)
                .unwrap_err()
                .to_string()
                .contains("usd")
        );
        assert_eq!(
            retrieved_at(&json!({"retrieved_at": 1_700_000_000}), at).timestamp(),
            1_700_000_000
        );
        assert_eq!(retrieved_at(&v, at), at);
    }
}
