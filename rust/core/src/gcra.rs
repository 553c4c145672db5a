//! The arithmetic of a rate limit whose state lives outside the process (one row per key in a
//! database shared by every worker and host), with exactly the semantics of
//! [`crate::ratelimit::RateLimiter`]: governor's GCRA with a burst of `N` and one request
//! refilled every `60 s / N`.
//!
//! The state of a key is its theoretical arrival time (`tat`, integer nanoseconds on the store's
//! clock). One check is one atomic conditional update in the store, which needs two parameters,
//! [`Gcra::interval_ns`] (`t`) and [`Gcra::tolerance_ns`] (`tau`):
//!
//! ```text
//! no row        -> allowed, tat = now + t
//! tat - tau > now -> refused, tat unchanged, retry after (tat - tau) - now
//! otherwise     -> allowed, tat = max(tat, now) + t
//! ```
//!
//! [`Gcra::step`] is that update in Rust (the reference the store's statement is tested
//! against), [`Gcra::outcome`] turns what the statement returns into the decision and its
//! `Retry-After`. A row whose `tat` is not after `now` is indistinguishable from no row, so it can
//! be deleted at any time without changing a decision ([`Gcra::is_idle`]).
//!
//! [`DenyCache`] is the only local shortcut that keeps the limit exact: once the store refused
//! a key until some instant, every check before that instant is refused too (refusals do not
//! change the state, acceptances elsewhere only push `tat` later), so a worker may refuse it
//! without asking the store again.

use crate::ratelimit::RateLimitError;
use dashmap::DashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const MINUTE_NS: u64 = 60_000_000_000;

/// GCRA parameters of `limit` requests per minute with a burst of `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    limit: NonZeroU32,
    t: u64,
    tau: u64,
}

/// What one check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Allowed; the key's new theoretical arrival time.
    Allowed { tat: u64 },
    /// Refused; the state is unchanged and the next request may pass after `retry_after`.
    Refused { retry_after: Duration },
}

impl Gcra {
    /// The parameters governor's `Quota::per_minute(limit)` has.
    pub fn per_minute(limit: NonZeroU32) -> Self {
        let t = MINUTE_NS / u64::from(limit.get());
        Self {
            limit,
            t,
            tau: t * u64::from(limit.get() - 1),
        }
    }

    /// [`Gcra::per_minute`], refusing 0 (unlimited needs no state, so no parameters).
    pub fn new(limit_per_minute: u32) -> Result<Self, RateLimitError> {
        NonZeroU32::new(limit_per_minute)
            .map(Self::per_minute)
            .ok_or(RateLimitError::ZeroLimit)
    }

    /// Requests per minute.
    pub fn limit(&self) -> u32 {
        self.limit.get()
    }

    /// `t`: the time one request costs, in nanoseconds.
    pub fn interval_ns(&self) -> u64 {
        self.t
    }

    /// `tau`: how far ahead of `now` a key's `tat` may be and still be allowed, in nanoseconds.
    pub fn tolerance_ns(&self) -> u64 {
        self.tau
    }

    /// One check of a key whose state is `tat` (`None`: no state) at `now`.
    pub fn step(&self, tat: Option<u64>, now: u64) -> Step {
        let tat = tat.unwrap_or(now);
        let earliest = tat.saturating_sub(self.tau);
        if now < earliest {
            Step::Refused {
                retry_after: Duration::from_nanos(earliest - now),
            }
        } else {
            Step::Allowed {
                tat: tat.max(now) + self.t,
            }
        }
    }

    /// The decision from what the store's statement returned: whether it allowed the request, the
    /// key's `tat` after the statement and the store's `now`. `None` when allowed, else the time
    /// until the next request would pass (always more than zero, as the in-process limiter).
    pub fn outcome(&self, allowed: bool, tat: u64, now: u64) -> Option<Duration> {
        if allowed {
            return None;
        }
        let earliest = tat.saturating_sub(self.tau);
        Some(Duration::from_nanos(earliest.saturating_sub(now).max(1)))
    }

    /// Whether a key with this `tat` behaves as a key without state at `now` (so may be deleted).
    pub fn is_idle(tat: u64, now: u64) -> bool {
        tat <= now
    }
}

/// Keys refused until a known instant (nanoseconds on a local monotonic clock), bounded.
#[derive(Debug)]
pub struct DenyCache {
    until: DashMap<Box<str>, u64>,
    max_keys: usize,
    cleaning: AtomicBool,
}

impl DenyCache {
    /// A cache of at most `max_keys` keys (0 keeps nothing).
    pub fn new(max_keys: usize) -> Self {
        Self {
            until: DashMap::new(),
            max_keys,
            cleaning: AtomicBool::new(false),
        }
    }

    /// The time `key` is still refused for at `now`, if it is.
    pub fn refused(&self, key: &str, now: u64) -> Option<Duration> {
        let until = *self.until.get(key)?;
        if until > now {
            return Some(Duration::from_nanos(until - now));
        }
        self.until.remove_if(key, |_, u| *u <= now);
        None
    }

