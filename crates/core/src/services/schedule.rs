//! Appointments and the waitlist. Booking refuses to double-book a vet, a room or a
//! piece of equipment the appointment's type holds, and to book outside the vet's
//! working hours or into blocked time (`services::schedule_setup`), unless forced — a
//! forced booking is audited. A recurring booking is a series, refused or booked whole.
//! Status moves booked → checked-in → in-exam → done, or booked → no-show / cancelled.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Rx;
use crate::changes::Value;
use crate::roles::{Permission, Role};
use crate::schema::{APPOINTMENTS, WAITLIST};
use crate::services::clients::exists;
use crate::services::staff::staff_has_role;
use crate::sources::unix_ms;
use crate::validate;
use crate::write::{Tx, rfc3339};
use crate::{Error, Result};

pub const KINDS: [&str; 7] = [
    "consultation",
    "vaccination",
    "follow_up",
    "surgery",
    "dental",
    "emergency",
    "other",
];

/// Where an appointment is in its day.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Booked,
    CheckedIn,
    InExam,
    Done,
    NoShow,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Booked,
        Status::CheckedIn,
        Status::InExam,
        Status::Done,
        Status::NoShow,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::CheckedIn => "checked_in",
            Status::InExam => "in_exam",
            Status::Done => "done",
            Status::NoShow => "no_show",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The moves the front desk and the exam room may make.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (Booked, CheckedIn | NoShow | Cancelled)
                | (CheckedIn, InExam | Cancelled | Booked)
                | (InExam, Done)
        )
    }

    /// Whether the slot is still taken (for clash checks).
    pub fn holds_slot(self) -> bool {
        !matches!(self, Status::NoShow | Status::Cancelled)
    }
}

/// A booking request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingInput {
    pub patient_id: Uuid,
    pub client_id: Uuid,
    pub vet_id: Uuid,
    pub room_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub kind: String,
    pub reason: Option<String>,
    /// Book even over a clash or outside hours (audited).
    #[serde(default)]
    pub force: bool,
    /// The clinic's appointment type: its kind and the resources it holds.
    #[serde(default)]
    pub type_id: Option<Uuid>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appointment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub client_id: Uuid,
    pub client_name: String,
    pub vet_id: Uuid,
    pub room_id: Option<Uuid>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub kind: String,
    pub reason: Option<String>,
    pub status: Status,
    pub forced: bool,
    pub type_id: Option<Uuid>,
    /// Rooms and equipment it holds besides its room (from its type).
    pub resources: Vec<Uuid>,
    /// The recurring series it belongs to.
    pub series_id: Option<Uuid>,
}

/// Two appointments holding the same vet or room at once. Core refuses to make one
/// locally unless forced; two devices booking the same slot offline make one that
/// only shows after sync, and the day board must show it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clash {
    pub resource: String,
    pub first: Uuid,
    pub second: Uuid,
    pub starts_at_ms: i64,
    /// Whether either was booked over the clash on purpose.
    pub forced: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitlistEntry {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub client_id: Uuid,
    pub client_name: String,
    pub vet_id: Option<Uuid>,
    pub reason: String,
    pub created_at: String,
}

/// One day of the owner's dashboard.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayStats {
    /// The day's start (Unix ms).
    pub from_ms: i64,
    /// Appointments booked for that day (any status).
    pub booked: i64,
    /// Patients who came: checked in, in the exam room or done.
    pub seen: i64,
    pub no_shows: i64,
    pub cancelled: i64,
    /// Appointments whose visit record is signed.
    pub signed_visits: i64,
    /// Net revenue of the documents finalized that day (credit notes negative), cents.
    pub revenue_cents: i64,
}

/// What a booking holds and says, once checked.
struct Checked {
    reason: Option<String>,
    kind: String,
    /// Resources held besides the room.
    resources: Vec<Uuid>,
}

/// The columns a booking and a move both set: who, where, when, what.
fn slot_values(
    input: &BookingInput,
    checked: Checked,
    forced: bool,
) -> Result<Vec<(&'static str, Value)>> {
    let resources = serde_json::to_string(&checked.resources)
        .map_err(|e| Error::invalid("resources", e.to_string()))?;
    Ok(vec![
        ("vet_id", Value::Text(input.vet_id.to_string())),
        (
            "room_id",
            Value::opt_text(input.room_id.map(|r| r.to_string())),
        ),
        ("starts_at", Value::Int(unix_ms(input.starts_at))),
        ("ends_at", Value::Int(unix_ms(input.ends_at))),
        (
            "kind",
            Value::text(validate::one_of("kind", &checked.kind, &KINDS)?),
        ),
        ("reason", Value::opt_text(checked.reason)),
        ("forced", Value::bool(forced)),
        (
            "type_id",
            Value::opt_text(input.type_id.map(|t| t.to_string())),
        ),
        ("resources", Value::Text(resources)),
    ])
}

