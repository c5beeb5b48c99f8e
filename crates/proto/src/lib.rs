//! Wire types of the Vetdesk sync protocol, shared by devices and the sync server.
//!
//! This crate holds plain serde types and constants, and nothing that does I/O. The
//! server depends on this crate and on nothing that can read clinical data, so what it
//! can understand of a device's traffic is exactly what is declared here.
//!
//! The protocol grows message by message (bootstrap, enrollment, push, pull, notify);
//! today it has the health check, the [`envelope`] header layout and the [`messages`]
//! of capabilities, clinic creation, push and pull.

pub mod envelope;
pub mod errors;
pub mod management;
pub mod messages;

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks. A server refuses clients whose version it
/// does not support with a clear "please update" error rather than misreading them.
pub const PROTOCOL_VERSION: u32 = 3;

/// Path of the server's health endpoint.
pub const HEALTH_PATH: &str = "/healthz";

/// Body of `GET /healthz`.
///
/// `status` is [`HealthStatus::Ok`] only when the server can reach its database; a load
/// balancer or `vetdesk doctor` can rely on the HTTP status code alone (200 vs 503).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    /// Whether a round trip to PostgreSQL succeeded.
    pub database: HealthStatus,
    /// The server's build version (its Cargo package version).
    pub server_version: String,
    /// The protocol version the server speaks.
    pub protocol_version: u32,
}

/// Up or down, as a health check reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Unavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_has_a_stable_json_shape() -> Result<(), serde_json::Error> {
        let health = Health {
            status: HealthStatus::Unavailable,
            database: HealthStatus::Unavailable,
            server_version: "0.1.0".into(),
            protocol_version: PROTOCOL_VERSION,
        };
        let json = serde_json::to_string(&health)?;
        assert_eq!(
            json,
            r#"{"status":"unavailable","database":"unavailable","server_version":"0.1.0","protocol_version":3}"#
        );
        let back: Health = serde_json::from_str(&json)?;
        assert_eq!(back, health);
        Ok(())
    }
}
