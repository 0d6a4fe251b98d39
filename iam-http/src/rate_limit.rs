//! In-memory rate limits of the endpoints that hash or verify a secret for every request:
//! the token, revocation and introspection endpoints (per client id and per source
//! address) and invitation acceptance (per source address).
//!
//! Each key has a token bucket with room for one minute's worth of requests, refilled at
//! the configured rate per minute. So a key may send its whole minute's quota at once and
//! then one request every `60 / rate` seconds. Every attempt takes a token,
//! whether it succeeds or fails. The tables are bounded: a key whose bucket has refilled
//! completely is indistinguishable from a new key and is dropped when the table is full,
//! and a table never tracks more than its configured number of keys.
//!
//! The limits are per process. Several server processes behind one load balancer each
//! allow the full rate.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::extract::connect_info::{ConnectInfo, MockConnectInfo};
use axum::http::request::Parts;
use iam_core::id::TenantId;
use sha2::{Digest, Sha256};

/// The default number of token-endpoint requests per minute per client id.
pub const DEFAULT_PER_CLIENT_PER_MINUTE: u32 = 30;

/// The default number of requests per minute per source address, for the token
/// endpoints and, separately, for invitation acceptance.
pub const DEFAULT_PER_ADDRESS_PER_MINUTE: u32 = 120;

/// The default number of keys that one table tracks.
pub const DEFAULT_MAX_TRACKED_KEYS: usize = 10_000;

/// The shortest time between two sweeps of a full table, so that a table full of
/// active keys does not cost a scan on every request.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The configured limits. A rate of 0 turns that limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests per minute per client id at the token, revocation and introspection
    /// endpoints together.
    pub per_client_per_minute: u32,
    /// Requests per minute per source address at those endpoints together, and
    /// separately at invitation acceptance.
    pub per_address_per_minute: u32,
    /// The maximum number of keys in each table.
    pub max_tracked_keys: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_client_per_minute: DEFAULT_PER_CLIENT_PER_MINUTE,
            per_address_per_minute: DEFAULT_PER_ADDRESS_PER_MINUTE,
            max_tracked_keys: DEFAULT_MAX_TRACKED_KEYS,
        }
    }
}

/// The outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The request may proceed.
    Allowed,
    /// The key has used its quota; the next token is available after this many seconds
    /// (at least 1).
    Limited {
        /// The value of the `Retry-After` header.
        retry_after_secs: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug)]
struct Table<K> {
    buckets: HashMap<K, Bucket>,
    last_sweep: Option<Instant>,
}

/// A token-bucket limiter over keys of type `K`, bounded in the number of keys.
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_minute: u32,
    max_keys: usize,
    table: Mutex<Table<K>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// Creates a limiter of `per_minute` requests per key (0: no limit) that tracks at
    /// most `max_keys` keys.
    pub fn new(per_minute: u32, max_keys: usize) -> Self {
        Self {
            per_minute,
            max_keys,
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Takes one token of `key` now.
    pub fn check(&self, key: &K) -> Decision {
        self.check_at(key, Instant::now())
    }

    /// Takes one token of `key` at `now`.
    pub fn check_at(&self, key: &K, now: Instant) -> Decision {
        if self.per_minute == 0 {
            return Decision::Allowed;
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut table = self
            .table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);

        if !table.buckets.contains_key(key) && table.buckets.len() >= self.max_keys {
            self.sweep(&mut table, now, capacity, per_second);
            if table.buckets.len() >= self.max_keys {
                // NOTE: a full table lets new keys through untracked, because rejecting
                // them would let the caller who filled the table lock out every new key.
                // The other table (address or client id) still limits the request.
                return Decision::Allowed;
            }
        }

        let bucket = table.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Decision::Allowed;
        }
        let wait = (1.0 - bucket.tokens) / per_second;
        // The wait is at most 60 / per_minute seconds, so the cast cannot overflow.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let retry_after_secs = (wait.ceil() as u64).max(1);
        Decision::Limited { retry_after_secs }
    }

    /// Drops the keys whose buckets have refilled completely, at most once per
    /// [`SWEEP_INTERVAL`].
    fn sweep(&self, table: &mut Table<K>, now: Instant, capacity: f64, per_second: f64) {
        if table
            .last_sweep
            .is_some_and(|last| now.saturating_duration_since(last) < SWEEP_INTERVAL)
        {
            return;
        }
        table.last_sweep = Some(now);
        let before = table.buckets.len();
        table.buckets.retain(|_, bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens + elapsed * per_second < capacity
        });
        if table.buckets.len() >= self.max_keys {
            tracing::warn!(
                tracked_keys = before,
                max_tracked_keys = self.max_keys,
                per_minute = self.per_minute,
                "the rate limit table is full of active keys; new keys pass untracked until some go idle"
            );
        }
    }

    /// Returns the number of tracked keys.
    pub fn tracked_keys(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .buckets
            .len()
    }
}

