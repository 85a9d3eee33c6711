//! Stripe's minor units: integer amounts to exact major-unit decimals.
//!
//! Stripe's minor unit is not always ISO 4217's: its zero-decimal list includes
//! MGA (ISO: 2 decimals), and it sends ISK and UGX with two decimals although
//! both are zero-decimal currencies (`500` means 5 ISK).

use rust_decimal::Decimal;
use tieout_core::Currency;

/// Packs a currency code into an integer for cheap matching.
const fn key(code: &[u8; 3]) -> u32 {
    ((code[0] as u32) << 16) | ((code[1] as u32) << 8) | code[2] as u32
}

/// Stripe's decimals and the scale shown for an exact result: zero-decimal currencies
/// (BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF) 0; three-decimal
/// (BHD JOD KWD OMR TND) 3; ISK and UGX are sent with 2 but shown with 0 when exact;
/// everything else 2.
fn exponents(currency: Currency) -> (u32, u32) {
    let b = currency.code().as_bytes();
    let k = if b.len() == 3 {
        key(&[b[0], b[1], b[2]])
    } else {
        0
    };
    const BIF: u32 = key(b"BIF");
    const CLP: u32 = key(b"CLP");
    const DJF: u32 = key(b"DJF");
    const GNF: u32 = key(b"GNF");
    const JPY: u32 = key(b"JPY");
    const KMF: u32 = key(b"KMF");
    const KRW: u32 = key(b"KRW");
    const MGA: u32 = key(b"MGA");
    const PYG: u32 = key(b"PYG");
    const RWF: u32 = key(b"RWF");
    const VND: u32 = key(b"VND");
    const VUV: u32 = key(b"VUV");
    const XAF: u32 = key(b"XAF");
    const XOF: u32 = key(b"XOF");
    const XPF: u32 = key(b"XPF");
    const BHD: u32 = key(b"BHD");
    const JOD: u32 = key(b"JOD");
    const KWD: u32 = key(b"KWD");
    const OMR: u32 = key(b"OMR");
    const TND: u32 = key(b"TND");
    const ISK: u32 = key(b"ISK");
    const UGX: u32 = key(b"UGX");
    match k {
        BIF | CLP | DJF | GNF | JPY | KMF | KRW | MGA | PYG | RWF | VND | VUV | XAF | XOF | XPF => {
            (0, 0)
        }
        BHD | JOD | KWD | OMR | TND => (3, 3),
        ISK | UGX => (2, 0),
        _ => (2, 2),
    }
}

/// Number of decimals in Stripe's integer amounts for `currency` (0, 2 or 3).
///
/// ISK and UGX are 2 (Stripe's backwards-compatible two-decimal form).
pub fn stripe_exponent(currency: Currency) -> u32 {
    exponents(currency).0
}

/// Converts a Stripe integer amount (minor units) to an exact major-unit amount.
///
/// `stripe_amount(1050, USD) == 10.50`, `stripe_amount(500, JPY) == 500`,
/// `stripe_amount(1234, KWD) == 1.234`, `stripe_amount(500, ISK) == 5`.
/// ISK and UGX amounts are shown without decimals when exact (`5`, but `5.5`).
pub fn stripe_amount(minor: i64, currency: Currency) -> Decimal {
    let (exp, shown) = exponents(currency);
    let mut d = Decimal::new(minor, exp);
    if shown != exp && minor % 100 == 0 {
        d.rescale(shown);
    }
    d
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
