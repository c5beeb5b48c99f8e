//! The server's one error type. It becomes a JSON `{code, message}` response with one of
//! the protocol's closed error codes (`vetdesk_proto::errors`); internal causes are
//! logged with the request's span and never sent to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vetdesk_proto::errors::{ErrorBody, ServerErrorCode};

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

impl AppError {
    /// The code this error is answered with (`vetdesk_proto::errors`, shared with devices).
    pub fn code(&self) -> ServerErrorCode {
        match self {
            Self::NotFound => ServerErrorCode::NotFound,
            Self::BadRequest(_) => ServerErrorCode::BadRequest,
            Self::Unauthorized => ServerErrorCode::Unauthorized,
            Self::Forbidden(_) => ServerErrorCode::Forbidden,
            Self::Conflict(_) => ServerErrorCode::Conflict,
            Self::UpdateRequired(_) => ServerErrorCode::UpdateRequired,
            Self::RateLimited => ServerErrorCode::RateLimited,
            Self::StorageFull(_) => ServerErrorCode::StorageFull,
            Self::DatabaseUnavailable(_) => ServerErrorCode::Unavailable,
            Self::Internal(_) => ServerErrorCode::Internal,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::DatabaseUnavailable(e) => tracing::error!(error = %e, "database unavailable"),
            Self::Internal(e) => tracing::error!(error = ?e, "internal error"),
            _ => {}
        }
        let code = self.code();
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            code,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
