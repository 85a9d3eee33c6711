//! The request pool of one endpoint's backfill.
//!
//! A task keeps up to `max_concurrency` shard pages in flight (each waits for
//! its slot in the shared rate limiter), starts the next request as soon as one
//! completes (no rounds), and splits a dense shard whenever a slot would
//! otherwise stay idle. A fresh backfill reads probes of the past together with
//! its first page, so that no slot waits for that page (see
//! [`super::shards::probes`]); a small account ignores them and stays one
//! cursor. Pages are handed over in the order they complete, each with the
//! state of every shard after it: that state is the checkpoint, so a page is
//! only ever counted once it has been handed over. Pages read but not yet taken
//! are bounded (twice the pool), so memory stays bounded when the caller is
//! slower than the network.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::http::{Admission, Http, Params};
use super::paginate::{ListPage, id_of, shard_page};
use super::shards::{Density, Estimate, Shard, estimate, probes, split_at};
use crate::error::{Result, StripeError};

/// A shard is split only when it holds this many pages or more below what is
/// already being read (fewer would cost more in partial last pages than it
/// saves), unless it is the backfill's critical path (see [`next_target`]).
const MIN_PAGES_TO_SPLIT: f64 = 2.0;

/// Probes sent with a fresh backfill's first page: one, over everything below
/// the newest 90 days. A small account (one page) costs two requests; a large
/// one learns the density at both ends of its range from the first round
/// trip and splits from there.
const PROBES: usize = 1;

/// The last rounds of a backfill: what is left, spread over every slot, is at
/// most this many pages per slot.
const TAIL_ROUNDS: f64 = 3.0;

/// In the last rounds, a shard is split when its pages in a row (the one in
/// flight included) exceed the rounds left by more than this.
const TAIL_SLACK: f64 = 0.5;

/// The least a split-off lower part must be estimated to hold, in pages.
const MIN_LOWER_PART: f64 = 0.25;

/// What a pool reads: an endpoint's path and fixed parameters, and whether
/// `created` filters are sent (no filters: one cursor, never split).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listing {
    pub path: String,
    pub params: Params,
    pub filtered: bool,
}

/// One page read by the pool and the shards after it.
struct Step {
    objects: Vec<Value>,
    shards: Vec<Shard>,
    /// Frees a backlog slot once the caller has taken the page.
    _permit: Option<OwnedSemaphorePermit>,
}

/// A running backfill of one listing.
pub(crate) struct Pool {
    listing: Listing,
    /// The shards as the last page handed over left them.
    expected: Vec<Shard>,
    steps: mpsc::UnboundedReceiver<Result<Step>>,
    task: JoinHandle<()>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Pool {
    /// Starts reading `listing` from `shards` (a checkpoint's, or one fresh shard).
    pub fn start(http: Arc<Http>, listing: Listing, shards: Vec<Shard>) -> Self {
        let (tx, steps) = mpsc::unbounded_channel();
        // Probes cost a small account requests: only the first listing of a
        // client probes, and later ones once a listing needed more than a page.
        let first = !http.listed.swap(true, Ordering::Relaxed);
        let probe = first || http.large_listing.load(Ordering::Relaxed);
        let task = tokio::spawn(drive(
            http,
            Arc::new(listing.clone()),
            shards.clone(),
            probe,
            tx,
        ));
        Pool {
            listing,
            expected: shards,
            steps,
            task,
        }
    }

    /// True when this pool continues exactly from `shards` of `listing`.
    pub fn follows(&self, listing: &Listing, shards: &[Shard]) -> bool {
        self.listing == *listing && self.expected == shards
    }

    /// The next pages: waits for one, then takes those already read, up to
    /// `max` in all. Returns their objects and the shards after the last one.
    pub async fn next(&mut self, max: usize) -> Result<(Vec<Value>, Vec<Shard>)> {
        let stopped = || StripeError::Network("the backfill task stopped".into());
        let mut step = self.steps.recv().await.ok_or_else(stopped)??;
        let mut objects = std::mem::take(&mut step.objects);
        for _ in 1..max.max(1) {
            match self.steps.try_recv() {
                Ok(next) => {
                    step = next?;
                    objects.append(&mut step.objects);
                }
                Err(_) => break,
            }
        }
        self.expected = step.shards;
        Ok((objects, self.expected.clone()))
    }
}

/// What a shard is to the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Read and checkpointed.
    Read,
    /// A probe sent with the first page; its page waits for that one.
    Probe,
    /// A probe made useless by the first page (a small account, or a range
    /// that page already covered): its page is ignored.
    Dropped,
}

