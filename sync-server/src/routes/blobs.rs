//! Blobs by content hash: `PUT /v1/blobs/{sha256 hex}` stores bytes whose SHA-256 is
//! that hash (anything else is refused), `GET` returns them — both only within the
//! device's clinic (another clinic's blob looks like none). Idempotent: putting the same
//! blob twice stores it once. Blobs count toward the clinic's storage quota.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::auth::AuthenticatedDevice;
use crate::routes::sync::binary;
use crate::{AppError, AppState};

fn address(hex_hash: &str) -> Result<Vec<u8>, AppError> {
    let bytes = hex::decode(hex_hash)
        .map_err(|_| AppError::BadRequest("a blob is addressed by 64 hex digits".into()))?;
    if bytes.len() != 32 {
        return Err(AppError::BadRequest(
            "a blob is addressed by 64 hex digits".into(),
        ));
    }
    Ok(bytes)
}

pub async fn put_blob(
    State(state): State<AppState>,
    device: AuthenticatedDevice,
    Path(hex_hash): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let hash = address(&hex_hash)?;
    if Sha256::digest(&body).as_slice() != hash.as_slice() {
        return Err(AppError::BadRequest(
            "the blob's bytes do not match its address (SHA-256)".into(),
        ));
    }
    let mut tx = state.pool.begin().await?;
    // Blobs count toward the clinic's quota with its envelopes (one counter, locked).
    let (_, stored_bytes) = crate::envelopes::lock_counter(&mut tx, device.clinic_id).await?;
    let inserted = sqlx::query(
        "INSERT INTO blobs (clinic_id, hash, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(device.clinic_id)
    .bind(&hash)
    .bind(body.as_ref())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        crate::envelopes::check_quota(stored_bytes, body.len() as u64, state.clinic_quota_bytes)?;
        sqlx::query(
            "UPDATE clinic_counters SET stored_bytes = stored_bytes + $2 WHERE clinic_id = $1",
        )
        .bind(device.clinic_id)
        .bind(i64::try_from(body.len()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    state.metrics.request("put_blob", "ok");
    Ok(binary(Vec::new()))
}

pub async fn get_blob(
    State(state): State<AppState>,
    device: AuthenticatedDevice,
    Path(hex_hash): Path<String>,
) -> Result<Response, AppError> {
    let hash = address(&hex_hash)?;
    let row = sqlx::query("SELECT body FROM blobs WHERE clinic_id = $1 AND hash = $2")
        .bind(device.clinic_id)
        .bind(&hash)
        .fetch_optional(&state.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let body: Vec<u8> = row.try_get("body")?;
    state.metrics.request("get_blob", "ok");
    Ok(binary(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_64_hex_digits() {
        assert_eq!(address(&"ab".repeat(32)).map(|a| a.len()).ok(), Some(32));
        for bad in ["", "abc", &"zz".repeat(32), &"ab".repeat(31)] {
            assert!(address(bad).is_err(), "{bad}");
        }
    }
}
