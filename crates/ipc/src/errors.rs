//! How a failure reaches the window: the closed set of error codes (`ErrorCode`) and
//! the error every command answers with (`IpcError`, naming the form field when there
//! is one), mapped once from core's and sync's errors.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vetdesk_core::Error;

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
    /// An admin act needs a second factor and the staff member has none yet: show the
    /// authenticator set-up, then try the act again.
    SecondFactorNotEnrolled,
    /// An admin act needs a code from the staff member's authenticator app (or a
    /// recovery code): ask for it, confirm it, then try the act again.
    SecondFactorRequired,
    /// The authenticator code (or recovery code) was wrong or already used.
    WrongSecondFactor,
    /// The record asked for does not exist (or has not synced here yet).
    NotFound,
    /// The vet or room is already booked then; the message says when.
    DoubleBooked,
    /// Outside the vet's working hours or in blocked time; the message says which.
    OutsideHours,
    /// The encounter is signed: add an addendum instead.
    EncounterSigned,
    /// Not possible in the record's current state; the message says why.
    NotAllowedNow,
    /// This device is enrolled and waits for an admin to approve it.
    AwaitingApproval,
    /// Nobody is signed in on this workstation (or the session locked after inactivity).
    SignedOut,
    /// The sync server cannot be reached (or is busy); nothing was lost.
    Offline,
    /// Anything else; details are in the app's log.
    Internal,
}

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// For `invalid`: the input field at fault, as the form names it (`first_name`,
    /// `date_of_birth`), so the message is shown beside that field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Bad input in one field (an id that is not an id, an empty PIN).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Invalid,
            message: format!("{field}: {}", message.into()),
            field: Some(form_field(field)),
        }
    }
}

/// Core names fields for people ("first name"); forms name them as the IPC types do.
fn form_field(field: &str) -> String {
    field.trim().to_lowercase().replace([' ', '-'], "_")
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
            // An enrollment that never finished: the first-run screen again, where
            // joining with the same code finishes it.
            Error::NotInitialized(_) | Error::EnrollmentUnfinished(_) => ErrorCode::NotInitialized,
            Error::AlreadyInitialized(_) => ErrorCode::AlreadyInitialized,
            Error::PassphraseRequired => ErrorCode::PassphraseRequired,
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::WrongKey => ErrorCode::WrongKey,
            Error::KeyringUnavailable(_) | Error::KeyMissingFromKeyring => {
                ErrorCode::KeyringUnavailable
            }
            Error::DatabaseTooNew { .. } => ErrorCode::DatabaseTooNew,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::KeyFileDamaged { .. } | Error::DamagedValue { .. } => ErrorCode::Damaged,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::WrongPin => ErrorCode::WrongPin,
            Error::SecondFactorNotEnrolled(_) => ErrorCode::SecondFactorNotEnrolled,
            Error::SecondFactorRequired(_) => ErrorCode::SecondFactorRequired,
            Error::WrongSecondFactor => ErrorCode::WrongSecondFactor,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::DoubleBooked { .. } => ErrorCode::DoubleBooked,
            Error::OutsideHours(_) => ErrorCode::OutsideHours,
            Error::EncounterSigned(_) => ErrorCode::EncounterSigned,
            Error::NotAllowedNow(_) | Error::EnrollmentProof(_) => ErrorCode::NotAllowedNow,
            _ => ErrorCode::Internal,
        };
        let message = match code {
            // Internal details (SQL, paths of system files) stay in the log.
            ErrorCode::Internal => {
                "Something went wrong inside Vetdesk; the details are in its log.".to_string()
            }
            _ => error.to_string(),
        };
        let field = match &error {
            Error::Invalid { field, .. } => Some(form_field(field)),
            _ => None,
        };
        Self {
            code,
            message,
            field,
        }
    }
}

impl From<vetdesk_core::sync::SyncError> for IpcError {
    fn from(error: vetdesk_core::sync::SyncError) -> Self {
        use vetdesk_core::sync::SyncError;
        let code = match &error {
            SyncError::Store(_) => ErrorCode::Internal,
            SyncError::Offline(_) | SyncError::Unavailable(_) => ErrorCode::Offline,
            SyncError::WrongKey => ErrorCode::WrongKey,
            SyncError::AwaitingApproval(_) => ErrorCode::AwaitingApproval,
            SyncError::Refused(_) | SyncError::NotSetUp => ErrorCode::NotAllowedNow,
        };
        match error {
            SyncError::Store(inner) => IpcError::from(inner),
            other => IpcError::new(code, other.to_string()),
        }
    }
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
            (
                Error::EnrollmentUnfinished(PathBuf::from("/d")),
                ErrorCode::NotInitialized,
            ),
            (Error::PassphraseRequired, ErrorCode::PassphraseRequired),
            (Error::WrongPassphrase, ErrorCode::WrongPassphrase),
            (Error::WrongKey, ErrorCode::WrongKey),
            (Error::WrongPin, ErrorCode::WrongPin),
            (
                Error::SecondFactorNotEnrolled("Olivia".into()),
                ErrorCode::SecondFactorNotEnrolled,
            ),
            (
                Error::SecondFactorRequired("Olivia".into()),
                ErrorCode::SecondFactorRequired,
            ),
            (Error::WrongSecondFactor, ErrorCode::WrongSecondFactor),
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
                Error::OutsideHours("Dr Vera Vet works 09:00–17:00 on Mondays".into()),
                ErrorCode::OutsideHours,
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
    fn sync_failures_map_to_codes_and_keep_their_sentence() {
        use vetdesk_core::sync::SyncError;
        let cases = [
            (SyncError::Offline("refused".into()), ErrorCode::Offline),
            (SyncError::Unavailable("503".into()), ErrorCode::Offline),
            (SyncError::NotSetUp, ErrorCode::NotAllowedNow),
            (SyncError::WrongKey, ErrorCode::WrongKey),
            (
                SyncError::AwaitingApproval(uuid::Uuid::nil()),
                ErrorCode::AwaitingApproval,
            ),
            (SyncError::Store(Error::WrongPin), ErrorCode::WrongPin),
        ];
        for (error, code) in cases {
            let sentence = error.to_string();
            let ipc = IpcError::from(error);
            assert_eq!(ipc.code, code);
            assert!(
                sentence.contains(&ipc.message) || ipc.message.contains("PIN"),
                "{ipc:?}"
            );
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
            r#"{"code":"invalid","message":"clinic name: must not be empty","field":"clinic_name"}"#
        );
        let error = IpcError::from(Error::WrongPin);
        assert_eq!(
            serde_json::to_string(&error)?,
            r#"{"code":"wrong_pin","message":"wrong PIN or password for this staff member"}"#
        );
        Ok(())
    }
}