    /// Records that the store refused `key` for `retry_after`, asked at local time `asked`
    /// (taken before the statement was sent, so the local deadline is never later than the
    /// store's).
    pub fn refuse(&self, key: &str, asked: u64, retry_after: Duration) {
        if self.max_keys == 0 {
            return;
        }
        let nanos = u64::try_from(retry_after.as_nanos()).unwrap_or(u64::MAX);
        let until = asked.saturating_add(nanos);
        if self.until.len() >= self.max_keys {
            self.shrink(asked);
        }
        if self.until.len() < self.max_keys {
            self.until.insert(key.into(), until);
        }
    }

    fn shrink(&self, now: u64) {
        if self.cleaning.swap(true, Ordering::Acquire) {
            return;
        }
        self.until.retain(|_, until| *until > now);
        if self.until.len() >= self.max_keys {
            // Still full of live refusals: forgetting them only sends their next check to the
            // store, which stays exact.
            self.until.clear();
        }
        self.cleaning.store(false, Ordering::Release);
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.until.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }

    /// Forgets every key.
    pub fn clear(&self) {
        self.until.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::RateLimiter;
    use governor::clock::FakeRelativeClock;
    use proptest::prelude::*;

    fn gcra(limit: u32) -> Gcra {
        Gcra::per_minute(NonZeroU32::new(limit).unwrap())
    }

    /// The store's statement, as the database runs it, over one key.
    fn store_check(g: &Gcra, row: &mut Option<u64>, now: u64) -> Option<Duration> {
        let (allowed, tat) = match *row {
            None => (true, now + g.interval_ns()),
            Some(tat) if tat - g.tolerance_ns().min(tat) <= now => {
                (true, tat.max(now) + g.interval_ns())
            }
            Some(tat) => (false, tat),
        };
        *row = Some(tat);
        g.outcome(allowed, tat, now)
    }

    #[test]
    fn parameters_are_governors() {
        let g = gcra(10);
        assert_eq!(g.interval_ns(), 6_000_000_000);
        assert_eq!(g.tolerance_ns(), 54_000_000_000);
        assert_eq!(gcra(7).interval_ns(), 60_000_000_000 / 7);
        assert_eq!(gcra(1).tolerance_ns(), 0);
        assert_eq!(Gcra::new(0), Err(RateLimitError::ZeroLimit));
        assert_eq!(Gcra::new(10), Ok(g));
    }

    #[test]
    fn burst_then_retry_after() {
        let g = gcra(6);
        let mut tat = None;
        for _ in 0..6 {
            match g.step(tat, 0) {
                Step::Allowed { tat: next } => tat = Some(next),
                Step::Refused { .. } => panic!("refused within the burst"),
            }
        }
        assert_eq!(
            g.step(tat, 0),
            Step::Refused {
                retry_after: Duration::from_secs(10)
            }
        );
        assert!(matches!(g.step(tat, 10_000_000_000), Step::Allowed { .. }));
    }

    #[test]
    fn idle_rows_decide_as_no_row() {
        let g = gcra(10);
        for (tat, now) in [(5, 5), (5, 9), (0, 0)] {
            assert!(Gcra::is_idle(tat, now));
            assert_eq!(g.step(Some(tat), now), g.step(None, now));
        }
        assert!(!Gcra::is_idle(6, 5));
    }

    #[test]
    fn deny_cache_refuses_until_the_deadline_and_stays_bounded() {
        let cache = DenyCache::new(3);
        cache.refuse("a", 100, Duration::from_nanos(50));
        assert_eq!(cache.refused("a", 120), Some(Duration::from_nanos(30)));
        assert_eq!(cache.refused("a", 150), None);
        assert!(cache.is_empty());
        for i in 0..100 {
            cache.refuse(&format!("k{i}"), 1_000, Duration::from_secs(1));
            assert!(cache.len() <= 3);
        }
        let none = DenyCache::new(0);
        none.refuse("a", 0, Duration::from_secs(1));
        assert_eq!(none.refused("a", 0), None);
    }

    proptest! {
        /// The store's statement decides exactly as the in-process limiter on the same sequence,
        /// with the same `Retry-After`.
        #[test]
        fn store_matches_the_in_process_limiter(
            limit in 1u32..120,
            steps in prop::collection::vec(0u64..8_000, 1..400),
        ) {
            let clock = FakeRelativeClock::default();
            let local = RateLimiter::with_clock(limit, 10, clock.clone()).unwrap();
            let g = gcra(limit);
            let mut row = None;
            // The store's clock is an epoch clock: any offset gives the same decisions.
            let epoch = 1_700_000_000_000_000_000u64;
            let mut now = 0u64;
            for step in steps {
                clock.advance(Duration::from_millis(step));
                now += step * 1_000_000;
                prop_assert_eq!(local.check("k"), store_check(&g, &mut row, epoch + now));
            }
        }

        #[test]
        fn step_is_the_statement(limit in 1u32..500, tat in 0u64..200_000_000_000, now in 0u64..200_000_000_000) {
            let g = gcra(limit);
            let mut row = Some(tat);
            let outcome = store_check(&g, &mut row, now);
            match g.step(Some(tat), now) {
                Step::Allowed { tat: next } => {
                    prop_assert_eq!(outcome, None);
                    prop_assert_eq!(row, Some(next));
                }
                Step::Refused { retry_after } => {
                    prop_assert_eq!(outcome, Some(retry_after));
                    prop_assert_eq!(row, Some(tat));
                }
            }
        }
    }
}
