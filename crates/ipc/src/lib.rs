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

/// Argument of `device_approve`: the pending device, the fingerprint the admin
/// compared with the new device's screen (core refuses any other), and whether it may
/// manage the clinic's devices too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApproveDeviceRequest {
    pub id: String,
    pub fingerprint: String,
    pub manages: bool,
}

/// Argument of the commands that take one record's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IdRequest {
    pub id: String,
}

/// Argument of `day_board`: the instants the UI's day starts and ends (its local
/// midnights, RFC 3339), so the board follows the clinic's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DayBoardRequest {
    pub from: String,
    pub to: String,
}

/// The day board: who and where can be booked, the appointments, double bookings (two
/// devices offline may both book one slot), and the waitlist.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DayBoard {
    pub vets: Vec<StaffCard>,
    pub rooms: Vec<vetdesk_core::services::staff::Room>,
    pub appointments: Vec<vetdesk_core::services::schedule::Appointment>,
    pub clashes: Vec<vetdesk_core::services::schedule::Clash>,
    pub waitlist: Vec<vetdesk_core::services::schedule::WaitlistEntry>,
}

/// A booking as the form sends it: ids and times as text, each parsed with a clear
/// error naming its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BookingForm {
    pub patient_id: String,
    pub client_id: String,
    pub vet_id: String,
    #[ts(optional)]
    pub room_id: Option<String>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub ends_at: String,
    pub kind: String,
    #[ts(optional)]
    pub reason: Option<String>,
    /// Book over a clash on purpose (audited).
    pub force: bool,
}

impl BookingForm {
    pub fn to_input(&self) -> Result<vetdesk_core::services::schedule::BookingInput, IpcError> {
        Ok(vetdesk_core::services::schedule::BookingInput {
            patient_id: parse_id("patient", &self.patient_id)?,
            client_id: parse_id("client", &self.client_id)?,
            vet_id: parse_id("vet", &self.vet_id)?,
            room_id: self
                .room_id
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(|r| parse_id("room", r))
                .transpose()?,
            starts_at: parse_time("starts_at", &self.starts_at)?,
            ends_at: parse_time("ends_at", &self.ends_at)?,
            kind: self.kind.clone(),
            reason: self.reason.clone(),
            force: self.force,
        })
    }
}

/// Argument of `book`: a new appointment (no `id`), or a move / resize of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BookRequest {
    #[ts(optional)]
    pub id: Option<String>,
    pub booking: BookingForm,
}

/// Argument of `set_appointment_status`: `checked_in`, `in_exam`, `done`, `no_show`,
/// `cancelled` or back to `booked`; core allows only the day's real moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppointmentStatusRequest {
    pub id: String,
    pub status: String,
}

/// Argument of `waitlist_add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WaitlistAddRequest {
    pub patient_id: String,
    pub client_id: String,
    #[ts(optional)]
    pub vet_id: Option<String>,
    pub reason: String,
}

/// Argument of `waitlist_remove`: `booked` when the wait ended in a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WaitlistRemoveRequest {
    pub id: String,
    pub booked: bool,
}

pub use vetdesk_core::services::encounters::PatientChart;

/// An encounter as the exam room edits it: the record, the scribe's drafts beside it,
/// and concurrent edits waiting for the vet.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct EncounterView {
    pub encounter: vetdesk_core::services::encounters::Encounter,
    pub drafts: Vec<vetdesk_core::services::scribe::DraftView>,
    pub conflicts: Vec<vetdesk_core::services::encounters::TextConflict>,
}

/// Argument of `save_soap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SaveSoapRequest {
    pub encounter_id: String,
    pub soap: vetdesk_core::services::encounters::SoapInput,
}

/// Argument of `add_addendum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AddendumRequest {
    pub encounter_id: String,
    pub text: String,
}

