//! The sync routes: capabilities, clinic creation, push and pull (bodies in postcard,
//! see docs/PROTOCOL.md). Every route but capabilities and clinic creation takes an
//! [`AuthenticatedDevice`], and scopes everything by its clinic.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use vetdesk_proto::PROTOCOL_VERSION;
use vetdesk_proto::envelope::MAX_ENVELOPE_BYTES;
use vetdesk_proto::messages::{
    self, BINARY_CONTENT_TYPE, Capabilities, CreateClinic, DeviceToken, MAX_PUSH_ENVELOPES,
    PullResponse, PushRequest, PushResponse, PushResult,
};

use crate::auth::{self, AuthenticatedDevice};
use crate::envelopes::{self, PushStatus};
use crate::{AppError, AppState};

pub(crate) fn binary(body: Vec<u8>) -> Response {
    ([(CONTENT_TYPE, BINARY_CONTENT_TYPE)], body).into_response()
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, AppError> {
    messages::decode(body).map_err(|e| AppError::BadRequest(e.to_string()))
}

pub async fn capabilities() -> Json<Capabilities> {
    Json(Capabilities {
        protocol_version: PROTOCOL_VERSION,
        min_protocol_version: messages::MIN_PROTOCOL_VERSION,
        max_envelope_bytes: MAX_ENVELOPE_BYTES as u64,
        max_push_envelopes: MAX_PUSH_ENVELOPES as u64,
        server_version: env!("CARGO_PKG_VERSION").to_string(),
    })
}

/// The protocol check as an extractor, for routes without device authentication.
pub struct SpeaksProtocol;

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SpeaksProtocol {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        auth::check_protocol(parts).map(|()| SpeaksProtocol)
    }
}

/// A request from a client address still within its allowance for unauthenticated
/// requests (see [`crate::metrics::ADDRESS_BURST`]); else 429. The address is the TCP
/// peer, or behind a `--trusted-proxy` the client it names ([`crate::client_address`]).
pub struct AddressAllowed;

impl axum::extract::FromRequestParts<AppState> for AddressAllowed {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let address = crate::client_address::of_request(parts, &state.trusted_proxies);
        match state.address_limiter.check_key(&address) {
            Ok(()) => Ok(AddressAllowed),
            Err(_) => {
                state.metrics.rate_limited.inc();
                Err(AppError::RateLimited)
            }
        }
    }
}

