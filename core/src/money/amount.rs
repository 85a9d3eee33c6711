//! `Money`: an exact decimal amount in one currency.

use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::Currency;
use crate::error::{CoreError, Result};

/// An exact amount in major units (dollars, not cents) of one currency.
///
/// Arithmetic between different currencies is an error, never a panic and never
/// a silent conversion. Rounding happens only where a caller asks for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in major units.
    pub amount: Decimal,
    /// Currency of the amount.
    pub currency: Currency,
}

impl Money {
    /// Creates money from a major-unit amount.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    /// Converts an integer count of minor units (cents) using the ISO exponent.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money::new(Decimal::new(minor, currency.exponent()), currency)
    }

    /// Converts minor units with an explicit exponent (for sources whose minor
    /// unit differs from ISO, such as Stripe's ISK and UGX).
    pub fn from_minor_with_exponent(minor: i64, exponent: u32, currency: Currency) -> Self {
        Money::new(Decimal::new(minor, exponent).normalize(), currency)
    }

    /// The amount in minor units; an error if it has more digits than the currency allows.
    pub fn to_minor(&self) -> Result<i64> {
        let e = self.currency.exponent();
        let scaled = self
            .amount
            .checked_mul(Decimal::from(10i64.pow(e)))
            .ok_or(CoreError::Overflow)?;
        if scaled.fract() != Decimal::ZERO {
            return Err(CoreError::NotRepresentable {
                amount: self.amount.to_string(),
                currency: self.currency,
            });
        }
        scaled.to_i64().ok_or(CoreError::Overflow)
    }

    /// Rounds to the currency's minor unit with an explicit strategy.
    pub fn round(&self, strategy: RoundingStrategy) -> Money {
        Money::new(
            self.amount
                .round_dp_with_strategy(self.currency.exponent(), strategy),
            self.currency,
        )
    }

    /// True when the amount has no digits below the currency's minor unit.
    pub fn is_exact(&self) -> bool {
        self.to_minor().is_ok()
    }

    fn same(&self, other: &Money) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(CoreError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`; an error if the currencies differ.
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        self.same(other)?;
        let a = self
            .amount
            .checked_add(other.amount)
            .ok_or(CoreError::Overflow)?;
        Ok(Money::new(a, self.currency))
    }

    /// `self - other`; an error if the currencies differ.
    pub fn checked_sub(&self, other: &Money) -> Result<Money> {
        self.same(other)?;
        let a = self
            .amount
            .checked_sub(other.amount)
            .ok_or(CoreError::Overflow)?;
        Ok(Money::new(a, self.currency))
    }

    /// Compares two amounts; an error if the currencies differ.
    pub fn try_cmp(&self, other: &Money) -> Result<std::cmp::Ordering> {
        self.same(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// The smaller of two amounts in the same currency.
    pub fn try_min(&self, other: &Money) -> Result<Money> {
        Ok(if self.try_cmp(other)?.is_le() {
            *self
        } else {
            *other
        })
    }

    /// True for a zero amount.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True for an amount below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// The negated amount.
    pub fn neg(&self) -> Money {
        Money::new(-self.amount, self.currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.currency.exponent();
        let mut a = self.amount;
        if a.scale() < e {
            a.rescale(e);
        }
        write!(f, "{} {}", a, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn minor_units_follow_the_exponent() {
        assert_eq!(Money::from_minor(1999, Currency::USD).amount, dec!(19.99));
        assert_eq!(Money::from_minor(500, Currency::JPY).amount, dec!(500));
        assert_eq!(Money::from_minor(1234, Currency::KWD).amount, dec!(1.234));
        assert_eq!(
            Money::new(dec!(1.234), Currency::KWD).to_minor().unwrap(),
            1234
        );
        assert!(Money::new(dec!(1.001), Currency::USD).to_minor().is_err());
    }

    #[test]
    fn mixing_currencies_is_an_error_not_a_panic() {
        let a = Money::from_minor(100, Currency::USD);
        let b = Money::from_minor(100, Currency::EUR);
        assert!(matches!(
            a.checked_add(&b),
            Err(CoreError::CurrencyMismatch { .. })
        ));
        assert!(a.try_cmp(&b).is_err());
    }

    #[test]
    fn exact_decimal_arithmetic() {
        let a = Money::new(dec!(0.1), Currency::USD);
        let b = Money::new(dec!(0.2), Currency::USD);
        assert_eq!(a.checked_add(&b).unwrap().amount, dec!(0.3));
        assert_eq!(
            format!("{}", Money::new(dec!(5), Currency::USD)),
            "5.00 USD"
        );
    }

    #[test]
    fn explicit_rounding() {
        let m = Money::new(dec!(10.005), Currency::USD);
        assert_eq!(
            m.round(RoundingStrategy::MidpointNearestEven).amount,
            dec!(10.00)
        );
        assert_eq!(
            m.round(RoundingStrategy::MidpointAwayFromZero).amount,
            dec!(10.01)
        );
    }
}
