//! `/metrics` in the Prometheus/OpenMetrics text format, and the per-device rate limit.
//!
//! Counters only say how much happened (requests by route and outcome, envelopes
//! stored/duplicate/refused, envelopes served, requests refused by the rate limit) —
//! never which clinic or device, so the endpoint leaks nothing about tenants.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
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
pub const ADDRESS_REFILL: std::time::Duration = std::time::Duration::from_secs(30);

/// The server's counters.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<Vec<(String, String)>, Counter>,
    pub envelopes_stored: Counter,
    pub envelopes_duplicate: Counter,
    pub envelopes_refused: Counter,
    pub envelopes_served: Counter,
    pub rate_limited: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("vetdesk_sync");
        let requests = Family::<Vec<(String, String)>, Counter>::default();
        let (stored, duplicate, refused, served, limited) = (
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

/// One token bucket per device.
pub type DeviceLimiter = DefaultKeyedRateLimiter<Uuid>;

pub fn device_limiter() -> Arc<DeviceLimiter> {
    let per_second = NonZeroU32::new(DEVICE_REQUESTS_PER_SECOND).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(DEVICE_BURST).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(
        Quota::per_second(per_second).allow_burst(burst),
    ))
}

/// One token bucket per network address, for requests made before there is a device.
pub type AddressLimiter = DefaultKeyedRateLimiter<std::net::IpAddr>;

/// An address limiter allowing `burst` requests, then one per `refill`
/// ([`ADDRESS_BURST`] and [`ADDRESS_REFILL`] in the server).
pub fn address_limiter(burst: u32, refill: std::time::Duration) -> Arc<AddressLimiter> {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(refill)
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(burst);
    Arc::new(RateLimiter::keyed(quota))
}

/// Refuses a device over its rate (429), counting it.
pub fn check_rate(state: &AppState, device: Uuid) -> Result<(), AppError> {
    match state.limiter.check_key(&device) {
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
