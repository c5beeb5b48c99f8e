//! The one error type of `vetdesk-core`: each variant is a distinct thing that went
//! wrong, with a message that tells the user what to do about it.

use std::path::PathBuf;

/// Result of every fallible operation in core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in core. Callers match on the variant; people read the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("no Vetdesk store in {}: create one with `vetdesk init`", .0.display())]
    NotInitialized(PathBuf),

    #[error("a Vetdesk store already exists in {}", .0.display())]
    AlreadyInitialized(PathBuf),

    /// A device's enrollment stopped before the server's answer was kept (a crash, a
    /// kill, the network): enrolling again with the same code finishes it.
    #[error(
        "the enrollment of this device in {} did not finish: enroll again with the same server and code to finish it, or with a new code to start over",
        .0.display()
    )]
    EnrollmentUnfinished(PathBuf),

    #[error(
        "the key does not open this store: it is a different store's key, or the file is not a Vetdesk database"
    )]
    WrongKey,

    #[error("wrong passphrase for this store")]
    WrongPassphrase,

    #[error(
        "this store is protected by a passphrase: set VETDESK_PASSPHRASE or enter it when asked"
    )]
    PassphraseRequired,

    #[error("the OS keyring is not available ({0}); use a passphrase instead (VETDESK_PASSPHRASE)")]
    KeyringUnavailable(String),

    #[error(
        "the key of this store is not in the OS keyring (was it made on another machine or user account?)"
    )]
    KeyMissingFromKeyring,

    #[error(
        "this store's schema (version {found}) is newer than this build of Vetdesk understands (version {supported}): update Vetdesk"
    )]
    DatabaseTooNew { found: i64, supported: i64 },

    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },

    #[error("not allowed: {action} needs a role that grants it (signed in as {roles})")]
    Forbidden { action: &'static str, roles: String },

    #[error("wrong PIN or password for this staff member")]
    WrongPin,

    /// An admin act needs the acting staff member's second factor, and they have none
    /// yet: they enroll an authenticator app first.
    #[error(
        "{0} needs a second factor for admin acts: set up an authenticator app first (Settings → Your authenticator, or `vetdesk auth enroll`)"
    )]
    SecondFactorNotEnrolled(String),

    /// An admin act needs a code from the acting staff member's authenticator app (or a
    /// recovery code), confirmed on this device within the last few minutes.
    #[error("admin acts need a code from {0}'s authenticator app (or a recovery code)")]
    SecondFactorRequired(String),

    #[error("wrong or already used authenticator code")]
    WrongSecondFactor,

    #[error("no {entity} with id {id}")]
    NotFound { entity: &'static str, id: String },

    #[error(
        "the {resource} is already booked from {starts} to {ends} (appointment {other}); choose another time or book anyway (force)"
    )]
    DoubleBooked {
        resource: &'static str,
        other: String,
        starts: String,
        ends: String,
    },

    /// Outside the vet's working hours, or in blocked time; the message says which.
    #[error("{0}; choose another time or book anyway (force)")]
    OutsideHours(String),

    #[error("encounter {0} is signed and cannot be changed; add an addendum instead")]
    EncounterSigned(String),

    #[error("{0}")]
    NotAllowedNow(String),

    /// An enrollment proof did not hold: a code mistyped, or something between the two
    /// devices (the sync server, a proxy) changed what one sent the other.
    #[error("{0}")]
    EnrollmentProof(crate::enrollment_proof::ProofError),

    #[error("clock: {0}")]
    Clock(#[from] crate::hlc::HlcError),

    #[error("the key file {} is damaged: {reason}", path.display())]
    KeyFileDamaged { path: PathBuf, reason: String },

    #[error("could not apply database migrations: {0}")]
    Migration(String),

    #[error("file system: {0}")]
    Io(#[from] std::io::Error),

    /// A value in the store's own rows does not read as what it must be (see
    /// `crate::stored`): the file was damaged.
    #[error(
        "the stored {what} {value:?} is damaged: restore this device's data folder from a backup, or enroll it again to receive the clinic's records"
    )]
    DamagedValue { what: &'static str, value: String },

    #[error("database: {0}")]
    Database(rusqlite::Error),
}

impl Error {
    /// Bad input in one field, with what is wrong with it.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// No record of `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl std::fmt::Display) -> Self {
        Error::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    /// A damaged value found inside a row closure (`crate::stored::row_id`) keeps its
    /// type; every other SQLite error is a database error.
    fn from(error: rusqlite::Error) -> Self {
        match crate::stored::damaged_in(&error) {
            Some(damaged) => damaged.clone().into(),
            None => Error::Database(error),
        }
    }
}

impl From<vetdesk_billing::money::MoneyError> for Error {
    fn from(error: vetdesk_billing::money::MoneyError) -> Self {
        use vetdesk_billing::money::MoneyError;
        match error {
            MoneyError::Invalid { field, message } => Error::Invalid { field, message },
            MoneyError::Overflow => Error::Invalid {
                field: "amount",
                message: "is too large to bill".into(),
            },
        }
    }
}

impl From<crate::enrollment_proof::ProofError> for Error {
    fn from(error: crate::enrollment_proof::ProofError) -> Self {
        match error {
            crate::enrollment_proof::ProofError::MalformedCode => Error::Invalid {
                field: "code",
                message: error.to_string(),
            },
            other => Error::EnrollmentProof(other),
        }
    }
}