impl Tx<'_> {
    /// Books an appointment; a clash with the vet's or room's other bookings is refused
    /// unless `force` is set, which is audited.
    pub fn book(&mut self, input: &BookingInput) -> Result<Uuid> {
        self.actor().require(Permission::Schedule)?;
        let id = self.new_id();
        self.book_as(id, input, None)?;
        self.audit(
            "appointment.book",
            "appointment",
            &id.to_string(),
            &rfc3339(input.starts_at),
        )?;
        Ok(id)
    }

    fn book_as(&mut self, id: Uuid, input: &BookingInput, series: Option<Uuid>) -> Result<()> {
        let checked = self.check_booking(input)?;
        let forced = self.check_clashes(None, input, &checked.resources)?;
        let forced = self.check_hours(input, &checked.resources)? || forced;
        let mut values = vec![
            ("patient_id", Value::Text(input.patient_id.to_string())),
            ("client_id", Value::Text(input.client_id.to_string())),
            ("status", Value::text(Status::Booked.as_str())),
            ("series_id", Value::opt_text(series.map(|s| s.to_string()))),
        ];
        values.extend(slot_values(input, checked, forced)?);
        self.insert(&APPOINTMENTS, id, values)?;
        Ok(())
    }

    /// Books the same slot every `every_weeks` weeks, `count` times in all, at the same
    /// time of day in the clinic's time zone; one series, booked whole or not at all
    /// (a clash or a closed day on any date is refused, naming it, unless forced).
    pub fn book_series(
        &mut self,
        input: &BookingInput,
        every_weeks: i64,
        count: i64,
    ) -> Result<Vec<Uuid>> {
        self.actor().require(Permission::Schedule)?;
        if !(1..=52).contains(&every_weeks) {
            return Err(Error::invalid("every", "every 1 to 52 weeks"));
        }
        if !(2..=52).contains(&count) {
            return Err(Error::invalid("count", "2 to 52 appointments"));
        }
        let zone = self.read().clinic_settings()?.zone();
        let local = |at: OffsetDateTime| {
            jiff::Timestamp::from_millisecond(unix_ms(at))
                .map(|t| t.to_zoned_datetime(zone.clone()))
                .map_err(|e| Error::invalid("starts_at", e.to_string()))
        };
        let (first_start, first_end) = (local(input.starts_at)?, local(input.ends_at)?);
        let series = self.new_id();
        let mut ids = Vec::new();
        for n in 0..count {
            let weeks = jiff::Span::new().weeks(n * every_weeks);
            let at = |z: &jiff::ZonedDateTime| -> Result<OffsetDateTime> {
                let ms = z
                    .checked_add(weeks)
                    .map_err(|e| Error::invalid("count", e.to_string()))?
                    .timestamp()
                    .as_millisecond();
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .map_err(|e| Error::invalid("count", e.to_string()))
            };
            let one = BookingInput {
                starts_at: at(&first_start)?,
                ends_at: at(&first_end)?,
                ..input.clone()
            };
            let id = self.new_id();
            self.book_as(id, &one, Some(series)).map_err(|e| match e {
                Error::DoubleBooked { .. } | Error::OutsideHours(_) => {
                    Error::OutsideHours(format!(
                        "appointment {} of {count} ({}): {}",
                        n + 1,
                        rfc3339(one.starts_at),
                        e.to_string()
                            .trim_end_matches("; choose another time or book anyway (force)")
                    ))
                }
                other => other,
            })?;
            ids.push(id);
        }
        self.audit(
            "appointment.book_series",
            "appointment",
            &series.to_string(),
            &format!(
                "{count} every {every_weeks} weeks from {}",
                rfc3339(input.starts_at)
            ),
        )?;
        Ok(ids)
    }

    /// Moves or resizes an appointment (same clash rules as booking).
    pub fn reschedule(&mut self, id: Uuid, input: &BookingInput) -> Result<()> {
        self.actor().require(Permission::Schedule)?;
        if !exists(self, "appointments", id)? {
            return Err(Error::NotFound {
                entity: "appointment",
                id: id.to_string(),
            });
        }
        let checked = self.check_booking(input)?;
        let forced = self.check_clashes(Some(id), input, &checked.resources)?;
        let forced = self.check_hours(input, &checked.resources)? || forced;
        self.update(&APPOINTMENTS, id, slot_values(input, checked, forced)?)?;
        self.audit(
            "appointment.move",
            "appointment",
            &id.to_string(),
            &rfc3339(input.starts_at),
        )
    }

    /// Moves an appointment along its day (check in, start the exam, no-show, …).
    pub fn set_appointment_status(&mut self, id: Uuid, next: Status) -> Result<()> {
        self.actor().require(Permission::Schedule)?;
        let current: Option<Option<String>> = self
            .conn()
            .prepare_cached("SELECT status FROM appointments WHERE id = ?1 AND deleted = 0")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        let Some(current) = current else {
            return Err(Error::NotFound {
                entity: "appointment",
                id: id.to_string(),
            });
        };
        let current = current
            .as_deref()
            .and_then(Status::parse)
            .unwrap_or(Status::Booked);
        if !current.can_become(next) {
            return Err(Error::NotAllowedNow(format!(
                "an appointment that is {} cannot become {}",
                current.as_str(),
                next.as_str()
            )));
        }
        self.set(&APPOINTMENTS, id, "status", Value::text(next.as_str()))?;
        self.audit(
            &format!("appointment.{}", next.as_str()),
            "appointment",
            &id.to_string(),
            "",
        )
    }

    fn check_booking(&self, input: &BookingInput) -> Result<Checked> {
        validate::time_range(input.starts_at, input.ends_at, 12)?;
        if !exists(self, "patients", input.patient_id)? {
            return Err(Error::Invalid {
                field: "patient",
                message: format!("no patient with id {}", input.patient_id),
            });
        }
        let owned: bool = self
            .conn()
            .prepare_cached("SELECT 1 FROM patient_owners WHERE patient_id = ?1 AND client_id = ?2 AND deleted = 0")?
            .exists(params![input.patient_id.to_string(), input.client_id.to_string()])?;
        if !owned {
            return Err(Error::Invalid {
                field: "client",
                message: "is not an owner of this patient".into(),
            });
        }
        if !staff_has_role(self, input.vet_id, Role::Vet)? {
            return Err(Error::Invalid {
                field: "vet",
                message: "is not an active vet".into(),
            });
        }
        if let Some(room) = input.room_id
            && !exists(self, "rooms", room)?
        {
            return Err(Error::Invalid {
                field: "room",
                message: format!("no room with id {room}"),
            });
        }
        let reason = validate::optional_text("reason", input.reason.as_deref(), 500, false)?;
        let (kind, mut resources) = match input.type_id {
            Some(type_id) => {
                let booked = self.read().appointment_type(type_id)?;
                (booked.input.kind, booked.input.resources)
            }
            None => (input.kind.clone(), Vec::new()),
        };
        resources.retain(|r| Some(*r) != input.room_id);
        Ok(Checked {
            reason,
            kind,
            resources,
        })
    }

    /// `Ok(true)` when booked outside the vet's hours or into blocked time on purpose
    /// (audited); `Err` when not forced.
    fn check_hours(&mut self, input: &BookingInput, resources: &[Uuid]) -> Result<bool> {
        let mut problem = None;
        if let Some(day) = self.read().spans_on_day_of(input.vet_id, input.starts_at)? {
            let (spans, base) = (day.spans, day.midnight_ms);
            let from = (unix_ms(input.starts_at) - base) / 60_000;
            let to = (unix_ms(input.ends_at) - base) / 60_000;
            if !super::schedule_setup::fits_hours(&spans, from, to) {
                let name = self.read().name_of_staff(input.vet_id)?;
                problem = Some(if spans.is_empty() {
                    format!("{name} does not work on that day")
                } else {
                    let hours: Vec<String> = spans
                        .iter()
                        .map(|(s, e)| {
                            format!("{:02}:{:02}–{:02}:{:02}", s / 60, s % 60, e / 60, e % 60)
                        })
                        .collect();
                    format!("outside {name}'s working hours ({})", hours.join(", "))
                });
            }
        }
        if problem.is_none() {
            let mut held: Vec<String> = resources.iter().map(Uuid::to_string).collect();
            held.extend(input.room_id.map(|r| r.to_string()));
            let held = serde_json::to_string(&held)
                .map_err(|e| Error::invalid("resources", e.to_string()))?;
            let blocked: Option<(String, String)> = self
                .conn()
                .prepare_cached(
                    "SELECT kind, coalesce(reason, '') FROM schedule_blocks
                     WHERE deleted = 0 AND starts_at < ?3 AND ends_at > ?2
                       AND (staff_id = ?1
                            OR resource_id IN (SELECT value FROM json_each(?4))
                            OR (staff_id IS NULL AND resource_id IS NULL))
                     ORDER BY starts_at LIMIT 1",
                )?
                .query_row(
                    params![
                        input.vet_id.to_string(),
                        unix_ms(input.starts_at),
                        unix_ms(input.ends_at),
                        held
                    ],
                    |r| {
                        Ok((
                            r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                            r.get(1)?,
                        ))
                    },
                )
                .optional()?;
            if let Some((kind, reason)) = blocked {
                let what = kind.replace('_', " ");
                problem = Some(if reason.is_empty() {
                    format!("that time is blocked ({what})")
                } else {
                    format!("that time is blocked ({what}: {reason})")
                });
            }
        }
        let Some(problem) = problem else {
            return Ok(false);
        };
        if !input.force {
            return Err(Error::OutsideHours(problem));
        }
        self.audit(
            "appointment.book.outside_hours",
            "appointment",
            &input.patient_id.to_string(),
            &problem,
        )?;
        Ok(true)
    }

    /// `Ok(true)` when booked over a clash on purpose (audited), `Err` on an unforced clash.
    fn check_clashes(
        &mut self,
        moving: Option<Uuid>,
        input: &BookingInput,
        resources: &[Uuid],
    ) -> Result<bool> {
        let (start, end) = (unix_ms(input.starts_at), unix_ms(input.ends_at));
        let moving = moving.map(|m| m.to_string()).unwrap_or_default();
        let mut clash = None;
        const CLASH: &str =
            "AND deleted = 0 AND id != ?4 AND status NOT IN ('no_show', 'cancelled')
             AND starts_at < ?3 AND ends_at > ?2 ORDER BY starts_at LIMIT 1";
        let vet_sql =
            format!("SELECT id, starts_at, ends_at FROM appointments WHERE vet_id = ?1 {CLASH}");
        // A room or piece of equipment is held as an appointment's room or among the
        // resources its type holds.
        let held_sql = format!(
            "SELECT id, starts_at, ends_at FROM appointments
             WHERE (room_id = ?1 OR ?1 IN (SELECT value FROM json_each(coalesce(resources, '[]')))) {CLASH}"
        );
        let mut checks = vec![
            ("vet", &vet_sql, Some(input.vet_id)),
            ("room", &held_sql, input.room_id),
        ];
        for resource in resources {
            checks.push(("room or equipment", &held_sql, Some(*resource)));
        }
        for (resource, sql, wanted) in checks {
            let Some(wanted) = wanted else { continue };
            let found = self
                .conn()
                .prepare_cached(sql)?
                .query_row(params![wanted.to_string(), start, end, moving], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .optional()?;
            if let Some(found) = found {
                clash = Some((resource, found));
                break;
            }
        }
        let Some((resource, (other, starts, ends))) = clash else {
            return Ok(false);
        };
        if !input.force {
            let show = |ms: i64| {
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .map(rfc3339)
                    .unwrap_or_default()
            };
            return Err(Error::DoubleBooked {
                resource,
                other,
                starts: show(starts),
                ends: show(ends),
            });
        }
        self.audit(
            "appointment.book.forced",
            "appointment",
            &other,
            &format!("{resource} double-booked on purpose"),
        )?;
        Ok(true)
    }

    pub fn add_to_waitlist(
        &mut self,
        patient: Uuid,
        client: Uuid,
        vet: Option<Uuid>,
        reason: &str,
    ) -> Result<Uuid> {
        self.actor().require(Permission::Schedule)?;
        let reason = validate::text("reason", reason, 500, false)?;
        if !exists(self, "patients", patient)? {
            return Err(Error::Invalid {
                field: "patient",
                message: format!("no patient with id {patient}"),
            });
        }
        let id = self.new_id();
        self.insert(
            &WAITLIST,
            id,
            vec![
                ("patient_id", Value::Text(patient.to_string())),
                ("client_id", Value::Text(client.to_string())),
                ("vet_id", Value::opt_text(vet.map(|v| v.to_string()))),
                ("reason", Value::Text(reason)),
                ("status", Value::text("waiting")),
                ("created_at", Value::Text(self.now_text())),
            ],
        )?;
        self.audit("waitlist.add", "waitlist", &id.to_string(), "")?;
        Ok(id)
    }

    pub fn remove_from_waitlist(&mut self, id: Uuid, booked: bool) -> Result<()> {
        self.actor().require(Permission::Schedule)?;
        self.update(
            &WAITLIST,
            id,
            vec![(
                "status",
                Value::text(if booked { "booked" } else { "removed" }),
            )],
        )?;
        self.audit("waitlist.remove", "waitlist", &id.to_string(), "")
    }
}

