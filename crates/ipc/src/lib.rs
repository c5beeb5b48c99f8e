//! The desktop app's IPC contract: what Tauri commands take and return, and how errors
//! cross into TypeScript.
//!
//! Every command returns `Result<T, IpcError>`. [`IpcError`] is `{ code, message }`
//! where `code` comes from the closed [`ErrorCode`] enum, so the UI can branch on a code
//! (show the unlock screen on `passphrase_required`) and show the message to people.
//!
//! The TypeScript side (`ui/src/ipc/bindings.ts`) is generated from these types by
//! [`typescript_bindings`]; a test fails when the committed file drifts from it
//! (`UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc` rewrites it).
//!
//! One module per domain, as the app's views are: `session`, `records`, `schedule`,
//! `clinical`, `scribe`, `admin`, `billing`; `errors` and `fields` (input checks)
//! under them, `commands` (the one list of commands, with each one's request and
//! response) and `bindings` beside them.
//!
//! The command list is the single source: the app generates its Tauri commands and
//! invoke handler from it, and [`typescript_bindings`] generates the UI's typed calls
//! (`ipcCommands`) from it, so there is no hand-kept list of names anywhere.
//!
//! This crate has no Tauri dependency, so the contract and its tests build in seconds.
//!
//! ## The contract in detail
//!
//! Command payloads (`AppStatus`, `UnlockRequest`, `SignInRequest`/`SessionView`,
//! `StaffCard`, `SearchRequest`, `ClientDetail`, `SaveClientRequest`, `SavePatientRequest`,
//! `IdRequest`) and `IpcError { code, message, field? }` with the closed `ErrorCode` enum;
//! `From<core::Error>` maps every core error to a code and hides internal details; an
//! `invalid` error names its field as the form does (`"date of birth"` → `date_of_birth`) so
//! the UI shows core's message beside that input. Core's record types (`ClientInput`,
//! `Client`, `PatientInput`, `Patient`, `Owner`, `Hit`) pass through as they are: core's
//! optional `ts` feature derives their TypeScript (ts-rs), so there is one definition. `typescript_bindings()` renders `ui/src/ipc/bindings.ts` with ts-rs; a test
//! fails when the committed file drifts (`UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc`).
//! No Tauri dependency, so the contract builds and tests in seconds.

mod admin;
mod billing;
mod bindings;
mod clinical;
pub mod commands;
mod errors;
mod fields;
mod records;
mod schedule;
mod scribe;
mod session;

pub use admin::{
    AddStaffRequest, ApproveDeviceRequest, AuditView, MAX_SECOND_FACTOR_INPUT,
    SecondFactorCodeRequest, SecondFactorFinishRequest, StaffRolesRequest, StaffRow,
};
pub use billing::{
    AddLineRequest, CatalogRequest, CatalogSaveRequest, ClosedDay, CorrectionRequest, CountRequest,
    CounterSaleRequest, DeliveryRequest, InvoicesRequest, NewInvoiceRequest, PayRequest,
    ReceiveRequest, RegisterCloseRequest, ReportRequest, SaleLineRequest, SalePaymentRequest,
    SavedDocument, StockTakeRequest, SupplierRequest, TakeCount,
};
pub use bindings::typescript_bindings;
pub use clinical::{
    AddendumRequest, DecideRequest, EncounterView, PatientChart, PrescribeRequest,
    PrescriptionOptions, ResolveConflictRequest, SaveSoapRequest, VisitSummaryRequest,
    VitalsRequest,
};
pub use commands::CommandSignature;
pub use errors::{ErrorCode, IpcError};
pub use fields::{parse_id, parse_roles, parse_time, utc_bounds};
pub use records::{ClientDetail, IdRequest, SaveClientRequest, SavePatientRequest, SearchRequest};
pub use schedule::{
    AppointmentStatusRequest, AppointmentTypeRequest, BlockRequest, BookRequest, BookingForm,
    DashboardRequest, DayBoard, DayBoardRequest, DayRange, RepeatForm, ResourceRequest,
    ScheduleSetupView, SlotTemplateRequest, SpanForm, WaitlistAddRequest, WaitlistRemoveRequest,
    WorkHoursRequest,
};
pub use scribe::{
    DraftFromFileRequest, LiveRecordingView, LiveSegment, PauseRequest, ScribeStatus,
    StartRecordingRequest, WorkView,
};
pub use session::{
    AppStatus, EnrollRequest, KeyProtectionKind, SessionView, SignInRequest, StaffCard,
    SyncStatusView, UnlockRequest,
};

/// Core's types that cross the IPC boundary as they are (their TypeScript comes from
/// core's `ts` feature), named here so the command list can name them.
pub use vetdesk_billing::money::Totals;
pub use vetdesk_core::audit::AuditFilter;
pub use vetdesk_core::search::Hit;
pub use vetdesk_core::services::billing::{
    CatalogItem, CountOutcome, Finalized, InvoiceSummary, InvoiceView, PriceChange, PurchaseOrder,
    Sale, SaleItem, Statement, StockAlert, StockLevel,
};
pub use vetdesk_core::services::clients::Patient;
pub use vetdesk_core::services::clinic::ClinicSettings;
pub use vetdesk_core::services::devices::{DeviceRow, Invitation};
pub use vetdesk_core::services::reports::Report;
pub use vetdesk_core::services::schedule::DayStats;
pub use vetdesk_core::services::second_factor::{SecondFactorSetup, SecondFactorStatus};
