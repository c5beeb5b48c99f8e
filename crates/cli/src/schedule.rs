//! `vetdesk schedule resources|types|hours|block|templates`: setting the diary up from
//! the command line — rooms and equipment as bookable resources, appointment types
//! (length, colour, what they hold), each vet's working hours per weekday, blocked time,
//! and the clinic's booking pattern.
//! Every rule and role is core's (`services::schedule_setup`); this parses and prints.
//! Times of day are the clinic's time zone; instants are RFC 3339.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use vetdesk_core::services::schedule_setup::{AppointmentTypeInput, BlockInput};
use vetdesk_core::{Actor, Store};

use crate::records::{SignIn, open, sign_in, staff_id};

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Rooms and equipment: list, or add one (admins).
    #[command(subcommand)]
    Resources(ResourceCommand),
    /// Appointment types: list, or add one (admins).
    #[command(subcommand)]
    Types(TypeCommand),
    /// Working hours: list, or set one weekday of a staff member's (admins).
    #[command(subcommand)]
    Hours(HoursCommand),
    /// Blocked time: list a day's, add, remove.
    #[command(subcommand)]
    Block(BlockCommand),
    /// The clinic's booking pattern: list, add a span, remove one (admins).
    #[command(subcommand)]
    Templates(TemplateCommand),
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    List,
    /// A weekday's span booked as one type (`--span 09:00-12:00 --type Vaccination`),
    /// with one vet or any; prints its id.
    Add {
        /// 1–7 or mon…sun.
        #[arg(long)]
        weekday: String,
        #[arg(long)]
        span: String,
        /// The appointment type, by name or id.
        #[arg(long = "type")]
        appointment_type: String,
        /// The vet's name or id (default: any vet).
        #[arg(long)]
        vet: Option<String>,
    },
    Remove {
        id: Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    List,
    /// Prints the new resource's id.
    Add {
        #[arg(long)]
        name: String,
        /// What it is: exam, surgery, x-ray, ultrasound…
        #[arg(long)]
        kind: String,
        /// room or equipment.
        #[arg(long, default_value = "room")]
        category: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TypeCommand {
    List,
    /// Prints the new type's id.
    Add {
        #[arg(long)]
        name: String,
        /// Default length in minutes.
        #[arg(long, default_value_t = 30)]
        minutes: i64,
        /// #rrggbb
        #[arg(long, default_value = "#3a7bd5")]
        colour: String,
        /// consultation, vaccination, follow_up, surgery, dental, emergency or other.
        #[arg(long, default_value = "consultation")]
        kind: String,
        /// A room or piece of equipment every appointment of the type holds, by name
        /// or id; repeat for more.
        #[arg(long = "needs")]
        needs: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HoursCommand {
    List,
    /// Replaces one weekday's spans: `--span 09:00-12:30 --span 13:30-18:00`; no span
    /// makes the day a day off every week.
    Set {
        /// The vet's (or any staff member's) name or id.
        #[arg(long)]
        vet: String,
        /// 1–7 or mon…sun.
        #[arg(long)]
        weekday: String,
        #[arg(long = "span")]
        spans: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BlockCommand {
    /// The blocks overlapping one of the clinic's days (default today).
    List {
        /// YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
    },
    /// Blocks time for a vet, a resource, or (neither given) the whole clinic;
    /// prints its id.
    Add {
        /// RFC 3339 (2026-12-24T00:00:00Z).
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// The vet's (or any staff member's) name or id.
        #[arg(long)]
        vet: Option<String>,
        /// A room or piece of equipment, by name or id.
        #[arg(long)]
        resource: Option<String>,
        /// holiday, day_off, meeting, surgery, out_of_service or other.
        #[arg(long, default_value = "other")]
        kind: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    Remove {
        id: Uuid,
    },
}

/// `mon`…`sun` or `1`…`7` (Monday is 1).
fn weekday(text: &str) -> Result<i64> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let lower = text.trim().to_lowercase();
    if let Some(i) = DAYS.iter().position(|d| lower.starts_with(d)) {
        return Ok(i64::try_from(i).unwrap_or(0) + 1);
    }
    lower
        .parse()
        .with_context(|| format!("--weekday {text:?}: 1–7 or mon…sun"))
}

/// `09:00-12:30` → its two times.
fn span(text: &str) -> Result<(String, String)> {
    match text.split_once(['-', '–']) {
        Some((s, e)) => Ok((s.trim().to_string(), e.trim().to_string())),
        None => bail!("--span {text:?}: write it as 09:00-12:30"),
    }
}

fn instant(flag: &str, text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).with_context(|| {
        format!("{flag} {text:?} is not an RFC 3339 time like 2026-12-24T09:00:00Z")
    })
}

/// A room or piece of equipment by its id or its name (any case).
pub fn resource_id(store: &mut Store, actor: &Actor, name_or_id: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(name_or_id.trim()) {
        return Ok(id);
    }
    let wanted = name_or_id.trim().to_lowercase();
    store
        .read(actor, |rx| rx.resources())?
        .into_iter()
        .find(|r| r.name.to_lowercase() == wanted)
        .map(|r| r.id)
        .with_context(|| format!("no room or equipment called {name_or_id:?}"))
}

/// An appointment type by its id or its name (any case).
pub fn type_id(store: &mut Store, actor: &Actor, name_or_id: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(name_or_id.trim()) {
        return Ok(id);
    }
    let wanted = name_or_id.trim().to_lowercase();
    store
        .read(actor, |rx| rx.appointment_types())?
        .into_iter()
        .find(|t| t.input.name.to_lowercase() == wanted)
        .map(|t| t.id)
        .with_context(|| format!("no appointment type called {name_or_id:?}"))
}

pub fn schedule(data_dir: &Path, who: &SignIn, command: ScheduleCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        ScheduleCommand::Resources(ResourceCommand::List) => {
            for r in store.read(&actor, |rx| rx.resources())? {
                println!("{}  {:<10} {:<24} {}", r.id, r.category, r.name, r.kind);
            }
        }
        ScheduleCommand::Resources(ResourceCommand::Add {
            name,
            kind,
            category,
        }) => {
            let id = store.transact(&actor, |tx| tx.add_resource(&name, &kind, &category))?;
            println!("{id}");
        }
        ScheduleCommand::Types(TypeCommand::List) => {
            let names: std::collections::HashMap<Uuid, String> = store
                .read(&actor, |rx| rx.resources())?
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect();
            for t in store.read(&actor, |rx| rx.appointment_types())? {
                let needs: Vec<&str> = t
                    .input
                    .resources
                    .iter()
                    .map(|r| names.get(r).map_or("?", String::as_str))
                    .collect();
                println!(
                    "{}  {:<24} {:>4} min  {}  {:<12} {}",
                    t.id,
                    t.input.name,
                    t.input.minutes,
                    t.input.colour,
                    t.input.kind,
                    needs.join(", ")
                );
            }
        }
        ScheduleCommand::Types(TypeCommand::Add {
            name,
            minutes,
            colour,
            kind,
            needs,
        }) => {
            let resources = needs
                .iter()
                .map(|n| resource_id(&mut store, &actor, n))
                .collect::<Result<Vec<_>>>()?;
            let input = AppointmentTypeInput {
                name,
                minutes,
                colour,
                kind,
                resources,
            };
            println!(
                "{}",
                store.transact(&actor, |tx| tx.add_appointment_type(&input))?
            );
        }
        ScheduleCommand::Hours(HoursCommand::List) => {
            let names: std::collections::HashMap<Uuid, String> = store
                .read(&actor, |rx| rx.staff())?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
            for w in store.read(&actor, |rx| rx.work_hours())? {
                println!(
                    "{:<24} {}  {}–{}",
                    names.get(&w.staff_id).map_or("?", String::as_str),
                    w.weekday,
                    w.starts,
                    w.ends
                );
            }
        }
        ScheduleCommand::Hours(HoursCommand::Set {
            vet,
            weekday: day,
            spans,
        }) => {
            let staff = staff_id(&mut store, &actor, &vet)?;
            let day = weekday(&day)?;
            let spans = spans.iter().map(|s| span(s)).collect::<Result<Vec<_>>>()?;
            store.transact(&actor, |tx| tx.set_work_hours(staff, day, &spans))?;
        }
        ScheduleCommand::Block(BlockCommand::List { date }) => {
            let chosen = date
                .map(|d| vetdesk_core::validate::date("--date", &d, time::Date::MAX, false))
                .transpose()?;
            let (_, from, to) = crate::records::clinic_day(&mut store, &actor, chosen)?;
            for b in store.read(&actor, |rx| rx.blocks_between(from, to))? {
                let at = |ms: i64| {
                    OffsetDateTime::from_unix_timestamp(ms / 1000)
                        .ok()
                        .and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_default()
                };
                let whose = match (b.staff_id, b.resource_id) {
                    (Some(s), _) => format!("staff {s}"),
                    (None, Some(r)) => format!("resource {r}"),
                    (None, None) => "the whole clinic".into(),
                };
                println!(
                    "{}  {} – {}  {:<14} {}  {}",
                    b.id,
                    at(b.starts_at_ms),
                    at(b.ends_at_ms),
                    b.kind,
                    whose,
                    b.reason
                );
            }
        }
        ScheduleCommand::Block(BlockCommand::Add {
            from,
            to,
            vet,
            resource,
            kind,
            reason,
        }) => {
            let input = BlockInput {
                staff_id: vet.map(|s| staff_id(&mut store, &actor, &s)).transpose()?,
                resource_id: resource
                    .map(|r| resource_id(&mut store, &actor, &r))
                    .transpose()?,
                starts_at: instant("--from", &from)?,
                ends_at: instant("--to", &to)?,
                kind,
                reason,
            };
            println!("{}", store.transact(&actor, |tx| tx.add_block(&input))?);
        }
        ScheduleCommand::Block(BlockCommand::Remove { id }) => {
            store.transact(&actor, |tx| tx.remove_block(id))?;
        }
        ScheduleCommand::Templates(TemplateCommand::List) => {
            let types: std::collections::HashMap<Uuid, String> = store
                .read(&actor, |rx| rx.appointment_types())?
                .into_iter()
                .map(|t| (t.id, t.input.name))
                .collect();
            for t in store.read(&actor, |rx| rx.slot_templates())? {
                println!(
                    "{}  {}  {}–{}  {:<20} {}",
                    t.id,
                    t.weekday,
                    t.starts,
                    t.ends,
                    types.get(&t.type_id).map_or("?", String::as_str),
                    t.staff_id
                        .map_or_else(|| "any vet".to_string(), |s| s.to_string())
                );
            }
        }
        ScheduleCommand::Templates(TemplateCommand::Add {
            weekday: day,
            span: text,
            appointment_type,
            vet,
        }) => {
            let day = weekday(&day)?;
            let (starts, ends) = span(&text)?;
            let type_id = type_id(&mut store, &actor, &appointment_type)?;
            let staff = vet.map(|v| staff_id(&mut store, &actor, &v)).transpose()?;
            let id = store.transact(&actor, |tx| {
                tx.add_slot_template(day, &starts, &ends, type_id, staff)
            })?;
            println!("{id}");
        }
        ScheduleCommand::Templates(TemplateCommand::Remove { id }) => {
            store.transact(&actor, |tx| tx.remove_slot_template(id))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_and_spans_are_read_as_typed() -> Result<()> {
        assert_eq!(weekday("mon")?, 1);
        assert_eq!(weekday("Sunday")?, 7);
        assert_eq!(weekday("3")?, 3);
        assert!(weekday("someday").is_err());
        assert_eq!(span("09:00-12:30")?, ("09:00".into(), "12:30".into()));
        assert_eq!(span("13:30 – 18:00")?, ("13:30".into(), "18:00".into()));
        assert!(span("all day").is_err());
        Ok(())
    }
}