/// Argument of `decide_draft_item`: `approve`, `edit` (with the corrected `item`) or
/// `reject`; `reason` is the override reason for a flagged dose, or why rejected;
/// `settle` settles an item two devices decided differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DecideRequest {
    pub item_id: String,
    pub decision: String,
    #[ts(optional)]
    pub item: Option<vetdesk_draft::extract::Item>,
    #[ts(optional)]
    pub reason: Option<String>,
    #[serde(default)]
    pub settle: bool,
}

impl DecideRequest {
    pub fn to_decision(&self) -> Result<vetdesk_core::services::scribe::Decision, IpcError> {
        use vetdesk_core::services::scribe::Decision;
        let reason = self.reason.clone().filter(|r| !r.trim().is_empty());
        match (self.decision.as_str(), &self.item) {
            ("approve", _) => Ok(Decision::Approve {
                override_reason: reason,
            }),
            ("edit", Some(item)) => Ok(Decision::Edit {
                item: item.clone(),
                override_reason: reason,
            }),
            ("edit", None) => Err(IpcError::invalid(
                "item",
                "an edit needs the corrected item",
            )),
            ("reject", _) => Ok(Decision::Reject { reason }),
            (other, _) => Err(IpcError::invalid(
                "decision",
                format!("{other:?} is not one of: approve, edit, reject"),
            )),
        }
    }
}

/// The scribe as the exam room shows it: the model in use, the recording in progress,
/// the long work (the final pass) and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ScribeStatus {
    /// The model file in use; `null` when none is installed.
    pub model: Option<String>,
    pub recording: Option<LiveRecordingView>,
    pub working: Option<WorkView>,
}

/// A recording in progress: time, input level, what the live transcript heard so far.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LiveRecordingView {
    pub encounter_id: String,
    pub recording_id: String,
    pub seconds: f64,
    /// The last 100 ms, in dBFS (silence ≈ −90).
    pub level_dbfs: f32,
    pub paused: bool,
    /// The input device, once it delivers audio.
    pub device: Option<String>,
    pub segments: Vec<LiveSegment>,
    /// The microphone went away (what was recorded is kept), or another problem.
    pub problem: Option<String>,
}

/// One utterance of the live transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LiveSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// Long work in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WorkView {
    pub what: String,
    /// 0–100.
    pub percent: i32,
}

/// Argument of `start_recording`: the client's recorded consent is needed, or an
/// override reason for this visit (audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StartRecordingRequest {
    pub encounter_id: String,
    #[ts(optional)]
    pub override_reason: Option<String>,
}

/// Argument of `draft_from_file`: a WAV file on this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftFromFileRequest {
    pub encounter_id: String,
    pub path: String,
}

/// Argument of `pause_recording`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PauseRequest {
    pub paused: bool,
}

/// One of the UI's local days, as instants (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DayRange {
    pub from: String,
    pub to: String,
}

/// Argument of `dashboard`: the days to count (today, and the last 30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DashboardRequest {
    pub days: Vec<DayRange>,
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

/// Argument of `resolve_conflict`: which concurrent edit (as `encounter_view` listed
/// it) and how: `keep_visible`, `take_other` (open records) or `make_addendum`
/// (signed records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResolveConflictRequest {
    pub row_id: String,
    pub column: String,
    pub loser_hlc: String,
    pub resolution: String,
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

fn bounded<'a>(field: &str, value: &'a str) -> Result<&'a str, IpcError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(IpcError::invalid(field, "is required"));
    }
    if value.len() > MAX_SECOND_FACTOR_INPUT {
        return Err(IpcError::invalid(
            field,
            format!("is longer than {MAX_SECOND_FACTOR_INPUT} characters"),
        ));
    }
    Ok(value)
}

/// Argument of `set_staff_roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StaffRolesRequest {
    pub id: String,
    pub roles: Vec<String>,
}

/// Argument of `record_vitals`: at least one reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VitalsRequest {
    pub encounter_id: String,
    pub vitals: vetdesk_core::services::encounters::VitalsInput,
}

