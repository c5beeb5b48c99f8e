//! The Tauri commands: thin adapters from IPC calls to [`crate::state::AppState`].
//! Each returns `Result<_, IpcError>`, which reaches TypeScript as `{ code, message }`.

use vetdesk_core::Role;
use vetdesk_core::search::Hit;
use vetdesk_core::services::clients::Patient;
use vetdesk_core::services::schedule::Status;
use vetdesk_ipc::{
    AddStaffRequest, AddendumRequest, AppStatus, AppointmentStatusRequest, AuditView, BookRequest,
    ClientDetail, DashboardRequest, DayBoard, DayBoardRequest, DecideRequest, DraftFromFileRequest,
    EncounterView, IdRequest, IpcError, PatientChart, PauseRequest, SaveClientRequest,
    SavePatientRequest, SaveSoapRequest, ScribeStatus, SearchRequest, SessionView, SignInRequest,
    StaffCard, StaffRow, StartRecordingRequest, SyncStatusView, UnlockRequest, WaitlistAddRequest,
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
/// First run on a new device: join the clinic with a code from a trusted device.
#[tauri::command]
pub async fn enroll_device(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::EnrollRequest,
) -> Result<AppStatus, IpcError> {
    state.enroll(request).await
}

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
                .sign_in_roster()?
                .iter()
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

/// Ends the session here (the staff switch, and the idle lock), and with it any
/// confirmation of the person's second factor on this device.
#[tauri::command]
pub async fn sign_out(state: tauri::State<'_, AppState>) -> Result<(), IpcError> {
    state.sign_out().await
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
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| rx.search(&request.query, limit))?)
        })
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
            Ok(store.read(actor, |rx| {
                Ok(ClientDetail {
                    client: rx.client(id)?,
                    patients: rx.patients_of(id)?,
                })
            })?)
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
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.patient(id))?))
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
            Ok(store.read(actor, |rx| {
                Ok(DayBoard {
                    vets: rx
                        .staff()?
                        .iter()
                        .filter(|m| m.active && m.roles.contains(Role::Vet))
                        .map(StaffCard::from)
                        .collect(),
                    rooms: rx.rooms()?,
                    appointments: rx.appointments_between(from, to)?,
                    clashes: rx.booking_clashes(from, to)?,
                    waitlist: rx.waitlist()?,
                })
            })?)
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

/// The patient chart: the animal, weights, visits, and prescriptions for clinical roles.
#[tauri::command]
pub async fn patient_chart(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<PatientChart, IpcError> {
    let id = parse_id("patient", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.patient_chart(id))?))
        .await
}

/// Opens the exam for a checked-in appointment (it moves to `in_exam`); returns the
/// encounter, the same one each time.
#[tauri::command]
pub async fn open_exam(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<String, IpcError> {
    let appointment = parse_id("appointment", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.open_exam(appointment))?
                .to_string())
        })
        .await
}

/// An encounter with the scribe's drafts and any concurrent edits to settle.
#[tauri::command]
pub async fn encounter_view(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<EncounterView, IpcError> {
    let id = parse_id("encounter", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| {
                Ok(EncounterView {
                    encounter: rx.encounter(id)?,
                    drafts: rx.drafts(id)?,
                    conflicts: rx.conflicts(Some(id))?,
                })
            })?)
        })
        .await
}

/// Saves the SOAP note of an unsigned encounter.
#[tauri::command]
pub async fn save_soap(
    state: tauri::State<'_, AppState>,
    request: SaveSoapRequest,
) -> Result<(), IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.update_soap(id, &request.soap))?)
        })
        .await
}

/// Signs the encounter (vets only, in core); returns the signed content's hash.
#[tauri::command]
pub async fn sign_encounter(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<String, IpcError> {
    let id = parse_id("encounter", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.sign_encounter(id))?))
        .await
}

/// Adds an addendum to a signed encounter.
#[tauri::command]
pub async fn add_addendum(
    state: tauri::State<'_, AppState>,
    request: AddendumRequest,
) -> Result<String, IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.add_addendum(id, &request.text))?
                .to_string())
        })
        .await
}