/// Registers a clinic and its first device (approved); answers with the device's token.
pub async fn create_clinic(
    State(state): State<AppState>,
    _: SpeaksProtocol,
    _: crate::auth::DeviceProtocol,
    _: AddressAllowed,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: CreateClinic = decode(&body)?;
    let hash = auth::device_made_token_hash(&request.token)?;
    // The clinic id is made from its first device's key: only that device can set it
    // up, and the server knows that key to check its signed requests by.
    let key_is_a_point = ed25519_dalek::VerifyingKey::from_bytes(&request.public_key).is_ok();
    if !key_is_a_point
        || vetdesk_proto::management::clinic_id_founded_by(&request.public_key) != request.clinic_id
    {
        return Err(AppError::BadRequest(
            "public_key: the clinic id is not made from this device's key (set up sync from the clinic's own first device)".into(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    let created = sqlx::query("INSERT INTO clinics (id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(request.clinic_id)
        .execute(&mut *tx)
        .await?;
    if created.rows_affected() == 0 {
        // The same request again (its answer was lost): the same answer. The token is
        // the device's own secret, so only the device that set the clinic up can.
        let same: Option<bool> = sqlx::query_scalar(
            "SELECT token_hash = $3 FROM devices WHERE clinic_id = $1 AND device_id = $2 AND status = 'approved'",
        )
        .bind(request.clinic_id)
        .bind(request.device_id)
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        if same == Some(true) {
            state.metrics.request("create_clinic", "repeated");
            return Ok(binary(messages::encode(&DeviceToken {
                token: request.token,
            })));
        }
        // Saying "exists" tells nothing: a clinic id is a random UUID only its devices know.
        return Err(AppError::Conflict(
            "this clinic is already set up on the server: enroll this device with a code from one of its devices".into(),
        ));
    }
    crate::registration::admit_clinic(
        &mut tx,
        state.registration,
        request.registration_token.as_deref(),
        request.clinic_id,
    )
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO devices (clinic_id, device_id, token_hash, status, public_key, manages)
         VALUES ($1, $2, $3, 'approved', $4, true)
         ON CONFLICT DO NOTHING",
    )
    .bind(request.clinic_id)
    .bind(request.device_id)
    .bind(hash)
    .bind(request.public_key.as_slice())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        // Only a token another device already uses collides (the transaction is undone).
        return Err(AppError::Conflict(
            "this token is taken: make a new one".into(),
        ));
    }
    tx.commit().await?;
    tracing::info!(clinic = %request.clinic_id, device = %request.device_id, "clinic created");
    state.metrics.request("create_clinic", "ok");
    Ok(binary(messages::encode(&DeviceToken {
        token: request.token,
    })))
}

pub async fn push(
    State(state): State<AppState>,
    device: AuthenticatedDevice,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: PushRequest =
        messages::decode_push_request(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let statuses = envelopes::push(
        &state.pool,
        device.clinic_id,
        device.device_id,
        &request.envelopes,
        now_ms(),
        state.clinic_quota_bytes,
    )
    .await?;
    let highest: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(device_seq), 0) FROM envelopes WHERE clinic_id = $1 AND device_id = $2",
    )
    .bind(device.clinic_id)
    .bind(device.device_id)
    .fetch_one(&state.pool)
    .await?;
    let seq = |s: i64| u64::try_from(s).unwrap_or(0);
    for status in &statuses {
        match status {
            PushStatus::Stored { .. } => state.metrics.envelopes_stored.inc(),
            PushStatus::Duplicate { .. } => state.metrics.envelopes_duplicate.inc(),
            PushStatus::Refused { .. } => state.metrics.envelopes_refused.inc(),
            PushStatus::SequenceReused => state.metrics.envelopes_seq_reused.inc(),
        };
    }
    state.metrics.request("push", "ok");
    let results = statuses
        .into_iter()
        .map(|s| match s {
            PushStatus::Stored { server_seq } => PushResult::Stored {
                server_seq: seq(server_seq),
            },
            PushStatus::Duplicate { server_seq } => PushResult::Duplicate {
                server_seq: seq(server_seq),
            },
            PushStatus::Refused { reason } => PushResult::Refused { reason },
            PushStatus::SequenceReused => PushResult::SequenceReused {
                highest_seq: seq(highest),
            },
        })
        .collect();
    Ok(binary(messages::encode(&PushResponse {
        results,
        highest_acknowledged_seq: seq(highest),
    })))
}

#[derive(Debug, Deserialize)]
pub struct PullParams {
    #[serde(default)]
    after: u64,
    #[serde(default = "default_max_bytes")]
    max_bytes: u64,
}

fn default_max_bytes() -> u64 {
    4 << 20
}

pub async fn pull(
    State(state): State<AppState>,
    device: AuthenticatedDevice,
    Query(params): Query<PullParams>,
) -> Result<Response, AppError> {
    let after =
        i64::try_from(params.after).map_err(|_| AppError::BadRequest("after: too large".into()))?;
    let max_bytes = usize::try_from(params.max_bytes.clamp(1, 16 << 20)).unwrap_or(4 << 20);
    let page = envelopes::pull(&state.pool, device.clinic_id, after, max_bytes, 1000).await?;
    state
        .metrics
        .envelopes_served
        .inc_by(page.envelopes.len() as u64);
    state.metrics.request("pull", "ok");
    let seq = |s: i64| u64::try_from(s).unwrap_or(0);
    Ok(binary(messages::encode(&PullResponse {
        envelopes: page
            .envelopes
            .into_iter()
            .map(|(s, b)| (seq(s), b))
            .collect(),
        next: seq(page.next),
        has_more: page.has_more,
        server_time_ms: now_ms(),
    })))
}
