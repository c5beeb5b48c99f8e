//! Signed device management (issue 15, requirement 2; SECURITY-REVIEW.md H4): inviting,
//! approving and revoking are accepted only from a device that manages the clinic's
//! devices, and only when the request carries that device's signature
//! (`vetdesk_proto::management`). A bearer token alone — a stolen one, or any member
//! device's — can no longer mint invitations, approve a stranger or revoke the clinic's
//! devices. Which devices manage the server learns only from signed requests: the
//! founder at set-up (its key checked against the clinic id) and the devices a managing
//! device approved as managing. Each device's own core checks the same against the
//! clinic's signed membership log, so a server that lies here gains nothing either.

use axum::http::HeaderMap;
use ed25519_dalek::{Signature, VerifyingKey};
use sqlx::Row;
use vetdesk_proto::management::{SIGNATURE_HEADER, parse_signature_header, signed_message};

use crate::AppError;
use crate::auth::AuthenticatedDevice;

/// Checks that `device` manages its clinic's devices and signed this request (`method`,
/// `path`, `body`) with a counter higher than any it used before; the counter is then
/// spent.
pub async fn check_signed(
    pool: &sqlx::PgPool,
    device: AuthenticatedDevice,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(), AppError> {
    let (counter, signature) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_signature_header)
        .ok_or_else(|| {
            AppError::Forbidden(
                "inviting, approving and revoking devices must be signed by a device that manages the clinic's devices: update Vetdesk on this device, or do it on a managing device".into(),
            )
        })?;
    let row = sqlx::query(
        "SELECT public_key, manages FROM devices WHERE clinic_id = $1 AND device_id = $2",
    )
    .bind(device.clinic_id)
    .bind(device.device_id)
    .fetch_one(pool)
    .await?;
    let manages: bool = row.try_get("manages")?;
    let key: Option<Vec<u8>> = row.try_get("public_key")?;
    if !manages {
        return Err(AppError::Forbidden(
            "this device does not manage the clinic's devices: invite, approve and revoke devices on one that does (the clinic's first device, or one approved as managing)".into(),
        ));
    }
    let verifies = key
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .is_some_and(|k| {
            let message = signed_message(
                device.clinic_id,
                device.device_id,
                method,
                path,
                counter,
                body,
            );
            k.verify_strict(&message, &Signature::from_bytes(&signature))
                .is_ok()
        });
    if !verifies {
        return Err(AppError::Forbidden(
            "the request's signature is not this device's: it was changed on the way, or made with another key".into(),
        ));
    }
    let counter = i64::try_from(counter)
        .map_err(|_| AppError::BadRequest("the request's counter is out of range".into()))?;
    let spent = sqlx::query(
        "UPDATE devices SET last_signed = $3
         WHERE clinic_id = $1 AND device_id = $2 AND last_signed < $3",
    )
    .bind(device.clinic_id)
    .bind(device.device_id)
    .bind(counter)
    .execute(pool)
    .await?;
    if spent.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "this signed request was made before (a replay), or this device's request counter went back: make the request again".into(),
        ));
    }
    Ok(())
}