/// A vet's decision on one drafted item; returns the record rows an approval wrote.
#[tauri::command]
pub async fn decide_draft_item(
    state: tauri::State<'_, AppState>,
    request: DecideRequest,
) -> Result<Vec<String>, IpcError> {
    let item = parse_id("item", &request.item_id)?;
    let decision = request.to_decision()?;
    state
        .as_signed_in(move |store, actor| {
            let written = store.transact(actor, |tx| {
                if request.settle {
                    tx.settle_draft_item(item, &decision)
                } else {
                    tx.decide_draft_item(item, &decision)
                }
            })?;
            Ok(written.iter().map(ToString::to_string).collect())
        })
        .await
}

/// Approves every undecided item of a draft (refused if a dose is flagged).
#[tauri::command]
pub async fn approve_draft(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<u32, IpcError> {
    let draft = parse_id("draft", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            let approved = store.transact(actor, |tx| tx.approve_whole_draft(draft))?;
            Ok(u32::try_from(approved).unwrap_or(u32::MAX))
        })
        .await
}

/// The model, the recording in progress (level, live transcript) and the final pass's
/// progress; the exam room polls it.
#[tauri::command]
pub fn scribe_status(state: tauri::State<'_, AppState>) -> Result<ScribeStatus, IpcError> {
    state.scribe().status()
}

/// Starts recording the visit (consent checked in core, or an audited override).
#[tauri::command]
pub async fn start_recording(
    state: tauri::State<'_, AppState>,
    request: StartRecordingRequest,
) -> Result<String, IpcError> {
    let encounter = parse_id("encounter", &request.encounter_id)?;
    let scribe = state.scribe();
    state
        .as_signed_in(move |store, actor| {
            let reason = request
                .override_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty());
            Ok(scribe.start(store, actor, encounter, reason)?.to_string())
        })
        .await
}

/// Pauses or resumes the recording.
#[tauri::command]
pub fn pause_recording(
    state: tauri::State<'_, AppState>,
    request: PauseRequest,
) -> Result<(), IpcError> {
    state.require_session()?;
    state.scribe().pause(request.paused)
}

/// Stops the recording, then the final pass over all of it becomes the encounter's
/// next draft (the store stays free while Whisper works); returns the draft's id.
#[tauri::command]
pub async fn stop_recording(state: tauri::State<'_, AppState>) -> Result<String, IpcError> {
    let scribe = state.scribe();
    let stopping = std::sync::Arc::clone(&scribe);
    let (encounter, recording, samples) =
        tauri::async_runtime::spawn_blocking(move || stopping.stop())
            .await
            .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))??;
    let data_dir = state.data_dir();
    let (visit, audio) = state
        .as_signed_in(move |store, actor| {
            let ms = i64::try_from(samples / 16).unwrap_or(i64::MAX);
            store.transact(actor, |tx| tx.finish_recording(recording, ms))?;
            let audio = crate::scribe::recording_audio(store, actor, &data_dir, recording)?;
            Ok((crate::scribe::visit_of(store, actor, encounter)?, audio))
        })
        .await?;
    final_pass(&state, scribe, encounter, visit, audio).await
}

/// A WAV file transcribed into the encounter's next draft (where there is no
/// microphone, or the visit was recorded elsewhere); returns the draft's id.
#[tauri::command]
pub async fn draft_from_file(
    state: tauri::State<'_, AppState>,
    request: DraftFromFileRequest,
) -> Result<String, IpcError> {
    let encounter = parse_id("encounter", &request.encounter_id)?;
    let path = std::path::PathBuf::from(request.path.trim());
    let audio = tauri::async_runtime::spawn_blocking(move || crate::scribe::wav_audio(&path))
        .await
        .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))??;
    let visit = state
        .as_signed_in(move |store, actor| crate::scribe::visit_of(store, actor, encounter))
        .await?;
    final_pass(&state, state.scribe(), encounter, visit, audio).await
}

async fn final_pass(
    state: &AppState,
    scribe: std::sync::Arc<crate::scribe::Scribe>,
    encounter: uuid::Uuid,
    visit: vetdesk_visit::VisitContext,
    audio: Vec<f32>,
) -> Result<String, IpcError> {
    let (transcript, items) =
        tauri::async_runtime::spawn_blocking(move || scribe.transcribe(&visit, &audio))
            .await
            .map_err(|e| IpcError::new(vetdesk_ipc::ErrorCode::Internal, e.to_string()))??;
    state
        .as_signed_in(move |store, actor| {
            crate::scribe::store_draft(store, actor, encounter, &transcript, &items)
        })
        .await
}

