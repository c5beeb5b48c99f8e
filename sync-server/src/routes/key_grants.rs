//! Key-epoch grants (issue 15, requirement 3): a device that made a new clinic key
//! hands over one grant per remaining device, and each device fetches its own. A grant
//! is sealed to its recipient and signed by its maker (docs/PROTOCOL.md, "Key
//! epochs"): the server stores and relays bytes it cannot open. It keeps grants only
//! for its clinic's devices that are not revoked, at most one per device and key id
//! and at most [`MAX_KEY_GRANTS`] per device, so no device can fill its storage.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use sqlx::Row;
use vetdesk_proto::messages::{self, KeyGrant, KeyGrants, MAX_KEY_GRANTS};

use crate::auth::{AuthenticatedDevice, DeviceProtocol};
use crate::routes::sync::binary;
use crate::{AppError, AppState};

fn as_i32(key_id: u32) -> i32 {
    i32::from_ne_bytes(key_id.to_ne_bytes())
}

fn limit() -> i64 {
    i64::try_from(MAX_KEY_GRANTS).unwrap_or(i64::MAX)
}

/// `POST /v1/key-grants`: stores the grants, each for a device of the sender's clinic
/// that is not revoked; answers how many were new. A grant sent again is kept as it
/// first came (the same request after a lost answer is harmless).
pub async fn put_key_grants(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
    body: Bytes,
) -> Result<Response, AppError> {
    let request =
        messages::decode_key_grants(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let mut tx = state.pool.begin().await?;
    let mut stored = 0u64;
    for KeyGrant {
        device_id,
        key_id,
        grant,
    } in &request.grants
    {
        let inserted = sqlx::query(
            "INSERT INTO key_grants (clinic_id, device_id, key_id, grant_bytes, created_by)
             SELECT $1, $2, $3, $4, $5
             WHERE EXISTS (SELECT 1 FROM devices
                           WHERE clinic_id = $1 AND device_id = $2 AND status <> 'revoked')
               AND (SELECT count(*) FROM key_grants WHERE clinic_id = $1 AND device_id = $2) < $6
             ON CONFLICT DO NOTHING",
        )
        .bind(device.clinic_id)
        .bind(device_id)
        .bind(as_i32(*key_id))
        .bind(grant)
        .bind(device.device_id)
        .bind(limit())
        .execute(&mut *tx)
        .await?;
        stored += inserted.rows_affected();
    }
    tx.commit().await?;
    tracing::info!(clinic = %device.clinic_id, by = %device.device_id, offered = request.grants.len(), stored, "key grants stored");
    Ok(binary(messages::encode(&stored)))
}

/// `GET /v1/key-grants`: the grants for the asking device, newest key first.
pub async fn get_key_grants(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
) -> Result<Response, AppError> {
    let rows = sqlx::query(
        "SELECT key_id, grant_bytes FROM key_grants
         WHERE clinic_id = $1 AND device_id = $2
         ORDER BY created_at DESC, key_id DESC LIMIT $3",
    )
    .bind(device.clinic_id)
    .bind(device.device_id)
    .bind(limit())
    .fetch_all(&state.pool)
    .await?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in rows {
        let key_id: i32 = row.try_get("key_id")?;
        grants.push(KeyGrant {
            device_id: device.device_id,
            key_id: u32::from_ne_bytes(key_id.to_ne_bytes()),
            grant: row.try_get("grant_bytes")?,
        });
    }
    Ok(binary(messages::encode(&KeyGrants { grants })))
}
