//! Vetdesk's sync server: an axum HTTP service over PostgreSQL.
//!
//! It relays clinics' encrypted change logs between their devices and stores only
//! ciphertext and routing metadata; it depends on `vetdesk-proto` for its wire types
//! and on nothing that could read clinical data.
//!
//! - [`config::Config`]: flags and environment (clap).
//! - [`app`]: the router, built without binding a socket so tests can call it directly.
//! - [`serve`]: runs the router on a listener until a shutdown future resolves, then
//!   finishes in-flight requests; [`serve_tls`] the same over TLS (rustls) from PEM
//!   certificate files.
//! - [`db`]: the connection pool and the embedded migrations from `migrations/server`.
//! - [`envelopes`]: storing pushed envelopes under a per-clinic sequence, and pulling
//!   them by cursor; [`auth`]: device tokens (hashed, bound to clinic and device).
//! - [`registration`]: who may register a new clinic (open, operator tokens, closed).
//! - routes: `/healthz`, `/v1/capabilities`, `/v1/clinics`, `/v1/push`, `/v1/pull`.
//!
//! ## How the server works
//!
//! axum 0.8 over PostgreSQL with sqlx 0.9 (chosen for its embedded, checksummed migrations
//! — `sqlx::migrate!("../migrations/server")` — and its pool; queries are written at run
//! time, no compile-time database needed). `app()` builds the router without a socket so
//! tests call it with `oneshot`; `serve()` runs it with graceful shutdown (SIGINT/SIGTERM,
//! in-flight requests finish). Request ids (`x-request-id`, set and propagated), tracing
//! spans per request, text or JSON logs, a body-size limit, and one `AppError` that becomes
//! `{code, message}` with internal causes logged, never returned. `GET /healthz` answers 200
//! when PostgreSQL answers `SELECT 1` within 2 s, else 503. `envelopes` is the storage half of push and pull
//! (issue 4, in progress): per-envelope statuses, server seqs assigned under the clinic's
//! counter-row lock so a paging reader never skips one, byte-limited pages. `auth`:
//! hashed bearer tokens bound to (clinic, device), looked up on every request; `management`:
//! inviting, approving and revoking only as requests signed by a managing device, with a
//! counter that must grow (replays refused), and never the clinic's last managing device;
//! `metrics`:
//! `/metrics` (OpenMetrics, counts only) and the rate limits (429): per device of a clinic, per client address for unauthenticated requests and for tokens matching no device (refused before the lookup once over budget); `client_address`: the TCP peer, or the client a `--trusted-proxy` names. Routes:
//! capabilities, clinics, push, pull, enrollment codes, enroll, devices, approve, revoke,
//! key, notify (server-sent events fed by PostgreSQL LISTEN/NOTIFY, so any instance
//! announces any instance's pushes), and blobs by content hash (`PUT`/`GET /v1/blobs/{sha256}`,
//! checked against their address, scoped by clinic).
//!
//! With `--tls-cert`/`--tls-key` it serves HTTPS itself (`serve_tls`: rustls on *ring* via `axum-server`, same router, same graceful shutdown); without them plain HTTP for a TLS proxy in front. Who may register a new clinic is the operator's choice (`--registration`, `sync-server/src/registration.rs`): `token` by default — one-time tokens from `vetdesk-sync-server issue-registration-token`, stored hashed and spent in the transaction that registers the clinic — or `open` (a clinic's own server on its own network), or `closed`.

pub mod auth;
pub mod client_address;
pub mod config;
pub mod db;
pub mod envelopes;
mod error;
pub mod management;
pub mod metrics;
pub mod notify;
pub mod registration;
mod routes;

use std::future::Future;

use axum::Router;
use sqlx::PgPool;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::AppError;

/// Bytes of envelopes one clinic may store by default: 20 GB, years of a large
/// clinic's records (attachments and recordings will have quotas of their own).
pub const DEFAULT_CLINIC_QUOTA_BYTES: u64 = 20_000_000_000;

/// Invitations (enrollment codes) one clinic may have waiting, unused and unexpired.
pub const MAX_WAITING_ENROLLMENT_CODES: i64 = 20;

