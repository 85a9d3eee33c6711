//! Created-date shards for concurrent backfills.

use serde::{Deserialize, Serialize};

/// One created-date sub-range of a listing and its cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Shard {
    /// `created[gte]`, or unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<i64>,
    /// `created[lte]`, or unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<i64>,
    /// `starting_after` for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// No more pages.
    #[serde(default)]
    pub done: bool,
}

impl Shard {
    /// A shard covering `[gte, lte]`.
    pub fn new(gte: Option<i64>, lte: Option<i64>) -> Self {
        Shard {
            gte,
            lte,
            after: None,
            done: false,
        }
    }

    /// True when `created` falls inside the shard's range.
    pub fn contains(&self, created: i64) -> bool {
        self.gte.is_none_or(|g| created >= g) && self.lte.is_none_or(|l| created <= l)
    }
}

/// Splits `[gte, lte]` into `n` contiguous, non-overlapping shards.
///
/// With `n <= 1`, one shard with the range exactly as given (open ends stay
/// open, so an unbounded import sends no `created` filter at all). Otherwise open
/// ends are closed at `start` (before Stripe existed) and `now`, so each shard
/// sends both `created[gte]` and `created[lte]`; objects created after `now`
/// are left to the next sync. A range too short to split gives one shard.
pub(crate) fn split(
    gte: Option<i64>,
    lte: Option<i64>,
    n: usize,
    start: i64,
    now: i64,
) -> Vec<Shard> {
    if n <= 1 {
        return vec![Shard::new(gte, lte)];
    }
    let lo = gte.unwrap_or(start);
    let hi = lte.unwrap_or(now);
    let n = n as i64;
    if hi - lo + 1 < n * 2 {
        return vec![Shard::new(Some(lo), Some(hi))];
    }
    let width = (hi - lo + 1) / n;
    (0..n)
        .map(|i| {
            let l = if i == n - 1 {
                hi
            } else {
                lo + (i + 1) * width - 1
            };
            Shard::new(Some(lo + i * width), Some(l))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_range_without_overlap() {
        let s = split(Some(100), Some(199), 4, 0, 1000);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].gte, Some(100));
        assert_eq!(s[3].lte, Some(199));
        for w in s.windows(2) {
            assert_eq!(w[0].lte.unwrap() + 1, w[1].gte.unwrap());
        }
        for t in 100..=199 {
            assert_eq!(s.iter().filter(|x| x.contains(t)).count(), 1);
        }
    }

    #[test]
    fn open_ends_close_at_start_and_now() {
        let s = split(None, None, 3, 1000, 3999);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].gte, Some(1000));
        assert_eq!(s[2].lte, Some(3999));
        assert_eq!(split(None, None, 1, 0, 10), vec![Shard::new(None, None)]);
        assert_eq!(split(Some(5), Some(6), 4, 0, 10).len(), 1);
    }
}
