//! The server's HTTP routes.

mod health;
mod sync;

use axum::Router;
use axum::routing::{get, post};
use vetdesk_proto::messages::{CAPABILITIES_PATH, CLINICS_PATH, PULL_PATH, PUSH_PATH};

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(vetdesk_proto::HEALTH_PATH, get(health::healthz))
        .route(CAPABILITIES_PATH, get(sync::capabilities))
        .route(CLINICS_PATH, post(sync::create_clinic))
        .route(PUSH_PATH, post(sync::push))
        .route(PULL_PATH, get(sync::pull))
        .fallback(|| async { AppError::NotFound })
}
