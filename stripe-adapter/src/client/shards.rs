//! Created-date shards for concurrent backfills, and where to split them.
//!
//! A backfill starts as one shard over the whole range (a small account costs
//! one request). Stripe lists newest first, so after a page the part of a shard
//! still to read is `[gte, created of the last item]`; the page also tells the
//! density there. A shard known to hold several pages more is split in two at
//! the middle of that remaining range: the old shard keeps the upper half and
//! its cursor, a new shard takes the lower half. Splitting the newest shard
//! again and again cuts the range geometrically towards the present, which is
//! where a growing account keeps its data.

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

/// What the backfill learnt about one shard from its pages (not checkpointed).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Density {
    /// Objects per second of `created`, from the shard's last full page.
    pub per_second: f64,
    /// `created` of the last object read: the top of the remaining range.
    pub top: i64,
}

impl Density {
    /// The density of a page whose first and last objects were created at
    /// `newest` and `oldest` (Stripe's order: newest first).
    pub fn of_page(len: usize, newest: i64, oldest: i64) -> Self {
        let span = (newest - oldest).max(0) + 1;
        Density {
            per_second: len as f64 / span as f64,
            top: oldest,
        }
    }
}

/// Where to cut `shard` so that a new shard can take the lower part of what it
/// still has to read, or `None` when it is not worth a request of its own.
///
/// `busy` says a page of the shard is in flight (it will read about one page
/// below the top); `page` is the page size. The shard must hold an estimated
/// `min_pages` pages or more below that, and the range must be 2 s or wider.
/// Returns the estimated objects left and the first second of the upper part.
pub(crate) fn split_point(
    shard: &Shard,
    density: Density,
    busy: bool,
    page: u32,
    min_pages: u32,
) -> Option<(f64, i64)> {
    if shard.done || density.per_second <= 0.0 {
        return None;
    }
    let lo = shard.gte?;
    let mut hi = density.top.min(shard.lte.unwrap_or(i64::MAX));
    if busy {
        hi -= (f64::from(page) / density.per_second).ceil() as i64;
    }
    if hi - lo < 2 {
        return None;
    }
    let estimate = density.per_second * (hi - lo + 1) as f64;
    let page = f64::from(page);
    if estimate < page * f64::from(min_pages) {
        return None;
    }
    // The upper part keeps the cursor: give it about half of what is left,
    // rounded to whole pages, so that its last page is a full one (every
    // shard's partial last page is a request that reads less than a page).
    let pages_up = (estimate / 2.0 / page).round().max(1.0);
    let span_up = (pages_up * page / density.per_second).round() as i64;
    Some((estimate, (hi + 1 - span_up).clamp(lo + 1, hi)))
}

/// The shards a backfill starts with: the range as given (open ends stay
/// open, so an unbounded import sends no `created` filter) for one cursor
/// (`shards <= 1`), else one shard closed at `start` (before Stripe existed)
/// and `now`, which the pool splits once its first page shows there is more
/// (a small account costs one request). Objects created after `now` are left
/// to the next sync.
pub(crate) fn initial(
    gte: Option<i64>,
    lte: Option<i64>,
    shards: usize,
    start: i64,
    now: i64,
) -> Vec<Shard> {
    if shards <= 1 {
        vec![Shard::new(gte, lte)]
    } else {
        vec![Shard::new(
            Some(gte.unwrap_or(start)),
            Some(lte.unwrap_or(now)),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dense_shard_splits_in_the_middle_of_what_is_left() {
        let mut s = Shard::new(Some(0), Some(10_000));
        s.after = Some("cus_x".into());
        // 100 objects over the newest 1,000 s (0.1/s), 9,001 s left below the top.
        let d = Density::of_page(100, 9_999, 9_000);
        assert_eq!(d.top, 9_000);
        let (estimate, mid) = split_point(&s, d, false, 100, 2).unwrap();
        assert!((estimate - 900.0).abs() < 1.0, "{estimate}");
        // About half of the ~9 pages left, in whole pages: 5 pages (5,000 s) above.
        assert_eq!(mid, 4_001);
        // A page in flight reads ~1,000 s more first: 4 of the 8 pages left below it.
        let (_, busy_mid) = split_point(&s, d, true, 100, 2).unwrap();
        assert_eq!(busy_mid, 4_001);
        // 0.125/s: ~1,050 left below the page in flight; 5 pages (4,000 s) above.
        let denser = Density::of_page(100, 9_999, 9_200);
        let (_, busy_mid) = split_point(&s, denser, true, 100, 2).unwrap();
        assert_eq!(busy_mid, 4_401);
        // Too little left, or a range too narrow: no split.
        assert!(split_point(&s, d, false, 100, 10).is_none());
        let sparse = Density::of_page(100, 9_999, 0);
        assert!(split_point(&s, sparse, false, 100, 2).is_none());
        let mut narrow = Shard::new(Some(8_999), Some(9_000));
        narrow.after = Some("cus_y".into());
        assert!(split_point(&narrow, Density::of_page(100, 9_000, 9_000), false, 100, 2).is_none());
        // An open lower end (unfiltered walk) is never split.
        assert!(split_point(&Shard::new(None, Some(10_000)), d, false, 100, 2).is_none());
    }

    #[test]
    fn one_shard_to_start_with_open_ends_closed_when_it_may_split() {
        assert_eq!(
            initial(None, None, 1, 1000, 3999),
            vec![Shard::new(None, None)]
        );
        assert_eq!(
            initial(None, None, 32, 1000, 3999),
            vec![Shard::new(Some(1000), Some(3999))]
        );
        assert_eq!(
            initial(Some(5), None, 4, 0, 10),
            vec![Shard::new(Some(5), Some(10))]
        );
    }
}
