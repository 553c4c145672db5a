//! A cache of verified credentials, so that only the first request of a key pays for argon2
//! (or Odoo's pbkdf2) and the next ones cost a lookup.
//!
//! Entries are keyed by BLAKE2b-MAC-256 of the secret under a random key drawn per cache: the
//! secret itself is never stored, and the lookup key is useless outside this process. Comparing
//! MACs in variable time leaks nothing about a secret, since the MAC key is unknown to a caller.
//!
//! An entry is fresh while its age is under the TTL and its key's own `expires_at` (a Unix
//! timestamp) has not passed; a stale entry is removed when it is found. The cache never holds
//! more than `max_entries`: an insert into a full cache first drops stale entries, then the
//! oldest ones, down to 90 % of the bound.

use crate::evict::Evict;
use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use dashmap::DashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current Unix time, in seconds.
pub trait UnixClock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> f64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl UnixClock for SystemClock {
    fn now(&self) -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct FakeClock(Arc<AtomicU64>);

impl FakeClock {
    /// A clock showing `now`.
    pub fn new(now: f64) -> Self {
        Self(Arc::new(AtomicU64::new(now.to_bits())))
    }

    /// Moves the clock to `now`.
    pub fn set(&self, now: f64) {
        self.0.store(now.to_bits(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: f64) {
        self.set(self.now() + seconds);
    }
}

impl UnixClock for FakeClock {
    fn now(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::SeqCst))
    }
}

/// Errors of the cache; none carries a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheError {
    /// The TTL is negative, infinite or NaN.
    InvalidTtl,
    /// An `expires_at` that is not a finite number.
    InvalidExpiry,
    /// A kind other than `"odoo"`, `"mcp"` or `"oauth"`.
    InvalidKind,
    /// The operating system's random generator failed.
    Random,
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidTtl => "ttl_seconds must be a finite number >= 0",
            Self::InvalidExpiry => "expires_at must be a finite Unix timestamp",
            Self::InvalidKind => "kind must be 'odoo', 'mcp' or 'oauth'",
            Self::Random => "the operating system's random generator failed",
        })
    }
}

impl std::error::Error for CacheError {}

/// Which kind of secret was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// An Odoo API key, verified by Odoo.
    Odoo,
    /// One of our MCP keys, verified with argon2id.
    Mcp,
    /// An OAuth access token, verified by its hash; its `key_id` is the grant's id.
    OAuth,
}

impl CredentialKind {
    /// `"odoo"`, `"mcp"` or `"oauth"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Odoo => "odoo",
            Self::Mcp => "mcp",
            Self::OAuth => "oauth",
        }
    }
}

impl std::str::FromStr for CredentialKind {
    type Err = CacheError;

    fn from_str(s: &str) -> Result<Self, CacheError> {
        match s {
            "odoo" => Ok(Self::Odoo),
            "mcp" => Ok(Self::Mcp),
            "oauth" => Ok(Self::OAuth),
            _ => Err(CacheError::InvalidKind),
        }
    }
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    /// The key's owner.
    pub user_id: i64,
    /// The key's record id, when there is one (for an OAuth access token: its grant's id).
    pub key_id: Option<i64>,
    /// The key's scope string, when it has one.
    pub scope: Option<Box<str>>,
    /// Odoo API key, MCP key or OAuth access token.
    pub kind: CredentialKind,
    /// The key's own expiry (Unix time), if any.
    pub expires_at: Option<f64>,
}

/// BLAKE2b-MAC-256 of a secret; already uniformly distributed, so it hashes to itself.
#[derive(Clone, Copy, PartialEq, Eq)]
struct MacKey([u8; 32]);

impl Hash for MacKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

/// Hasher for [`MacKey`]: passes the MAC's first 8 bytes through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than `MacKey` were hashed: fold the bytes in.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Clone, Copy, Default)]
struct BuildPassThrough;

impl BuildHasher for BuildPassThrough {
    type Hasher = PassThrough;

    fn build_hasher(&self) -> PassThrough {
        PassThrough::default()
    }
}

