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

/// How much of a shard is left to read, estimated from what its pages showed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Estimate {
    /// Objects estimated in `[lo, hi]`.
    pub objects: f64,
    /// The shard's lower end.
    pub lo: i64,
    /// The top of what is left (below the page in flight, when one is).
    pub hi: i64,
    /// Objects per second at `hi` (the shard's last full page).
    pub top_density: f64,
    /// Objects per second at `lo`.
    pub low_density: f64,
}

/// What is left of `shard` below what is already read or being read, with the
/// density at its top from its last page and, when known, the density at its
/// lower end (`below`: the top of the shard just under it). The density in
/// between is taken as linear: accounts that grow have more objects near the
/// present, so the top page's density alone overstates the older part.
///
/// `busy` says a page of the shard is in flight (it will read about one page
/// below the top); `page` is the page size. `None` when nothing is left worth
/// estimating (done, no density yet, open lower end, or under 2 s of range).
pub(crate) fn estimate(
    shard: &Shard,
    density: Density,
    below: Option<f64>,
    busy: bool,
    page: u32,
) -> Option<Estimate> {
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
    let low_density = below.unwrap_or(density.per_second).max(0.0);
    Some(Estimate {
        objects: (density.per_second + low_density) / 2.0 * (hi - lo + 1) as f64,
        lo,
        hi,
        top_density: density.per_second,
        low_density,
    })
}

/// Where a growing account's density reaches zero, by the line through the
/// densities at the tops of two shards: `density` of a shard and `above`, of
/// the shard just above it (newer). `None` unless the newer one is denser
/// (an account that does not grow gives no floor). For a shard with nothing
/// learnt below it, nothing is estimated under that second.
pub(crate) fn trend_floor(density: Density, above: Density) -> Option<i64> {
    let rise = above.per_second - density.per_second;
    let run = (above.top - density.top) as f64;
    if rise <= 0.0 || run <= 0.0 || density.per_second <= 0.0 {
        return None;
    }
    Some(density.top - (density.per_second * run / rise).ceil() as i64)
}

/// Where to cut an estimated shard so that a new shard takes the lower part:
/// the upper part, which keeps the cursor, gets about half of what is left in
/// whole pages, so that its last page is a full one (every shard's partial last
/// page is a request that reads less than a page). Returns the first second of
/// the upper part and the objects estimated below it.
pub(crate) fn split_at(e: &Estimate, page: u32) -> (i64, f64) {
    let span = (e.hi - e.lo + 1) as f64;
    let pages_up = (e.objects / 2.0 / f64::from(page)).round().max(1.0);
    let want = pages_up * f64::from(page);
    // Objects from `hi - y` to `hi` with the density falling linearly from
    // `top_density` at `hi` by `k` per second: top_density * y - k * y^2 / 2.
    let k = (e.top_density - e.low_density) / span;
    let y = if k.abs() < 1e-12 {
        want / e.top_density
    } else {
        let disc = e.top_density * e.top_density - 2.0 * k * want;
        if disc < 0.0 {
            span
        } else {
            (e.top_density - disc.sqrt()) / k
        }
    };
    let mid = (e.hi + 1 - y.round() as i64).clamp(e.lo + 1, e.hi);
    let y = (e.hi + 1 - mid) as f64;
    let above = e.top_density * y - k * y * y / 2.0;
    (mid, (e.objects - above).max(0.0))
}

/// How far below the top of a fresh backfill the probes start (90 days): the
/// newest page of an account large enough to shard spans less than that.
pub(crate) const PROBE_NEAR: i64 = 90 * 86_400;

/// The deepest probe boundary but one (3 years); the last probe reaches down
/// to the start of the range.
pub(crate) const PROBE_FAR: i64 = 3 * 365 * 86_400;

