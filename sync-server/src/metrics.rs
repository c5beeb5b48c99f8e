//! `/metrics` in the Prometheus/OpenMetrics text format, and the rate limits: per device
//! of a clinic, per client address for unauthenticated requests, and per client address
//! for tokens that match no device.
//!
//! Counters only say how much happened (requests by route and outcome, envelopes
//! stored/duplicate/refused, envelopes served, requests refused by the rate limit) —
//! never which clinic or device, so the endpoint leaks nothing about tenants.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use uuid::Uuid;

use crate::{AppError, AppState};

/// Requests a device may make per second, and in a burst: generous for sync (a round
/// is a few requests), small enough that a runaway or stolen token cannot flood the server.
pub const DEVICE_REQUESTS_PER_SECOND: u32 = 20;
pub const DEVICE_BURST: u32 = 60;

/// Unauthenticated requests (enrolling with a code, creating a clinic) one network
/// address may make: a burst of 10, then one per 30 s. Enough for a clinic setting up
/// its devices behind one router; too few to guess enrollment codes.
pub const ADDRESS_BURST: u32 = 10;
pub const ADDRESS_REFILL: Duration = Duration::from_secs(30);

/// The server's counters.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<Vec<(String, String)>, Counter>,
    pub envelopes_stored: Counter,
    pub envelopes_duplicate: Counter,
    pub envelopes_refused: Counter,
    pub envelopes_seq_reused: Counter,
    pub envelopes_served: Counter,
    pub rate_limited: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("vetdesk_sync");
        let requests = Family::<Vec<(String, String)>, Counter>::default();
        let (stored, duplicate, refused, reused, served, limited) = (
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
            Counter::default(),
        );
        registry.register(
            "requests",
            "Sync requests by route and outcome",
            requests.clone(),
        );
        registry.register(
            "envelopes_stored",
            "Envelopes stored by pushes",
            stored.clone(),
        );
        registry.register(
            "envelopes_duplicate",
            "Envelopes pushed again (harmless)",
            duplicate.clone(),
        );
        registry.register(
            "envelopes_refused",
            "Envelopes refused by pushes",
            refused.clone(),
        );
        registry.register(
            "envelopes_seq_reused",
            "Envelopes refused for reusing a device seq (a restored or copied data folder)",
            reused.clone(),
        );
        registry.register(
            "envelopes_served",
            "Envelopes returned by pulls",
            served.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by the per-device rate limit",
            limited.clone(),
        );
        Self {
            registry,
            requests,
            envelopes_stored: stored,
            envelopes_duplicate: duplicate,
            envelopes_refused: refused,
            envelopes_seq_reused: reused,
            envelopes_served: served,
            rate_limited: limited,
        }
    }
}

impl Metrics {
    pub fn request(&self, route: &str, outcome: &str) {
        self.requests
            .get_or_create(&vec![
                ("route".into(), route.into()),
                ("outcome".into(), outcome.into()),
            ])
            .inc();
    }

    fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// One token bucket per device of a clinic (device ids are unique only within one).
pub type DeviceLimiter = DefaultKeyedRateLimiter<(Uuid, Uuid)>;

/// A keyed limiter allowing `burst` requests per key, then one per `refill`.
fn keyed_limiter<K: Clone + Eq + std::hash::Hash>(
    burst: u32,
    refill: Duration,
    at_least: Quota,
) -> Arc<DefaultKeyedRateLimiter<K>> {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(refill)
        .unwrap_or(at_least)
        .allow_burst(burst);
    Arc::new(RateLimiter::keyed(quota))
}

/// A device limiter allowing `burst` requests, then one per `refill`
/// ([`DEVICE_BURST`] and [`DEVICE_REFILL`] in the server).
pub fn device_limiter(burst: u32, refill: Duration) -> Arc<DeviceLimiter> {
    keyed_limiter(burst, refill, Quota::per_second(NonZeroU32::MIN))
}

/// The refill period of [`DEVICE_REQUESTS_PER_SECOND`].
pub const DEVICE_REFILL: Duration = Duration::from_millis(1000 / DEVICE_REQUESTS_PER_SECOND as u64);

/// One token bucket per network address, for requests made before there is a device.
pub type AddressLimiter = DefaultKeyedRateLimiter<IpAddr>;

/// An address limiter allowing `burst` requests, then one per `refill`
/// ([`ADDRESS_BURST`] and [`ADDRESS_REFILL`] in the server).
pub fn address_limiter(burst: u32, refill: Duration) -> Arc<AddressLimiter> {
    keyed_limiter(burst, refill, Quota::per_minute(NonZeroU32::MIN))
}

/// Requests whose token matches no device, one address may make: a burst of 20, then
/// one per 5 s. Past that the address is refused before its tokens are looked up, so a
/// flood of made-up tokens costs no database queries.
pub const JUNK_TOKEN_BURST: u32 = 20;
pub const JUNK_TOKEN_REFILL: Duration = Duration::from_secs(5);
/// Addresses kept as refused at once, at most (memory stays bounded under a flood from
/// many addresses; beyond it the limiter still answers, after a lookup).
const REFUSED_ADDRESSES_KEPT: usize = 10_000;

/// Counts requests with tokens that match no device, per client address.
#[derive(Debug)]
pub struct JunkTokens {
    limiter: Arc<AddressLimiter>,
    /// Read on every authenticated request, written only when an address runs out.
    refused_until: RwLock<HashMap<IpAddr, Instant>>,
}

impl JunkTokens {
    pub fn new(burst: u32, refill: Duration) -> Self {
        Self {
            limiter: address_limiter(burst, refill),
            refused_until: RwLock::default(),
        }
    }

    fn refused(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<IpAddr, Instant>> {
        self.refused_until
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `address` is refused now, before any token of it is looked up.
    pub fn refuses(&self, address: IpAddr) -> bool {
        self.refused_until
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&address)
            .is_some_and(|until| *until > Instant::now())
    }

    /// Counts a token of `address` that matched no device; true when the address is
    /// now over its budget (and refused until a token has refilled).
    pub fn failed(&self, address: IpAddr) -> bool {
        let Err(not_until) = self.limiter.check_key(&address) else {
            return false;
        };
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let now = Instant::now();
        let mut refused = self.refused();
        if refused.len() >= REFUSED_ADDRESSES_KEPT {
            refused.retain(|_, until| *until > now);
        }
        if refused.len() < REFUSED_ADDRESSES_KEPT {
            refused.insert(address, now + wait);
        }
        true
    }

    /// Drops what no longer limits anyone (called every minute).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        let now = Instant::now();
        self.refused().retain(|_, until| *until > now);
    }
}

/// Refuses a device over its rate (429), counting it.
pub fn check_rate(state: &AppState, clinic: Uuid, device: Uuid) -> Result<(), AppError> {
    match state.limiter.check_key(&(clinic, device)) {
        Ok(()) => Ok(()),
        Err(_) => {
            state.metrics.rate_limited.inc();
            Err(AppError::RateLimited)
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
