//! The app's state before and around a sign-in: store status and unlocking, device
//! enrollment, sync status, the staff cards on the sign-in screen, and the session.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vetdesk_core::sync_engine::LiveSyncStatus;
use vetdesk_core::{KeyKind, StoreStatus};

use crate::errors::IpcError;

/// How the store's key is protected, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyProtectionKind {
    OsKeyring,
    Passphrase,
}

/// The clinic and store facts shown in the app's header and status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppStatus {
    pub clinic_name: String,
    pub clinic_id: String,
    pub device_id: String,
    /// What staff call this device, given at enrollment.
    pub device_name: Option<String>,
    /// The short form of this device's key, to compare with the admin's screen.
    pub device_fingerprint: String,
    pub schema_version: i32,
    pub key_protection: KeyProtectionKind,
    /// SQLCipher's version as reported by the open database.
    pub cipher_version: String,
    pub data_dir: String,
    pub app_version: String,
}

impl AppStatus {
    pub fn from_store(status: StoreStatus, app_version: &str) -> Self {
        Self {
            clinic_name: status.clinic_name,
            clinic_id: status.clinic_id,
            device_id: status.device_id,
            device_name: status.device_name,
            device_fingerprint: status.device_fingerprint,
            schema_version: i32::try_from(status.schema_version).unwrap_or(i32::MAX),
            key_protection: match status.key_kind {
                KeyKind::Keyring => KeyProtectionKind::OsKeyring,
                KeyKind::Passphrase => KeyProtectionKind::Passphrase,
            },
            cipher_version: status.cipher_version,
            data_dir: status.data_dir.display().to_string(),
            app_version: app_version.to_string(),
        }
    }
}

/// What the status bar shows about sync: always visible, honest about being offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncStatusView {
    /// Whether sync is set up on this device at all.
    pub set_up: bool,
    /// Whether the last round reached the server (`null` until one has ended).
    pub online: Option<bool>,
    pub syncing: bool,
    /// This device's changes not yet acknowledged by the server.
    pub pending: u32,
    /// RFC 3339 time of the last successful round.
    pub last_success: Option<String>,
    /// The last failure, as a sentence for people.
    pub last_error: Option<String>,
    /// Set when this device's clock, or another device's, is off by more than an hour.
    pub clock_skew_warning: bool,
    /// This device is enrolled and waits for an admin to approve it.
    pub awaiting_approval: bool,
    /// Other devices' changes set aside instead of applied, and envelopes that did not
    /// open (`vetdesk sync quarantine` lists them): sync goes on without them.
    pub set_aside: u32,
    /// This device's own clock ran ahead: the server refuses its changes until then.
    pub own_clock_ahead: bool,
}

impl SyncStatusView {
    pub fn from_engine(status: &LiveSyncStatus) -> Self {
        let state = status.state.as_ref();
        Self {
            set_up: state.is_some_and(|s| s.server_url.is_some()),
            online: status.online,
            syncing: status.syncing,
            pending: state.map_or(0, |s| u32::try_from(s.pending).unwrap_or(u32::MAX)),
            last_success: state.and_then(|s| s.last_success.clone()),
            last_error: state.and_then(|s| s.last_error.clone()),
            clock_skew_warning: status.server_clock_skew_ms.is_some()
                || status.held_for_clock_skew > 0
                || status.own_clock_ahead_ms.is_some(),
            awaiting_approval: status.awaiting_approval,
            set_aside: state.map_or(0, |s| {
                u32::try_from(s.quarantined.saturating_add(s.rejected)).unwrap_or(u32::MAX)
            }),
            own_clock_ahead: status.own_clock_ahead_ms.is_some(),
        }
    }
}

/// Argument of the `unlock_store` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnlockRequest {
    pub passphrase: String,
}

/// First run on a new device: join the clinic with a code from a trusted device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EnrollRequest {
    pub server: String,
    pub code: String,
    pub device_name: String,
    /// Protects this device's key where the computer has no OS keyring; ignored
    /// where it has one.
    pub passphrase: Option<String>,
    /// Plain `http://` to an IP address on the clinic's own network was allowed by the
    /// person enrolling (else only `https://`, or `http://` to this computer).
    pub allow_lan_http: bool,
    /// The clinic's own certificate authority (PEM), for a server whose certificate no
    /// public CA signed; trusted, and only it, for this server. Empty: the web's roots.
    pub ca_cert: Option<String>,
}

impl EnrollRequest {
    pub fn enrollment(&self) -> Result<vetdesk_core::services::enrollment::Enrollment, IpcError> {
        Ok(vetdesk_core::services::enrollment::Enrollment {
            server: self.server.clone(),
            lan_http: if self.allow_lan_http {
                vetdesk_core::server_address::LanHttp::Allow
            } else {
                vetdesk_core::server_address::LanHttp::Refuse
            },
            code: self.code.clone(),
            device_name: self.device_name.clone(),
            trust: self
                .ca_cert
                .as_deref()
                .filter(|pem| !pem.trim().is_empty())
                .map(|pem| vetdesk_core::server_address::TrustAnchor::from_pem(pem.as_bytes()))
                .transpose()?,
        }
        .validated()?)
    }
}

/// A member of staff as the sign-in screen lists them (no PIN, no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StaffCard {
    pub id: String,
    pub name: String,
    /// `admin`, `vet`, `nurse`, `front_desk`.
    pub roles: Vec<String>,
}

impl From<&vetdesk_core::services::staff::StaffMember> for StaffCard {
    fn from(member: &vetdesk_core::services::staff::StaffMember) -> Self {
        Self {
            id: member.id.to_string(),
            name: member.name.clone(),
            roles: member
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
        }
    }
}

/// Argument of `sign_in`: who, and their PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SignInRequest {
    pub staff_id: String,
    pub pin: String,
}

/// Who is signed in on this workstation, and when the session locks if left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionView {
    pub staff_id: String,
    pub name: String,
    pub roles: Vec<String>,
    /// Seconds without a command before the session locks (the UI locks itself then too).
    pub idle_lock_seconds: u32,
}

impl SessionView {
    pub fn of(actor: &vetdesk_core::Actor, idle_lock_seconds: u32) -> Self {
        Self {
            staff_id: actor.staff_id.to_string(),
            name: actor.name.clone(),
            roles: actor.roles.iter().map(|r| r.as_str().to_string()).collect(),
            idle_lock_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    #[test]
    fn an_enrollment_names_the_ca_field_when_its_certificate_is_not_one() {
        let request = |ca_cert: Option<&str>| EnrollRequest {
            server: "https://sync.riverside.vet".into(),
            code: "K7Q2M-9XWDA-HH3JP-04RTZ".into(),
            device_name: "Front desk 2".into(),
            passphrase: None,
            allow_lan_http: false,
            ca_cert: ca_cert.map(str::to_owned),
        };
        for empty in [None, Some(""), Some("  \n")] {
            let enrollment = request(empty).enrollment();
            assert!(enrollment.is_ok_and(|e| e.trust.is_none()), "{empty:?}");
        }
        let refused = request(Some("not a certificate")).enrollment();
        assert!(
            matches!(&refused, Err(e) if e.code == ErrorCode::Invalid && e.field.as_deref() == Some("ca_cert")),
            "{refused:?}"
        );
    }
}
