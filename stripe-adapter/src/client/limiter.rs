//! A sliding-window rate limiter shared by every task of one client.
//!
//! Stripe counts requests per second. The limiter lets at most `per_second`
//! requests start within any window of one second plus a guard, timed on the
//! instants the requests actually leave (a task that wakes late is counted
//! when it sends, so scheduling jitter cannot squeeze more than the limit into
//! a window). A burst up to the limit is allowed: the pages a backfill asks for
//! once its first page arrives leave at once instead of one every `1/rate`.
//! A 429 widens the guard for the rest of the client's life.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The window's guard on top of one second, against the server's clock
/// reading a request late (network and scheduling jitter).
const GUARD: Duration = Duration::from_millis(40);

/// The most the guard grows to after 429s.
const MAX_GUARD: Duration = Duration::from_millis(500);

/// At most `per_second` request starts within any `1 s + guard`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The last `per_second` start instants, oldest first.
    starts: VecDeque<Instant>,
    guard: Duration,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1) as usize;
        RateLimiter {
            per_second,
            state: Mutex::new(State {
                starts: VecDeque::with_capacity(per_second + 1),
                guard: GUARD,
            }),
        }
    }

    /// Waits until a request may start now, and counts it as started.
    pub async fn acquire(&self) {
        loop {
            let wait_until = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let window = Duration::from_secs(1) + s.guard;
                let free_at = match s.starts.len() >= self.per_second {
                    true => s.starts[s.starts.len() - self.per_second] + window,
                    false => now,
                };
                if free_at <= now {
                    s.starts.push_back(now);
                    while s.starts.len() > self.per_second {
                        s.starts.pop_front();
                    }
                    return;
                }
                free_at
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// The server answered 429: a request was counted in a window we thought
    /// had room, so widen the guard (doubling, up to half a second).
    pub fn throttled(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.guard = (s.guard * 2).min(MAX_GUARD);
    }

    /// The guard now in use.
    #[cfg(test)]
    fn guard(&self) -> Duration {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_most_the_limit_in_any_guarded_window_with_bursts_allowed() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            limiter.acquire().await;
            starts.push(Instant::now() - t0);
        }
        // A burst of three, then the fourth once the first leaves the window.
        assert!(starts[2] < Duration::from_millis(200), "{starts:?}");
        assert!(starts[3] >= Duration::from_millis(1040), "{starts:?}");
        assert!(starts[3] < Duration::from_millis(1500), "{starts:?}");
        limiter.throttled();
        assert_eq!(limiter.guard(), Duration::from_millis(80));
        for _ in 0..10 {
            limiter.throttled();
        }
        assert_eq!(limiter.guard(), MAX_GUARD);
    }
}
