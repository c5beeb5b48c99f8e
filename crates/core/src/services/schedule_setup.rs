//! Setting the diary up: bookable resources (rooms and equipment), appointment types
//! (length, colour, the resources they hold), each staff member's working hours per
//! weekday, blocked time (holidays, days off, meetings, surgery blocks, equipment out
//! of service) and the clinic's slot templates. Admins set resources, types, hours and
//! templates (`ManageClinic`); whoever keeps the diary blocks time (`Schedule`).
//!
//! The rules a booking is checked against are pure: [`fits_hours`] (inside one of the
//! weekday's working spans, read in the clinic's time zone) and [`clock_minutes`].
//! `services::schedule` applies them when it books.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{APPOINTMENT_TYPES, ROOMS, SCHEDULE_BLOCKS, SLOT_TEMPLATES, WORK_HOURS};
use crate::services::clients::exists;
use crate::sources::unix_ms;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

pub const RESOURCE_CATEGORIES: [&str; 2] = ["room", "equipment"];

pub const BLOCK_KINDS: [&str; 6] = [
    "holiday",
    "day_off",
    "meeting",
    "surgery",
    "out_of_service",
    "other",
];

/// A room or a piece of equipment an appointment can hold.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub id: Uuid,
    pub name: String,
    /// What it is: exam, surgery, x-ray, ultrasound…
    pub kind: String,
    /// `room` or `equipment`.
    pub category: String,
}

/// An appointment type as the clinic defines it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppointmentTypeInput {
    pub name: String,
    /// The default length.
    pub minutes: i64,
    /// `#rrggbb`.
    pub colour: String,
    /// The appointment kind it books (`consultation`, `surgery`…).
    pub kind: String,
    /// The rooms and equipment every appointment of this type holds.
    pub resources: Vec<Uuid>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentType {
    pub id: Uuid,
    #[serde(flatten)]
    pub input: AppointmentTypeInput,
}

/// One span of a staff member's working day.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkSpan {
    pub staff_id: Uuid,
    /// 1 Monday … 7 Sunday.
    pub weekday: i64,
    /// `HH:MM` in the clinic's time zone.
    pub starts: String,
    pub ends: String,
}

/// Time nobody may be booked into without forcing it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub id: Uuid,
    /// Whose time; with `resource_id`, `None` for both is the whole clinic.
    pub staff_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub kind: String,
    pub reason: String,
}

/// A block as it is entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInput {
    pub staff_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub kind: String,
    pub reason: String,
}

/// A span of the clinic's pattern: on a weekday, a type, with one vet or any.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotTemplate {
    pub id: Uuid,
    pub weekday: i64,
    pub starts: String,
    pub ends: String,
    pub type_id: Uuid,
    pub staff_id: Option<Uuid>,
}

/// A span of the clinic's pattern on one day, as instants: the day board shows it and
/// a booking in it takes its type.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TemplateSlot {
    pub template_id: Uuid,
    pub type_id: Uuid,
    /// `None`: any vet.
    pub staff_id: Option<Uuid>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
}

/// A staff member's working span on one day, as instants (the day board greys the rest).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkingWindow {
    pub staff_id: Uuid,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
}

/// A staff member's working spans on one of the clinic's days.
pub(crate) struct DaySpans {
    /// Minutes after the day's local midnight.
    pub(crate) spans: Vec<(i64, i64)>,
    /// That midnight, Unix ms.
    pub(crate) midnight_ms: i64,
}

/// `HH:MM` (00:00–24:00) as minutes after midnight (pure).
pub fn clock_minutes(field: &'static str, text: &str) -> Result<i64> {
    let bad = || Error::invalid(field, format!("{text:?} is not a time of day like 09:30"));
    let (h_text, m_text) = text.trim().split_once(':').ok_or_else(bad)?;
    if !(1..=2).contains(&h_text.len()) || m_text.len() != 2 {
        return Err(bad());
    }
    let h: i64 = h_text.parse().map_err(|_| bad())?;
    let m: i64 = m_text.parse().map_err(|_| bad())?;
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Whether [`from`, `to`) minutes of one day lie inside one of `spans` (pure).
pub fn fits_hours(spans: &[(i64, i64)], from: i64, to: i64) -> bool {
    spans.iter().any(|&(s, e)| s <= from && to <= e)
}

/// A weekday as stored: 1 Monday … 7 Sunday.
fn weekday(value: i64) -> Result<i64> {
    if (1..=7).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid("weekday", "1 (Monday) to 7 (Sunday)"))
    }
}

