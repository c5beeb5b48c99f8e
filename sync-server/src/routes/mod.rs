//! The server's HTTP routes.

mod blobs;
mod devices;
mod health;
mod key_grants;
pub(crate) mod sync;

use axum::Router;
use axum::routing::{get, post};
use vetdesk_proto::messages::{
    APPROVE_PATH, CAPABILITIES_PATH, CLINICS_PATH, DEVICES_PATH, ENROLL_PATH,
    ENROLLMENT_CODES_PATH, KEY_GRANTS_PATH, KEY_PATH, PULL_PATH, PUSH_PATH, REVOKE_PATH,
};

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(vetdesk_proto::HEALTH_PATH, get(health::healthz))
        .route("/metrics", get(crate::metrics::metrics))
        .route(CAPABILITIES_PATH, get(sync::capabilities))
        .route(CLINICS_PATH, post(sync::create_clinic))
        .route(PUSH_PATH, post(sync::push))
        .route(PULL_PATH, get(sync::pull))
        .route(ENROLLMENT_CODES_PATH, post(devices::new_enrollment_code))
        .route(ENROLL_PATH, post(devices::enroll))
        .route(DEVICES_PATH, get(devices::list_devices))
        .route(APPROVE_PATH, post(devices::approve))
        .route(REVOKE_PATH, post(devices::revoke))
        .route(KEY_PATH, get(devices::sealed_key))
        .route(
            KEY_GRANTS_PATH,
            get(key_grants::get_key_grants).post(key_grants::put_key_grants),
        )
        .route(
            vetdesk_proto::messages::NOTIFY_PATH,
            get(crate::notify::notify),
        )
        .route(
            "/v1/blobs/{hash}",
            get(blobs::get_blob).put(blobs::put_blob),
        )
        .fallback(|| async { AppError::NotFound })
}
