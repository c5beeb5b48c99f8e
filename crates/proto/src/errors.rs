//! How the sync server says no: a closed set of error codes, one per kind of answer,
//! with the HTTP status each goes with, in a `{code, message}` JSON body. The server
//! makes them (`sync-server/src/error.rs`); devices read them back
//! (`vetdesk_core::sync_http`), so both sides name a refusal the same way instead of
//! matching on words.

use serde::{Deserialize, Serialize};

/// Every kind of error answer the server gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerErrorCode {
    /// 404: no such thing for this clinic (another clinic's looks the same).
    NotFound,
    /// 400: the request is malformed or fails a check; the message says which.
    BadRequest,
    /// 401: no device token, or one that is unknown or revoked.
    Unauthorized,
    /// 403: the device may not do this (not managing, not the inviting device…).
    Forbidden,
    /// 409: it clashes with what is stored (a reused sequence, a clinic that exists).
    Conflict,
    /// 426: this device's protocol or format is too old for the server.
    UpdateRequired,
    /// 429: too many requests from this device or address; retry later.
    RateLimited,
    /// 507: the clinic's storage quota would be exceeded.
    StorageFull,
    /// 503: the server's database is unavailable; retry later.
    Unavailable,
    /// 500: something failed inside the server (logged there, never described).
    Internal,
}

impl ServerErrorCode {
    pub const ALL: [Self; 10] = [
        Self::NotFound,
        Self::BadRequest,
        Self::Unauthorized,
        Self::Forbidden,
        Self::Conflict,
        Self::UpdateRequired,
        Self::RateLimited,
        Self::StorageFull,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The HTTP status the code is sent with.
    pub fn status(self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::Conflict => 409,
            Self::UpdateRequired => 426,
            Self::RateLimited => 429,
            Self::StorageFull => 507,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// Whether trying again later may succeed (the device keeps its changes and backs
    /// off) rather than needing something changed.
    pub fn is_passing(self) -> bool {
        matches!(self, Self::RateLimited | Self::Unavailable | Self::Internal)
    }
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ServerErrorCode,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_travel_as_snake_case_words_with_distinct_statuses() {
        let mut statuses = std::collections::BTreeSet::new();
        for code in ServerErrorCode::ALL {
            let body = ErrorBody {
                code,
                message: "m".into(),
            };
            let json = serde_json::to_string(&body).unwrap_or_default();
            let back: ErrorBody = serde_json::from_str(&json).unwrap_or(ErrorBody {
                code: ServerErrorCode::Internal,
                message: String::new(),
            });
            assert_eq!(back, body, "{json}");
            assert!(statuses.insert(code.status()), "{code:?}");
        }
        assert_eq!(
            serde_json::to_string(&ServerErrorCode::StorageFull).unwrap_or_default(),
            "\"storage_full\""
        );
    }
}
