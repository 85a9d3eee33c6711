//! Created-date shards for concurrent backfills, and where to split them.
//!
//! A backfill starts as one shard over the whole range (a small account costs
//! one request). Stripe lists newest first, so after a page the part of a shard
//! still to read is `[gte, created of the last item]`; the page also tells the
//! density there, and the shard below it (or, in a growing account, the one
//! above) tells it at a second place: the density in between is taken as the
//! line through both. A shard known to hold several pages more is split in
//! two: the old shard keeps the upper part and its cursor, cut so that it
//! holds about half of what is left in whole pages, a little under (its last
//! page nearly full, never a request for a few objects); a new shard takes the
//! lower part. Splitting the newest shard again and again cuts the range
//! geometrically towards the present, which is where a growing account keeps
//! its data.

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
    /// Objects per second of `created` over the stretch last measured: the
    /// shard's last full page, or its final stretch once it is read to its end.
    pub per_second: f64,
    /// `created` of the last object read: the top of the remaining range.
    pub top: i64,
    /// The middle of the stretch measured: where `per_second` holds exactly
    /// when the density changes linearly (a page's objects are denser at its
    /// newer end in a growing account, so its oldest second would overstate).
    pub at: i64,
}

impl Density {
    /// The density of a page whose first and last objects were created at
    /// `newest` and `oldest` (Stripe's order: newest first): `len - 1` gaps
    /// between them.
    pub fn of_page(len: usize, newest: i64, oldest: i64) -> Self {
        let per_second = match len >= 2 && newest > oldest {
            true => (len - 1) as f64 / (newest - oldest) as f64,
            false => len as f64 / ((newest - oldest).max(0) + 1) as f64,
        };
        Density {
            per_second,
            top: oldest,
            at: oldest + (newest - oldest).max(0) / 2,
        }
    }

    /// The density of a shard's final stretch: `len` objects were all it held
    /// in `[gte, upper]` (its last page, below the one before). An empty
    /// stretch says the density is zero from its top down.
    pub fn of_end(len: usize, upper: i64, gte: i64) -> Self {
        let span = (upper - gte).max(0) + 1;
        Density {
            per_second: len as f64 / span as f64,
            top: gte,
            at: if len == 0 {
                upper
            } else {
                gte + (upper - gte).max(0) / 2
            },
        }
    }
}

/// How much of a shard is left to read, estimated from what its pages showed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Estimate {
    /// Objects estimated in `[lo, hi]`.
    pub objects: f64,
    /// The shard's lower end (or where the density reaches zero above it).
    pub lo: i64,
    /// The top of what is left (below the page in flight, when one is).
    pub hi: i64,
    /// Objects per second at `hi`.
    pub top_density: f64,
    /// Objects per second at `lo`.
    pub low_density: f64,
}

/// What is left of `shard` below what is already read or being read. The
/// density is taken as the line through the shard's own last page (`density`)
/// and, when known, a second measurement `other`: the shard below it, or, for
/// a growing account with nothing learnt below, the denser shard above. Both
/// are placed at the middle of the stretch they were measured on, so a
/// density that changes linearly (an account that grows steadily) is followed
/// exactly; where the line reaches zero inside the shard, nothing is
/// estimated below that second. Without `other` the density is flat.
///
/// `busy` says a page of the shard is in flight (it will read about one page
/// below the top); `page` is the page size. `None` when nothing is left worth
/// estimating (done, no density yet, open lower end, or under 2 s of range).
pub(crate) fn estimate(
    shard: &Shard,
    density: Density,
    other: Option<Density>,
    busy: bool,
    page: u32,
) -> Option<Estimate> {
    if shard.done || density.per_second <= 0.0 {
        return None;
    }
    let mut lo = shard.gte?;
    let mut hi = density.top.min(shard.lte.unwrap_or(i64::MAX));
    if busy {
        hi -= (f64::from(page) / density.per_second).ceil() as i64;
    }
    // Objects per second as the line through the two measurements.
    let slope = match other {
        Some(o) if o.at != density.at => {
            (density.per_second - o.per_second) / (density.at - o.at) as f64
        }
        _ => 0.0,
    };
    let at = |t: i64| density.per_second + slope * (t - density.at) as f64;
    if slope > 0.0 && at(lo) < 0.0 {
        // Nothing below where the line reaches zero.
        lo = lo.max(density.at - (density.per_second / slope).floor() as i64);
    }
    if hi - lo < 2 {
        return None;
    }
    let top_density = at(hi).max(0.0);
    let low_density = at(lo).max(0.0);
    if top_density <= 0.0 {
        return None;
    }
    Some(Estimate {
        objects: (top_density + low_density) / 2.0 * (hi - lo + 1) as f64,
        lo,
        hi,
        top_density,
        low_density,
    })
}

