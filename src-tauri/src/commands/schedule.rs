//! The day board and the owner's dashboard: booking (once or as a weekly series),
//! moving, checking in, the waitlist; and the diary's set-up — rooms and equipment,
//! appointment types, working hours, blocked time (every rule and role is core's).

use vetdesk_core::Role;
use vetdesk_core::services::schedule::Status;
use vetdesk_ipc::{
    AppointmentStatusRequest, AppointmentTypeRequest, BlockRequest, BookRequest, DashboardRequest,
    DayBoard, DayBoardRequest, IdRequest, IpcError, ResourceRequest, ScheduleSetupView, StaffCard,
    WaitlistAddRequest, WaitlistRemoveRequest, WorkHoursRequest, parse_id, parse_time,
};

use crate::state::AppState;

/// The vets who can be booked: active staff with the vet role.
fn active_vets(rx: &vetdesk_core::Rx<'_>) -> vetdesk_core::Result<Vec<StaffCard>> {
    Ok(rx
        .staff()?
        .iter()
        .filter(|m| m.active && m.roles.contains(Role::Vet))
        .map(StaffCard::from)
        .collect())
}

/// The day board between two instants (at most a week): vets, rooms, appointments,
/// double bookings and the waitlist.
pub async fn day_board(state: &AppState, request: DayBoardRequest) -> Result<DayBoard, IpcError> {
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
                    vets: active_vets(rx)?,
                    rooms: rx.rooms()?,
                    resources: rx.resources()?,
                    types: rx.appointment_types()?,
                    windows: rx.working_windows(from, to)?,
                    blocks: rx.blocks_between(from, to)?,
                    templates: rx.template_slots(from, to)?,
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
pub async fn book(state: &AppState, request: BookRequest) -> Result<String, IpcError> {
    let input = request.booking.to_input()?;
    let id = request
        .id
        .as_deref()
        .map(|id| parse_id("appointment", id))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| match (id, request.repeat) {
                (Some(id), _) => tx.reschedule(id, &input).map(|()| id),
                (None, Some(repeat)) => tx
                    .book_series(&input, repeat.every_weeks, repeat.count)
                    .map(|ids| ids[0]),
                (None, None) => tx.book(&input),
            })?;
            Ok(id.to_string())
        })
        .await
}

/// Check in, start the exam, done, no-show, cancel (core allows only real moves).
pub async fn set_appointment_status(
    state: &AppState,
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
pub async fn waitlist_add(
    state: &AppState,
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
pub async fn waitlist_remove(
    state: &AppState,
    request: WaitlistRemoveRequest,
) -> Result<(), IpcError> {
    let id = parse_id("waitlist", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.remove_from_waitlist(id, request.booked))?)
        })
        .await
}

/// The owner's dashboard: for each asked day, appointments booked, patients seen,
/// no-shows, cancellations and signed visits (at most 400 days).
pub async fn dashboard(
    state: &AppState,
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

/// Adds a room or a piece of equipment (admins, in core).
pub async fn resource_add(state: &AppState, request: ResourceRequest) -> Result<String, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| {
                tx.add_resource(&request.name, &request.kind, &request.category)
            })?;
            Ok(id.to_string())
        })
        .await
}

/// Adds an appointment type (no id) or changes one (admins, in core).
pub async fn appointment_type_save(
    state: &AppState,
    request: AppointmentTypeRequest,
) -> Result<String, IpcError> {
    let (id, input) = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| match id {
                Some(id) => tx.update_appointment_type(id, &input).map(|()| id),
                None => tx.add_appointment_type(&input),
            })?;
            Ok(id.to_string())
        })
        .await
}

/// The diary's set-up: vets, rooms and equipment, appointment types, working spans.
pub async fn schedule_setup(state: &AppState) -> Result<ScheduleSetupView, IpcError> {
    state
        .as_signed_in(move |store, actor| {
            Ok(store.read(actor, |rx| {
                Ok(ScheduleSetupView {
                    vets: active_vets(rx)?,
                    resources: rx.resources()?,
                    types: rx.appointment_types()?,
                    hours: rx.work_hours()?,
                    templates: rx.slot_templates()?,
                })
            })?)
        })
        .await
}

/// Replaces one weekday's working spans of a staff member (admins, in core).
pub async fn work_hours_set(state: &AppState, request: WorkHoursRequest) -> Result<(), IpcError> {
    let staff = parse_id("staff", &request.staff_id)?;
    let spans: Vec<(String, String)> = request
        .spans
        .iter()
        .map(|s| (s.starts.clone(), s.ends.clone()))
        .collect();
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| {
                tx.set_work_hours(staff, request.weekday, &spans)
            })?)
        })
        .await
}

/// Blocks time: a holiday, a day off, a meeting, a surgery block, equipment out of service.
pub async fn block_add(state: &AppState, request: BlockRequest) -> Result<String, IpcError> {
    let input = request.to_input()?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store
                .transact(actor, |tx| tx.add_block(&input))?
                .to_string())
        })
        .await
}

/// Removes a block.
pub async fn block_remove(state: &AppState, request: IdRequest) -> Result<(), IpcError> {
    let id = parse_id("block", &request.id)?;
    state
        .as_signed_in(move |store, actor| Ok(store.transact(actor, |tx| tx.remove_block(id))?))
        .await
}

/// Adds a span to the clinic's booking pattern (admins, in core).
pub async fn slot_template_add(
    state: &AppState,
    request: vetdesk_ipc::SlotTemplateRequest,
) -> Result<String, IpcError> {
    let type_id = parse_id("type", &request.type_id)?;
    let staff = request
        .staff_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_id("staff", s))
        .transpose()?;
    state
        .as_signed_in(move |store, actor| {
            let id = store.transact(actor, |tx| {
                tx.add_slot_template(
                    request.weekday,
                    &request.starts,
                    &request.ends,
                    type_id,
                    staff,
                )
            })?;
            Ok(id.to_string())
        })
        .await
}

/// Removes a span from the clinic's booking pattern.
pub async fn slot_template_remove(state: &AppState, request: IdRequest) -> Result<(), IpcError> {
    let id = parse_id("template", &request.id)?;
    state
        .as_signed_in(move |store, actor| {
            Ok(store.transact(actor, |tx| tx.remove_slot_template(id))?)
        })
        .await
}