/// Largest request body accepted by default; larger ones get 413 before they are read.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Shared state of every request handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    pub limiter: std::sync::Arc<metrics::DeviceLimiter>,
    pub address_limiter: std::sync::Arc<metrics::AddressLimiter>,
    pub notices: tokio::sync::broadcast::Sender<notify::Notice>,
    /// Who may register a new clinic.
    pub registration: registration::Registration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: std::sync::Arc<Vec<std::net::IpAddr>>,
    pub junk_tokens: std::sync::Arc<metrics::JunkTokens>,
    /// Bytes of envelopes one clinic may store (`--clinic-quota-bytes`).
    pub clinic_quota_bytes: u64,
}

impl AppState {
    /// The state of one server instance; starts its LISTEN for other instances'
    /// pushes (so it must be called inside a tokio runtime).
    pub fn new(pool: PgPool, registration: registration::Registration) -> Self {
        let notices = notify::channel();
        notify::spawn_listener(pool.clone(), notices.clone());
        Self {
            pool,
            metrics: std::sync::Arc::default(),
            limiter: metrics::device_limiter(metrics::DEVICE_BURST, metrics::DEVICE_REFILL),
            address_limiter: metrics::address_limiter(
                metrics::ADDRESS_BURST,
                metrics::ADDRESS_REFILL,
            ),
            notices,
            registration,
            trusted_proxies: std::sync::Arc::default(),
            junk_tokens: std::sync::Arc::new(metrics::JunkTokens::new(
                metrics::JUNK_TOKEN_BURST,
                metrics::JUNK_TOKEN_REFILL,
            )),
            clinic_quota_bytes: DEFAULT_CLINIC_QUOTA_BYTES,
        }
    }

    /// The same, believing `X-Forwarded-For` from these reverse proxies only.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = std::sync::Arc::new(proxies);
        self
    }

    /// The same, with another request budget per device: `burst`, then one per `refill`.
    pub fn with_device_rate(mut self, burst: u32, refill: std::time::Duration) -> Self {
        self.limiter = metrics::device_limiter(burst, refill);
        self
    }

    /// The same, with another storage quota per clinic.
    pub fn with_clinic_quota(mut self, bytes: u64) -> Self {
        self.clinic_quota_bytes = bytes;
        self
    }

    /// Keeps the limiters' memory to the addresses and devices active lately.
    /// Started by [`app`], once the state's limiters are final.
    fn forget_idle_limits_every_minute(&self) {
        let (devices, addresses, junk) = (
            std::sync::Arc::downgrade(&self.limiter),
            std::sync::Arc::downgrade(&self.address_limiter),
            std::sync::Arc::downgrade(&self.junk_tokens),
        );
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                let (Some(devices), Some(addresses), Some(junk)) =
                    (devices.upgrade(), addresses.upgrade(), junk.upgrade())
                else {
                    return;
                };
                devices.retain_recent();
                addresses.retain_recent();
                junk.forget_idle();
            }
        });
    }
}

/// The server's routes and middleware (request ids, tracing, body limit).
pub fn app(state: AppState, max_body_bytes: usize) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    state.forget_idle_limits_every_minute();
    routes::router()
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
            })
            // One line per request at the default log level, with status and latency.
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The server's TLS certificate chain and key, from PEM files (`--tls-cert`,
/// `--tls-key`), with rustls on *ring*.
pub async fn tls_from_pem_files(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> std::io::Result<axum_server::tls_rustls::RustlsConfig> {
    // One process-wide provider; a second install (tests, reloads) changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot use the TLS certificate {} with key {}: {e}",
                    cert.display(),
                    key.display()
                ),
            )
        })
}

/// [`serve`] over TLS: HTTPS only, on `listener`, until `shutdown` resolves; then
/// in-flight requests get up to 30 s to finish.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    app: Router,
    tls: axum_server::tls_rustls::RustlsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
    });
    axum_server::tls_rustls::from_tcp_rustls(listener, tls)?
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connection info gives the unauthenticated endpoints a peer address to rate-limit.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