/// What the upper part of a split is cut short of its whole pages by: a
/// small share of them, so that an estimate a little off leaves its last page
/// a little under full (a few objects move to the lower part, which ends in a
/// partial page anyway) rather than a few objects over it (a request for them
/// alone). One object and 1% of the part.
fn split_margin(want: f64) -> f64 {
    1.0 + want * 0.01
}

/// Where to cut an estimated shard so that a new shard takes the lower part:
/// the upper part, which keeps the cursor, gets about half of what is left in
/// whole pages, less a small margin (see [`split_margin`]), so that its last
/// page is nearly full and never spills over into a page of its own (every
/// shard's partial last page is a request that reads less than a page).
/// Returns the first second of the upper part and the objects estimated below it.
pub(crate) fn split_at(e: &Estimate, page: u32) -> (i64, f64) {
    let span = (e.hi - e.lo + 1) as f64;
    let pages_up = (e.objects / 2.0 / f64::from(page)).round().max(1.0);
    let want = pages_up * f64::from(page);
    let want = want - split_margin(want);
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
    let mid = (e.hi + 1 - y.floor() as i64).clamp(e.lo + 1, e.hi);
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

    /// Objects the estimate puts in `[from, e.hi]` (the density is linear).
    fn estimated_above(e: &Estimate, from: i64) -> f64 {
        let k = (e.top_density - e.low_density) / (e.hi - e.lo + 1) as f64;
        let y = (e.hi + 1 - from) as f64;
        e.top_density * y - k * y * y / 2.0
    }

    #[test]
    fn a_dense_shard_splits_in_the_middle_of_what_is_left() {
        let mut s = Shard::new(Some(0), Some(10_000));
        s.after = Some("cus_x".into());
        // 101 objects over the newest 1,000 s (0.1/s), 9,001 s left below the top.
        let d = Density::of_page(101, 10_000, 9_000);
        assert_eq!((d.top, d.at), (9_000, 9_500));
        let e = estimate(&s, d, None, false, 100).unwrap();
        assert!((e.objects - 900.0).abs() < 1.0, "{e:?}");
        // About half of the ~9 pages left, in whole pages (5), less the
        // margin: the upper part's last page is a little under full.
        let (mid, below) = split_at(&e, 100);
        let above = estimated_above(&e, mid);
        assert!(above <= 500.0 - split_margin(500.0) + 1e-9, "{above}");
        assert!(above > 500.0 - split_margin(500.0) - 0.1, "{above}");
        assert!((above + below - e.objects).abs() < 1e-6);
        // A page in flight reads ~1,000 s more first: 4 of the 8 pages left below it.
        let busy = estimate(&s, d, None, true, 100).unwrap();
        assert_eq!(busy.hi, 8_000);
        let (busy_mid, _) = split_at(&busy, 100);
        let above = estimated_above(&busy, busy_mid);
        assert!(above <= 400.0 - split_margin(400.0) + 1e-9, "{above}");
        assert!(above > 400.0 - split_margin(400.0) - 0.1, "{above}");
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

    /// `n` objects of an account opened at 0 whose sign-ups grow linearly
    /// until `now` (the backfill bench's young shape): created times, newest first.
    fn growing(n: usize, now: i64) -> Vec<i64> {
        (0..n)
            .rev()
            .map(|i| (now as f64 * ((i as f64 + 0.5) / n as f64).sqrt()) as i64)
            .collect()
    }

    /// The density of the page of 100 objects starting at index `from`.
    fn page_at(all: &[i64], from: usize) -> Density {
        Density::of_page(100, all[from], all[from + 99])
    }

    #[test]
    fn a_growing_shard_is_cut_where_its_upper_part_ends_in_a_nearly_full_page() {
        // 20,000 objects over 3 years. A shard over the created range of
        // objects 2,000..12,000 has read its first page; the shard below it
        // has read 30 pages, so its last page is far below this shard's
        // lower end. Every split of the upper 40 pages' worth is tried.
        let all = growing(20_000, 3 * 365 * 86_400);
        let count = |from: i64, to: i64| all.iter().filter(|&&c| c >= from && c <= to).count();
        let mut shard = Shard::new(Some(all[11_999]), Some(all[2_000]));
        shard.after = Some("cus_2099".into());
        let top = page_at(&all, 2_000);
        let below = page_at(&all, 12_000 + 3_000);
        let e = estimate(&shard, top, Some(below), false, 100).unwrap();
        // The line through both pages' middles follows the linear density:
        // the estimate is within a few objects of the 9,900 left.
        let left = count(shard.gte.unwrap(), top.top - 1);
        assert!((e.objects - left as f64).abs() < 15.0, "{e:?}: {left}");
        let (mid, _) = split_at(&e, 100);
        let upper = count(mid, top.top - 1);
        let pages = (e.objects / 200.0).round() as usize;
        // The upper part holds its whole pages but for the margin: its last
        // page is nearly full and no object spills into a page of its own.
        assert!(upper <= pages * 100, "{upper} objects in {pages} pages");
        let short = split_margin((pages * 100) as f64) as usize + 3;
        assert!(upper + short >= pages * 100, "{upper} in {pages} pages");
        // Taking the lower page's density as the density at the lower end
        // (where it was not measured) overstates the fall and cuts too low:
        // the upper part then spills over its whole pages.
        let at_lo = Density {
            at: shard.gte.unwrap() - 1,
            ..below
        };
        let low = estimate(&shard, top, Some(at_lo), false, 100).unwrap();
        let low_pages = (low.objects / 200.0).round() as usize;
        let (low_mid, _) = split_at(&low, 100);
        let spilt = count(low_mid, top.top - 1);
        assert!(spilt > low_pages * 100, "{spilt} in {low_pages} pages");
    }

    #[test]
    fn a_finished_shard_tells_its_density_and_where_it_is_empty() {
        // 40 objects in [1,000, 1,999]: 0.04/s in its middle.
        let d = Density::of_end(40, 1_999, 1_000);
        assert!((d.per_second - 0.04).abs() < 1e-12);
        assert_eq!((d.top, d.at), (1_000, 1_499));
        // Nothing: zero from its top down.
        let empty = Density::of_end(0, 1_999, 1_000);
        assert_eq!((empty.per_second, empty.at), (0.0, 1_999));
        // A shard above an empty one: the density falls to zero at its lower end.
        let mut s = Shard::new(Some(2_000), Some(12_000));
        s.after = Some("cus_x".into());
        let top = Density::of_page(101, 12_000, 11_000);
        let e = estimate(&s, top, Some(empty), false, 100).unwrap();
        assert!(e.low_density < 1e-4, "{e:?}");
        assert!(e.objects < 0.1 * 9_001.0 / 2.0 + 1.0, "{e:?}");
    }

    #[test]
    fn a_growing_account_has_nothing_below_where_its_trend_reaches_zero() {
        // 0.1/s measured around 10,500 and 0.05/s around 9,500: zero at 8,500.
        let above = Density::of_page(101, 11_000, 10_000);
        let here = Density {
            per_second: 0.05,
            top: 9_000,
            at: 9_500,
        };
        assert!((above.per_second - 0.1).abs() < 1e-9);
        let mut s = Shard::new(Some(0), Some(9_999));
        s.after = Some("cus_x".into());
        let e = estimate(&s, here, Some(above), false, 100).unwrap();
        assert_eq!(e.lo, 8_500, "{e:?}");
        assert!(e.low_density.abs() < 1e-9, "{e:?}");
        // From the floor up to 9,000 with the density rising to 0.025/s there.
        assert!((e.top_density - 0.025).abs() < 1e-9, "{e:?}");
        assert!((e.objects - 0.025 / 2.0 * 501.0).abs() < 0.1, "{e:?}");
        // Not growing (no second measurement): flat from the top to the bottom.
        let flat = estimate(&s, here, None, false, 100).unwrap();
        assert_eq!(flat.lo, 0);
        assert!((flat.objects - 0.05 * 9_001.0).abs() < 1e-6, "{flat:?}");
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