/// The key of a client id in a tenant: a SHA-256 digest, so that a long client id sent
/// by a caller costs no more memory than a short one.
pub type ClientKey = [u8; 32];

/// Returns the limiter key of `client_id` in `tenant`.
pub fn client_key(tenant: TenantId, client_id: &str) -> ClientKey {
    let mut digest = Sha256::new();
    digest.update(tenant.to_string().as_bytes());
    digest.update([0]);
    digest.update(client_id.as_bytes());
    digest.finalize().into()
}

/// Returns the limiter key of a source address: the IPv4 address itself (also when it
/// arrives IPv4-mapped in IPv6), or the /64 network of an IPv6 address, because one
/// host usually has a whole /64 to choose addresses from.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let segments = v6.segments();
                IpAddr::V6(Ipv6Addr::new(
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                ))
            }
        },
    }
}

/// The limiters of one server.
#[derive(Debug)]
pub struct RateLimits {
    config: RateLimitConfig,
    token_per_client: RateLimiter<ClientKey>,
    token_per_address: RateLimiter<IpAddr>,
    invitation_per_address: RateLimiter<IpAddr>,
}

impl RateLimits {
    /// Creates empty limiters with `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            token_per_client: RateLimiter::new(
                config.per_client_per_minute,
                config.max_tracked_keys,
            ),
            token_per_address: RateLimiter::new(
                config.per_address_per_minute,
                config.max_tracked_keys,
            ),
            invitation_per_address: RateLimiter::new(
                config.per_address_per_minute,
                config.max_tracked_keys,
            ),
        }
    }

    /// Returns the configuration.
    pub fn config(&self) -> RateLimitConfig {
        self.config
    }

    /// Counts a token-endpoint attempt of `client_id` in `tenant`.
    pub fn check_client(&self, tenant: TenantId, client_id: &str) -> Decision {
        self.token_per_client.check(&client_key(tenant, client_id))
    }

    /// Counts a token-endpoint request from `peer`. Without a peer address (a router
    /// driven without a socket) nothing is counted.
    pub fn check_token_address(&self, peer: Option<IpAddr>) -> Decision {
        match peer {
            Some(address) => self.token_per_address.check(&address_key(address)),
            None => Decision::Allowed,
        }
    }

    /// Counts an invitation acceptance from `peer`. Without a peer address nothing is
    /// counted.
    pub fn check_invitation_address(&self, peer: Option<IpAddr>) -> Decision {
        match peer {
            Some(address) => self.invitation_per_address.check(&address_key(address)),
            None => Decision::Allowed,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::new(RateLimitConfig::default())
    }
}

/// The source address of the request: the `ConnectInfo<SocketAddr>` that the server
/// inserts for every connection, or a `MockConnectInfo<SocketAddr>` of a test, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip())
            .or_else(|| {
                parts
                    .extensions
                    .get::<MockConnectInfo<SocketAddr>>()
                    .map(|MockConnectInfo(address)| address.ip())
            });
        Ok(PeerAddress(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_quota_then_limits() {
        let limiter = RateLimiter::new(3, 10);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(&1, now), Decision::Allowed);
        }
        assert_eq!(
            limiter.check_at(&1, now),
            Decision::Limited {
                retry_after_secs: 20
            }
        );
        assert_eq!(limiter.check_at(&2, now), Decision::Allowed);
        assert_eq!(
            limiter.check_at(&1, now + Duration::from_secs(20)),
            Decision::Allowed
        );
    }

    #[test]
    fn zero_rate_disables_limit() {
        let limiter = RateLimiter::new(0, 1);
        let now = Instant::now();
        for key in 0..100 {
            assert_eq!(limiter.check_at(&key, now), Decision::Allowed);
        }
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[test]
    fn full_table_drops_idle_keys() {
        let limiter = RateLimiter::new(60, 2);
        let start = Instant::now();
        assert_eq!(limiter.check_at(&1, start), Decision::Allowed);
        assert_eq!(limiter.check_at(&2, start), Decision::Allowed);
        // Both keys are active: a third passes untracked.
        assert_eq!(limiter.check_at(&3, start), Decision::Allowed);
        assert_eq!(limiter.tracked_keys(), 2);
        // After one second both buckets are full again, so the sweep drops them.
        let later = start + Duration::from_secs(2);
        assert_eq!(limiter.check_at(&3, later), Decision::Allowed);
        assert_eq!(limiter.tracked_keys(), 1);
    }

    #[test]
    fn ipv6_keyed_by_network() {
        let first: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let second: IpAddr = "2001:db8:1:2:bbbb::2"
            .parse()
            .unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(address_key(first), address_key(second));
        let mapped: IpAddr = "::ffff:192.0.2.7"
            .parse()
            .unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(
            address_key(mapped),
            "192.0.2.7".parse::<IpAddr>().unwrap_or(mapped)
        );
    }
}
