//! Per-key rate limiting with governor's GCRA and a bounded key store.
//!
//! A limit of `N` requests per minute allows a burst of `N` at once and refills one request
//! every `60 s / N`: a client that spent its burst waits as it would under a sliding window of
//! 60 seconds. `0` means unlimited and touches no state.
//!
//! The GCRA arithmetic is governor's; the state store is ours, so that the set of keys stays
//! bounded: when it grows past `max_keys`, keys whose state is indistinguishable from a fresh
//! one are dropped (governor's `retain_recent`), and if that is not enough, the keys closest to
//! a full refill are forgotten until the store is back under 90 % of `max_keys`. Forgetting a
//! key only hands it a fresh burst, so a flood of distinct keys costs memory bounded by
//! `max_keys`, and costs legitimate clients as little allowance as possible.

use crate::evict::Evict;
use dashmap::DashMap;
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::{NotUntil, Quota};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Errors building a rate limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitError {
    /// `max_keys` must be at least 1.
    ZeroMaxKeys,
    /// A limit kept outside the process must be at least one request per minute.
    ZeroLimit,
}

impl fmt::Display for RateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroMaxKeys => f.write_str("max_keys must be at least 1"),
            Self::ZeroLimit => f.write_str("limit_per_minute must be at least 1"),
        }
    }
}

impl std::error::Error for RateLimitError {}

/// Keys up to this many bytes are stored inline, without a heap allocation per check.
const INLINE_KEY: usize = 30;