struct Entry {
    credential: Arc<Credential>,
    inserted_at: f64,
}

/// The verified-credential cache.
pub struct CredentialCache<C: UnixClock = SystemClock> {
    map: DashMap<MacKey, Entry, BuildPassThrough>,
    mac: Blake2bMac<U32>,
    ttl: f64,
    max_entries: usize,
    clock: C,
    /// Serialises making room (inserts are rare: one per verification).
    making_room: Mutex<()>,
}

impl<C: UnixClock> fmt::Debug for CredentialCache<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialCache")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("len", &self.map.len())
            .finish_non_exhaustive()
    }
}

impl CredentialCache<SystemClock> {
    /// A cache on the system clock.
    pub fn new(ttl_seconds: f64, max_entries: usize) -> Result<Self, CacheError> {
        Self::with_clock(ttl_seconds, max_entries, SystemClock)
    }
}

impl<C: UnixClock> CredentialCache<C> {
    /// A cache on the given clock. `max_entries == 0` disables caching.
    pub fn with_clock(ttl_seconds: f64, max_entries: usize, clock: C) -> Result<Self, CacheError> {
        if !(ttl_seconds.is_finite() && ttl_seconds >= 0.0) {
            return Err(CacheError::InvalidTtl);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|_| CacheError::Random)?;
        let mac = Blake2bMac::<U32>::new_from_slice(&key).map_err(|_| CacheError::Random)?;
        Ok(Self {
            map: DashMap::with_hasher(BuildPassThrough),
            mac,
            ttl: ttl_seconds,
            max_entries,
            clock,
            making_room: Mutex::new(()),
        })
    }

    fn key(&self, secret: &[u8]) -> MacKey {
        let mut mac = self.mac.clone();
        mac.update(secret);
        MacKey(mac.finalize().into_bytes().into())
    }

    fn is_fresh(&self, entry: &Entry, now: f64) -> bool {
        let age = now - entry.inserted_at;
        // A clock that went backwards makes entries stale rather than immortal.
        (0.0..self.ttl).contains(&age) && entry.credential.expires_at.is_none_or(|exp| now < exp)
    }

    /// The TTL in seconds.
    pub fn ttl(&self) -> f64 {
        self.ttl
    }

    /// The size bound.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Remembers that `secret` was verified as `credential`.
    pub fn insert(&self, secret: &[u8], credential: Credential) -> Result<(), CacheError> {
        if credential.expires_at.is_some_and(|e| !e.is_finite()) {
            return Err(CacheError::InvalidExpiry);
        }
        if self.max_entries == 0 {
            return Ok(());
        }
        let key = self.key(secret);
        let now = self.clock.now();
        if self.map.len() >= self.max_entries && !self.map.contains_key(&key) {
            self.make_room(now);
        }
        self.map.insert(
            key,
            Entry {
                credential: Arc::new(credential),
                inserted_at: now,
            },
        );
        Ok(())
    }

    /// The credential `secret` was verified as, while fresh.
    pub fn get(&self, secret: &[u8]) -> Option<Arc<Credential>> {
        let key = self.key(secret);
        let now = self.clock.now();
        let stale = {
            let entry = self.map.get(&key)?;
            if self.is_fresh(&entry, now) {
                return Some(Arc::clone(&entry.credential));
            }
            entry.inserted_at
        };
        // Remove it unless it was replaced meanwhile.
        self.map
            .remove_if(&key, |_, e| e.inserted_at.total_cmp(&stale).is_eq());
        None
    }

    /// Forgets every entry.
    pub fn invalidate_all(&self) {
        self.map.clear();
    }

    fn invalidate_where(&self, pred: impl Fn(&Credential) -> bool) -> usize {
        let mut removed = 0;
        self.map.retain(|_, e| {
            let drop = pred(&e.credential);
            removed += usize::from(drop);
            !drop
        });
        removed
    }

    /// Forgets the entries of a user; returns how many.
    pub fn invalidate_user(&self, user_id: i64) -> usize {
        self.invalidate_where(|c| c.user_id == user_id)
    }

