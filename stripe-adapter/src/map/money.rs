//! Stripe's minor units: integer amounts to exact major-unit decimals.
//!
//! Stripe's minor unit is not always ISO 4217's: its zero-decimal list includes
//! MGA (ISO: 2 decimals), and it sends ISK and UGX with two decimals although
//! both are zero-decimal currencies (`500` means 5 ISK).

use rust_decimal::Decimal;
use tieout_core::Currency;

/// Currencies Stripe sends without a fractional part (factor 1).
const ZERO_DECIMAL: [&str; 15] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF",
    "XOF", "XPF",
];

/// Currencies Stripe sends with three decimals (factor 1000).
const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// Number of decimals in Stripe's integer amounts for `currency` (0, 2 or 3).
///
/// ISK and UGX are 2 (Stripe's backwards-compatible two-decimal form).
pub fn stripe_exponent(currency: Currency) -> u32 {
    let code = currency.code();
    if ZERO_DECIMAL.contains(&code) {
        0
    } else if THREE_DECIMAL.contains(&code) {
        3
    } else {
        2
    }
}

/// Converts a Stripe integer amount (minor units) to an exact major-unit amount.
///
/// `stripe_amount(1050, USD) == 10.50`, `stripe_amount(500, JPY) == 500`,
/// `stripe_amount(1234, KWD) == 1.234`, `stripe_amount(500, ISK) == 5`.
/// The result carries the currency's ISO scale when that is exact (so `5` ISK,
/// `10.50` USD), otherwise Stripe's scale.
pub fn stripe_amount(minor: i64, currency: Currency) -> Decimal {
    to_iso_scale(Decimal::new(minor, stripe_exponent(currency)), currency)
}

/// Converts a decimal amount in Stripe minor units (a `unit_amount_decimal` such as
/// `"1234.5678"`) to major units. `None` if it needs more than 28 decimal places.
pub fn stripe_decimal_amount(minor: Decimal, currency: Currency) -> Option<Decimal> {
    let mut d = minor;
    let scale = d.scale() + stripe_exponent(currency);
    if scale > 28 {
        d = d.normalize();
        let scale = d.scale() + stripe_exponent(currency);
        if scale > 28 {
            return None;
        }
        d.set_scale(scale).ok()?;
        return Some(d);
    }
    d.set_scale(scale).ok()?;
    Some(d)
}

/// Rescales to the ISO exponent when no digits are lost.
fn to_iso_scale(mut d: Decimal, currency: Currency) -> Decimal {
    let iso = currency.exponent();
    if d.scale() == iso {
        return d;
    }
    if d.scale() < iso || d.normalize().scale() <= iso {
        d.rescale(iso);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn factors() {
        assert_eq!(stripe_amount(1050, c("usd")), dec!(10.50));
        assert_eq!(stripe_amount(1050, c("usd")).to_string(), "10.50");
        assert_eq!(stripe_amount(500, c("jpy")).to_string(), "500");
        assert_eq!(stripe_amount(1234, c("kwd")).to_string(), "1.234");
        assert_eq!(stripe_amount(500, c("isk")).to_string(), "5");
        assert_eq!(stripe_amount(500, c("ugx")).to_string(), "5");
        assert_eq!(stripe_amount(550, c("isk")), dec!(5.5));
        assert_eq!(stripe_amount(500, c("mga")), dec!(500));
        assert_eq!(stripe_amount(-1999, c("eur")), dec!(-19.99));
        assert_eq!(
            stripe_amount(i64::MAX, c("usd")),
            dec!(92233720368547758.07)
        );
    }

    #[test]
    fn decimal_unit_amounts() {
        assert_eq!(
            stripe_decimal_amount(dec!(1234.5678), c("usd")),
            Some(dec!(12.345678))
        );
        assert_eq!(stripe_decimal_amount(dec!(7), c("jpy")), Some(dec!(7)));
        assert_eq!(stripe_decimal_amount(dec!(1), c("kwd")), Some(dec!(0.001)));
    }
}