/// Argument of `prescribe`: a prescription written in the exam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PrescribeRequest {
    pub encounter_id: String,
    pub drug: String,
    pub dose: f64,
    pub unit: String,
    pub route: String,
    pub frequency: String,
    pub duration_days: i64,
    pub quantity: f64,
    pub refills: i64,
    #[ts(optional)]
    pub instructions: Option<String>,
}

impl PrescribeRequest {
    pub fn to_input(
        &self,
    ) -> Result<vetdesk_core::services::encounters::PrescriptionInput, IpcError> {
        Ok(vetdesk_core::services::encounters::PrescriptionInput {
            encounter_id: parse_id("encounter", &self.encounter_id)?,
            drug: self.drug.clone(),
            dose: self.dose,
            unit: self.unit.clone(),
            route: self.route.clone(),
            frequency: self.frequency.clone(),
            duration_days: self.duration_days,
            quantity: self.quantity,
            refills: self.refills,
            instructions: self.instructions.clone().filter(|i| !i.trim().is_empty()),
        })
    }
}

/// The units and routes a prescription may name (core's lists, so the form offers
/// exactly what core accepts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrescriptionOptions {
    pub units: Vec<String>,
    pub routes: Vec<String>,
}

impl PrescriptionOptions {
    pub fn from_core() -> Self {
        use vetdesk_core::services::encounters::{ROUTES, UNITS};
        Self {
            units: UNITS.iter().map(|u| (*u).to_string()).collect(),
            routes: ROUTES.iter().map(|r| (*r).to_string()).collect(),
        }
    }
}

/// Parses roles the UI sent (`admin`, `vet`, `nurse`, `front_desk`).
pub fn parse_roles(names: &[String]) -> Result<vetdesk_core::Roles, IpcError> {
    let mut roles = Vec::new();
    for name in names {
        roles.push(
            vetdesk_core::Role::parse(name)
                .ok_or_else(|| IpcError::invalid("roles", format!("{name:?} is not a role")))?,
        );
    }
    Ok(vetdesk_core::Roles::new(roles))
}

/// Parses an RFC 3339 time the UI sent; `invalid` naming the field otherwise.
pub fn parse_time(field: &str, text: &str) -> Result<time::OffsetDateTime, IpcError> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| IpcError::invalid(field, format!("{text:?} is not a date and time")))
}

/// Argument of `invoices_list`: documents in a status (all when none), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoicesRequest {
    pub status: Option<String>,
}

/// Argument of `catalog_list`: a filter on name or SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogRequest {
    pub query: String,
}

/// Argument of `invoice_add_line`: a catalog item and how many, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AddLineRequest {
    pub invoice_id: String,
    pub item_id: String,
    /// As typed: `1`, `2.5`.
    pub quantity: String,
    /// Percent as typed: `0`, `5`, `12.5`.
    pub discount: String,
}

impl AddLineRequest {
    pub fn to_form(
        &self,
    ) -> Result<(uuid::Uuid, vetdesk_core::services::billing::LineForm), IpcError> {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        let invoice = parse_id("invoice", &self.invoice_id)?;
        let item = parse_id("item", &self.item_id)?;
        let quantity_milli = parse_milli("quantity", &self.quantity)
            .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
        let discount_bp = parse_cents(
            "discount",
            if self.discount.trim().is_empty() {
                "0"
            } else {
                &self.discount
            },
        )
        .map_err(|e| IpcError::from(vetdesk_core::Error::from(e)))?;
        Ok((
            invoice,
            vetdesk_core::services::billing::LineForm {
                item_id: Some(item),
                quantity_milli,
                discount_bp,
                ..Default::default()
            },
        ))
    }
}

/// Argument of `invoice_pay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PayRequest {
    pub invoice_id: String,
    /// cash, card or transfer.
    pub method: String,
    /// As typed: `64.42`.
    pub amount: String,
}

/// Argument of `stock_receive`, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReceiveRequest {
    pub item_id: String,
    pub lot_number: String,
    /// `YYYY-MM-DD`, or empty.
    pub expires_on: String,
    pub quantity: String,
    pub cost: String,
}