    /// Forgets the entries of a key record; returns how many.
    pub fn invalidate_key(&self, key_id: i64) -> usize {
        self.invalidate_where(|c| c.key_id == Some(key_id))
    }

    /// The number of entries (stale ones included until they are found or evicted).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn make_room(&self, now: f64) {
        let _guard = self
            .making_room
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.map.len() < self.max_entries {
            return; // another thread made room meanwhile
        }
        self.map.retain(|_, e| self.is_fresh(e, now));
        let len = self.map.len();
        if len < self.max_entries {
            return;
        }
        // Evict the oldest entries, down to 90 % of the bound (at least one).
        let target = self.max_entries - self.max_entries.div_ceil(10);
        let excess = len - target;
        let ages: Vec<f64> = self.map.iter().map(|e| e.inserted_at).collect();
        let mut evict = Evict::lowest(ages, excess, f64::total_cmp);
        self.map.retain(|_, e| !evict.drops(&e.inserted_at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cred(user_id: i64, key_id: Option<i64>) -> Credential {
        Credential {
            user_id,
            key_id,
            scope: None,
            kind: CredentialKind::Mcp,
            expires_at: None,
        }
    }

    fn cache(ttl: f64, max: usize) -> (CredentialCache<FakeClock>, FakeClock) {
        let clock = FakeClock::new(1_000_000.0);
        (
            CredentialCache::with_clock(ttl, max, clock.clone()).unwrap(),
            clock,
        )
    }

    #[test]
    fn hit_miss_and_ttl() {
        let (c, clock) = cache(300.0, 10);
        assert!(c.get(b"secret").is_none());
        let mut expected = cred(7, Some(3));
        expected.scope = Some("res.partner:R".into());
        c.insert(b"secret", expected.clone()).unwrap();
        assert_eq!(*c.get(b"secret").unwrap(), expected);
        assert!(c.get(b"Secret").is_none());
        clock.advance(299.9);
        assert!(c.get(b"secret").is_some());
        clock.advance(0.1);
        assert!(c.get(b"secret").is_none(), "TTL passed");
        assert_eq!(c.len(), 0, "stale entries are removed when found");
    }

    #[test]
    fn key_expiry_is_honoured() {
        let (c, clock) = cache(300.0, 10);
        let mut expiring = cred(1, None);
        expiring.expires_at = Some(clock.now() + 10.0);
        c.insert(b"k", expiring).unwrap();
        assert!(c.get(b"k").is_some());
        clock.advance(10.0);
        assert!(c.get(b"k").is_none());
        assert!(c.is_empty());
        // Already expired when inserted.
        let mut past = cred(1, None);
        past.expires_at = Some(clock.now() - 1.0);
        c.insert(b"p", past).unwrap();
        assert!(c.get(b"p").is_none());
    }

    #[test]
    fn clock_going_backwards_makes_entries_stale() {
        let (c, clock) = cache(300.0, 10);
        c.insert(b"k", cred(1, None)).unwrap();
        clock.advance(-5.0);
        assert!(c.get(b"k").is_none());
    }

    #[test]
    fn zero_ttl_and_zero_size_cache_nothing() {
        let (c, _) = cache(0.0, 10);
        c.insert(b"k", cred(1, None)).unwrap();
        assert!(c.get(b"k").is_none());
        let (c, _) = cache(300.0, 0);
        c.insert(b"k", cred(1, None)).unwrap();
        assert!(c.get(b"k").is_none());
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn invalid_arguments() {
        for ttl in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                CredentialCache::new(ttl, 1).unwrap_err(),
                CacheError::InvalidTtl
            );
        }
        let (c, _) = cache(1.0, 1);
        let mut bad = cred(1, None);
        bad.expires_at = Some(f64::NAN);
        assert_eq!(c.insert(b"k", bad).unwrap_err(), CacheError::InvalidExpiry);
        assert_eq!("x".parse::<CredentialKind>(), Err(CacheError::InvalidKind));
        assert_eq!("mcp".parse::<CredentialKind>(), Ok(CredentialKind::Mcp));
        assert_eq!("oauth".parse::<CredentialKind>(), Ok(CredentialKind::OAuth));
        for kind in [
            CredentialKind::Odoo,
            CredentialKind::Mcp,
            CredentialKind::OAuth,
        ] {
            assert_eq!(kind.as_str().parse::<CredentialKind>(), Ok(kind));
        }
    }

    #[test]
    fn invalidation() {
        let (c, _) = cache(300.0, 100);
        c.insert(b"a", cred(1, Some(10))).unwrap();
        c.insert(b"b", cred(1, Some(11))).unwrap();
        c.insert(b"c", cred(2, Some(12))).unwrap();
        c.insert(b"d", cred(2, None)).unwrap();
        assert_eq!(c.invalidate_key(11), 1);
        assert_eq!(c.invalidate_key(11), 0);
        assert!(c.get(b"b").is_none());
        assert_eq!(c.invalidate_user(2), 2);
        assert!(c.get(b"a").is_some());
        assert_eq!(c.len(), 1);
        c.invalidate_all();
        assert!(c.is_empty());
    }

    #[test]
    fn reinsert_replaces() {
        let (c, _) = cache(300.0, 1);
        c.insert(b"a", cred(1, None)).unwrap();
        c.insert(b"a", cred(2, None)).unwrap();
        assert_eq!(c.get(b"a").unwrap().user_id, 2);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn full_cache_drops_stale_then_oldest() {
        let (c, clock) = cache(100.0, 10);
        for i in 0..5u8 {
            c.insert(&[b's', i], cred(1, None)).unwrap();
        }
        clock.advance(60.0);
        for i in 0..5u8 {
            c.insert(&[b'f', i], cred(2, None)).unwrap();
            clock.advance(1.0);
        }
        clock.advance(40.0); // the first five are now past their TTL
        c.insert(b"new", cred(3, None)).unwrap();
        assert_eq!(c.len(), 6, "only the stale entries were dropped");
        for i in 0..4u8 {
            c.insert(&[b'g', i], cred(4, None)).unwrap();
        }
        assert_eq!(c.len(), 10);
        c.insert(b"newest", cred(5, None)).unwrap();
        // Evicted down to 9, then the new one: the oldest, ('f', 0), went.
        assert_eq!(c.len(), 10);
        assert!(c.get(&[b'f', 0]).is_none());
        assert!(c.get(&[b'f', 1]).is_some());
        assert!(c.get(b"newest").is_some());
    }

    #[test]
    fn bounded_under_a_flood() {
        let (c, clock) = cache(1e9, 1_000);
        for i in 0..20_000u32 {
            c.insert(&i.to_le_bytes(), cred(1, None)).unwrap();
            clock.advance(1e-3);
            assert!(c.len() <= 1_000);
        }
        // The newest survive.
        assert!(c.get(&19_999u32.to_le_bytes()).is_some());
    }

    #[test]
    fn ties_are_evicted_exactly() {
        let (c, _) = cache(1e9, 10);
        for i in 0..11u8 {
            c.insert(&[i], cred(1, None)).unwrap();
        }
        assert_eq!(c.len(), 10);
    }

    #[test]
    fn distinct_caches_derive_distinct_keys() {
        let (a, _) = cache(1.0, 1);
        let (b, _) = cache(1.0, 1);
        assert!(a.key(b"same").0 != b.key(b"same").0);
        assert!(a.key(b"same").0 == a.key(b"same").0);
    }

    proptest! {
        #[test]
        fn get_returns_what_was_inserted(
            secrets in prop::collection::hash_set(prop::collection::vec(any::<u8>(), 0..64), 1..20),
        ) {
            let (c, _) = cache(300.0, 100);
            for (i, s) in secrets.iter().enumerate() {
                c.insert(s, cred(i as i64, None)).unwrap();
            }
            for (i, s) in secrets.iter().enumerate() {
                prop_assert_eq!(c.get(s).unwrap().user_id, i as i64);
            }
        }
    }
}
