//! The day board and the owner's dashboard: booking (once or every so many weeks),
//! moving and checking in appointments, the waitlist; and the diary's set-up — rooms
//! and equipment, appointment types, working hours, blocked time.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::errors::IpcError;
use crate::fields::{parse_id, parse_time};
use crate::session::StaffCard;

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
    /// Rooms and equipment, for the board's resource columns.
    pub resources: Vec<vetdesk_core::services::schedule_setup::Resource>,
    pub types: Vec<vetdesk_core::services::schedule_setup::AppointmentType>,
    /// Each vet's working spans that day (none listed for a vet: no hours set).
    pub windows: Vec<vetdesk_core::services::schedule_setup::WorkingWindow>,
    pub blocks: Vec<vetdesk_core::services::schedule_setup::Block>,
    /// The clinic's booking pattern that day.
    pub templates: Vec<vetdesk_core::services::schedule_setup::TemplateSlot>,
    pub appointments: Vec<vetdesk_core::services::schedule::Appointment>,
    pub clashes: Vec<vetdesk_core::services::schedule::Clash>,
    pub waitlist: Vec<vetdesk_core::services::schedule::WaitlistEntry>,
}

/// The diary's set-up as the Settings view shows it: the vets, rooms and equipment,
/// appointment types and every working span.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ScheduleSetupView {
    pub vets: Vec<StaffCard>,
    pub resources: Vec<vetdesk_core::services::schedule_setup::Resource>,
    pub types: Vec<vetdesk_core::services::schedule_setup::AppointmentType>,
    pub hours: Vec<vetdesk_core::services::schedule_setup::WorkSpan>,
    pub templates: Vec<vetdesk_core::services::schedule_setup::SlotTemplate>,
}

/// Argument of `slot_template_add`: a span of the clinic's pattern (times as typed,
/// the clinic's time zone); no vet is any vet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SlotTemplateRequest {
    pub weekday: i64,
    pub starts: String,
    pub ends: String,
    pub type_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub staff_id: Option<String>,
}

/// Argument of `resource_add`: a room or a piece of equipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResourceRequest {
    pub name: String,
    pub kind: String,
    /// `room` or `equipment`.
    pub category: String,
}

/// Argument of `appointment_type_save`: a new type (no `id`) or a change to one; the
/// length as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppointmentTypeRequest {
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<String>,
    pub name: String,
    pub minutes: String,
    pub colour: String,
    pub kind: String,
    pub resources: Vec<String>,
}

impl AppointmentTypeRequest {
    pub fn to_input(
        &self,
    ) -> Result<
        (
            Option<uuid::Uuid>,
            vetdesk_core::services::schedule_setup::AppointmentTypeInput,
        ),
        IpcError,
    > {
        let id = self
            .id
            .as_deref()
            .filter(|i| !i.trim().is_empty())
            .map(|i| parse_id("type", i))
            .transpose()?;
        let minutes = self
            .minutes
            .trim()
            .parse()
            .map_err(|_| IpcError::invalid("minutes", "a whole number of minutes"))?;
        let resources = self
            .resources
            .iter()
            .map(|r| parse_id("resources", r))
            .collect::<Result<_, _>>()?;
        Ok((
            id,
            vetdesk_core::services::schedule_setup::AppointmentTypeInput {
                name: self.name.clone(),
                minutes,
                colour: self.colour.clone(),
                kind: self.kind.clone(),
                resources,
            },
        ))
    }
}

/// One span of a working day, as typed (`09:00`, `12:30`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SpanForm {
    pub starts: String,
    pub ends: String,
}

/// Argument of `work_hours_set`: a staff member's spans on one weekday (1 Monday … 7
/// Sunday); none is a day off every week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorkHoursRequest {
    pub staff_id: String,
    pub weekday: i64,
    pub spans: Vec<SpanForm>,
}

/// Argument of `block_add`: time blocked for a staff member, a resource or (neither)
/// the whole clinic; instants RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BlockRequest {
    #[serde(default)]
    #[ts(optional)]
    pub staff_id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub resource_id: Option<String>,
    pub starts_at: String,
    pub ends_at: String,
    pub kind: String,
    pub reason: String,
}

impl BlockRequest {
    pub fn to_input(&self) -> Result<vetdesk_core::services::schedule_setup::BlockInput, IpcError> {
        let optional = |field: &'static str, value: &Option<String>| {
            value
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| parse_id(field, v))
                .transpose()
        };
        Ok(vetdesk_core::services::schedule_setup::BlockInput {
            staff_id: optional("staff", &self.staff_id)?,
            resource_id: optional("resource", &self.resource_id)?,
            starts_at: parse_time("starts_at", &self.starts_at)?,
            ends_at: parse_time("ends_at", &self.ends_at)?,
            kind: self.kind.clone(),
            reason: self.reason.clone(),
        })
    }
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
    /// The clinic's appointment type (its kind and the rooms and equipment it holds).
    #[serde(default)]
    #[ts(optional)]
    pub type_id: Option<String>,
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
            type_id: self
                .type_id
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| parse_id("type", t))
                .transpose()?,
        })
    }
}

/// Argument of `book`: a new appointment (no `id`), or a move / resize of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BookRequest {
    #[ts(optional)]
    pub id: Option<String>,
    pub booking: BookingForm,
    /// A new booking repeated: every so many weeks, so many times in all.
    #[serde(default)]
    #[ts(optional)]
    pub repeat: Option<RepeatForm>,
}

/// How a recurring booking repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RepeatForm {
    pub every_weeks: i64,
    pub count: i64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

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
            type_id: None,
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
}