/// The owner's dashboard: for each asked day, appointments booked, patients seen,
/// no-shows, cancellations and signed visits (at most 400 days).
#[tauri::command]
pub async fn dashboard(
    state: tauri::State<'_, AppState>,
    request: DashboardRequest,
) -> Result<Vec<vetdesk_core::services::schedule::DayStats>, IpcError> {
    let days = request
        .days
        .iter()
        .map(|d| Ok((parse_time("from", &d.from)?, parse_time("to", &d.to)?)))
        .collect::<Result<Vec<_>, IpcError>>()?;
    state
        .as_signed_in(move |store, actor| Ok(store.read(actor, |rx| rx.day_stats(&days))?))
        .await
}

/// Every member of staff, active or not (for the owner).
#[tauri::command]
pub async fn staff_all(state: tauri::State<'_, AppState>) -> Result<Vec<StaffRow>, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .read(actor, |rx| rx.staff())?
                .iter()
                .map(|m| StaffRow {
                    id: m.id.to_string(),
                    name: m.name.clone(),
                    roles: m.roles.iter().map(|r| r.as_str().to_string()).collect(),
                    active: m.active,
                })
                .collect())
        })
        .await
}

/// Adds a member of staff with their roles and first PIN (admins, checked in core).
#[tauri::command]
pub async fn add_staff(
    state: tauri::State<'_, AppState>,
    request: AddStaffRequest,
) -> Result<String, IpcError> {
    let roles = vetdesk_ipc::parse_roles(&request.roles)?;
    state
        .as_signed_in(move |store, actor| {
            let id =
                store.transact(actor, |tx| tx.add_staff(&request.name, roles, &request.pin))?;
            Ok(id.to_string())
        })
        .await
}

/// Deactivates a member of staff (they can no longer sign in; their records stay).
#[tauri::command]
pub async fn deactivate_staff(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<(), IpcError> {
    let id = parse_id("staff", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.deactivate_staff(id))?))
        .await
}

/// The audit log filtered by actor, action, entity and time, and whether every
/// device's hash chain verifies (admins only, in core).
#[tauri::command]
pub async fn audit_search(
    state: tauri::State<'_, AppState>,
    request: vetdesk_core::audit::AuditFilter,
) -> Result<AuditView, IpcError> {
    let mut filter = request;
    // Bounds are compared as the store writes times: reformat what the UI sent.
    filter.from = filter
        .from
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_time("from", t).map(vetdesk_core::write::rfc3339))
        .transpose()?;
    filter.to = filter
        .to
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse_time("to", t).map(vetdesk_core::write::rfc3339))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let events = store.read(actor, |rx| rx.audit_search(&filter))?;
            Ok(AuditView {
                events,
                verification: store.verify_audit()?,
            })
        })
        .await
}

/// Settles a concurrent edit of clinical text: keep what is shown, take the other text
/// (open records), or keep the other text as an addendum (signed records).
#[tauri::command]
pub async fn resolve_conflict(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::ResolveConflictRequest,
) -> Result<(), IpcError> {
    let row = parse_id("row", &request.row_id)?;
    let resolution = match request.resolution.as_str() {
        "keep_visible" => vetdesk_core::services::encounters::Resolution::KeepVisible,
        "take_other" => vetdesk_core::services::encounters::Resolution::TakeOther,
        "make_addendum" => vetdesk_core::services::encounters::Resolution::MakeAddendum,
        other => {
            return Err(IpcError::invalid(
                "resolution",
                format!("{other:?} is not one of: keep_visible, take_other, make_addendum"),
            ));
        }
    };
    state
        .as_signed_in(move |store, actor| {
            let conflict = store
                .read(actor, |rx| rx.conflicts(Some(row)))?
                .into_iter()
                .find(|c| c.column == request.column && c.loser_hlc == request.loser_hlc)
                .ok_or_else(|| {
                    IpcError::new(
                        vetdesk_ipc::ErrorCode::NotFound,
                        "that edit is no longer waiting: it was settled, here or on another device",
                    )
                })?;
            Ok(store.transact(actor, |tx| tx.resolve_conflict(&conflict, resolution))?)
        })
        .await
}

