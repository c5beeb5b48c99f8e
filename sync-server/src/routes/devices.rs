//! Enrollment and device management: one-time codes, enrolling, listing, approving
//! (with the key grant for the new device), revoking (which ends the device's notify
//! streams at once), and fetching one's key grant.
//! Inviting, approving and revoking are accepted only as requests signed by a device
//! that manages the clinic's devices (`crate::management`); the clinic always keeps one
//! (its last managing device cannot be revoked). *Which person* may approve or revoke
//! (an admin) is checked by the device's own core, where the roles live — the server
//! never sees them. What the server relays between
//! the new device and the approving one (the introduction, the grant) is sealed under a
//! key it cannot derive: it stores and lists them, and can only break them, never
//! forge them (docs/PROTOCOL.md, "Enrollment").

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rand::Rng;
use sqlx::Row;
use vetdesk_proto::messages::{
    self, APPROVE_PATH, Approve, DeviceInfo, DeviceList, ENROLLMENT_CODE_TTL_SECS,
    ENROLLMENT_CODES_PATH, Enroll, Enrolled, EnrollmentCode, MAX_ENROLLMENT_PROOF_BYTES,
    NewEnrollmentCode, REVOKE_PATH, Revoke, WrappedKey,
};

use crate::auth::{self, AuthenticatedDevice, DeviceProtocol};
use crate::routes::sync::{SpeaksProtocol, binary, decode, now_ms};
use crate::{AppError, AppState};

/// Crockford base32 without I, L, O, U: no letters that look like digits.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LEN: usize = 10;

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..32)] as char)
        .collect()
}

/// Codes are compared case-insensitively and without the dashes people add.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn check_proof_size(field: &str, bytes: &[u8]) -> Result<(), AppError> {
    if bytes.is_empty() || bytes.len() > MAX_ENROLLMENT_PROOF_BYTES {
        return Err(AppError::BadRequest(format!(
            "{field}: expected 1 to {MAX_ENROLLMENT_PROOF_BYTES} bytes, got {}",
            bytes.len()
        )));
    }
    Ok(())
}

pub async fn new_enrollment_code(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: NewEnrollmentCode = decode(&body)?;
    crate::management::check_signed(
        &state.pool,
        device,
        &headers,
        "POST",
        ENROLLMENT_CODES_PATH,
        &body,
    )
    .await?;
    let ttl = request.ttl_secs.clamp(1, ENROLLMENT_CODE_TTL_SECS);
    let code = new_code();
    let expires_at_ms = now_ms() + ttl * 1000;
    let mut tx = state.pool.begin().await?;
    // Codes do not pile up: spent and expired ones go (a repeated enrollment is
    // recognised by the device row, not the code), and a clinic has a few waiting at most.
    sqlx::query(
        "DELETE FROM enrollment_codes WHERE clinic_id = $1 AND (used_at IS NOT NULL OR expires_at <= now())",
    )
    .bind(device.clinic_id)
    .execute(&mut *tx)
    .await?;
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM enrollment_codes WHERE clinic_id = $1")
            .bind(device.clinic_id)
            .fetch_one(&mut *tx)
            .await?;
    if waiting >= crate::MAX_WAITING_ENROLLMENT_CODES {
        return Err(AppError::Conflict(format!(
            "this clinic already has {waiting} invitations waiting to be used: use them, or let them expire (at most 15 minutes), before making more"
        )));
    }
    sqlx::query(
        "INSERT INTO enrollment_codes (code_hash, clinic_id, created_by, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(auth::token_hash(&code))
    .bind(device.clinic_id)
    .bind(device.device_id)
    .bind(ttl as f64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(binary(messages::encode(&EnrollmentCode {
        code,
        expires_at_ms,
    })))
}

pub async fn enroll(
    State(state): State<AppState>,
    _: SpeaksProtocol,
    _: DeviceProtocol,
    _: super::sync::AddressAllowed,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: Enroll = decode(&body)?;
    check_proof_size("introduction", &request.introduction)?;
    let code_hash = auth::token_hash(&normalise_code(&request.code));
    let hash = auth::device_made_token_hash(&request.token)?;
    let mut tx = state.pool.begin().await?;
    // Used and expired codes are refused alike: a code either works once, now, or not.
    let clinic = sqlx::query(
        "UPDATE enrollment_codes SET used_at = now()
         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING clinic_id",
    )
    .bind(&code_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(clinic) = clinic else {
        // The same enrollment again (its answer was lost): the same answer, for the
        // device that made the token and the introduction, and no one else.
        let repeated: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT clinic_id FROM devices
             WHERE device_id = $1 AND token_hash = $2 AND enrolled_with = $3
               AND public_key = $4 AND introduction = $5",
        )
        .bind(request.device_id)
        .bind(&hash)
        .bind(&code_hash)
        .bind(request.public_key.as_slice())
        .bind(&request.introduction)
        .fetch_optional(&mut *tx)
        .await?;
        return match repeated {
            Some(clinic_id) => Ok(binary(messages::encode(&Enrolled {
                clinic_id,
                token: request.token,
            }))),
            None => Err(AppError::Forbidden(
                "this enrollment code is not valid: it was used, it expired, or it was mistyped. Make a new one on a trusted device".into(),
            )),
        };
    };
    let clinic_id: uuid::Uuid = clinic.try_get("clinic_id")?;
    let inserted = sqlx::query(
        "INSERT INTO devices (clinic_id, device_id, token_hash, status, public_key, introduction, enrolled_with)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(clinic_id)
    .bind(request.device_id)
    .bind(hash)
    .bind(request.public_key.as_slice())
    .bind(&request.introduction)
    .bind(&code_hash)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "this device is already enrolled in the clinic".into(),
        ));
    }
    tx.commit().await?;
    tracing::info!(clinic = %clinic_id, device = %request.device_id, "device enrolled, pending approval");
    Ok(binary(messages::encode(&Enrolled {
        clinic_id,
        token: request.token,
    })))
}

