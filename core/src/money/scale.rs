//! The one rule for how many decimals an amount shows: its currency's exponent.

use rust_decimal::Decimal;

use super::Currency;

/// `amount` at its currency's scale: exactly the currency's minor-unit digits
/// (`0` USD -> `0.00`, `5000` JPY -> `5000`, `10.5` KWD -> `10.500`), and more
/// only when the amount has significant digits below the minor unit (a unit
/// price of `0.0125` USD stays `0.0125`; `1.2300` USD becomes `1.23`).
///
/// The value never changes, only its scale: `at_scale(a, c) == a` numerically.
/// Every record, summary, report and export shows amounts through this rule, so
/// the same books give the same strings in Rust, Python and Node.
pub fn at_scale(amount: Decimal, currency: Currency) -> Decimal {
    let e = currency.exponent();
    let mut a = amount;
    if a.scale() > e {
        a = a.normalize();
    }
    if a.scale() < e {
        a.rescale(e);
    }
    a
}

/// [`at_scale`] of an optional amount.
pub fn at_scale_opt(amount: Option<Decimal>, currency: Currency) -> Option<Decimal> {
    amount.map(|a| at_scale(a, currency))
}

/// Puts `amount` at its currency's scale in place.
pub fn scale_in_place(amount: &mut Decimal, currency: Currency) {
    *amount = at_scale(*amount, currency);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_show_their_currency_exponent() {
        let s = |a: Decimal, c: Currency| at_scale(a, c).to_string();
        assert_eq!(s(dec!(0), Currency::USD), "0.00");
        assert_eq!(s(dec!(15), Currency::USD), "15.00");
        assert_eq!(s(dec!(1.2300), Currency::USD), "1.23");
        assert_eq!(s(dec!(0.0125), Currency::USD), "0.0125");
        assert_eq!(s(dec!(-3.1), Currency::USD), "-3.10");
        assert_eq!(s(dec!(5000), Currency::JPY), "5000");
        assert_eq!(s(dec!(5000.00), Currency::JPY), "5000");
        assert_eq!(s(dec!(10.5), Currency::KWD), "10.500");
        assert_eq!(s(dec!(0), Currency::KWD), "0.000");
    }

    #[test]
    fn the_value_never_changes() {
        for a in [
            dec!(0),
            dec!(1.005),
            dec!(-12.3400),
            dec!(1e6),
            dec!(0.000001),
        ] {
            for c in [Currency::USD, Currency::JPY, Currency::KWD] {
                assert_eq!(at_scale(a, c), a);
            }
        }
    }
}
