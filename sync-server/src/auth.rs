//! Device authentication: bearer tokens, stored hashed, bound to (clinic, device).
//!
//! A token is 32 random bytes, base64url; the server keeps only its SHA-256 (a random
//! 256-bit secret needs no slow hash). [`AuthenticatedDevice`] is the extractor every
//! sync route takes: it looks the token up on every request, so a revocation takes
//! effect on the device's next request, and it yields the clinic every query is scoped
//! by — no request can name another clinic.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::Row;
use uuid::Uuid;
use vetdesk_proto::PROTOCOL_VERSION;
use vetdesk_proto::messages::{MIN_DEVICE_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, PROTOCOL_HEADER};

use crate::{AppError, AppState};

/// A new random token and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The hash of a token a device made for itself, once it is one: 32 bytes in base64url
/// without padding, as [`new_token`] makes them.
pub fn device_made_token_hash(token: &str) -> Result<Vec<u8>, AppError> {
    match URL_SAFE_NO_PAD.decode(token) {
        Ok(bytes) if bytes.len() == 32 => Ok(token_hash(token)),
        _ => Err(AppError::BadRequest(
            "token: expected 32 random bytes in base64url without padding".into(),
        )),
    }
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The device a request comes from, approved and not revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticatedDevice {
    pub clinic_id: Uuid,
    pub device_id: Uuid,
}

/// Refuses a request that does not say which protocol it speaks, or speaks one this
/// server does not serve, with a message telling the person what to do.
pub fn check_protocol(parts: &Parts) -> Result<(), AppError> {
    let version = parts
        .headers
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    match version {
        Some(v) if (MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&v) => Ok(()),
        Some(v) if v > PROTOCOL_VERSION => Err(AppError::UpdateRequired(format!(
            "this device speaks sync protocol {v}, newer than this server's {PROTOCOL_VERSION}: update the sync server"
        ))),
        _ => Err(AppError::UpdateRequired(format!(
            "this server speaks sync protocol {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}: update Vetdesk on this device"
        ))),
    }
}

/// A request in a protocol whose set-up and enrollment carry proofs and device-made
/// tokens (see [`MIN_DEVICE_PROTOCOL_VERSION`]); older devices are told to update.
#[derive(Debug, Clone, Copy)]
pub struct DeviceProtocol;

impl<S: Send + Sync> FromRequestParts<S> for DeviceProtocol {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        check_protocol_at_least(parts, MIN_DEVICE_PROTOCOL_VERSION).map(|()| DeviceProtocol)
    }
}

/// Refuses a request older than `min` on a route whose messages changed at `min`.
pub fn check_protocol_at_least(parts: &Parts, min: u32) -> Result<(), AppError> {
    check_protocol(parts)?;
    let version = parts
        .headers
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if version < min {
        return Err(AppError::UpdateRequired(format!(
            "enrolling and managing devices needs sync protocol {min} or newer (this device speaks {version}): update Vetdesk on this device"
        )));
    }
    Ok(())
}

impl FromRequestParts<AppState> for AuthenticatedDevice {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        check_protocol(parts)?;
        let address = crate::client_address::of_request(parts, &state.trusted_proxies);
        // An address that has sent too many tokens matching no device is refused
        // before its next one costs a query.
        if state.junk_tokens.refuses(address) {
            state.metrics.rate_limited.inc();
            return Err(AppError::RateLimited);
        }
        let unknown = || {
            if state.junk_tokens.failed(address) {
                state.metrics.rate_limited.inc();
                AppError::RateLimited
            } else {
                AppError::Unauthorized
            }
        };
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unknown)?;
        let row =
            sqlx::query("SELECT clinic_id, device_id, status FROM devices WHERE token_hash = $1")
                .bind(token_hash(token.trim()))
                .fetch_optional(&state.pool)
                .await?
                .ok_or_else(unknown)?;
        let status: String = row.try_get("status")?;
        match status.as_str() {
            "approved" => {
                let device = Self {
                    clinic_id: row.try_get("clinic_id")?,
                    device_id: row.try_get("device_id")?,
                };
                crate::metrics::check_rate(state, device.clinic_id, device.device_id)?;
                Ok(device)
            }
            "pending" => Err(AppError::Forbidden(
                "this device is waiting for an admin of the clinic to approve it".into(),
            )),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in base64url");
        assert_eq!(token_hash(&a), hash_a);
        assert!(
            !hash_a
                .windows(8)
                .any(|w| a.as_bytes().windows(8).any(|t| t == w))
        );
    }
}