pub async fn list_devices(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
) -> Result<Response, AppError> {
    let rows = sqlx::query(
        "SELECT device_id, status, public_key, introduction, enrolled_with, manages,
                (extract(epoch from created_at) * 1000)::bigint AS created_ms
         FROM devices WHERE clinic_id = $1 ORDER BY created_at, device_id",
    )
    .bind(device.clinic_id)
    .fetch_all(&state.pool)
    .await?;
    let mut devices = Vec::with_capacity(rows.len());
    for row in rows {
        let key: Option<Vec<u8>> = row.try_get("public_key")?;
        let enrolled_with: Option<Vec<u8>> = row.try_get("enrolled_with")?;
        devices.push(DeviceInfo {
            enrolled_with: enrolled_with.and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok()),
            introduction: row.try_get("introduction")?,
            device_id: row.try_get("device_id")?,
            status: row.try_get("status")?,
            public_key: key.and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok()),
            created_at_ms: u64::try_from(row.try_get::<i64, _>("created_ms")?).unwrap_or(0),
            manages: row.try_get("manages")?,
        });
    }
    Ok(binary(messages::encode(&DeviceList { devices })))
}

pub async fn approve(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: Approve = decode(&body)?;
    check_proof_size("wrapped_key", &request.wrapped_key)?;
    crate::management::check_signed(&state.pool, device, &headers, "POST", APPROVE_PATH, &body)
        .await?;
    let updated = sqlx::query(
        "UPDATE devices SET status = 'approved', key_id = $3, wrapped_key = $4, manages = $5
         WHERE clinic_id = $1 AND device_id = $2 AND status = 'pending'",
    )
    .bind(device.clinic_id)
    .bind(request.device_id)
    .bind(i32::from_ne_bytes(request.key_id.to_ne_bytes()))
    .bind(&request.wrapped_key)
    .bind(request.manages)
    .execute(&state.pool)
    .await?;
    if updated.rows_affected() == 0 {
        // Another clinic's device looks exactly like one that does not exist.
        return Err(AppError::NotFound);
    }
    tracing::info!(clinic = %device.clinic_id, approved = %request.device_id, by = %device.device_id, manages = request.manages, "device approved");
    Ok(binary(Vec::new()))
}

pub async fn revoke(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: Revoke = decode(&body)?;
    crate::management::check_signed(&state.pool, device, &headers, "POST", REVOKE_PATH, &body)
        .await?;
    let mut tx = state.pool.begin().await?;
    // One management act of a clinic at a time: two revocations of its last two
    // managing devices cannot both pass the check below.
    sqlx::query("SELECT 1 FROM clinics WHERE id = $1 FOR UPDATE")
        .bind(device.clinic_id)
        .execute(&mut *tx)
        .await?;
    let others_managing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM devices
         WHERE clinic_id = $1 AND device_id <> $2 AND manages AND status = 'approved'",
    )
    .bind(device.clinic_id)
    .bind(request.device_id)
    .fetch_one(&mut *tx)
    .await?;
    let target_manages: Option<bool> = sqlx::query_scalar(
        "SELECT manages AND status = 'approved' FROM devices WHERE clinic_id = $1 AND device_id = $2",
    )
    .bind(device.clinic_id)
    .bind(request.device_id)
    .fetch_optional(&mut *tx)
    .await?;
    if target_manages == Some(true) && others_managing == 0 {
        return Err(AppError::Conflict(
            "this is the clinic's last device that can manage devices: approve another device as managing first, so the clinic is never locked out".into(),
        ));
    }
    // With the revocation, in its transaction: every instance ends the device's open
    // notify streams as soon as it commits (`notify`).
    let updated = sqlx::query(
        "WITH revoked AS (
             UPDATE devices SET status = 'revoked' WHERE clinic_id = $1 AND device_id = $2
             RETURNING device_id)
         SELECT pg_notify($3, $4) FROM revoked",
    )
    .bind(device.clinic_id)
    .bind(request.device_id)
    .bind(crate::notify::CHANNEL)
    .bind(crate::notify::revoked_payload(
        device.clinic_id,
        request.device_id,
    ))
    .fetch_all(&mut *tx)
    .await?;
    if updated.is_empty() {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    tracing::info!(clinic = %device.clinic_id, revoked = %request.device_id, by = %device.device_id, "device revoked");
    Ok(binary(Vec::new()))
}

pub async fn sealed_key(
    State(state): State<AppState>,
    _: DeviceProtocol,
    device: AuthenticatedDevice,
) -> Result<Response, AppError> {
    let row = sqlx::query(
        "SELECT key_id, wrapped_key FROM devices WHERE clinic_id = $1 AND device_id = $2",
    )
    .bind(device.clinic_id)
    .bind(device.device_id)
    .fetch_one(&state.pool)
    .await?;
    let key_id: Option<i32> = row.try_get("key_id")?;
    let wrapped_key: Option<Vec<u8>> = row.try_get("wrapped_key")?;
    match (key_id, wrapped_key) {
        (Some(key_id), Some(wrapped_key)) => Ok(binary(messages::encode(&WrappedKey {
            key_id: u32::from_ne_bytes(key_id.to_ne_bytes()),
            wrapped_key,
        }))),
        _ => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_typos_of_case_and_dashes_do_not_matter() {
        let code = new_code();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(new_code(), code);
        assert_eq!(normalise_code("ab12-cd34 ef"), "AB12CD34EF");
    }
}