impl ReceiveRequest {
    pub fn to_input(&self) -> Result<vetdesk_core::services::billing::ReceiveInput, IpcError> {
        use vetdesk_billing::money::{parse_cents, parse_milli};
        let money = |e| IpcError::from(vetdesk_core::Error::from(e));
        Ok(vetdesk_core::services::billing::ReceiveInput {
            item_id: parse_id("item", &self.item_id)?,
            lot_number: self.lot_number.clone(),
            expires_on: Some(self.expires_on.clone()).filter(|e| !e.trim().is_empty()),
            quantity_milli: parse_milli("quantity", &self.quantity).map_err(money)?,
            cost_cents: parse_cents(
                "cost",
                if self.cost.trim().is_empty() {
                    "0"
                } else {
                    &self.cost
                },
            )
            .map_err(money)?,
        })
    }
}

/// Argument of `stock_count`, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CountRequest {
    pub item_id: String,
    pub counted: String,
    pub note: String,
}

/// Argument of `register_close`: the UI's local day (`YYYY-MM-DD`) and its bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RegisterCloseRequest {
    pub day: String,
    pub from: String,
    pub to: String,
}

/// What closing the day gave: the Z report and where its PDF was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClosedDay {
    pub report: vetdesk_core::services::billing::ZReport,
    pub path: String,
}

/// Argument of `report` and `report_csv`: which report, over which instants (the
/// revenue reports use them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReportRequest {
    /// `revenue_day`, `revenue_vet`, `revenue_category`, `stock`, `expiring`,
    /// `reorder` or `controlled`.
    pub kind: String,
    pub from: String,
    pub to: String,
}

impl ReportRequest {
    /// The UTC bounds as core compares them.
    pub fn bounds(&self) -> Result<(String, String), IpcError> {
        utc_bounds(&self.from, &self.to)
    }
}

/// The UI's instants `from` and `to` (RFC 3339, any offset) in UTC, as core compares
/// stored times; each refusal names its field.
pub fn utc_bounds(from: &str, to: &str) -> Result<(String, String), IpcError> {
    let utc = |field: &str, text: &str| -> Result<String, IpcError> {
        let at = parse_time(field, text)?.to_offset(time::UtcOffset::UTC);
        Ok(vetdesk_core::write::rfc3339(at))
    };
    Ok((utc("from", from)?, utc("to", to)?))
}

/// Argument of `visit_summary_pdf`: the visit and what the owner does at home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VisitSummaryRequest {
    pub encounter_id: String,
    pub discharge: String,
}

/// A document written to disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SavedDocument {
    pub path: String,
}

/// Parses an id the UI sent; a clear `invalid` error names the field otherwise.
pub fn parse_id(field: &str, text: &str) -> Result<uuid::Uuid, IpcError> {
    uuid::Uuid::parse_str(text.trim())
        .map_err(|_| IpcError::invalid(field, format!("{text:?} is not a record id")))
}