/// One shard as the pool sees it.
struct Live {
    shard: Shard,
    /// Learnt from the shard's last full page (or its final stretch once
    /// read to its end); `None` until then.
    density: Option<Density>,
    /// A page of it is in flight.
    busy: bool,
    /// A page of it has been asked for.
    requested: bool,
    role: Role,
}

impl Live {
    fn new(shard: Shard, role: Role) -> Self {
        Live {
            shard,
            density: None,
            busy: false,
            requested: false,
            role,
        }
    }

    fn open(&self) -> bool {
        self.role == Role::Read && !self.shard.done
    }
}

type Done = (usize, Result<ListPage>, OwnedSemaphorePermit);

/// A request's turn and its place in the backlog.
type Turn = (Admission, OwnedSemaphorePermit);

async fn drive(
    http: Arc<Http>,
    listing: Arc<Listing>,
    shards: Vec<Shard>,
    probe: bool,
    tx: mpsc::UnboundedSender<Result<Step>>,
) {
    let slots = http.config.max_concurrency.max(1);
    let max_shards = if listing.filtered {
        http.config.shards.max(1)
    } else {
        1
    };
    let page_size = http.config.page_limit.clamp(1, 100);
    let backlog = Arc::new(Semaphore::new(slots * 2));
    let mut live: Vec<Live> = shards
        .into_iter()
        .map(|shard| Live::new(shard, Role::Read))
        .collect();
    // A fresh backfill that may split reads probes of the past with its first page.
    let mut probing = false;
    if probe && max_shards > 1 && live.len() == 1 {
        let found = probes(&live[0].shard, PROBES.min(max_shards - 1));
        probing = !found.is_empty();
        live.extend(found.into_iter().map(|s| Live::new(s, Role::Probe)));
    }
    // Probe pages that came back before the first page.
    let mut held: Vec<(usize, Result<ListPage>)> = Vec::new();
    let mut in_flight: FuturesUnordered<Pin<Box<dyn Future<Output = Done> + Send>>> =
        FuturesUnordered::new();
    // The next request's turn, waited for one at a time: what it reads is
    // chosen when it may leave, with every answer back by then taken in.
    let mut turn: Option<Pin<Box<dyn Future<Output = Turn> + Send>>> = None;
    // A turn came with nothing to read: wait for a page before the next one.
    let mut stalled = false;
    loop {
        if turn.is_none()
            && !stalled
            && in_flight.len() < slots
            && let Ok(permit) = backlog.clone().try_acquire_owned()
        {
            let http = http.clone();
            turn = Some(Box::pin(async move { (http.admit().await, permit) }));
        }
        tokio::select! {
            biased;
            Some((i, result, permit)) = in_flight.next(), if !in_flight.is_empty() => {
                stalled = false;
                live[i].busy = false;
                match live[i].role {
                    Role::Dropped => continue,
                    Role::Probe => {
                        held.push((i, result));
                        continue;
                    }
                    Role::Read => {}
                }
                let page = match result {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                if page.has_more {
                    http.large_listing.store(true, Ordering::Relaxed);
                }
                let mut objects = apply(&mut live[i], page);
                if probing && i == 0 {
                    // The first page: it tells which probes count.
                    probing = false;
                    settle_probes(&mut live);
                    for (j, r) in held.drain(..) {
                        if live[j].role != Role::Read {
                            continue;
                        }
                        match r {
                            Ok(p) => objects.extend(apply(&mut live[j], p)),
                            Err(e) => {
                                let _ = tx.send(Err(e));
                                return;
                            }
                        }
                    }
                }
                let finished = finished(&live);
                let step = Step {
                    objects,
                    shards: snapshot(&live),
                    _permit: Some(permit),
                };
                if tx.send(Ok(step)).is_err() || finished {
                    return;
                }
            }
            (admission, permit) = async { turn.as_mut().expect("a turn is awaited").await }, if turn.is_some() => {
                turn = None;
                let target = if probing {
                    live.iter()
                        .position(|l| !l.requested && l.role != Role::Dropped)
                } else {
                    next_target(&mut live, max_shards, page_size, slots)
                };
                let Some(i) = target else {
                    // Nothing to read until a page comes back: give the turn back.
                    http.release(admission);
                    drop(permit);
                    stalled = true;
                    continue;
                };
                live[i].busy = true;
                live[i].requested = true;
                let (http, listing, shard) = (http.clone(), listing.clone(), live[i].shard.clone());
                in_flight.push(Box::pin(async move {
                    let r = shard_page(
                        &http,
                        admission,
                        &listing.path,
                        &listing.params,
                        &shard,
                        listing.filtered,
                    )
                    .await;
                    (i, r, permit) as Done
                }));
            }
            else => {
                if finished(&live) {
                    let _ = tx.send(Ok(Step {
                        objects: Vec::new(),
                        shards: snapshot(&live),
                        _permit: None,
                    }));
                    return;
                }
                if stalled {
                    // Nothing in flight and nothing to read, yet not finished.
                    let _ = tx.send(Err(StripeError::Network(
                        "the backfill has shards left but none to read".into(),
                    )));
                    return;
                }
                // Every page read is waiting for the caller: wait for a free slot.
                match backlog.clone().acquire_owned().await {
                    Ok(p) => drop(p),
                    Err(_) => return,
                }
            }
        }
    }
}

/// Every shard read to its end, and no probe waiting.
fn finished(live: &[Live]) -> bool {
    live.iter().all(|l| l.role != Role::Probe && !l.open())
}

/// After the first page of a fresh shard (`live[0]`): a small account (that
/// page was all) drops the probes; otherwise each probe keeps the part of its
/// range below the oldest object of that page, and the first shard keeps the
/// range above the probes.
fn settle_probes(live: &mut [Live]) {
    let cut = match (&live[0].density, live[0].shard.done) {
        (Some(d), false) => Some(d.top),
        _ => None,
    };
    let mut highest: Option<i64> = None;
    for l in live.iter_mut().skip(1).filter(|l| l.role == Role::Probe) {
        match (cut, l.shard.gte) {
            (Some(c), Some(gte)) if gte < c => {
                let lte = l.shard.lte.map_or(c - 1, |t| t.min(c - 1));
                l.shard.lte = Some(lte);
                l.role = Role::Read;
                highest = highest.max(Some(lte));
            }
            _ => l.role = Role::Dropped,
        }
    }
    if let Some(h) = highest {
        live[0].shard.gte = Some(h + 1);
    }
    tracing::debug!(
        probes = live.iter().filter(|l| l.role == Role::Read).count() - 1,
        "backfill probes settled"
    );
}

/// The shard just below (`down`) or above `shard` in the partition of the
/// range, if any.
fn neighbour<'a>(live: &'a [Live], shard: &Shard, down: bool) -> Option<&'a Live> {
    live.iter().find(|l| {
        l.role == Role::Read
            && match down {
                true => shard.gte.is_some() && l.shard.lte == shard.gte.map(|g| g - 1),
                false => shard.lte.is_some() && l.shard.gte == shard.lte.map(|t| t + 1),
            }
    })
}