/// Up to `count` shards that partition `[gte, lte - PROBE_NEAR]` of a fresh
/// shard over `[gte, lte]`, widening geometrically into the past, read at the
/// same time as the fresh shard's first page so that no request slot waits
/// for it. Their pages count once that first page is back: for a small account
/// (one page) they are ignored and the backfill stays one cursor; otherwise
/// each keeps the part below the oldest object of that page.
pub(crate) fn probes(top: &Shard, count: usize) -> Vec<Shard> {
    let (Some(gte), Some(lte)) = (top.gte, top.lte) else {
        return Vec::new();
    };
    if count == 0 || top.after.is_some() || top.done {
        return Vec::new();
    }
    let ratio = (PROBE_FAR as f64 / PROBE_NEAR as f64).powf(1.0 / (count.max(2) - 1) as f64);
    let mut tops: Vec<i64> = Vec::with_capacity(count);
    for k in 0..count {
        let b = lte - (PROBE_NEAR as f64 * ratio.powi(k as i32)).round() as i64;
        if b <= gte || tops.last().is_some_and(|t| b >= *t) {
            break;
        }
        tops.push(b);
    }
    tops.iter()
        .enumerate()
        .map(|(k, &t)| {
            let bottom = tops.get(k + 1).map_or(gte, |b| b + 1);
            Shard::new(Some(bottom), Some(t))
        })
        .collect()
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
        let e = estimate(&s, d, None, false, 100).unwrap();
        assert!((e.objects - 900.0).abs() < 1.0, "{e:?}");
        // About half of the ~9 pages left, in whole pages: 5 pages (5,000 s) above.
        assert_eq!(split_at(&e, 100).0, 4_001);
        assert!((split_at(&e, 100).1 - 400.0).abs() < 1.0);
        // A page in flight reads ~1,000 s more first: 4 of the 8 pages left below it.
        let busy = estimate(&s, d, None, true, 100).unwrap();
        assert_eq!(busy.hi, 8_000);
        assert_eq!(split_at(&busy, 100).0, 4_001);
        // 0.125/s: ~1,050 left below the page in flight; 5 pages (4,000 s) above.
        let denser = Density::of_page(100, 9_999, 9_200);
        assert_eq!(
            split_at(&estimate(&s, denser, None, true, 100).unwrap(), 100).0,
            4_401
        );
        // A range too narrow, or nothing left below the top: nothing to split.
        let sparse = Density::of_page(100, 9_999, 0);
        assert!(estimate(&s, sparse, None, false, 100).is_none());
        let mut narrow = Shard::new(Some(8_999), Some(9_000));
        narrow.after = Some("cus_y".into());
        let at_top = Density::of_page(100, 9_000, 9_000);
        assert!(estimate(&narrow, at_top, None, false, 100).is_none());
        // An open lower end (unfiltered walk) is never split.
        assert!(estimate(&Shard::new(None, Some(10_000)), d, None, false, 100).is_none());
    }

    #[test]
    fn a_growing_shard_is_estimated_and_cut_with_the_density_below_it() {
        let mut s = Shard::new(Some(0), Some(10_000));
        s.after = Some("cus_x".into());
        // 0.1/s at the top; the shard below reads nothing: the density falls
        // linearly to 0 at the bottom, so half of the top density's estimate.
        let d = Density::of_page(100, 9_999, 9_000);
        let e = estimate(&s, d, Some(0.0), false, 100).unwrap();
        assert!((e.objects - 450.0).abs() < 1.0, "{e:?}");
        // The upper part keeps 2 whole pages: 200 objects under that density.
        let (mid, below) = split_at(&e, 100);
        assert!((below - 250.0).abs() < 1.0, "{below}");
        let k = 0.1 / 9_001.0;
        let above = k * (9_001f64.powi(2) - (mid as f64).powi(2)) / 2.0;
        assert!((above - 200.0).abs() < 0.5, "{mid}: {above}");
        // The top density alone would have cut far lower (5 pages above).
        assert!(mid > 4_001 + 2_000, "{mid}");
    }

    #[test]
    fn a_growing_account_has_nothing_below_where_its_trend_reaches_zero() {
        // 0.1/s at 10,000 and 0.05/s at 9,000: zero at 8,000.
        let above = Density::of_page(100, 10_999, 10_000);
        let here = Density {
            per_second: 0.05,
            top: 9_000,
        };
        assert!((above.per_second - 0.1).abs() < 1e-9);
        assert_eq!(trend_floor(here, above), Some(8_000));
        // Not growing (the same density, or less above): no floor.
        assert_eq!(trend_floor(above, here), None);
        let flat = Density {
            per_second: 0.1,
            top: 9_000,
        };
        assert_eq!(trend_floor(flat, above), None);
        // Estimated from the floor up, with the density falling to zero there.
        let mut s = Shard::new(Some(0), Some(9_000));
        s.after = Some("cus_x".into());
        s.gte = Some(8_000);
        let e = estimate(&s, here, Some(0.0), false, 100).unwrap();
        assert!((e.objects - 25.0).abs() < 0.1, "{e:?}");
    }

    #[test]
    fn probes_partition_the_past_below_the_newest_days() {
        let (gte, lte) = (1_000, 1_000 + 15 * 365 * 86_400);
        let p = probes(&Shard::new(Some(gte), Some(lte)), 7);
        assert_eq!(p.len(), 7);
        assert_eq!(p[0].lte, Some(lte - PROBE_NEAR));
        assert!((p[6].lte.unwrap() - (lte - PROBE_FAR)).abs() <= 1, "{p:?}");
        assert_eq!(p[6].gte, Some(gte));
        for w in p.windows(2) {
            assert_eq!(w[0].gte.unwrap(), w[1].lte.unwrap() + 1);
            // Each reaches further into the past than the one above it.
            let width = |s: &Shard| s.lte.unwrap() - s.gte.unwrap();
            assert!(width(&w[1]) > width(&w[0]) || w[1].gte == Some(gte));
        }
        // A range shorter than the probes' reach gets the probes that fit.
        let young = probes(&Shard::new(Some(lte - 200 * 86_400), Some(lte)), 7);
        assert_eq!(young.len(), 2);
        assert_eq!(young[1].gte, Some(lte - 200 * 86_400));
        // None for a range within the newest days, a resumed shard or no slots.
        assert!(probes(&Shard::new(Some(lte - 86_400), Some(lte)), 7).is_empty());
        let mut resumed = Shard::new(Some(gte), Some(lte));
        resumed.after = Some("cus_1".into());
        assert!(probes(&resumed, 7).is_empty());
        assert!(probes(&Shard::new(Some(gte), Some(lte)), 0).is_empty());
        assert!(probes(&Shard::new(None, None), 7).is_empty());
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
