//! A sliding-window rate limiter shared by every task of one client.
//!
//! Stripe counts requests per second. The limiter lets at most `per_second`
//! requests start within any window of one second plus a guard, timed on the
//! instants the requests actually leave (a task that wakes late is counted
//! when it sends, so scheduling jitter cannot squeeze more than the limit into
//! a window). A burst up to the limit is allowed: the pages a backfill asks for
//! once its first page arrives leave at once instead of one every `1/rate`.
//!
//! The guard covers the difference between when a start is counted here and
//! when the server counts it. It follows the spread of the round trips seen
//! lately (twice the spread, between 10 and 40 ms): a steady network gets a
//! narrow guard, an unsteady one the full 40 ms. A 429 widens the guard and
//! fixes it there for the rest of the client's life. A start taken ahead and
//! not used (the backfill found nothing to read when its turn came) is given
//! back.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The window's widest guard on top of one second before any 429, against the
/// server's clock reading a request late (network and scheduling jitter).
const GUARD: Duration = Duration::from_millis(40);

/// The narrowest guard, however steady the round trips.
const MIN_GUARD: Duration = Duration::from_millis(10);

/// Round trips kept to measure their spread.
const SAMPLES: usize = 32;

/// Round trips needed before the guard follows their spread.
const MIN_SAMPLES: usize = 8;

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
    /// The guard in use.
    guard: Duration,
    /// The widest guard (40 ms, doubled by each 429).
    ceiling: Duration,
    /// The narrowest guard (10 ms; the ceiling once a 429 was seen).
    floor: Duration,
    /// The latest round trips, oldest first.
    round_trips: VecDeque<Duration>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1) as usize;
        RateLimiter {
            per_second,
            state: Mutex::new(State {
                starts: VecDeque::with_capacity(per_second + 1),
                guard: GUARD,
                ceiling: GUARD,
                floor: MIN_GUARD,
                round_trips: VecDeque::with_capacity(SAMPLES + 1),
            }),
        }
    }

    /// Waits until a request may start now, and counts it as started at the
    /// returned instant.
    pub async fn acquire(&self) -> Instant {
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
                    return now;
                }
                free_at
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Gives back a start counted at `at` whose request was never sent. A start
    /// already out of the window's memory (older than the newest `per_second`)
    /// no longer limits anything.
    pub fn refund(&self, at: Instant) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = s.starts.iter().rposition(|t| *t == at) {
            s.starts.remove(k);
        }
    }

    /// A request counted at a start came back after `round_trip`: the guard
    /// follows the spread of the latest round trips.
    pub fn observe(&self, round_trip: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.round_trips.push_back(round_trip);
        if s.round_trips.len() > SAMPLES {
            s.round_trips.pop_front();
        }
        s.guard = match s.round_trips.len() >= MIN_SAMPLES {
            true => {
                let (lo, hi) = s
                    .round_trips
                    .iter()
                    .fold((Duration::MAX, Duration::ZERO), |(lo, hi), d| {
                        (lo.min(*d), hi.max(*d))
                    });
                ((hi - lo) * 2).clamp(s.floor, s.ceiling)
            }
            false => s.ceiling,
        };
    }

    /// The server answered 429: a request was counted in a window we thought
    /// had room, so widen the guard (doubling, at least to the full 40 ms, up
    /// to half a second) and stop narrowing it.
    pub fn throttled(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.ceiling = (s.guard * 2).clamp(GUARD, MAX_GUARD);
        s.floor = s.ceiling;
        s.guard = s.ceiling;
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

    #[test]
    fn the_guard_follows_the_spread_of_round_trips_until_a_429() {
        let limiter = RateLimiter::new(25);
        let ms = Duration::from_millis;
        // Too few round trips: the full guard.
        for _ in 0..MIN_SAMPLES - 1 {
            limiter.observe(ms(250));
        }
        assert_eq!(limiter.guard(), GUARD);
        // Steady round trips: the narrowest guard.
        limiter.observe(ms(251));
        assert_eq!(limiter.guard(), MIN_GUARD);
        // A spread of 12 ms: twice that.
        limiter.observe(ms(262));
        assert_eq!(limiter.guard(), ms(24));
        // An unsteady network: no more than the full guard.
        limiter.observe(ms(400));
        assert_eq!(limiter.guard(), GUARD);
        // The spread of the latest round trips only: the slow one ages out.
        for _ in 0..SAMPLES {
            limiter.observe(ms(250));
        }
        assert_eq!(limiter.guard(), MIN_GUARD);
        // A 429: the full guard at least (twice the guard in use), and steady
        // round trips no longer narrow it.
        limiter.throttled();
        assert_eq!(limiter.guard(), GUARD);
        for _ in 0..SAMPLES {
            limiter.observe(ms(250));
        }
        assert_eq!(limiter.guard(), GUARD);
        limiter.throttled();
        assert_eq!(limiter.guard(), ms(80));
    }

    #[tokio::test]
    async fn a_start_given_back_frees_its_place_in_the_window() {
        let limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        limiter.acquire().await;
        let unused = limiter.acquire().await;
        limiter.refund(unused);
        // The second place is free again: no wait for the window.
        limiter.acquire().await;
        assert!(Instant::now() - t0 < Duration::from_millis(200));
        // Both places are taken now: the next start waits for the window.
        limiter.acquire().await;
        assert!(Instant::now() - t0 >= Duration::from_millis(1040));
    }
}
