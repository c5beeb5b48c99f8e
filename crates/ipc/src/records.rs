//! Clients and patients: search, a client's card, and the forms that save them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Argument of `search`: what was typed so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    pub query: String,
    /// At most this many hits (1–50).
    pub limit: u32,
}

/// A client with their animals, as the client screen shows them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ClientDetail {
    pub client: vetdesk_core::services::clients::Client,
    pub patients: Vec<vetdesk_core::services::clients::Patient>,
}

/// Argument of `save_client`: a new client (no `id`) or changes to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SaveClientRequest {
    #[ts(optional)]
    pub id: Option<String>,
    pub client: vetdesk_core::services::clients::ClientInput,
}

/// Argument of `save_patient`: a new patient with their owners, or changes to one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SavePatientRequest {
    #[ts(optional)]
    pub id: Option<String>,
    pub patient: vetdesk_core::services::clients::PatientInput,
    /// Client ids; a new patient needs at least one.
    pub owners: Vec<String>,
}

/// Argument of the commands that take one record's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IdRequest {
    pub id: String,
}
