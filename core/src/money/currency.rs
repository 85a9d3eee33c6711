//! ISO 4217 currency codes and their minor-unit exponents.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CoreError, Result};

/// Position of a code of three upper-case ASCII letters in [`EXPONENTS`].
const fn letters_index(code: [u8; 3]) -> Option<usize> {
    let [a, b, c] = code;
    if a.is_ascii_uppercase() && b.is_ascii_uppercase() && c.is_ascii_uppercase() {
        Some(((a - b'A') as usize * 26 + (b - b'A') as usize) * 26 + (c - b'A') as usize)
    } else {
        None
    }
}

/// The minor-unit exponent of every three-letter code, built at compile time
/// from [`TABLE`]; codes missing from it have 2 (as before).
static EXPONENTS: [u8; 26 * 26 * 26] = {
    let mut t = [2u8; 26 * 26 * 26];
    let mut i = 0;
    while i < TABLE.len() {
        let k = TABLE[i].0.as_bytes();
        if let Some(at) = letters_index([k[0], k[1], k[2]]) {
            t[at] = TABLE[i].1 as u8;
        }
        i += 1;
    }
    t
};

/// An active ISO 4217 currency code, stored as three upper-case ASCII letters.
///
/// `Currency` is `Copy` and compares by code. Parsing accepts either case
/// (Stripe sends lower case) and rejects codes that are not in ISO 4217.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Active ISO 4217 codes with their exponents (digits after the decimal point).
const TABLE: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");
    /// Japanese yen (exponent 0).
    pub const JPY: Currency = Currency(*b"JPY");
    /// Kuwaiti dinar (exponent 3).
    pub const KWD: Currency = Currency(*b"KWD");

    /// Parses an ISO 4217 code in any case (`"usd"`, `"USD"`).
    pub fn parse(code: &str) -> Result<Self> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(CoreError::UnknownCurrency(code.to_string()));
        }
        let upper = [
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ];
        let c = Currency(upper);
        if TABLE
            .binary_search_by(|(k, _)| k.as_bytes().cmp(&upper[..]))
            .is_ok()
        {
            Ok(c)
        } else {
            Err(CoreError::UnknownCurrency(code.to_string()))
        }
    }

    /// The upper-case ISO code, e.g. `"USD"`.
    pub fn code(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// The lower-case code Stripe uses, e.g. `"usd"`.
    pub fn lower(&self) -> String {
        self.code().to_ascii_lowercase()
    }

    /// ISO 4217 minor-unit exponent: 0 for JPY, 2 for USD, 3 for KWD, 4 for CLF.
    pub fn exponent(&self) -> u32 {
        // Every amount's scale asks this, several times per posting: a
        // direct index instead of a search of the table.
        match letters_index(self.0) {
            Some(i) => u32::from(EXPONENTS[i]),
            None => 2,
        }
    }

    /// Every currency this build knows, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        TABLE.iter().map(|(k, _)| {
            let b = k.as_bytes();
            Currency([b[0], b[1], b[2]])
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn the_exponent_index_agrees_with_the_table() {
        for (code, e) in TABLE {
            let c = Currency::parse(code).unwrap();
            assert_eq!(c.exponent(), *e, "{code}");
        }
        assert_eq!(Currency(*b"zzz").exponent(), 2);
    }

    #[test]
    fn parses_any_case_and_rejects_unknown() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert_eq!(Currency::parse("Jpy").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("kwd").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("CLF").unwrap().exponent(), 4);
        assert!(Currency::parse("xyz").is_err());
        assert!(Currency::parse("us").is_err());
        assert!(Currency::parse("currency").is_err());
    }

    #[test]
    fn serde_round_trip() {
        let j = serde_json::to_string(&Currency::EUR).unwrap();
        assert_eq!(j, "\"EUR\"");
        let c: Currency = serde_json::from_str("\"eur\"").unwrap();
        assert_eq!(c, Currency::EUR);
    }
}
