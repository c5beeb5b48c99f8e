//! The owner's tools: staff, roles, devices, the audit log, and the admins' second
//! factor.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::errors::IpcError;
use crate::fields::bounded;

/// Argument of `device_approve`: the pending device, the fingerprint the admin
/// compared with the new device's screen (core refuses any other), and whether it may
/// manage the clinic's devices too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApproveDeviceRequest {
    pub id: String,
    pub fingerprint: String,
    pub manages: bool,
}

/// A member of staff as the owner manages them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub active: bool,
}

/// Argument of `add_staff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AddStaffRequest {
    pub name: String,
    /// `admin`, `vet`, `nurse`, `front_desk`.
    pub roles: Vec<String>,
    pub pin: String,
}

/// The audit log viewer's answer: the events, and whether every device's hash chain
/// is intact.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditView {
    pub events: Vec<vetdesk_core::audit::AuditEvent>,
    pub verification: vetdesk_core::audit::Verification,
}

/// Argument of `second_factor_confirm`: a code from the authenticator app, or a
/// recovery code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SecondFactorCodeRequest {
    pub code: String,
}

/// Argument of `second_factor_finish`: the secret `second_factor_begin` gave, and the
/// first code the app shows for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SecondFactorFinishRequest {
    pub secret: String,
    pub code: String,
}

/// Longest code or secret a second-factor command takes (a recovery code is 14).
pub const MAX_SECOND_FACTOR_INPUT: usize = 128;

impl SecondFactorCodeRequest {
    pub fn validated(&self) -> Result<&str, IpcError> {
        bounded("code", &self.code)
    }
}

impl SecondFactorFinishRequest {
    pub fn validated(&self) -> Result<(&str, &str), IpcError> {
        Ok((
            bounded("secret", &self.secret)?,
            bounded("code", &self.code)?,
        ))
    }
}

/// Argument of `set_staff_roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StaffRolesRequest {
    pub id: String,
    pub roles: Vec<String>,
}
