//! The server's HTTP routes.

mod health;

use axum::Router;
use axum::routing::get;

use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(vetdesk_proto::HEALTH_PATH, get(health::healthz))
        .fallback(|| async { AppError::NotFound })
}
