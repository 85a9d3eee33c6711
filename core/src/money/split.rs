//! Splitting an amount into parts that always sum to the whole.

use rust_decimal::Decimal;

use super::Money;
use crate::error::{CoreError, Result};

/// Splits `total` by `shares` in the currency's minor units.
///
/// Each part gets `floor(total * share / sum(shares))` minor units; the units left
/// over are handed out one at a time to the parts with the largest remainders
/// (ties to the earlier part). The parts always sum exactly to `total`.
/// Negative totals are split the same way and give negative parts.
pub fn split_by_shares(total: Money, shares: &[u64]) -> Result<Vec<Money>> {
    if shares.is_empty() {
        return Err(CoreError::Invalid("split needs at least one share".into()));
    }
    let sum: u128 = shares.iter().map(|s| u128::from(*s)).sum();
    if sum == 0 {
        return Err(CoreError::Invalid("split shares sum to zero".into()));
    }
    let minor = total.to_minor()?;
    let negative = minor < 0;
    let abs = u128::from(minor.unsigned_abs());
    let mut parts: Vec<u128> = Vec::with_capacity(shares.len());
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(shares.len());
    let mut given: u128 = 0;
    for (i, s) in shares.iter().enumerate() {
        let num = abs * u128::from(*s);
        parts.push(num / sum);
        rems.push((num % sum, i));
        given += num / sum;
    }
    let mut left = abs - given;
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|p| {
            let p = i64::try_from(p).map_err(|_| CoreError::Overflow)?;
            Ok(Money::from_minor(
                if negative { -p } else { p },
                total.currency,
            ))
        })
        .collect()
}

/// Splits `total` into `n` parts that differ by at most one minor unit.
pub fn split_evenly(total: Money, n: usize) -> Result<Vec<Money>> {
    split_by_shares(total, &vec![1; n])
}

/// Sums amounts of one currency; an error on a currency mismatch.
pub fn sum(parts: &[Money]) -> Result<Option<Money>> {
    let mut it = parts.iter();
    let Some(first) = it.next() else {
        return Ok(None);
    };
    let mut acc = *first;
    for p in it {
        acc = acc.checked_add(p)?;
    }
    Ok(Some(acc))
}

/// The smaller of two decimals.
pub fn dmin(a: Decimal, b: Decimal) -> Decimal {
    if a <= b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn remainder_goes_one_unit_at_a_time() {
        let parts = split_evenly(Money::new(dec!(100), Currency::USD), 3).unwrap();
        let v: Vec<_> = parts.iter().map(|m| m.amount).collect();
        assert_eq!(v, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
        let parts = split_by_shares(Money::from_minor(5, Currency::JPY), &[1, 1, 1]).unwrap();
        let v: Vec<_> = parts.iter().map(|m| m.amount).collect();
        assert_eq!(v, vec![dec!(2), dec!(2), dec!(1)]);
    }

    #[test]
    fn bad_shares_are_errors() {
        assert!(split_by_shares(Money::from_minor(5, Currency::USD), &[]).is_err());
        assert!(split_by_shares(Money::from_minor(5, Currency::USD), &[0, 0]).is_err());
    }

    fn currency() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec![
            Currency::USD,
            Currency::JPY,
            Currency::KWD,
            Currency::parse("CLF").unwrap(),
            Currency::parse("BHD").unwrap(),
        ])
    }

    proptest! {
        #[test]
        fn minor_round_trip(minor in -1_000_000_000_000i64..1_000_000_000_000, c in currency()) {
            let m = Money::from_minor(minor, c);
            prop_assert_eq!(m.to_minor().unwrap(), minor);
            // Through the string form too: no float anywhere.
            let s = serde_json::to_string(&m).unwrap();
            let back: Money = serde_json::from_str(&s).unwrap();
            prop_assert_eq!(back, m);
        }

        #[test]
        fn split_parts_sum_to_the_whole(
            minor in -10_000_000_000i64..10_000_000_000,
            shares in prop::collection::vec(0u64..1_000_000, 1..20),
            c in currency(),
        ) {
            prop_assume!(shares.iter().any(|s| *s > 0));
            let total = Money::from_minor(minor, c);
            let parts = split_by_shares(total, &shares).unwrap();
            prop_assert_eq!(parts.len(), shares.len());
            let s = sum(&parts).unwrap().unwrap();
            prop_assert_eq!(s, total);
            // Each part is within one minor unit of its exact share.
            let ssum: i128 = shares.iter().map(|x| *x as i128).sum();
            for (p, sh) in parts.iter().zip(&shares) {
                let exact = (minor as i128) * (*sh as i128);
                let got = p.to_minor().unwrap() as i128 * ssum;
                prop_assert!((exact - got).abs() < ssum);
            }
        }

        #[test]
        fn addition_is_exact(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000, c in currency()) {
            let s = Money::from_minor(a, c).checked_add(&Money::from_minor(b, c)).unwrap();
            prop_assert_eq!(s.to_minor().unwrap(), a + b);
        }
    }
}
