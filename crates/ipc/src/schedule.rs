//! The day board and the owner's dashboard: booking, moving and checking in
//! appointments, and the waitlist.

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