/// A span's start and end, checked: the start before the end.
fn span(starts: &str, ends: &str) -> Result<(i64, i64)> {
    let (s, e) = (
        clock_minutes("starts", starts)?,
        clock_minutes("ends", ends)?,
    );
    if s >= e {
        return Err(Error::invalid("ends", "a span ends after it starts"));
    }
    Ok((s, e))
}

fn hh_mm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn id_text(id: Option<Uuid>) -> Value {
    Value::opt_text(id.map(|i| i.to_string()))
}

impl Tx<'_> {
    /// Adds a bookable room or piece of equipment (admins).
    pub fn add_resource(&mut self, name: &str, kind: &str, category: &str) -> Result<Uuid> {
        self.actor().require(Permission::ManageClinic)?;
        let name = validate::text("name", name, 80, false)?;
        let kind = validate::text("kind", kind, 40, false)?;
        let category = validate::one_of("category", category, &RESOURCE_CATEGORIES)?;
        let id = self.new_id();
        self.insert(
            &ROOMS,
            id,
            vec![
                ("name", Value::Text(name.clone())),
                ("kind", Value::Text(kind)),
                ("category", Value::text(category)),
            ],
        )?;
        self.audit("resource.add", "room", &id.to_string(), &name)?;
        Ok(id)
    }

    fn type_values(&self, input: &AppointmentTypeInput) -> Result<Vec<(&'static str, Value)>> {
        let name = validate::text("name", &input.name, 80, false)?;
        if !(5..=12 * 60).contains(&input.minutes) {
            return Err(Error::invalid("minutes", "from 5 minutes to 12 hours"));
        }
        let colour = input.colour.trim().to_lowercase();
        let hex = colour.strip_prefix('#').unwrap_or_default();
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::invalid("colour", "a colour like #3a7bd5"));
        }
        let kind = validate::one_of("kind", &input.kind, &super::schedule::KINDS)?;
        for resource in &input.resources {
            if !exists(self, "rooms", *resource)? {
                return Err(Error::invalid(
                    "resources",
                    format!("no room or equipment with id {resource}"),
                ));
            }
        }
        let mut resources = input.resources.clone();
        resources.sort();
        resources.dedup();
        let resources = serde_json::to_string(&resources)
            .map_err(|e| Error::invalid("resources", e.to_string()))?;
        Ok(vec![
            ("name", Value::Text(name)),
            ("minutes", Value::Int(input.minutes)),
            ("colour", Value::Text(colour)),
            ("kind", Value::text(kind)),
            ("resources", Value::Text(resources)),
        ])
    }

    /// Adds an appointment type (admins).
    pub fn add_appointment_type(&mut self, input: &AppointmentTypeInput) -> Result<Uuid> {
        self.actor().require(Permission::ManageClinic)?;
        let values = self.type_values(input)?;
        let id = self.new_id();
        self.insert(&APPOINTMENT_TYPES, id, values)?;
        self.audit(
            "appointment_type.add",
            "appointment_type",
            &id.to_string(),
            input.name.trim(),
        )?;
        Ok(id)
    }

    /// Changes an appointment type (admins); booked appointments keep what they hold.
    pub fn update_appointment_type(
        &mut self,
        id: Uuid,
        input: &AppointmentTypeInput,
    ) -> Result<()> {
        self.actor().require(Permission::ManageClinic)?;
        if !exists(self, "appointment_types", id)? {
            return Err(Error::not_found("appointment type", id));
        }
        let values = self.type_values(input)?;
        if self.update(&APPOINTMENT_TYPES, id, values)? > 0 {
            self.audit(
                "appointment_type.update",
                "appointment_type",
                &id.to_string(),
                input.name.trim(),
            )?;
        }
        Ok(())
    }

    /// Sets `staff`'s working spans on `weekday` (admins): the spans given replace the
    /// day's; none is a day off every week.
    pub fn set_work_hours(
        &mut self,
        staff: Uuid,
        day: i64,
        spans: &[(String, String)],
    ) -> Result<()> {
        self.actor().require(Permission::ManageClinic)?;
        let day = weekday(day)?;
        if !exists(self, "staff", staff)? {
            return Err(Error::not_found("staff member", staff));
        }
        let mut checked: Vec<(i64, i64)> = spans
            .iter()
            .map(|(s, e)| span(s, e))
            .collect::<Result<_>>()?;
        checked.sort();
        if checked.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(Error::invalid("starts", "the day's spans overlap"));
        }
        let old: Vec<String> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM work_hours WHERE staff_id = ?1 AND weekday = ?2 AND deleted = 0",
            )?
            .query_map(params![staff.to_string(), day], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in old {
            self.delete(&WORK_HOURS, crate::stored::id("work hours id", &id)?)?;
        }
        for (s, e) in &checked {
            let id = self.new_id();
            self.insert(
                &WORK_HOURS,
                id,
                vec![
                    ("staff_id", Value::Text(staff.to_string())),
                    ("weekday", Value::Int(day)),
                    ("starts", Value::Text(hh_mm(*s))),
                    ("ends", Value::Text(hh_mm(*e))),
                ],
            )?;
        }
        let described: Vec<String> = checked
            .iter()
            .map(|(s, e)| format!("{}–{}", hh_mm(*s), hh_mm(*e)))
            .collect();
        self.audit(
            "work_hours.set",
            "staff",
            &staff.to_string(),
            &format!("weekday {day}: {}", described.join(", ")),
        )
    }

    /// Blocks time for a staff member, a resource or the whole clinic.
    pub fn add_block(&mut self, input: &BlockInput) -> Result<Uuid> {
        self.actor().require(Permission::Schedule)?;
        validate::time_range(input.starts_at, input.ends_at, 24 * 366)?;
        let kind = validate::one_of("kind", &input.kind, &BLOCK_KINDS)?;
        let reason =
            validate::optional_text("reason", Some(&input.reason), 200, false)?.unwrap_or_default();
        if let Some(staff) = input.staff_id
            && !exists(self, "staff", staff)?
        {
            return Err(Error::not_found("staff member", staff));
        }
        if let Some(resource) = input.resource_id
            && !exists(self, "rooms", resource)?
        {
            return Err(Error::not_found("room or equipment", resource));
        }
        let id = self.new_id();
        self.insert(
            &SCHEDULE_BLOCKS,
            id,
            vec![
                ("staff_id", id_text(input.staff_id)),
                ("resource_id", id_text(input.resource_id)),
                ("starts_at", Value::Int(unix_ms(input.starts_at))),
                ("ends_at", Value::Int(unix_ms(input.ends_at))),
                ("kind", Value::text(kind)),
                ("reason", Value::Text(reason.clone())),
                ("created_by", Value::Text(self.actor().staff_id.to_string())),
            ],
        )?;
        self.audit("schedule.block", "schedule_block", &id.to_string(), &reason)?;
        Ok(id)
    }

    /// Removes a span from the clinic's booking pattern (admins).
    pub fn remove_slot_template(&mut self, id: Uuid) -> Result<()> {
        self.actor().require(Permission::ManageClinic)?;
        if !exists(self, "slot_templates", id)? {
            return Err(Error::not_found("slot template", id));
        }
        self.delete(&SLOT_TEMPLATES, id)?;
        self.audit("slot_template.remove", "slot_template", &id.to_string(), "")
    }

    /// Removes a block.
    pub fn remove_block(&mut self, id: Uuid) -> Result<()> {
        self.actor().require(Permission::Schedule)?;
        if !exists(self, "schedule_blocks", id)? {
            return Err(Error::not_found("block", id));
        }
        self.delete(&SCHEDULE_BLOCKS, id)?;
        self.audit("schedule.unblock", "schedule_block", &id.to_string(), "")
    }

    /// Adds a span to the clinic's booking pattern (admins).
    pub fn add_slot_template(
        &mut self,
        day: i64,
        starts: &str,
        ends: &str,
        type_id: Uuid,
        staff: Option<Uuid>,
    ) -> Result<Uuid> {
        self.actor().require(Permission::ManageClinic)?;
        let day = weekday(day)?;
        let (s, e) = span(starts, ends)?;
        if !exists(self, "appointment_types", type_id)? {
            return Err(Error::not_found("appointment type", type_id));
        }
        if let Some(staff) = staff
            && !exists(self, "staff", staff)?
        {
            return Err(Error::not_found("staff member", staff));
        }
        let id = self.new_id();
        self.insert(
            &SLOT_TEMPLATES,
            id,
            vec![
                ("weekday", Value::Int(day)),
                ("starts", Value::Text(hh_mm(s))),
                ("ends", Value::Text(hh_mm(e))),
                ("type_id", Value::Text(type_id.to_string())),
                ("staff_id", id_text(staff)),
            ],
        )?;
        self.audit("slot_template.add", "slot_template", &id.to_string(), "")?;
        Ok(id)
    }
}