/// Names of the Tauri commands, shared by the app and its generated TypeScript.
pub mod commands {
    pub const APP_STATUS: &str = "app_status";
    pub const UNLOCK_STORE: &str = "unlock_store";
    pub const ENROLL_DEVICE: &str = "enroll_device";
    pub const SYNC_STATUS: &str = "sync_status";
    pub const SYNC_NOW: &str = "sync_now";
    pub const STAFF_LIST: &str = "staff_list";
    pub const SIGN_IN: &str = "sign_in";
    pub const SIGN_OUT: &str = "sign_out";
    pub const CURRENT_SESSION: &str = "current_session";
    pub const SEARCH: &str = "search";
    pub const CLIENT_DETAIL: &str = "client_detail";
    pub const SAVE_CLIENT: &str = "save_client";
    pub const PATIENT_DETAIL: &str = "patient_detail";
    pub const SAVE_PATIENT: &str = "save_patient";
    pub const DAY_BOARD: &str = "day_board";
    pub const BOOK: &str = "book";
    pub const SET_APPOINTMENT_STATUS: &str = "set_appointment_status";
    pub const WAITLIST_ADD: &str = "waitlist_add";
    pub const WAITLIST_REMOVE: &str = "waitlist_remove";
    pub const PATIENT_CHART: &str = "patient_chart";
    pub const OPEN_EXAM: &str = "open_exam";
    pub const ENCOUNTER_VIEW: &str = "encounter_view";
    pub const SAVE_SOAP: &str = "save_soap";
    pub const SIGN_ENCOUNTER: &str = "sign_encounter";
    pub const ADD_ADDENDUM: &str = "add_addendum";
    pub const DECIDE_DRAFT_ITEM: &str = "decide_draft_item";
    pub const APPROVE_DRAFT: &str = "approve_draft";
    pub const SCRIBE_STATUS: &str = "scribe_status";
    pub const START_RECORDING: &str = "start_recording";
    pub const PAUSE_RECORDING: &str = "pause_recording";
    pub const STOP_RECORDING: &str = "stop_recording";
    pub const DRAFT_FROM_FILE: &str = "draft_from_file";
    pub const DASHBOARD: &str = "dashboard";
    pub const STAFF_ALL: &str = "staff_all";
    pub const ADD_STAFF: &str = "add_staff";
    pub const DEACTIVATE_STAFF: &str = "deactivate_staff";
    pub const AUDIT_SEARCH: &str = "audit_search";
    pub const RESOLVE_CONFLICT: &str = "resolve_conflict";
    pub const SET_STAFF_ROLES: &str = "set_staff_roles";
    pub const SECOND_FACTOR_STATUS: &str = "second_factor_status";
    pub const SECOND_FACTOR_BEGIN: &str = "second_factor_begin";
    pub const SECOND_FACTOR_FINISH: &str = "second_factor_finish";
    pub const SECOND_FACTOR_CONFIRM: &str = "second_factor_confirm";
    pub const SECOND_FACTOR_RESET: &str = "second_factor_reset";
    pub const RECORD_VITALS: &str = "record_vitals";
    pub const DEVICES_LIST: &str = "devices_list";
    pub const DEVICE_INVITE: &str = "device_invite";
    pub const DEVICE_APPROVE: &str = "device_approve";
    pub const DEVICE_REVOKE: &str = "device_revoke";
    pub const PRESCRIBE: &str = "prescribe";
    pub const PRESCRIPTION_OPTIONS: &str = "prescription_options";
    pub const INVOICES_LIST: &str = "invoices_list";
    pub const INVOICE_VIEW: &str = "invoice_view";
    pub const CATALOG_LIST: &str = "catalog_list";
    pub const INVOICE_ADD_LINE: &str = "invoice_add_line";
    pub const INVOICE_FINALIZE: &str = "invoice_finalize";
    pub const INVOICE_PAY: &str = "invoice_pay";
    pub const INVOICE_PDF: &str = "invoice_pdf";
    pub const STOCK_LEVELS: &str = "stock_levels";
    pub const STOCK_ALERTS: &str = "stock_alerts";
    pub const STOCK_RECEIVE: &str = "stock_receive";
    pub const STOCK_COUNT: &str = "stock_count";
    pub const REGISTER_CLOSE: &str = "register_close";
    pub const INVOICE_LABELS: &str = "invoice_labels";
    pub const VISIT_SUMMARY_PDF: &str = "visit_summary_pdf";
    pub const REPORT: &str = "report";
    pub const REPORT_CSV: &str = "report_csv";
}

