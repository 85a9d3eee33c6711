//! The request pool of one endpoint's backfill.
//!
//! A task keeps up to `max_concurrency` shard pages in flight (each waits for
//! its slot in the shared rate limiter), starts the next request as soon as one
//! completes (no rounds), and splits a dense shard whenever a slot would
//! otherwise stay idle. Pages are handed over in the order they complete, each
//! with the state of every shard after it: that state is the checkpoint, so a
//! page is only ever counted once it has been handed over. Pages read but not
//! yet taken are bounded (twice the pool), so memory stays bounded when the
//! caller is slower than the network.

use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::http::{Http, Params};
use super::paginate::{ListPage, id_of, shard_page};
use super::shards::{Density, Shard, split_point};
use crate::error::{Result, StripeError};

/// A shard is split only when it holds this many pages or more below what is
/// already being read (fewer would cost more in partial last pages than it saves).
const MIN_PAGES_TO_SPLIT: u32 = 2;

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
        let task = tokio::spawn(drive(http, Arc::new(listing.clone()), shards.clone(), tx));
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

/// One shard as the pool sees it.
struct Live {
    shard: Shard,
    /// Learnt from the shard's last full page; `None` until then.
    density: Option<Density>,
    /// A page of it is in flight.
    busy: bool,
}

type Done = (usize, Result<ListPage>, OwnedSemaphorePermit);

async fn drive(
    http: Arc<Http>,
    listing: Arc<Listing>,
    shards: Vec<Shard>,
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
        .map(|shard| Live {
            shard,
            density: None,
            busy: false,
        })
        .collect();
    let mut in_flight = FuturesUnordered::new();
    loop {
        while in_flight.len() < slots {
            let Ok(permit) = backlog.clone().try_acquire_owned() else {
                break;
            };
            let Some(i) = next_target(&mut live, max_shards, page_size) else {
                break;
            };
            live[i].busy = true;
            let (http, listing, shard) = (http.clone(), listing.clone(), live[i].shard.clone());
            in_flight.push(async move {
                let r = shard_page(
                    &http,
                    &listing.path,
                    &listing.params,
                    &shard,
                    listing.filtered,
                )
                .await;
                (i, r, permit) as Done
            });
        }
        let Some((i, result, permit)) = in_flight.next().await else {
            if live.iter().all(|l| l.shard.done) {
                let shards = live.into_iter().map(|l| l.shard).collect();
                let _ = tx.send(Ok(Step {
                    objects: Vec::new(),
                    shards,
                    _permit: None,
                }));
                return;
            }
            // Every page read is waiting for the caller: wait for a free slot.
            match backlog.clone().acquire_owned().await {
                Ok(p) => drop(p),
                Err(_) => return,
            }
            continue;
        };
        live[i].busy = false;
        let page = match result {
            Ok(p) => p,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let objects = apply(&mut live[i], page);
        let finished = live.iter().all(|l| l.shard.done);
        let step = Step {
            objects,
            shards: snapshot(&live),
            _permit: Some(permit),
        };
        if tx.send(Ok(step)).is_err() || finished {
            return;
        }
    }
}

/// The shard to read next: an idle open one, else the lower part split off
/// the shard with the most left to read, if one is worth splitting.
fn next_target(live: &mut Vec<Live>, max_shards: usize, page_size: u32) -> Option<usize> {
    if let Some(i) = live.iter().position(|l| !l.busy && !l.shard.done) {
        return Some(i);
    }
    if live.iter().filter(|l| !l.shard.done).count() >= max_shards {
        return None;
    }
    let (i, _, mid) = live
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let (estimate, mid) =
                split_point(&l.shard, l.density?, l.busy, page_size, MIN_PAGES_TO_SPLIT)?;
            Some((i, estimate, mid))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let lower = Shard::new(live[i].shard.gte, Some(mid - 1));
    live[i].shard.gte = Some(mid);
    tracing::debug!(
        lower_gte = ?lower.gte,
        lower_lte = ?lower.lte,
        "backfill shard split"
    );
    live.push(Live {
        shard: lower,
        density: None,
        busy: false,
    });
    Some(live.len() - 1)
}

fn created(o: &Value) -> Option<i64> {
    o.get("created").and_then(Value::as_i64)
}

/// Takes a page into its shard: moves the cursor, learns the density, and
/// drops what lies below the shard's range (split off while the page was in
/// flight: Stripe lists newest first, so the shard is then finished).
fn apply(l: &mut Live, page: ListPage) -> Vec<Value> {
    let mut data = page.data;
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
        .filter(|l| !l.shard.done)
        .map(|l| l.shard.clone())
        .collect();
    if open.is_empty() {
        live.iter().map(|l| l.shard.clone()).collect()
    } else {
        open
    }
}
