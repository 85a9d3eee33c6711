//! Several processes on one set of shared books (PostgreSQL): who holds an
//! import stream, for how long, how long to wait for it, and the backfill
//! split between workers ([`Books::backfill_worker`]).

mod backfill;
mod shards;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tieout_core::CoreError;
use tieout_core::store::StreamClaim;

use crate::books::Books;
use crate::error::Result;

pub use backfill::{WorkerOptions, WorkerReport};

/// How long these books hold an import stream or a backfill shard without
/// committing, and how long an import waits for a stream another process
/// holds. Only shared books (PostgreSQL) have leases; the defaults suit
/// them: a 60 s lease (every commit renews it; an import commits at least
/// every [`crate::CommitBatch`] interval while pages arrive) and no wait (a
/// held stream fails at once with a `Busy` error naming the holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseOptions {
    /// A lease runs out this long after its last renewal; another process
    /// may then take the stream or shard over.
    pub lease: Duration,
    /// How long an import waits for a stream held by another process before
    /// it fails with `Busy`.
    pub wait: Duration,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions {
            lease: Duration::from_secs(60),
            wait: Duration::ZERO,
        }
    }
}

impl LeaseOptions {
    /// Options from the plain seconds the Python and Node packages take
    /// (`None`: the default's). Refuses a lease under 0.1 s and a negative or
    /// non-finite number.
    pub fn from_seconds(lease: Option<f64>, wait: Option<f64>) -> Result<LeaseOptions> {
        let d = LeaseOptions::default();
        let secs = |what: &str, s: Option<f64>, default: Duration| match s {
            None => Ok(default),
            Some(s) => Duration::try_from_secs_f64(s).map_err(|_| {
                CoreError::Invalid(format!(
                    "{what} seconds must be a finite number, 0 or more, got {s}"
                ))
            }),
        };
        let lease = secs("lease", lease, d.lease)?;
        if lease < Duration::from_millis(100) {
            return Err(CoreError::Invalid(format!(
                "a lease must run 0.1 seconds or more, got {lease:?}"
            ))
            .into());
        }
        Ok(LeaseOptions {
            lease,
            wait: secs("lock wait", wait, d.wait)?,
        })
    }
}

/// This `Books`' name as a lease holder, and its lease options.
#[derive(Clone, Debug)]
pub(crate) struct Sharing {
    /// `host/pid N/books M`: unique per `Books` value in a process.
    pub(crate) holder: String,
    pub(crate) options: LeaseOptions,
}

static NEXT_BOOKS: AtomicU64 = AtomicU64::new(1);

impl Default for Sharing {
    fn default() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        Sharing {
            holder: format!(
                "{host}/pid {}/books {}",
                std::process::id(),
                NEXT_BOOKS.fetch_add(1, Ordering::Relaxed)
            ),
            options: LeaseOptions::default(),
        }
    }
}

/// How long to sleep before asking again for something held for
/// `expires_in` more, with `left` of the wait remaining.
pub(crate) fn pause(expires_in: Duration, left: Duration) -> Duration {
    expires_in
        .min(left)
        .clamp(Duration::from_millis(20), Duration::from_millis(250))
}

impl Books {
    /// These books with the lease options `options` (see [`LeaseOptions`]).
    pub fn with_leases(mut self, options: LeaseOptions) -> Books {
        self.sharing.options = options;
        self
    }

    /// The lease options.
    pub fn leases(&self) -> LeaseOptions {
        self.sharing.options
    }

    /// How these books name themselves as the holder of a stream or shard
    /// (host, process id, and which `Books` of the process).
    pub fn holder(&self) -> &str {
        &self.sharing.holder
    }

    /// Claims `stream` for these books, waiting up to the lease options'
    /// `wait` while another process holds it; then fails with
    /// [`CoreError::Busy`] naming the holder.
    pub(crate) async fn hold_stream(&self, stream: &str) -> Result<()> {
        let LeaseOptions { lease, wait } = self.sharing.options;
        let start = Instant::now();
        loop {
            let claim = self
                .store()?
                .claim_stream(stream, &self.sharing.holder, lease)?;
            match claim {
                StreamClaim::Held => return Ok(()),
                StreamClaim::Busy { holder, expires_in } => {
                    let left = wait.saturating_sub(start.elapsed());
                    if left.is_zero() {
                        return Err(CoreError::Busy {
                            what: format!("import stream {stream}"),
                            holder: format!(
                                "{holder} (its lease runs {:.1} s more unless renewed; waited {:.1} s)",
                                expires_in.as_secs_f64(),
                                start.elapsed().as_secs_f64()
                            ),
                        }
                        .into());
                    }
                    tokio::time::sleep(pause(expires_in, left)).await;
                }
            }
        }
    }

    /// Gives up the lease on `stream` (best effort: an unreleased lease runs
    /// out by itself).
    pub(crate) fn let_go_of_stream(&self, stream: &str) {
        if let Ok(mut store) = self.store() {
            let _ = store.release_stream(stream, &self.sharing.holder);
        }
    }
}