/// The nearest density measured below `shard` (or above it, `down` false):
/// the shard next to it, or past it when that one has read nothing yet.
fn density_beyond(live: &[Live], shard: &Shard, down: bool) -> Option<Density> {
    let mut next = neighbour(live, shard, down);
    while let Some(l) = next {
        if let Some(d) = l.density {
            return Some(d);
        }
        next = neighbour(live, &l.shard, down);
    }
    None
}

/// The second measurement `shard`'s density is estimated with (see
/// [`estimate`]): the nearest below it; with nothing learnt below, the nearest
/// above it when that one is denser (a growing account: the trend continues
/// down to where it reaches zero); else none (a flat density).
fn other_density(live: &[Live], shard: &Shard, density: Density) -> Option<Density> {
    density_beyond(live, shard, true).or_else(|| {
        density_beyond(live, shard, false)
            .filter(|a| a.per_second > density.per_second && a.at > density.at)
    })
}

/// The shard to read next: an idle open one, else the lower part split off
/// the shard with the most left to read, if one is worth splitting: it holds
/// two pages or more below the page in flight, or at least one and is the
/// critical path (its pages in a row outlast what is left overall spread over
/// every slot), so the backfill's last round is not one shard alone. In the
/// last rounds a shard whose pages in a row would outlast them is split even
/// when another shard is idle: read one after the other, its last page would
/// go out alone after every other slot has finished.
fn next_target(
    live: &mut Vec<Live>,
    max_shards: usize,
    page_size: u32,
    slots: usize,
) -> Option<usize> {
    let idle = live.iter().position(|l| l.open() && !l.busy);
    if live.iter().filter(|l| l.open()).count() >= max_shards {
        return idle;
    }
    let page = f64::from(page_size);
    let estimates: Vec<Option<Estimate>> = live
        .iter()
        .map(|l| {
            if !l.open() {
                return None;
            }
            let density = l.density?;
            let other = other_density(live, &l.shard, density);
            estimate(&l.shard, density, other, l.busy, page_size)
        })
        .collect();
    let in_flight = |l: &Live| if l.busy { 1.0 } else { 0.0 };
    let left: f64 = live
        .iter()
        .zip(&estimates)
        .filter(|(l, _)| l.open())
        .map(|(l, e)| match (e, l.density) {
            (Some(e), _) => e.objects / page + in_flight(l),
            (None, None) => 1.0,
            (None, Some(_)) => 0.0,
        })
        .sum();
    let rounds = left / slots as f64;
    let tail = rounds <= TAIL_ROUNDS;
    let split = live
        .iter()
        .zip(&estimates)
        .enumerate()
        .filter_map(|(i, (l, e))| {
            let e = (*e)?;
            let pages = e.objects / page;
            let serial = pages + in_flight(l);
            let wanted = match idle {
                // Only the tail's critical path is worth a split while a shard idles.
                Some(_) => tail && pages >= 1.0 && serial > rounds + TAIL_SLACK,
                None => pages >= MIN_PAGES_TO_SPLIT || (pages >= 1.0 && serial > rounds + 1.0),
            };
            let (mid, below) = split_at(&e, page_size);
            // A lower part with next to nothing in it would be a request for nothing.
            let worth = below >= page * MIN_LOWER_PART;
            (wanted && worth).then_some((i, e.objects, mid))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((i, _, mid)) = split else {
        return idle;
    };
    let lower = Shard::new(live[i].shard.gte, Some(mid - 1));
    live[i].shard.gte = Some(mid);
    tracing::debug!(
        lower_gte = ?lower.gte,
        lower_lte = ?lower.lte,
        "backfill shard split"
    );
    live.push(Live::new(lower, Role::Read));
    Some(live.len() - 1)
}

fn created(o: &Value) -> Option<i64> {
    o.get("created").and_then(Value::as_i64)
}

/// Takes a page into its shard: moves the cursor, learns the density, and
/// drops what lies outside the shard's range: above it (a probe cut while its
/// page was in flight; a page with nothing else is read again), or below it
/// (split off while the page was in flight: Stripe lists newest first, so the
/// shard is then finished).
fn apply(l: &mut Live, page: ListPage) -> Vec<Value> {
    let mut data = page.data;
    if let Some(lte) = l.shard.lte {
        let above = data
            .iter()
            .take_while(|o| created(o).is_some_and(|c| c > lte))
            .count();
        if above > 0 && above == data.len() {
            // Nothing of this page is the shard's: read it again (from the
            // same cursor, now with the narrower range), unless that was all.
            l.shard.done = !page.has_more;
            return Vec::new();
        }
        data.drain(..above);
    }
    let full = data.len();
    if let Some(gte) = l.shard.gte
        && let Some(cut) = data
            .iter()
            .position(|o| created(o).is_some_and(|c| c < gte))
    {
        data.truncate(cut);
    }
    let crossed = data.len() < full;
    let last = data.last().and_then(id_of).map(str::to_string);
    l.shard.done = crossed || !page.has_more || last.is_none() || last == l.shard.after;
    if !crossed
        && page.has_more
        && let (Some(newest), Some(oldest)) = (
            data.first().and_then(created),
            data.last().and_then(created),
        )
    {
        l.density = Some(Density::of_page(data.len(), newest, oldest));
    } else if !crossed
        && !page.has_more
        && let (Some(gte), Some(upper)) = (l.shard.gte, l.density.map(|d| d.top).or(l.shard.lte))
    {
        // The shard's final stretch, below its last full page: what it held
        // is now known exactly, and tells the shard above it.
        l.density = Some(Density::of_end(data.len(), upper, gte));
    }
    if last.is_some() {
        l.shard.after = last;
    }
    data
}

/// The checkpointed state: the open shards (all of them once every one is done).
fn snapshot(live: &[Live]) -> Vec<Shard> {
    let open: Vec<Shard> = live
        .iter()
        .filter(|l| l.open())
        .map(|l| l.shard.clone())
        .collect();
    if open.is_empty() {
        live.iter()
            .filter(|l| l.role == Role::Read)
            .map(|l| l.shard.clone())
            .collect()
    } else {
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shard over `[gte, lte]` read down to `top` at `per_second`.
    fn read_to(gte: i64, lte: i64, top: i64, per_second: f64, busy: bool) -> Live {
        let mut shard = Shard::new(Some(gte), Some(lte));
        shard.after = Some(format!("cus_{top}"));
        let mut l = Live::new(shard, Role::Read);
        l.density = Some(Density {
            per_second,
            top,
            at: top + (50.0 / per_second) as i64,
        });
        l.busy = busy;
        l.requested = true;
        l
    }

    /// Seven shards each with their last page in flight, above an idle shard
    /// with two pages left (200 objects at 0.1/s below 12,000).
    fn last_rounds() -> Vec<Live> {
        let mut live = vec![read_to(10_000, 12_000, 12_000, 0.1, false)];
        for k in 0..7 {
            let lo = 20_000 + k * 1_000;
            live.push(read_to(lo, lo + 999, lo + 5, 1.0, true));
        }
        live
    }

    #[test]
    fn in_the_last_rounds_a_long_idle_shard_is_split_not_read_alone() {
        let mut live = last_rounds();
        // Read as it is, its second page would go out alone after the others.
        let target = next_target(&mut live, 32, 100, 8);
        assert_eq!(target, Some(8), "the lower part split off is read now");
        let (upper, lower) = (&live[0].shard, &live[8].shard);
        // The two parts partition the shard: the upper keeps its cursor and
        // one page, the lower starts fresh below it.
        assert_eq!(lower.gte, Some(10_000));
        assert_eq!(lower.lte.map(|l| l + 1), upper.gte);
        assert_eq!(upper.after.as_deref(), Some("cus_12000"));
        assert_eq!(lower.after, None);
        // One page above, less the margin: 98 objects, 980 s at 0.1/s.
        assert_eq!(upper.gte, Some(11_021));
        // The next turn reads the upper part.
        live[8].busy = true;
        assert_eq!(next_target(&mut live, 32, 100, 8), Some(0));
    }

    #[test]
    fn before_the_last_rounds_an_idle_shard_is_read_as_it_is() {
        let mut live = last_rounds();
        // A busy shard with 60 pages left: far from the last rounds.
        live.push(read_to(100_000, 200_000, 160_000, 0.1, true));
        assert_eq!(next_target(&mut live, 32, 100, 8), Some(0));
        assert_eq!(live.len(), 9, "nothing split");
        assert_eq!(live[0].shard.gte, Some(10_000));
    }
}
