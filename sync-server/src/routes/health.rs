//! `GET /healthz`: 200 when the server can reach PostgreSQL, 503 when it cannot.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use vetdesk_proto::{Health, HealthStatus, PROTOCOL_VERSION};

use crate::AppState;

/// How long the database check may take before the server calls itself unhealthy.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let check = tokio::time::timeout(
        DB_CHECK_TIMEOUT,
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool),
    )
    .await;
    let database = match check {
        Ok(Ok(1)) => HealthStatus::Ok,
        Ok(Ok(_)) | Ok(Err(_)) | Err(_) => {
            tracing::warn!(?check, "health check: database unavailable");
            HealthStatus::Unavailable
        }
    };
    let code = match database {
        HealthStatus::Ok => StatusCode::OK,
        HealthStatus::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let health = Health {
        status: database,
        database,
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        protocol_version: PROTOCOL_VERSION,
    };
    (code, Json(health))
}