impl Rx<'_> {
    /// The rooms and equipment, rooms first, by name.
    pub fn resources(&self) -> Result<Vec<Resource>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, kind, CASE category WHEN 'equipment' THEN 'equipment' ELSE 'room' END
             FROM rooms WHERE deleted = 0 AND name IS NOT NULL ORDER BY 4 DESC, lower(name), id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Resource {
                id: crate::stored::row_id(r, 0, "resource id")?,
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                kind: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                category: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The clinic's appointment types, by name.
    pub fn appointment_types(&self) -> Result<Vec<AppointmentType>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, minutes, colour, kind, resources FROM appointment_types
             WHERE deleted = 0 AND name IS NOT NULL ORDER BY lower(name), id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AppointmentType {
                id: crate::stored::row_id(r, 0, "appointment type id")?,
                input: AppointmentTypeInput {
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    minutes: r.get::<_, Option<i64>>(2)?.unwrap_or(30),
                    colour: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    kind: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    resources: r
                        .get::<_, Option<String>>(5)?
                        .and_then(|j| serde_json::from_str(&j).ok())
                        .unwrap_or_default(),
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One appointment type, live.
    pub fn appointment_type(&self, id: Uuid) -> Result<AppointmentType> {
        self.require(Permission::ViewClinic)?;
        self.appointment_types()?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| Error::not_found("appointment type", id))
    }

    /// Every working span, by staff member, weekday and start.
    pub fn work_hours(&self) -> Result<Vec<WorkSpan>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT staff_id, weekday, starts, ends FROM work_hours
             WHERE deleted = 0 AND staff_id IS NOT NULL ORDER BY staff_id, weekday, starts",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(WorkSpan {
                staff_id: crate::stored::row_id(r, 0, "staff id")?,
                weekday: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                starts: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ends: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Blocks overlapping [from, to), by start.
    pub fn blocks_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<Vec<Block>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, staff_id, resource_id, starts_at, ends_at, kind, reason FROM schedule_blocks
             WHERE deleted = 0 AND starts_at < ?2 AND ends_at > ?1 ORDER BY starts_at, id",
        )?;
        let rows = stmt.query_map(params![unix_ms(from), unix_ms(to)], |r| {
            Ok(Block {
                id: crate::stored::row_id(r, 0, "block id")?,
                staff_id: crate::stored::row_optional_id(r, 1, "staff id")?,
                resource_id: crate::stored::row_optional_id(r, 2, "resource id")?,
                starts_at_ms: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                ends_at_ms: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                kind: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                reason: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The clinic's booking pattern.
    pub fn slot_templates(&self) -> Result<Vec<SlotTemplate>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, weekday, starts, ends, type_id, staff_id FROM slot_templates
             WHERE deleted = 0 AND type_id IS NOT NULL ORDER BY weekday, starts, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SlotTemplate {
                id: crate::stored::row_id(r, 0, "slot template id")?,
                weekday: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                starts: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ends: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                type_id: crate::stored::row_id(r, 4, "type id")?,
                staff_id: crate::stored::row_optional_id(r, 5, "staff id")?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// `staff`'s spans on the clinic's day that holds `at`. `None`: no hours are set
    /// for them at all (no limits).
    pub(crate) fn spans_on_day_of(
        &self,
        staff: Uuid,
        at: OffsetDateTime,
    ) -> Result<Option<DaySpans>> {
        let all: Vec<(i64, String, String)> = self
            .conn()
            .prepare_cached(
                "SELECT weekday, starts, ends FROM work_hours WHERE staff_id = ?1 AND deleted = 0",
            )?
            .query_map([staff.to_string()], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?.unwrap_or(0),
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if all.is_empty() {
            return Ok(None);
        }
        let zone = self.clinic_settings()?.zone();
        let local = jiff::Timestamp::from_millisecond(unix_ms(at))
            .map_err(|e| Error::invalid("starts_at", e.to_string()))?
            .to_zoned_datetime(zone);
        let day = i64::from(local.weekday().to_monday_one_offset());
        let spans = all
            .iter()
            .filter(|(d, _, _)| *d == day)
            // A span stored by another device that does not read is no working time.
            .filter_map(|(_, s, e)| span(s, e).ok())
            .collect();
        let midnight = local
            .start_of_day()
            .map_err(|e| Error::invalid("starts_at", e.to_string()))?;
        Ok(Some(DaySpans {
            spans,
            midnight_ms: midnight.timestamp().as_millisecond(),
        }))
    }

    /// A staff member's name, for messages ("Dr Vera Vet does not work on Sundays").
    pub(crate) fn name_of_staff(&self, staff: Uuid) -> Result<String> {
        Ok(self
            .conn()
            .prepare_cached("SELECT coalesce(name, '') FROM staff WHERE id = ?1")?
            .query_row([staff.to_string()], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| "the vet".into()))
    }

    /// The clinic's pattern on the days in [from, to), as instants (weekdays and times
    /// read in the clinic's time zone).
    pub fn template_slots(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TemplateSlot>> {
        self.require(Permission::ViewClinic)?;
        let templates = self.slot_templates()?;
        if templates.is_empty() {
            return Ok(Vec::new());
        }
        let settings = self.clinic_settings()?;
        let mut out = Vec::new();
        let mut day = settings.today(from);
        let last = settings.today(to - time::Duration::milliseconds(1));
        while day <= last {
            let (midnight, _) = settings.day_bounds(day)?;
            let base = unix_ms(midnight);
            let weekday = i64::from(day.weekday().number_from_monday());
            for template in templates.iter().filter(|t| t.weekday == weekday) {
                let Ok((s, e)) = span(&template.starts, &template.ends) else {
                    continue;
                };
                out.push(TemplateSlot {
                    template_id: template.id,
                    type_id: template.type_id,
                    staff_id: template.staff_id,
                    starts_at_ms: base + s * 60_000,
                    ends_at_ms: base + e * 60_000,
                });
            }
            let Some(next) = day.next_day() else { break };
            day = next;
        }
        Ok(out)
    }

    /// Each vet's working spans on the days in [from, to), as instants (the day board
    /// greys what is outside them). Vets with no hours set have none listed.
    pub fn working_windows(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<WorkingWindow>> {
        self.require(Permission::ViewClinic)?;
        let mut out = Vec::new();
        let staff: Vec<Uuid> = self
            .work_hours()?
            .into_iter()
            .map(|w| w.staff_id)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let days = ((to - from).whole_hours() / 24).clamp(1, 31);
        for member in staff {
            for d in 0..days {
                let at = from + time::Duration::days(d) + time::Duration::hours(12);
                let Some(day) = self.spans_on_day_of(member, at)? else {
                    continue;
                };
                let base = day.midnight_ms;
                for (s, e) in day.spans {
                    out.push(WorkingWindow {
                        staff_id: member,
                        starts_at_ms: base + s * 60_000,
                        ends_at_ms: base + e * 60_000,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_read_as_people_write_them() -> Result<()> {
        assert_eq!(clock_minutes("t", "09:30")?, 570);
        assert_eq!(clock_minutes("t", "9:05")?, 545);
        assert_eq!(clock_minutes("t", "24:00")?, 1440);
        for bad in ["24:01", "25:00", "09:60", "0930", "nine", "-1:00", "09:5x"] {
            assert!(clock_minutes("t", bad).is_err(), "{bad} was read");
        }
        Ok(())
    }

    #[test]
    fn a_booking_fits_inside_one_span_not_across_a_break() {
        let split = [(540, 720), (780, 1080)];
        assert!(fits_hours(&split, 540, 570));
        assert!(fits_hours(&split, 1050, 1080));
        assert!(!fits_hours(&split, 700, 800), "across lunch");
        assert!(!fits_hours(&split, 510, 540), "before opening");
        assert!(!fits_hours(&[], 600, 630), "a day off");
    }
}
