//! The desktop app's IPC contract: what Tauri commands take and return, and how errors
//! cross into TypeScript.
//!
//! Every command returns `Result<T, IpcError>`. [`IpcError`] is `{ code, message }`
//! where `code` comes from the closed [`ErrorCode`] enum, so the UI can branch on a code
//! (show the unlock screen on `passphrase_required`) and show the message to people.
//!
//! The TypeScript side (`ui/src/bindings.ts`) is generated from these types by
//! [`typescript_bindings`]; a test fails when the committed file drifts from it
//! (`UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc` rewrites it).
//!
//! This crate has no Tauri dependency, so the contract and its tests build in seconds.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vetdesk_core::sync_engine::LiveSyncStatus;
use vetdesk_core::{Error, KeyKind, StoreStatus};

/// Every kind of failure a command can report. Closed: the UI handles each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No store in the data directory yet.
    NotInitialized,
    /// A store already exists where a new one was to be made.
    AlreadyInitialized,
    /// The store is protected by a passphrase and none (or none yet) was given.
    PassphraseRequired,
    /// The passphrase given does not unwrap the store's key.
    WrongPassphrase,
    /// The key does not open the database.
    WrongKey,
    /// The OS keyring cannot be used, or lacks this store's key.
    KeyringUnavailable,
    /// The database was written by a newer Vetdesk.
    DatabaseTooNew,
    /// Input failed validation; the message names the field.
    Invalid,
    /// A file the store needs is damaged.
    Damaged,
    /// The signed-in staff member's roles do not allow this (audited).
    Forbidden,
    /// Wrong PIN when switching staff.
    WrongPin,
    /// The record asked for does not exist (or has not synced here yet).
    NotFound,
    /// The vet or room is already booked then; the message says when.
    DoubleBooked,
    /// The encounter is signed: add an addendum instead.
    EncounterSigned,
    /// Not possible in the record's current state; the message says why.
    NotAllowedNow,
    /// Anything else; details are in the app's log.
    Internal,
}

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for IpcError {}

impl From<Error> for IpcError {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::NotInitialized(_) => ErrorCode::NotInitialized,
            Error::AlreadyInitialized(_) => ErrorCode::AlreadyInitialized,
            Error::PassphraseRequired => ErrorCode::PassphraseRequired,
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::WrongKey => ErrorCode::WrongKey,
            Error::KeyringUnavailable(_) | Error::KeyMissingFromKeyring => {
                ErrorCode::KeyringUnavailable
            }
            Error::DatabaseTooNew { .. } => ErrorCode::DatabaseTooNew,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::KeyFileDamaged { .. } => ErrorCode::Damaged,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::WrongPin => ErrorCode::WrongPin,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::DoubleBooked { .. } => ErrorCode::DoubleBooked,
            Error::EncounterSigned(_) => ErrorCode::EncounterSigned,
            Error::NotAllowedNow(_) => ErrorCode::NotAllowedNow,
            _ => ErrorCode::Internal,
        };
        let message = match code {
            // Internal details (SQL, paths of system files) stay in the log.
            ErrorCode::Internal => {
                "Something went wrong inside Vetdesk; the details are in its log.".to_string()
            }
            _ => error.to_string(),
        };
        Self { code, message }
    }
}

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
                || status.held_for_clock_skew > 0,
        }
    }
}

/// Argument of the `unlock_store` command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnlockRequest {
    pub passphrase: String,
}

/// Names of the Tauri commands, shared by the app and its generated TypeScript.
pub mod commands {
    pub const APP_STATUS: &str = "app_status";
    pub const UNLOCK_STORE: &str = "unlock_store";
    pub const SYNC_STATUS: &str = "sync_status";
    pub const SYNC_NOW: &str = "sync_now";
}

/// The TypeScript declarations of every IPC type, as one module.
pub fn typescript_bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        KeyProtectionKind::decl(&cfg),
        AppStatus::decl(&cfg),
        UnlockRequest::decl(&cfg),
        SyncStatusView::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from crates/ipc by `UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc`. Do not edit.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.push_str("export const Commands = {\n");
    for (name, value) in [
        ("appStatus", commands::APP_STATUS),
        ("unlockStore", commands::UNLOCK_STORE),
        ("syncStatus", commands::SYNC_STATUS),
        ("syncNow", commands::SYNC_NOW),
    ] {
        out.push_str(&format!("  {name}: \"{value}\",\n"));
    }
    out.push_str("} as const;\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn core_errors_map_to_codes_and_internal_details_stay_hidden() {
        let cases: Vec<(Error, ErrorCode)> = vec![
            (
                Error::NotInitialized(PathBuf::from("/d")),
                ErrorCode::NotInitialized,
            ),
            (Error::PassphraseRequired, ErrorCode::PassphraseRequired),
            (Error::WrongPassphrase, ErrorCode::WrongPassphrase),
            (Error::WrongKey, ErrorCode::WrongKey),
            (Error::WrongPin, ErrorCode::WrongPin),
            (
                Error::Forbidden {
                    action: "sign encounters",
                    roles: "nurse".into(),
                },
                ErrorCode::Forbidden,
            ),
            (
                Error::DoubleBooked {
                    resource: "vet",
                    other: "x".into(),
                    starts: "a".into(),
                    ends: "b".into(),
                },
                ErrorCode::DoubleBooked,
            ),
            (
                Error::EncounterSigned("e".into()),
                ErrorCode::EncounterSigned,
            ),
            (Error::KeyMissingFromKeyring, ErrorCode::KeyringUnavailable),
            (
                Error::DatabaseTooNew {
                    found: 9,
                    supported: 1,
                },
                ErrorCode::DatabaseTooNew,
            ),
            (
                Error::Invalid {
                    field: "clinic name",
                    message: "must not be empty".into(),
                },
                ErrorCode::Invalid,
            ),
            (
                Error::Io(std::io::Error::other("secret path /var/x")),
                ErrorCode::Internal,
            ),
        ];
        for (error, code) in cases {
            let ipc = IpcError::from(error);
            assert_eq!(ipc.code, code, "{ipc:?}");
            assert!(!ipc.message.is_empty());
            if code == ErrorCode::Internal {
                assert!(!ipc.message.contains("/var/x"), "{}", ipc.message);
            }
        }
    }

    #[test]
    fn errors_serialize_as_code_and_message() -> Result<(), serde_json::Error> {
        let error = IpcError::from(Error::Invalid {
            field: "clinic name",
            message: "must not be empty".into(),
        });
        assert_eq!(
            serde_json::to_string(&error)?,
            r#"{"code":"invalid","message":"clinic name: must not be empty"}"#
        );
        Ok(())
    }
}