/// Changes a member of staff's roles (admins, in core).
#[tauri::command]
pub async fn set_staff_roles(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::StaffRolesRequest,
) -> Result<(), IpcError> {
    let id = parse_id("staff", &request.id)?;
    let roles = vetdesk_ipc::parse_roles(&request.roles)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.set_staff_roles(id, roles))?)
        })
        .await
}

/// Whether the signed-in staff member has an authenticator, and whether it stands
/// confirmed on this device.
#[tauri::command]
pub async fn second_factor_status(
    state: tauri::State<'_, AppState>,
) -> Result<vetdesk_core::services::second_factor::SecondFactorStatus, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.second_factor_status(actor)?))
        .await
}

/// A new authenticator secret and its QR code for the signed-in staff member (nothing
/// is stored until `second_factor_finish`).
#[tauri::command]
pub async fn second_factor_begin(
    state: tauri::State<'_, AppState>,
) -> Result<vetdesk_core::services::second_factor::SecondFactorSetup, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.begin_second_factor(actor)?))
        .await
}

/// Enrolls the secret once its first code checks; the recovery codes, shown this once.
#[tauri::command]
pub async fn second_factor_finish(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::SecondFactorFinishRequest,
) -> Result<Vec<String>, IpcError> {
    let (secret, code) = request.validated()?;
    let (secret, code) = (secret.to_string(), code.to_string());
    state
        .as_signed_in(move |store, actor| {
            let codes = store.finish_second_factor(actor, &secret, &code)?;
            Ok(codes.iter().map(|c| c.to_string()).collect())
        })
        .await
}

/// Confirms the signed-in staff member's second factor for the next few minutes.
#[tauri::command]
pub async fn second_factor_confirm(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::SecondFactorCodeRequest,
) -> Result<vetdesk_core::services::second_factor::SecondFactorStatus, IpcError> {
    let code = request.validated()?.to_string();
    state
        .as_signed_in(move |store, actor| Ok(store.confirm_second_factor(actor, &code)?))
        .await
}

/// Removes a staff member's authenticator so they enroll again (admins, in core).
#[tauri::command]
pub async fn second_factor_reset(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<(), IpcError> {
    let id = parse_id("staff", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.reset_second_factor(id))?)
        })
        .await
}

/// Records vitals taken in the exam (the weight also goes on the weight chart).
#[tauri::command]
pub async fn record_vitals(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::VitalsRequest,
) -> Result<String, IpcError> {
    let id = parse_id("encounter", &request.encounter_id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.record_vitals(id, &request.vitals))?
                .to_string())
        })
        .await
}

/// The clinic's devices as the sync server knows them.
#[tauri::command]
pub async fn devices_list(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<vetdesk_core::services::devices::DeviceRow>, IpcError> {
    state
        .as_signed_in(move |store, _actor| Ok(store.clinic_devices()?))
        .await
}

/// A one-time enrollment code for a new device (admins, in core).
#[tauri::command]
pub async fn device_invite(
    state: tauri::State<'_, AppState>,
) -> Result<vetdesk_core::services::devices::Invitation, IpcError> {
    state
        .as_signed_in(move |store, actor| Ok(store.invite_device(actor)?))
        .await
}

/// Approves a pending device whose fingerprint the admin compared: it receives the
/// clinic key, sealed to it and signed by this device (admins, in core).
#[tauri::command]
pub async fn device_approve(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::ApproveDeviceRequest,
) -> Result<(), IpcError> {
    let device = parse_id("device", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.approve_device(actor, device, &request.fingerprint, request.manages)?)
        })
        .await
}

/// Revokes a device: the server refuses its next request (admins).
#[tauri::command]
pub async fn device_revoke(
    state: tauri::State<'_, AppState>,
    request: IdRequest,
) -> Result<(), IpcError> {
    let device = parse_id("device", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.revoke_device(actor, device)?))
        .await
}

/// Writes a prescription in the exam (vets; core checks the role and every field).
#[tauri::command]
pub async fn prescribe(
    state: tauri::State<'_, AppState>,
    request: vetdesk_ipc::PrescribeRequest,
) -> Result<String, IpcError> {
    let input = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.prescribe(&input))?
                .to_string())
        })
        .await
}

/// The units and routes core accepts on a prescription.
#[tauri::command]
pub fn prescription_options() -> vetdesk_ipc::PrescriptionOptions {
    vetdesk_ipc::PrescriptionOptions::from_core()
}