/// The TypeScript declarations of every IPC type, as one module.
pub fn typescript_bindings() -> String {
    // Times in milliseconds and counts fit a JavaScript number; no bigint in the UI.
    let cfg = ts_rs::Config::default().with_large_int("number");
    let decls = [
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
        KeyProtectionKind::decl(&cfg),
        AppStatus::decl(&cfg),
        UnlockRequest::decl(&cfg),
        EnrollRequest::decl(&cfg),
        SyncStatusView::decl(&cfg),
        StaffCard::decl(&cfg),
        SignInRequest::decl(&cfg),
        SessionView::decl(&cfg),
        SearchRequest::decl(&cfg),
        vetdesk_core::search::HitKind::decl(&cfg),
        vetdesk_core::search::Hit::decl(&cfg),
        vetdesk_core::services::clients::ClientInput::decl(&cfg),
        vetdesk_core::services::clients::Client::decl(&cfg),
        vetdesk_core::services::clients::PatientInput::decl(&cfg),
        vetdesk_core::services::clients::Patient::decl(&cfg),
        vetdesk_core::services::clients::Owner::decl(&cfg),
        ClientDetail::decl(&cfg),
        SaveClientRequest::decl(&cfg),
        SavePatientRequest::decl(&cfg),
        IdRequest::decl(&cfg),
        vetdesk_core::services::staff::Room::decl(&cfg),
        vetdesk_core::services::schedule::Status::decl(&cfg),
        vetdesk_core::services::schedule::Appointment::decl(&cfg),
        vetdesk_core::services::schedule::Clash::decl(&cfg),
        vetdesk_core::services::schedule::WaitlistEntry::decl(&cfg),
        DayBoardRequest::decl(&cfg),
        DayBoard::decl(&cfg),
        BookingForm::decl(&cfg),
        BookRequest::decl(&cfg),
        AppointmentStatusRequest::decl(&cfg),
        WaitlistAddRequest::decl(&cfg),
        WaitlistRemoveRequest::decl(&cfg),
        vetdesk_core::services::clients::WeightReading::decl(&cfg),
        vetdesk_core::services::encounters::SoapInput::decl(&cfg),
        vetdesk_core::services::encounters::VitalsInput::decl(&cfg),
        vetdesk_core::services::encounters::Signature::decl(&cfg),
        vetdesk_core::services::encounters::Addendum::decl(&cfg),
        vetdesk_core::services::encounters::Encounter::decl(&cfg),
        vetdesk_core::services::encounters::EncounterSummary::decl(&cfg),
        vetdesk_core::services::encounters::PrescriptionInput::decl(&cfg),
        vetdesk_core::services::encounters::Prescription::decl(&cfg),
        vetdesk_core::services::encounters::TextConflict::decl(&cfg),
        vetdesk_draft::text::Segment::decl(&cfg),
        vetdesk_draft::text::Evidence::decl(&cfg),
        vetdesk_draft::extract::Item::decl(&cfg),
        vetdesk_draft::extract::Flag::decl(&cfg),
        vetdesk_core::services::scribe::DecisionView::decl(&cfg),
        vetdesk_core::services::scribe::DraftItemView::decl(&cfg),
        vetdesk_core::services::scribe::DraftView::decl(&cfg),
        PatientChart::decl(&cfg),
        EncounterView::decl(&cfg),
        SaveSoapRequest::decl(&cfg),
        AddendumRequest::decl(&cfg),
        DecideRequest::decl(&cfg),
        ScribeStatus::decl(&cfg),
        LiveRecordingView::decl(&cfg),
        LiveSegment::decl(&cfg),
        WorkView::decl(&cfg),
        StartRecordingRequest::decl(&cfg),
        DraftFromFileRequest::decl(&cfg),
        PauseRequest::decl(&cfg),
        vetdesk_core::services::schedule::DayStats::decl(&cfg),
        DayRange::decl(&cfg),
        DashboardRequest::decl(&cfg),
        StaffRow::decl(&cfg),
        AddStaffRequest::decl(&cfg),
        vetdesk_core::audit::AuditFilter::decl(&cfg),
        vetdesk_core::audit::AuditEvent::decl(&cfg),
        vetdesk_core::audit::ChainProblem::decl(&cfg),
        vetdesk_core::audit::Verification::decl(&cfg),
        AuditView::decl(&cfg),
        ResolveConflictRequest::decl(&cfg),
        StaffRolesRequest::decl(&cfg),
        SecondFactorCodeRequest::decl(&cfg),
        SecondFactorFinishRequest::decl(&cfg),
        vetdesk_core::services::second_factor::SecondFactorSetup::decl(&cfg),
        vetdesk_core::services::second_factor::SecondFactorStatus::decl(&cfg),
        VitalsRequest::decl(&cfg),
        vetdesk_core::services::devices::PendingProof::decl(&cfg),
        vetdesk_core::services::devices::DeviceRow::decl(&cfg),
        ApproveDeviceRequest::decl(&cfg),
        InvoicesRequest::decl(&cfg),
        CatalogRequest::decl(&cfg),
        AddLineRequest::decl(&cfg),
        PayRequest::decl(&cfg),
        ReceiveRequest::decl(&cfg),
        CountRequest::decl(&cfg),
        SavedDocument::decl(&cfg),
        RegisterCloseRequest::decl(&cfg),
        VisitSummaryRequest::decl(&cfg),
        vetdesk_core::services::billing::ZReport::decl(&cfg),
        ClosedDay::decl(&cfg),
        ReportRequest::decl(&cfg),
        vetdesk_core::services::reports::Report::decl(&cfg),
        vetdesk_billing::money::LineAmounts::decl(&cfg),
        vetdesk_billing::money::VatAtRate::decl(&cfg),
        vetdesk_billing::money::Totals::decl(&cfg),
        vetdesk_core::services::billing::InvoiceLine::decl(&cfg),
        vetdesk_core::services::billing::Payment::decl(&cfg),
        vetdesk_core::services::billing::InvoiceView::decl(&cfg),
        vetdesk_core::services::billing::InvoiceSummary::decl(&cfg),
        vetdesk_core::services::billing::Finalized::decl(&cfg),
        vetdesk_core::services::billing::DoseRange::decl(&cfg),
        vetdesk_core::services::billing::CatalogItemInput::decl(&cfg),
        vetdesk_core::services::billing::CatalogItem::decl(&cfg),
        vetdesk_core::services::billing::LotLevel::decl(&cfg),
        vetdesk_core::services::billing::StockLevel::decl(&cfg),
        vetdesk_core::services::billing::StockAlert::decl(&cfg),
        vetdesk_core::services::billing::CountOutcome::decl(&cfg),
        vetdesk_core::services::devices::Invitation::decl(&cfg),
        PrescribeRequest::decl(&cfg),
        PrescriptionOptions::decl(&cfg),
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
        ("enrollDevice", commands::ENROLL_DEVICE),
        ("syncStatus", commands::SYNC_STATUS),
        ("syncNow", commands::SYNC_NOW),
        ("staffList", commands::STAFF_LIST),
        ("signIn", commands::SIGN_IN),
        ("signOut", commands::SIGN_OUT),
        ("currentSession", commands::CURRENT_SESSION),
        ("search", commands::SEARCH),
        ("clientDetail", commands::CLIENT_DETAIL),
        ("saveClient", commands::SAVE_CLIENT),
        ("patientDetail", commands::PATIENT_DETAIL),
        ("savePatient", commands::SAVE_PATIENT),
        ("dayBoard", commands::DAY_BOARD),
        ("book", commands::BOOK),
        ("setAppointmentStatus", commands::SET_APPOINTMENT_STATUS),
        ("waitlistAdd", commands::WAITLIST_ADD),
        ("waitlistRemove", commands::WAITLIST_REMOVE),
        ("patientChart", commands::PATIENT_CHART),
        ("openExam", commands::OPEN_EXAM),
        ("encounterView", commands::ENCOUNTER_VIEW),
        ("saveSoap", commands::SAVE_SOAP),
        ("signEncounter", commands::SIGN_ENCOUNTER),
        ("addAddendum", commands::ADD_ADDENDUM),
        ("decideDraftItem", commands::DECIDE_DRAFT_ITEM),
        ("approveDraft", commands::APPROVE_DRAFT),
        ("scribeStatus", commands::SCRIBE_STATUS),
        ("startRecording", commands::START_RECORDING),
        ("pauseRecording", commands::PAUSE_RECORDING),
        ("stopRecording", commands::STOP_RECORDING),
        ("draftFromFile", commands::DRAFT_FROM_FILE),
        ("dashboard", commands::DASHBOARD),
        ("staffAll", commands::STAFF_ALL),
        ("addStaff", commands::ADD_STAFF),
        ("deactivateStaff", commands::DEACTIVATE_STAFF),
        ("auditSearch", commands::AUDIT_SEARCH),
        ("resolveConflict", commands::RESOLVE_CONFLICT),
        ("setStaffRoles", commands::SET_STAFF_ROLES),
        ("secondFactorStatus", commands::SECOND_FACTOR_STATUS),
        ("secondFactorBegin", commands::SECOND_FACTOR_BEGIN),
        ("secondFactorFinish", commands::SECOND_FACTOR_FINISH),
        ("secondFactorConfirm", commands::SECOND_FACTOR_CONFIRM),
        ("secondFactorReset", commands::SECOND_FACTOR_RESET),
        ("recordVitals", commands::RECORD_VITALS),
        ("devicesList", commands::DEVICES_LIST),
        ("deviceInvite", commands::DEVICE_INVITE),
        ("deviceApprove", commands::DEVICE_APPROVE),
        ("deviceRevoke", commands::DEVICE_REVOKE),
        ("prescribe", commands::PRESCRIBE),
        ("prescriptionOptions", commands::PRESCRIPTION_OPTIONS),
        ("invoicesList", commands::INVOICES_LIST),
        ("invoiceView", commands::INVOICE_VIEW),
        ("catalogList", commands::CATALOG_LIST),
        ("invoiceAddLine", commands::INVOICE_ADD_LINE),
        ("invoiceFinalize", commands::INVOICE_FINALIZE),
        ("invoicePay", commands::INVOICE_PAY),
        ("invoicePdf", commands::INVOICE_PDF),
        ("stockLevels", commands::STOCK_LEVELS),
        ("stockAlerts", commands::STOCK_ALERTS),
        ("stockReceive", commands::STOCK_RECEIVE),
        ("stockCount", commands::STOCK_COUNT),
        ("registerClose", commands::REGISTER_CLOSE),
        ("invoiceLabels", commands::INVOICE_LABELS),
        ("visitSummaryPdf", commands::VISIT_SUMMARY_PDF),
        ("report", commands::REPORT),
        ("reportCsv", commands::REPORT_CSV),
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
    fn a_booking_form_names_the_field_it_cannot_read() {
        let good = BookingForm {
            patient_id: "0190a000-0000-7000-8000-000000000001".into(),
            client_id: "0190a000-0000-7000-8000-000000000002".into(),
            vet_id: "0190a000-0000-7000-8000-000000000003".into(),
            room_id: Some(String::new()),
            starts_at: "2026-11-23T09:00:00+01:00".into(),
            ends_at: "2026-11-23T09:30:00+01:00".into(),
            kind: "consultation".into(),
            reason: None,
            force: false,
        };
        let input = good.to_input();
        assert!(
            input.as_ref().is_ok_and(|i| i.room_id.is_none()),
            "{input:?}"
        );
        let cases: Vec<(BookingForm, &str)> = vec![
            (
                BookingForm {
                    vet_id: "dr who".into(),
                    ..good.clone()
                },
                "vet",
            ),
            (
                BookingForm {
                    starts_at: "tomorrow at nine".into(),
                    ..good.clone()
                },
                "starts_at",
            ),
            (
                BookingForm {
                    room_id: Some("7".into()),
                    ..good.clone()
                },
                "room",
            ),
        ];
        for (form, field) in cases {
            let error = form.to_input().err();
            assert_eq!(
                error.as_ref().map(|e| (e.code, e.field.as_deref())),
                Some((ErrorCode::Invalid, Some(field))),
                "{error:?}"
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
