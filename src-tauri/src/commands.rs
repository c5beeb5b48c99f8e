//! The Tauri commands: thin adapters from IPC calls to [`crate::state::AppState`].
//! Each returns `Result<_, IpcError>`, which reaches TypeScript as `{ code, message }`.

use vetdesk_core::Role;
use vetdesk_core::search::Hit;
use vetdesk_core::services::clients::Patient;
use vetdesk_core::services::schedule::Status;
use vetdesk_ipc::{
    AppStatus, AppointmentStatusRequest, BookRequest, ClientDetail, DayBoard, DayBoardRequest,
    IdRequest, IpcError, SaveClientRequest, SavePatientRequest, SearchRequest, SessionView,
    SignInRequest, StaffCard, SyncStatusView, UnlockRequest, WaitlistAddRequest,
    WaitlistRemoveRequest, parse_id, parse_time,
};

use crate::state::AppState;

/// The open store's clinic and status, or why the store is not open.
#[tauri::command]
pub async fn app_status(state: tauri::State<'_, AppState>) -> Result<AppStatus, IpcError> {
    state.status().await
}

/// Opens a passphrase-protected store with the passphrase typed by the user.
#[tauri::command]
pub async fn unlock_store(
    state: tauri::State<'_, AppState>,
    request: UnlockRequest,
) -> Result<AppStatus, IpcError> {
    state.unlock(request.passphrase).await
}

/// Online or not, pending changes, last success and last error, clock-skew warning.
#[tauri::command]
pub fn sync_status(state: tauri::State<'_, AppState>) -> Result<SyncStatusView, IpcError> {
    state.sync_status()
}

/// Starts a sync round now (the status bar's "sync now").
#[tauri::command]
pub fn sync_now(state: tauri::State<'_, AppState>) -> Result<(), IpcError> {
    state.sync_now()
}

/// Active staff, for the sign-in screen (names and roles only).
#[tauri::command]
pub async fn staff_list(state: tauri::State<'_, AppState>) -> Result<Vec<StaffCard>, IpcError> {
    state
        .with_store(|store| {
            Ok(store
                .staff()?
                .iter()
                .filter(|m| m.active)
                .map(StaffCard::from)
                .collect())
        })
        .await
}

/// Signs a staff member in on this workstation with their PIN.
#[tauri::command]
pub async fn sign_in(
    state: tauri::State<'_, AppState>,
    request: SignInRequest,
) -> Result<SessionView, IpcError> {
    state.sign_in(request.staff_id, request.pin).await
}

/// Ends the session here (the staff switch, and the idle lock).
#[tauri::command]
pub fn sign_out(state: tauri::State<'_, AppState>) -> Result<(), IpcError> {
    state.sign_out()
}

/// Who is signed in, if anyone (and the session has not locked).
#[tauri::command]
pub fn current_session(state: tauri::State<'_, AppState>) -> Result<Option<SessionView>, IpcError> {
    state.current_session()
}

/// Clients and patients matching what has been typed so far, best first.
#[tauri::command]
pub async fn search(
    state: tauri::State<'_, AppState>,
    request: SearchRequest,
) -> Result<Vec<Hit>, IpcError> {
    if request.query.chars().count() > 200 {
        return Err(IpcError::invalid("query", "at most 200 characters"));
    }
    let limit = request.limit.clamp(1, 50) as usize;
    state
        .as_signed_in(move |store, actor| Ok(store.search(actor, &request.query, limit)?))
        .await
}

/// A client and their animals.
#[tauri::command]
pub async fn client_detail(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<ClientDetail, IpcError> {
    let id = parse_id("client", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(ClientDetail {
                client: store.client(actor, id)?,
                patients: store.patients_of(actor, id)?,
            })
        })
        .await
}

/// Creates a client (no id) or saves changes to one; returns the client's id.
/// Validation is core's: a bad field comes back as `invalid` naming it.
#[tauri::command]
pub async fn save_client(
    state: tauri::State<'_, AppState>,
    request: SaveClientRequest,
) -> Result<String, IpcError> {
    let id = request
        .id
        .as_deref()
        .map(|id| parse_id("client", id))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let saved = store.transact(actor, |tx| match id {
                Some(id) => tx.update_client(id, &request.client).map(|()| id),
                None => tx.create_client(&request.client),
            })?;
            Ok(saved.to_string())
        })
        .await
}

