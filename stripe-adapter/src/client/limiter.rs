//! A GCRA rate limiter shared by every task of one client.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Spaces request starts at least `1/rate` seconds apart (no bursts), across
/// all tasks holding the same limiter.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    /// Theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / f64::from(per_second)),
            next: Mutex::new(None),
        }
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = match *next {
                Some(t) if t > now => t,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}