/// A rate-limit key; short ones (`"u:42"`) need no allocation.
#[derive(Clone)]
enum LimiterKey {
    Inline { len: u8, buf: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl LimiterKey {
    fn new(key: &str) -> Self {
        let bytes = key.as_bytes();
        let mut buf = [0u8; INLINE_KEY];
        match buf.get_mut(..bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Self::Inline {
                    len: bytes.len() as u8,
                    buf,
                }
            }
            None => Self::Heap(bytes.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Self::Heap(b) => b,
        }
    }
}

impl PartialEq for LimiterKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for LimiterKey {}

impl Hash for LimiterKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for LimiterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// The theoretical arrival time of a key, in nanoseconds since the limiter started (0 = none),
/// updated with the same compare-and-swap loop as governor's `InMemoryState`.
#[derive(Default, Debug)]
struct Tat(AtomicU64);

impl Tat {
    fn measure_and_replace<T, F, E>(&self, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut prev = self.0.load(Ordering::Acquire);
        let mut decision = f(NonZeroU64::new(prev).map(|n| Nanos::from(n.get())));
        while let Ok((result, new)) = decision {
            match self.0.compare_exchange_weak(
                prev,
                new.into(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(result),
                Err(actual) => prev = actual,
            }
            decision = f(NonZeroU64::new(prev).map(|n| Nanos::from(n.get())));
        }
        decision.map(|(result, _)| result)
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
struct Shared {
    map: DashMap<LimiterKey, Tat>,
    /// Number of keys, kept next to the map so the hot path need not lock every shard to count.
    len: AtomicUsize,
}

impl Shared {
    fn retain(&self, mut keep: impl FnMut(u64) -> bool) {
        let mut removed = 0usize;
        self.map.retain(|_, tat| {
            let k = keep(tat.get());
            removed += usize::from(!k);
            k
        });
        self.len.fetch_sub(removed, Ordering::Relaxed);
    }
}

/// The state store handed to governor: a `DashMap` shared with [`RateLimiter`].
#[derive(Debug)]
struct BoundedStore(Arc<Shared>);

impl StateStore for BoundedStore {
    type Key = LimiterKey;

    fn measure_and_replace<T, F, E>(&self, key: &Self::Key, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if let Some(tat) = self.0.map.get(key) {
            return tat.measure_and_replace(f);
        }
        let tat = self.0.map.entry(key.clone()).or_insert_with(|| {
            self.0.len.fetch_add(1, Ordering::Relaxed);
            Tat::default()
        });
        tat.measure_and_replace(f)
    }
}

impl ShrinkableKeyedStateStore<LimiterKey> for BoundedStore {
    fn retain_recent(&self, drop_below: Nanos) {
        let drop_below = u64::from(drop_below);
        self.0.retain(|tat| tat > drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.map.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.0.map.len()
    }

    fn is_empty(&self) -> bool {
        self.0.map.is_empty()
    }
}

type Gcra<C> =
    governor::RateLimiter<LimiterKey, BoundedStore, C, NoOpMiddleware<<C as Clock>::Instant>>;

struct Limited<C: Clock> {
    gcra: Gcra<C>,
    shared: Arc<Shared>,
    max_keys: usize,
    cleaning: AtomicBool,
}

/// A keyed rate limiter: `limit` requests per 60 seconds per key, burst `limit`.
pub struct RateLimiter<C: Clock = MonotonicClock> {
    limit: u32,
    inner: Option<Limited<C>>,
}

impl<C: Clock> fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.limit)
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

/// Default bound on the number of tracked keys.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

impl RateLimiter<MonotonicClock> {
    /// A limiter on the monotonic clock.
    pub fn new(limit_per_minute: u32, max_keys: usize) -> Result<Self, RateLimitError> {
        Self::with_clock(limit_per_minute, max_keys, MonotonicClock)
    }
}

impl<C: Clock> RateLimiter<C> {
    /// A limiter on the given clock (tests use governor's `FakeRelativeClock`).
    pub fn with_clock(
        limit_per_minute: u32,
        max_keys: usize,
        clock: C,
    ) -> Result<Self, RateLimitError> {
        if max_keys == 0 {
            return Err(RateLimitError::ZeroMaxKeys);
        }
        let inner = NonZeroU32::new(limit_per_minute).map(|limit| {
            let shared = Arc::new(Shared::default());
            let quota = Quota::per_minute(limit);
            Limited {
                gcra: governor::RateLimiter::new(quota, BoundedStore(Arc::clone(&shared)), clock),
                shared,
                max_keys,
                cleaning: AtomicBool::new(false),
            }
        });
        Ok(Self {
            limit: limit_per_minute,
            inner,
        })
    }

    /// Requests per minute; 0 = unlimited.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The number of tracked keys.
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |l| l.shared.map.len())
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every key (each gets a fresh burst).
    pub fn clear(&self) {
        if let Some(l) = &self.inner {
            l.shared.retain(|_| false);
        }
    }

    /// Counts one request for `key`: `None` when it may pass, otherwise the time until the next
    /// request for that key would pass (always more than zero).
    pub fn check(&self, key: &str) -> Option<Duration> {
        let l = self.inner.as_ref()?;
        let outcome = l.gcra.check_key(&LimiterKey::new(key));
        if l.shared.len.load(Ordering::Relaxed) > l.max_keys {
            l.shrink();
        }
        match outcome {
            Ok(()) => None,
            Err(not_until) => Some(wait(&not_until, l.gcra.clock())),
        }
    }
}

fn wait<C: Clock>(not_until: &NotUntil<C::Instant>, clock: &C) -> Duration {
    not_until
        .wait_time_from(clock.now())
        .max(Duration::from_nanos(1))
}

impl<C: Clock> Limited<C> {
    /// Brings the store back under `max_keys`; one thread at a time, the others go on.
    fn shrink(&self) {
        if self.cleaning.swap(true, Ordering::Acquire) {
            return;
        }
        self.gcra.retain_recent();
        let len = self.shared.len.load(Ordering::Relaxed);
        if len > self.max_keys {
            // Keep 90 % so that a flood does not trigger a full scan on every new key.
            let target = self.max_keys - self.max_keys / 10;
            self.evict_closest_to_refill(len.saturating_sub(target));
        }
        self.cleaning.store(false, Ordering::Release);
    }

    /// Forgets the `excess` keys with the earliest theoretical arrival time: those that would
    /// be back to a full burst soonest, so forgetting them grants the least extra allowance.
    fn evict_closest_to_refill(&self, excess: usize) {
        let tats: Vec<u64> = self.shared.map.iter().map(|e| e.value().get()).collect();
        let mut evict = Evict::lowest(tats, excess, u64::cmp);
        self.shared.retain(|tat| !evict.drops(&tat));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use proptest::prelude::*;

    fn limiter(limit: u32, max_keys: usize) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimiter::with_clock(limit, max_keys, clock.clone()).unwrap(),
            clock,
        )
    }

    #[test]
    fn burst_then_refusal_with_retry_after() {
        let (rl, _clock) = limiter(60, 100);
        for i in 0..60 {
            assert_eq!(rl.check("u:1"), None, "request {i}");
        }
        // 60 per minute refills one per second.
        assert_eq!(rl.check("u:1"), Some(Duration::from_secs(1)));
        // Other keys are independent.
        assert_eq!(rl.check("u:2"), None);
        assert_eq!(rl.len(), 2);
    }

    #[test]
    fn refills_at_the_quota_rate() {
        let (rl, clock) = limiter(6, 100);
        for _ in 0..6 {
            assert!(rl.check("k").is_none());
        }
        // 6 per minute: one every 10 s.
        assert_eq!(rl.check("k"), Some(Duration::from_secs(10)));
        clock.advance(Duration::from_secs(4));
        assert_eq!(rl.check("k"), Some(Duration::from_secs(6)));
        clock.advance(Duration::from_secs(6));
        assert_eq!(rl.check("k"), None);
        assert_eq!(rl.check("k"), Some(Duration::from_secs(10)));
        // After a full minute of silence the whole burst is back.
        clock.advance(Duration::from_secs(60));
        for _ in 0..6 {
            assert!(rl.check("k").is_none());
        }
        assert!(rl.check("k").is_some());
    }

    #[test]
    fn refused_requests_do_not_consume() {
        let (rl, clock) = limiter(2, 10);
        assert!(rl.check("k").is_none());
        assert!(rl.check("k").is_none());
        for _ in 0..100 {
            assert_eq!(rl.check("k"), Some(Duration::from_secs(30)));
        }
        clock.advance(Duration::from_secs(30));
        assert!(rl.check("k").is_none());
    }

    #[test]
    fn zero_is_unlimited_and_stateless() {
        let (rl, _clock) = limiter(0, 10);
        for i in 0..10_000 {
            assert!(rl.check(&format!("k:{i}")).is_none());
        }
        assert_eq!(rl.len(), 0);
        assert_eq!(rl.limit(), 0);
    }

    #[test]
    fn zero_max_keys_is_refused() {
        assert_eq!(
            RateLimiter::new(10, 0).unwrap_err(),
            RateLimitError::ZeroMaxKeys
        );
    }

    #[test]
    fn idle_keys_are_dropped_first() {
        let (rl, clock) = limiter(10, 10);
        for i in 0..5 {
            assert!(rl.check(&format!("idle:{i}")).is_none());
        }
        clock.advance(Duration::from_secs(120));
        for i in 0..5 {
            assert!(rl.check(&format!("active:{i}")).is_none());
        }
        assert_eq!(rl.len(), 10);
        // One key too many: the idle keys go, and nothing else has to.
        assert!(rl.check("new").is_none());
        assert_eq!(rl.len(), 6);
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_bounded() {
        let (rl, _clock) = limiter(5, 1_000);
        // A key that has spent its whole burst sits far from a refill.
        for _ in 0..5 {
            assert!(rl.check("victim").is_none());
        }
        for i in 0..20_000 {
            assert!(
                rl.check(&format!("attacker-with-a-long-key-name-{i}"))
                    .is_none()
            );
            assert!(rl.len() <= 1_000, "{}", rl.len());
            assert!(rl.shared_len_is_exact());
        }
        // Each flood key spent one cell; `victim` spent five, so it is kept.
        assert!(rl.check("victim").is_some());
    }

    #[test]
    fn clear_forgets_everything() {
        let (rl, _clock) = limiter(1, 10);
        assert!(rl.check("a").is_none());
        assert!(rl.check("a").is_some());
        rl.clear();
        assert_eq!(rl.len(), 0);
        assert!(rl.check("a").is_none());
    }

    #[test]
    fn long_and_short_keys_are_distinct() {
        let (rl, _clock) = limiter(1, 10);
        let long = "x".repeat(100);
        assert!(rl.check(&long).is_none());
        assert!(rl.check(&long[..30]).is_none());
        assert!(rl.check(&long[..29]).is_none());
        assert!(rl.check("").is_none());
        assert!(rl.check(&long).is_some());
        assert!(rl.check(&long[..30]).is_some());
        assert!(rl.check("").is_some());
    }

    #[test]
    fn threads_share_one_limiter() {
        let rl = Arc::new(RateLimiter::new(1_000, 100).unwrap());
        let allowed = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let rl = Arc::clone(&rl);
                let allowed = Arc::clone(&allowed);
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        if rl.check("shared").is_none() {
                            allowed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        // Exactly the burst passes (plus what refills while the threads run: 1000/min).
        let n = allowed.load(Ordering::Relaxed);
        assert!((1_000..1_010).contains(&n), "{n}");
    }

    impl<C: Clock> RateLimiter<C> {
        fn shared_len_is_exact(&self) -> bool {
            self.inner
                .as_ref()
                .is_none_or(|l| l.shared.len.load(Ordering::Relaxed) == l.shared.map.len())
        }
    }

    proptest! {
        #[test]
        fn never_more_than_the_quota_in_any_window(
            limit in 1u32..50,
            steps in prop::collection::vec(0u64..5_000, 1..300),
        ) {
            let (rl, clock) = limiter(limit, 10);
            // Times (ms) of allowed requests.
            let mut allowed: Vec<u64> = Vec::new();
            let mut now = 0u64;
            for step in steps {
                clock.advance(Duration::from_millis(step));
                now += step;
                match rl.check("k") {
                    None => allowed.push(now),
                    Some(wait) => prop_assert!(wait > Duration::ZERO),
                }
            }
            // GCRA with burst N and period 60 s / N: in any window of length T there are at most
            // N + T / (60 s / N) allowed requests.
            let period_ms = 60_000.0 / f64::from(limit);
            for (i, &start) in allowed.iter().enumerate() {
                for (j, &end) in allowed.iter().enumerate().skip(i) {
                    let span = (end - start) as f64;
                    let count = (j - i + 1) as f64;
                    prop_assert!(count <= f64::from(limit) + span / period_ms + 1e-9);
                }
            }
        }

        #[test]
        fn retry_after_is_exact(limit in 1u32..100, wait_ms in 0u64..120_000) {
            let (rl, clock) = limiter(limit, 10);
            for _ in 0..limit {
                prop_assert!(rl.check("k").is_none());
            }
            clock.advance(Duration::from_millis(wait_ms));
            match rl.check("k") {
                None => {}
                Some(retry) => {
                    clock.advance(retry.checked_sub(Duration::from_nanos(1)).unwrap());
                    prop_assert!(rl.check("k").is_some());
                    clock.advance(Duration::from_nanos(1));
                    prop_assert!(rl.check("k").is_none());
                }
            }
        }
    }
}
