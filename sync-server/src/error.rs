//! The server's one error type. It becomes a JSON `{code, message}` response; internal
//! causes are logged with the request's span and never sent to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("missing, unknown or revoked device token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UpdateRequired(String),
    #[error(
        "too many requests from this device or network address: slow down and retry in a moment"
    )]
    RateLimited,
    /// The clinic's storage quota would be exceeded (507).
    #[error("{0}")]
    StorageFull(String),
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[from] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::UpdateRequired(_) => (StatusCode::UPGRADE_REQUIRED, "update_required"),
            Self::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::StorageFull(_) => (StatusCode::INSUFFICIENT_STORAGE, "storage_full"),
            Self::DatabaseUnavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let body = ErrorBody {
            code,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