/// A patient with their owners.
#[tauri::command]
pub async fn patient_detail(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<Patient, IpcError> {
    let id = parse_id("patient", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.patient(actor, id)?))
        .await
}

/// Creates a patient for its owners (no id) or saves changes to one; returns its id.
#[tauri::command]
pub async fn save_patient(
    state: tauri::State<'_, AppState>,
    request: SavePatientRequest,
) -> Result<String, IpcError> {
    let id = request
        .id
        .as_deref()
        .map(|id| parse_id("patient", id))
        .transpose()?;
    let owners = request
        .owners
        .iter()
        .map(|o| parse_id("owners", o))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .as_signed_in(move |store, actor| {
            let saved = store.transact(actor, |tx| match id {
                Some(id) => tx.update_patient(id, &request.patient).map(|()| id),
                None => tx.create_patient(&request.patient, &owners),
            })?;
            Ok(saved.to_string())
        })
        .await
}

/// The day board between two instants (at most a week): vets, rooms, appointments,
/// double bookings and the waitlist.
#[tauri::command]
pub async fn day_board(
    state: tauri::State<'_, AppState>,
    request: DayBoardRequest,
) -> Result<DayBoard, IpcError> {
    let from = parse_time("from", &request.from)?;
    let to = parse_time("to", &request.to)?;
    if to <= from || to - from > time::Duration::days(7) {
        return Err(IpcError::invalid(
            "to",
            "the board shows from 1 minute to 7 days",
        ));
    }
    state
        .as_signed_in(move |store, actor| {
            let vets = store
                .staff()?
                .iter()
                .filter(|m| m.active && m.roles.contains(Role::Vet))
                .map(StaffCard::from)
                .collect();
            Ok(DayBoard {
                vets,
                rooms: store.rooms()?,
                appointments: store.appointments_between(actor, from, to)?,
                clashes: store.booking_clashes(actor, from, to)?,
                waitlist: store.waitlist(actor)?,
            })
        })
        .await
}

/// Books an appointment (no id) or moves / resizes one; a clash is refused as
/// `double_booked` unless `force` (audited). Returns the appointment's id.
#[tauri::command]
pub async fn book(
    state: tauri::State<'_, AppState>,
    request: BookRequest,
) -> Result<String, IpcError> {
    let input = request.booking.to_input()?;
    let id = request
        .id
        .as_deref()
        .map(|id| parse_id("appointment", id))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| match id {
                Some(id) => tx.reschedule(id, &input).map(|()| id),
                None => tx.book(&input),
            })?;
            Ok(id.to_string())
        })
        .await
}

/// Check in, start the exam, done, no-show, cancel (core allows only real moves).
#[tauri::command]
pub async fn set_appointment_status(
    state: tauri::State<'_, AppState>,
    request: AppointmentStatusRequest,
) -> Result<(), IpcError> {
    let id = parse_id("appointment", &request.id)?;
    let status = Status::parse(&request.status).ok_or_else(|| {
        IpcError::invalid(
            "status",
            format!("{:?} is not an appointment status", request.status),
        )
    })?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.set_appointment_status(id, status))?)
        })
        .await
}

/// Puts a patient on the waitlist (optionally for one vet).
#[tauri::command]
pub async fn waitlist_add(
    state: tauri::State<'_, AppState>,
    request: WaitlistAddRequest,
) -> Result<String, IpcError> {
    let patient = parse_id("patient", &request.patient_id)?;
    let client = parse_id("client", &request.client_id)?;
    let vet = request
        .vet_id
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse_id("vet", v))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| {
                tx.add_to_waitlist(patient, client, vet, &request.reason)
            })?;
            Ok(id.to_string())
        })
        .await
}

/// Takes a patient off the waitlist (booked, or no longer waiting).
#[tauri::command]
pub async fn waitlist_remove(
    state: tauri::State<'_, AppState>,
    request: WaitlistRemoveRequest,
) -> Result<(), IpcError> {
    let id = parse_id("waitlist", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.remove_from_waitlist(id, request.booked))?)
        })
        .await
}