impl Rx<'_> {
    /// Appointments starting in [from, to), by start time (the day board).
    pub fn appointments_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Appointment>> {
        self.require(Permission::Schedule)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.id, a.patient_id, coalesce(p.name, ''), a.client_id,
                    coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''),
                    a.vet_id, a.room_id, a.starts_at, a.ends_at, a.kind, a.reason, a.status, a.forced,
                    a.type_id, a.resources, a.series_id
             FROM appointments a
             LEFT JOIN patients p ON p.id = a.patient_id
             LEFT JOIN clients c ON c.id = a.client_id
             WHERE a.deleted = 0 AND a.starts_at >= ?1 AND a.starts_at < ?2
             ORDER BY a.starts_at, a.id",
        )?;
        let uuid = |s: Option<String>| s.and_then(|s| Uuid::parse_str(&s).ok());
        let rows = stmt
            .query_map(params![unix_ms(from), unix_ms(to)], |r| {
                Ok(Appointment {
                    id: uuid(r.get(0)?).unwrap_or_default(),
                    patient_id: uuid(r.get(1)?).unwrap_or_default(),
                    patient_name: r.get(2)?,
                    client_id: uuid(r.get(3)?).unwrap_or_default(),
                    client_name: r.get(4)?,
                    vet_id: uuid(r.get(5)?).unwrap_or_default(),
                    room_id: uuid(r.get(6)?),
                    starts_at_ms: r.get::<_, Option<i64>>(7)?.unwrap_or(0),
                    ends_at_ms: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
                    kind: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                    reason: r.get(10)?,
                    status: r
                        .get::<_, Option<String>>(11)?
                        .as_deref()
                        .and_then(Status::parse)
                        .unwrap_or(Status::Booked),
                    forced: r.get::<_, Option<i64>>(12)? == Some(1),
                    type_id: uuid(r.get(13)?),
                    resources: r
                        .get::<_, Option<String>>(14)?
                        .and_then(|j| serde_json::from_str(&j).ok())
                        .unwrap_or_default(),
                    series_id: uuid(r.get(15)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Double bookings among appointments starting in [from, to), whoever made them.
    pub fn booking_clashes(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<Clash>> {
        self.require(Permission::Schedule)?;
        let pair = |column: &str, resource: &str| {
            format!(
                "SELECT '{resource}', a.id, b.id, a.starts_at, coalesce(a.forced, 0) + coalesce(b.forced, 0)
                 FROM appointments a JOIN appointments b
                   ON b.{column} = a.{column} AND b.id > a.id
                  AND b.starts_at < a.ends_at AND b.ends_at > a.starts_at
                 WHERE a.deleted = 0 AND a.status NOT IN ('no_show', 'cancelled')
                   AND a.{column} IS NOT NULL AND a.starts_at >= ?1 AND a.starts_at < ?2
                   AND b.deleted = 0 AND b.status NOT IN ('no_show', 'cancelled')"
            )
        };
        // A room or piece of equipment one holds among its type's resources and the
        // other holds as its room or among its own.
        let held = "SELECT 'room or equipment', a.id, b.id, a.starts_at, coalesce(a.forced, 0) + coalesce(b.forced, 0)
                 FROM appointments a JOIN appointments b
                   ON b.id != a.id AND b.starts_at < a.ends_at AND b.ends_at > a.starts_at
                 WHERE a.deleted = 0 AND a.status NOT IN ('no_show', 'cancelled')
                   AND a.resources IS NOT NULL AND a.resources != '[]'
                   AND a.starts_at >= ?1 AND a.starts_at < ?2
                   AND b.deleted = 0 AND b.status NOT IN ('no_show', 'cancelled')
                   AND EXISTS (SELECT 1 FROM json_each(a.resources) ja
                               WHERE ja.value = b.room_id
                                  OR (ja.value IN (SELECT value FROM json_each(coalesce(b.resources, '[]')))
                                      AND b.id > a.id))";
        let sql = format!(
            "{} UNION ALL {} UNION ALL {held} ORDER BY 4, 2, 3",
            pair("vet_id", "vet"),
            pair("room_id", "room")
        );
        let clashes = self
            .conn()
            .prepare_cached(&sql)?
            .query_map(params![unix_ms(from), unix_ms(to)], |r| {
                Ok(Clash {
                    resource: r.get(0)?,
                    first: crate::stored::row_id(r, 1, "appointment id")?,
                    second: crate::stored::row_id(r, 2, "appointment id")?,
                    starts_at_ms: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    forced: r.get::<_, i64>(4)? > 0,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(clashes)
    }

    /// What happened on each of `days` ([from, to) each, the caller's local days): the
    /// owner's dashboard. Needs the clinic's management role.
    pub fn day_stats(&self, days: &[(OffsetDateTime, OffsetDateTime)]) -> Result<Vec<DayStats>> {
        self.require(Permission::ManageClinic)?;
        if days.len() > 400 {
            return Err(Error::Invalid {
                field: "days",
                message: format!("{} days; at most 400 at once", days.len()),
            });
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT count(*),
                    coalesce(sum(a.status IN ('checked_in', 'in_exam', 'done')), 0),
                    coalesce(sum(a.status = 'no_show'), 0),
                    coalesce(sum(a.status = 'cancelled'), 0),
                    coalesce(sum(EXISTS (SELECT 1 FROM encounters e
                                         WHERE e.appointment_id = a.id AND e.deleted = 0
                                           AND e.status = 'signed')), 0)
             FROM appointments a
             WHERE a.deleted = 0 AND a.starts_at >= ?1 AND a.starts_at < ?2",
        )?;
        let mut revenue = self.conn().prepare_cached(
            "SELECT coalesce(sum(json_extract(snapshot, '$.totals.net_cents')), 0) FROM invoices
             WHERE status = 'finalized' AND kind IN ('invoice', 'credit_note') AND deleted = 0
               AND finalized_at >= ?1 AND finalized_at < ?2",
        )?;
        let mut out = Vec::with_capacity(days.len());
        for (from, to) in days {
            let revenue_cents: i64 = revenue.query_row(
                params![
                    crate::write::rfc3339(from.to_offset(time::UtcOffset::UTC)),
                    crate::write::rfc3339(to.to_offset(time::UtcOffset::UTC))
                ],
                |r| r.get(0),
            )?;
            let counts = stmt.query_row(params![unix_ms(*from), unix_ms(*to)], |r| {
                Ok(DayStats {
                    from_ms: unix_ms(*from),
                    booked: r.get(0)?,
                    seen: r.get(1)?,
                    no_shows: r.get(2)?,
                    cancelled: r.get(3)?,
                    signed_visits: r.get(4)?,
                    revenue_cents,
                })
            })?;
            out.push(counts);
        }
        Ok(out)
    }

    pub fn waitlist(&self) -> Result<Vec<WaitlistEntry>> {
        self.require(Permission::Schedule)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT w.id, w.patient_id, w.client_id, w.vet_id, w.reason, w.created_at,
                    coalesce(p.name, ''),
                    coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')
             FROM waitlist w
             LEFT JOIN patients p ON p.id = w.patient_id
             LEFT JOIN clients c ON c.id = w.client_id
             WHERE w.deleted = 0 AND w.status = 'waiting' ORDER BY w.created_at, w.id",
        )?;
        let uuid = |s: Option<String>| s.and_then(|s| Uuid::parse_str(&s).ok());
        let rows = stmt
            .query_map([], |r| {
                Ok(WaitlistEntry {
                    id: uuid(r.get(0)?).unwrap_or_default(),
                    patient_id: uuid(r.get(1)?).unwrap_or_default(),
                    patient_name: r.get(6)?,
                    client_id: uuid(r.get(2)?).unwrap_or_default(),
                    client_name: r.get(7)?,
                    vet_id: uuid(r.get(3)?),
                    reason: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    created_at: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_moves() {
        use Status::*;
        // (from, to, allowed)
        let cases = [
            (Booked, CheckedIn, true),
            (CheckedIn, InExam, true),
            (InExam, Done, true),
            (Booked, NoShow, true),
            (Booked, Cancelled, true),
            (Booked, Done, false),
            (Done, Booked, false),
            (NoShow, CheckedIn, false),
            (Cancelled, Booked, false),
            (InExam, Cancelled, false),
        ];
        for (from, to, allowed) in cases {
            assert_eq!(from.can_become(to), allowed, "{from:?} → {to:?}");
        }
    }
}
