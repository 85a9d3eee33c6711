//! Splitting a backfill's created-date range into shards.

use serde::{Deserialize, Serialize};

/// The created-date range of one shard: unix seconds, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Range {
    /// First second of the range.
    pub(crate) gte: i64,
    /// Last second of the range.
    pub(crate) lte: i64,
}

/// `[gte, lte]` cut into `n` ranges of equal length (the first ones one
/// second longer when it does not divide), oldest first, covering every
/// second exactly once; fewer when the range has fewer seconds.
pub(crate) fn split(gte: i64, lte: i64, n: u32) -> Vec<Range> {
    if lte < gte {
        return Vec::new();
    }
    let span = i128::from(lte) - i128::from(gte) + 1;
    let n = i128::from(n.max(1)).min(span);
    let (width, extra) = (span / n, span % n);
    let mut out = Vec::with_capacity(n as usize);
    let mut from = i128::from(gte);
    for i in 0..n {
        let len = width + i128::from(i < extra);
        // Every value lies in [gte, lte], so it fits an i64.
        out.push(Range {
            gte: from as i64,
            lte: (from + len - 1) as i64,
        });
        from += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_cover_every_second_once() {
        for (gte, lte, n) in [
            (0, 99, 4),
            (10, 20, 3),
            (5, 5, 8),
            (0, 6, 7),
            (-50, 1_000_003, 16),
        ] {
            let shards = split(gte, lte, n);
            assert!(shards.len() as u32 <= n);
            assert_eq!(shards.first().unwrap().gte, gte);
            assert_eq!(shards.last().unwrap().lte, lte);
            for w in shards.windows(2) {
                assert_eq!(w[0].lte + 1, w[1].gte, "{shards:?}");
            }
            let lens: Vec<i64> = shards.iter().map(|r| r.lte - r.gte + 1).collect();
            let (min, max) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
            assert!(max - min <= 1, "{lens:?}");
        }
        assert_eq!(split(5, 5, 8), vec![Range { gte: 5, lte: 5 }]);
        assert_eq!(split(10, 20, 3).len(), 3);
        assert!(split(3, 2, 4).is_empty());
    }
}
