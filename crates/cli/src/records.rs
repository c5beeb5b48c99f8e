//! The clinic's records from the command line: staff, clients, patients, appointments,
//! encounters, search, export, import, audit, and the demo clinic. Each command signs
//! in as a staff member (`--as NAME` / `VETDESK_STAFF`, PIN from `VETDESK_PIN` or a
//! prompt) so core checks the same roles it checks in the app.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use vetdesk_core::services::clients::{ClientInput, PatientInput};
use vetdesk_core::services::encounters::{Resolution, SoapInput};
use vetdesk_core::services::schedule::{BookingInput, Status};
use vetdesk_core::{Actor, Role, Roles, Store};

use crate::passphrase;

/// Who is acting: every records command signs in first.
#[derive(Debug, Clone, Args)]
pub struct SignIn {
    /// The staff member acting (name or id); the PIN comes from VETDESK_PIN or a prompt.
    #[arg(long = "as", global = true, env = "VETDESK_STAFF")]
    pub staff: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member (admins; the first one added to a new clinic becomes its admin).
    Add {
        #[arg(long)]
        name: String,
        /// admin, vet, nurse or front_desk; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// List staff and their roles.
    List,
    /// Replace a staff member's roles (admins).
    Roles {
        /// Name or id.
        who: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Stop a staff member from signing in (admins); their records stay.
    Deactivate {
        /// Name or id.
        who: String,
    },
    /// Add a room (admins).
    AddRoom {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "exam")]
        kind: String,
    },
}

#[derive(Debug, Args)]
pub struct ClientFields {
    #[arg(long)]
    first: Option<String>,
    #[arg(long)]
    last: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    #[arg(long)]
    consent_email: Option<bool>,
    #[arg(long)]
    consent_sms: Option<bool>,
    #[arg(long)]
    consent_recording: Option<bool>,
}

impl ClientFields {
    fn apply_to(self, mut c: ClientInput) -> ClientInput {
        c.first_name = self.first.unwrap_or(c.first_name);
        c.last_name = self.last.unwrap_or(c.last_name);
        c.phone = self.phone.or(c.phone);
        c.email = self.email.or(c.email);
        c.address = self.address.or(c.address);
        c.notes = self.notes.or(c.notes);
        c.consent_email = self.consent_email.unwrap_or(c.consent_email);
        c.consent_sms = self.consent_sms.unwrap_or(c.consent_sms);
        c.consent_recording = self.consent_recording.unwrap_or(c.consent_recording);
        c
    }
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints the new id.
    Add(ClientFields),
    /// Change a client's details (only the flags given).
    Edit {
        id: Uuid,
        #[command(flatten)]
        fields: ClientFields,
    },
    /// Show a client and their patients as JSON.
    Show { id: Uuid },
    /// Remove a client (not the only owner of a patient).
    Delete { id: Uuid },
}

#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Register a patient with one or more owners; prints the new id.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        species: String,
        /// Client id of an owner; repeat for several (the first is the primary owner).
        #[arg(long = "owner", required = true)]
        owners: Vec<Uuid>,
        #[arg(long)]
        breed: Option<String>,
        #[arg(long, default_value = "unknown")]
        sex: String,
        #[arg(long)]
        neutered: bool,
        /// YYYY-MM-DD
        #[arg(long)]
        dob: Option<String>,
        #[arg(long)]
        microchip: Option<String>,
        #[arg(long)]
        allergies: Option<String>,
        #[arg(long)]
        alerts: Option<String>,
    },
    /// Show a patient, owners, weights and encounter timeline as JSON.
    Show { id: Uuid },
    /// Record a weight in kilograms.
    Weight { id: Uuid, kg: f64 },
    /// Number every patient that has no number yet (admins; patients from before
    /// numbers); prints how many.
    NumberAll,
}

#[derive(Debug, Subcommand)]
pub enum AppointmentCommand {
    /// Book an appointment; refused over a clash unless --force (audited).
    Book {
        #[arg(long)]
        patient: Uuid,
        #[arg(long)]
        client: Uuid,
        /// The vet's name or id.
        #[arg(long)]
        vet: String,
        #[arg(long)]
        room: Option<Uuid>,
        /// Start, RFC 3339 (2026-11-23T09:30:00Z).
        #[arg(long)]
        start: String,
        #[arg(long, default_value_t = 30)]
        minutes: i64,
        #[arg(long, default_value = "consultation")]
        kind: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        force: bool,
        /// The clinic's appointment type, by name or id: its kind and the rooms and
        /// equipment it holds (see `schedule types`).
        #[arg(long = "type")]
        appointment_type: Option<String>,
        /// Repeat every this many weeks (with --count).
        #[arg(long, requires = "count")]
        every_weeks: Option<i64>,
        /// How many appointments in the series, this one included.
        #[arg(long, requires = "every_weeks")]
        count: Option<i64>,
    },
    /// List a day's appointments (default today, UTC).
    List {
        /// YYYY-MM-DD
        #[arg(long)]
        date: Option<String>,
    },
    /// Move an appointment along: checked_in, in_exam, done, no_show, cancelled.
    Status { id: Uuid, status: String },
}

#[derive(Debug, Subcommand)]
pub enum EncounterCommand {
    /// Open a draft encounter for a patient; prints its id.
    Start {
        #[arg(long)]
        patient: Uuid,
        #[arg(long)]
        appointment: Option<Uuid>,
    },
    /// Set SOAP sections of a draft (only the ones given change).
    Soap {
        id: Uuid,
        #[arg(long)]
        subjective: Option<String>,
        #[arg(long)]
        objective: Option<String>,
        #[arg(long)]
        assessment: Option<String>,
        #[arg(long)]
        plan: Option<String>,
    },
    /// Sign (vets): freezes the text; prints the content hash.
    Sign { id: Uuid },
    /// Add an addendum to a signed encounter.
    Addendum { id: Uuid, text: String },
    /// Show an encounter as JSON (clinical roles).
    Show { id: Uuid },
    /// Write the visit summary with discharge instructions for the owner (PDF).
    Summary {
        id: Uuid,
        #[arg(short, long)]
        output: std::path::PathBuf,
        /// What the owner does at home.
        #[arg(long)]
        discharge: String,
    },
    /// Write one of the patient's prescriptions as a PDF.
    Prescription {
        /// The prescription's id (see `encounter show`).
        id: Uuid,
        /// The encounter it was written in.
        #[arg(long)]
        encounter: Uuid,
        #[arg(short, long)]
        output: std::path::PathBuf,
    },
    /// List unresolved conflicts of clinical text.
    Conflicts,
    /// Resolve a conflict: keep-visible, take-other or make-addendum.
    Resolve {
        row: Uuid,
        column: String,
        loser_hlc: String,
        #[arg(value_enum)]
        how: ResolutionChoice,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ResolutionChoice {
    KeepVisible,
    TakeOther,
    MakeAddendum,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every device's hash chain; exits 1 if broken.
    Verify,
    /// Show the latest events (admins).
    Log {
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
}

/// Opens the store of `data_dir`.
/// The clinic's day `chosen` (today where none is given) and its first and next
/// day's first moments, in the clinic's time zone — one day for every device, the CLI
/// and the app alike.
pub fn clinic_day(
    store: &mut Store,
    actor: &Actor,
    chosen: Option<time::Date>,
) -> Result<(time::Date, OffsetDateTime, OffsetDateTime)> {
    let settings = store.read(actor, |rx| rx.clinic_settings())?;
    let date = chosen.unwrap_or_else(|| settings.today(store.now()));
    let (from, to) = settings.day_bounds(date)?;
    Ok((date, from, to))
}

pub fn open(data_dir: &Path) -> Result<Store> {
    Ok(Store::open(data_dir, &passphrase::unlock_for(data_dir)?)?)
}

/// Signs in as the staff member named by `--as` / `VETDESK_STAFF`.
pub fn sign_in(store: &mut Store, sign_in: &SignIn) -> Result<Actor> {
    let Some(who) = sign_in.staff.as_deref() else {
        if !store.has_staff()? {
            bail!(
                "this clinic has no staff yet: add its first admin with `vetdesk staff add --name NAME --role admin`"
            );
        }
        bail!("say who is acting: --as NAME (or VETDESK_STAFF), with the PIN in VETDESK_PIN");
    };
    let pin = pin_for(who)?;
    Ok(store.sign_in(who, &pin)?)
}

fn pin_for(who: &str) -> Result<String> {
    if let Ok(pin) = std::env::var("VETDESK_PIN") {
        return Ok(pin);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no PIN: set VETDESK_PIN or run at a terminal");
    }
    Ok(rpassword::prompt_password(format!("PIN for {who}: "))?)
}

pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn staff(data_dir: &Path, who: &SignIn, command: StaffCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    match command {
        StaffCommand::Add { name, roles } => {
            let parsed = parse_roles(&roles)?;
            if !store.has_staff()? {
                let pin = pin_for(&name)?;
                let actor = store.bootstrap_owner(&name, parsed, &pin)?;
                println!("{}", actor.staff_id);
                eprintln!(
                    "{} is the clinic's first staff member and its admin ({}).",
                    actor.name,
                    actor.roles.to_stored()
                );
                return Ok(());
            }
            let actor = sign_in(&mut store, who)?;
            let pin = std::env::var("VETDESK_NEW_PIN")
                .context("set the new member's PIN in VETDESK_NEW_PIN")?;
            crate::auth::confirm_for_admin_act(&mut store, &actor)?;
            let id = store.transact(&actor, |tx| tx.add_staff(&name, Roles::new(parsed), &pin))?;
            println!("{id}");
        }
        StaffCommand::List => {
            let actor = sign_in(&mut store, who)?;
            for member in store.read(&actor, |rx| rx.staff())? {
                println!(
                    "{}  {:<28} {}{}",
                    member.id,
                    member.name,
                    member.roles.to_stored(),
                    if member.active { "" } else { "  (inactive)" }
                );
            }
        }
        StaffCommand::Roles { who: member, roles } => {
            let actor = sign_in(&mut store, who)?;
            let id = staff_id(&mut store, &actor, &member)?;
            let roles = Roles::new(parse_roles(&roles)?);
            crate::auth::confirm_for_admin_act(&mut store, &actor)?;
            store.transact(&actor, |tx| tx.set_staff_roles(id, roles))?;
        }
        StaffCommand::Deactivate { who: member } => {
            let actor = sign_in(&mut store, who)?;
            let id = staff_id(&mut store, &actor, &member)?;
            crate::auth::confirm_for_admin_act(&mut store, &actor)?;
            store.transact(&actor, |tx| tx.deactivate_staff(id))?;
        }
        StaffCommand::AddRoom { name, kind } => {
            let actor = sign_in(&mut store, who)?;
            println!(
                "{}",
                store.transact(&actor, |tx| tx.add_room(&name, &kind))?
            );
        }
    }
    Ok(())
}

fn parse_roles(roles: &[String]) -> Result<Vec<Role>> {
    roles
        .iter()
        .map(|r| {
            Role::parse(r)
                .with_context(|| format!("unknown role {r:?}: use admin, vet, nurse or front_desk"))
        })
        .collect()
}

pub fn client(data_dir: &Path, who: &SignIn, command: ClientCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        ClientCommand::Add(fields) => {
            let input = fields.apply_to(ClientInput::default());
            println!("{}", store.transact(&actor, |tx| tx.create_client(&input))?);
        }
        ClientCommand::Edit { id, fields } => {
            let input = fields.apply_to(store.read(&actor, |rx| rx.client(id))?.fields);
            store.transact(&actor, |tx| tx.update_client(id, &input))?;
        }
        ClientCommand::Show { id } => {
            let (client, patients) =
                store.read(&actor, |rx| Ok((rx.client(id)?, rx.patients_of(id)?)))?;
            print_json(&serde_json::json!({ "client": client, "patients": patients }))?;
        }
        ClientCommand::Delete { id } => store.transact(&actor, |tx| tx.delete_client(id))?,
    }
    Ok(())
}

pub fn patient(data_dir: &Path, who: &SignIn, command: PatientCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        PatientCommand::Add {
            name,
            species,
            owners,
            breed,
            sex,
            neutered,
            dob,
            microchip,
            allergies,
            alerts,
        } => {
            let input = PatientInput {
                name,
                species,
                breed,
                sex,
                neutered,
                date_of_birth: dob,
                microchip,
                allergies,
                alerts,
                ..Default::default()
            };
            println!(
                "{}",
                store.transact(&actor, |tx| tx.create_patient(&input, &owners))?
            );
        }
        PatientCommand::Show { id } => {
            let (patient, weights, timeline) = store.read(&actor, |rx| {
                Ok((rx.patient(id)?, rx.weights(id)?, rx.encounter_timeline(id)?))
            })?;
            print_json(
                &serde_json::json!({ "patient": patient, "weights": weights, "encounters": timeline }),
            )?;
        }
        PatientCommand::Weight { id, kg } => {
            store.transact(&actor, |tx| tx.record_weight(id, kg, None))?;
        }
        PatientCommand::NumberAll => {
            println!("{}", store.transact(&actor, |tx| tx.number_all_patients())?);
        }
    }
    Ok(())
}

pub fn staff_id(store: &mut Store, actor: &Actor, name_or_id: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(name_or_id) {
        return Ok(id);
    }
    store
        .read(actor, |rx| rx.staff())?
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case(name_or_id.trim()))
        .map(|s| s.id)
        .with_context(|| format!("no staff member called {name_or_id:?}"))
}

pub fn appointment(data_dir: &Path, who: &SignIn, command: AppointmentCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        AppointmentCommand::Book {
            patient,
            client,
            vet,
            room,
            start,
            minutes,
            kind,
            reason,
            force,
            appointment_type,
            every_weeks,
            count,
        } => {
            let type_id = appointment_type
                .map(|t| crate::schedule::type_id(&mut store, &actor, &t))
                .transpose()?;
            let starts_at = OffsetDateTime::parse(&start, &Rfc3339).with_context(|| {
                format!("--start {start:?} is not an RFC 3339 time like 2026-11-23T09:30:00Z")
            })?;
            let input = BookingInput {
                patient_id: patient,
                client_id: client,
                vet_id: staff_id(&mut store, &actor, &vet)?,
                room_id: room,
                starts_at,
                ends_at: starts_at + time::Duration::minutes(minutes),
                kind,
                reason,
                force,
                type_id,
            };
            match (every_weeks, count) {
                (Some(every), Some(count)) => {
                    for id in store.transact(&actor, |tx| tx.book_series(&input, every, count))? {
                        println!("{id}");
                    }
                }
                _ => println!("{}", store.transact(&actor, |tx| tx.book(&input))?),
            }
        }
        AppointmentCommand::List { date } => {
            let chosen = date
                .map(|d| vetdesk_core::validate::date("--date", &d, time::Date::MAX, false))
                .transpose()?;
            let (_, from, to) = clinic_day(&mut store, &actor, chosen)?;
            let names: std::collections::HashMap<Uuid, String> = store
                .read(&actor, |rx| rx.staff())?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
            for a in store.read(&actor, |rx| rx.appointments_between(from, to))? {
                let at = OffsetDateTime::from_unix_timestamp(a.starts_at_ms / 1000)?;
                println!(
                    "{:02}:{:02}  {:<10} {:<12} {:<20} {:<24} {}  {}",
                    at.hour(),
                    at.minute(),
                    a.status.as_str(),
                    a.patient_name,
                    a.client_name,
                    names.get(&a.vet_id).map_or("?", String::as_str),
                    a.kind,
                    a.id
                );
            }
            for clash in store.read(&actor, |rx| rx.booking_clashes(from, to))? {
                println!(
                    "CLASH: the {} is double-booked{}: {} and {}",
                    clash.resource,
                    if clash.forced { " (on purpose)" } else { "" },
                    clash.first,
                    clash.second
                );
            }
        }
        AppointmentCommand::Status { id, status } => {
            let next = Status::parse(&status).with_context(|| {
                format!("unknown status {status:?}: use checked_in, in_exam, done, no_show, cancelled or booked")
            })?;
            store.transact(&actor, |tx| tx.set_appointment_status(id, next))?;
        }
    }
    Ok(())
}

pub fn encounter(data_dir: &Path, who: &SignIn, command: EncounterCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        EncounterCommand::Start {
            patient,
            appointment,
        } => {
            println!(
                "{}",
                store.transact(&actor, |tx| tx.start_encounter(patient, appointment))?
            );
        }
        EncounterCommand::Soap {
            id,
            subjective,
            objective,
            assessment,
            plan,
        } => {
            let current = store.read(&actor, |rx| rx.encounter(id))?.soap;
            let soap = SoapInput {
                subjective: subjective.or(current.subjective),
                objective: objective.or(current.objective),
                assessment: assessment.or(current.assessment),
                plan: plan.or(current.plan),
            };
            store.transact(&actor, |tx| tx.update_soap(id, &soap))?;
        }
        EncounterCommand::Sign { id } => {
            println!("{}", store.transact(&actor, |tx| tx.sign_encounter(id))?)
        }
        EncounterCommand::Addendum { id, text } => {
            println!(
                "{}",
                store.transact(&actor, |tx| tx.add_addendum(id, &text))?
            );
        }
        EncounterCommand::Show { id } => print_json(&store.read(&actor, |rx| rx.encounter(id))?)?,
        EncounterCommand::Summary {
            id,
            output,
            discharge,
        } => {
            let discharge = vetdesk_core::validate::text("--discharge", &discharge, 4000, true)?;
            let encounter = store.read(&actor, |rx| rx.encounter(id))?;
            let about: vetdesk_documents::About =
                store.read(&actor, |rx| rx.document_parties(id))?.into();
            let prescriptions: Vec<_> = store
                .read(&actor, |rx| rx.prescriptions(encounter.patient_id))?
                .into_iter()
                .filter(|p| p.fields.encounter_id == id)
                .collect();
            let pdf = vetdesk_documents::visit_summary(
                &vetdesk_documents::Letterhead::of(&mut store, &actor)?,
                &about,
                &encounter,
                &prescriptions,
                &discharge,
            )?;
            write_document(&output, &pdf)?;
        }
        EncounterCommand::Prescription {
            id,
            encounter,
            output,
        } => {
            let visit = store.read(&actor, |rx| rx.encounter(encounter))?;
            let rx = store
                .read(&actor, |rx| rx.prescriptions(visit.patient_id))?
                .into_iter()
                .find(|p| p.id == id)
                .with_context(|| format!("no prescription {id} for this encounter's patient"))?;
            let mut about: vetdesk_documents::About = store
                .read(&actor, |rx| rx.document_parties(encounter))?
                .into();
            if let Ok(prescriber) = uuid::Uuid::parse_str(&rx.prescriber_id)
                && let Some(s) = store
                    .read(&actor, |rx| rx.staff())?
                    .into_iter()
                    .find(|s| s.id == prescriber)
            {
                about.vet = s.name;
            }
            let pdf = vetdesk_documents::prescription(
                &vetdesk_documents::Letterhead::of(&mut store, &actor)?,
                &about,
                &rx,
            )?;
            write_document(&output, &pdf)?;
        }
        EncounterCommand::Conflicts => print_json(&store.read(&actor, |rx| rx.conflicts(None))?)?,
        EncounterCommand::Resolve {
            row,
            column,
            loser_hlc,
            how,
        } => {
            let conflict = store
                .read(&actor, |rx| rx.conflicts(Some(row)))?
                .into_iter()
                .find(|c| c.column == column && c.loser_hlc == loser_hlc)
                .context("no such unresolved conflict (see `vetdesk encounter conflicts`)")?;
            let how = match how {
                ResolutionChoice::KeepVisible => Resolution::KeepVisible,
                ResolutionChoice::TakeOther => Resolution::TakeOther,
                ResolutionChoice::MakeAddendum => Resolution::MakeAddendum,
            };
            store.transact(&actor, |tx| tx.resolve_conflict(&conflict, how))?;
        }
    }
    Ok(())
}

pub fn search(data_dir: &Path, who: &SignIn, text: &str, limit: usize) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    for hit in store.read(&actor, |rx| rx.search(text, limit))? {
        let kind = match hit.kind {
            vetdesk_core::search::HitKind::Client => "client",
            vetdesk_core::search::HitKind::Patient => "patient",
        };
        println!("{kind:<8} {}  {:<28} {}", hit.id, hit.title, hit.detail);
    }
    Ok(())
}

pub fn export(
    data_dir: &Path,
    who: &SignIn,
    _format: ExportFormat,
    output: Option<PathBuf>,
) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match output {
        Some(path) => {
            // Written beside the target and renamed, so a failed export leaves no half file.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut file = tempfile::NamedTempFile::new_in(dir)?;
            {
                let mut writer = std::io::BufWriter::new(file.as_file_mut());
                store.export_json(&actor, &mut writer)?;
                writer.flush()?;
            }
            file.as_file().sync_all()?;
            file.persist(&path).map_err(|e| e.error)?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = std::io::BufWriter::new(stdout.lock());
            store.export_json(&actor, &mut writer)?;
            writer.flush()?;
        }
    }
    Ok(())
}

pub fn import(data_dir: &Path, who: &SignIn, file: &Path) -> Result<bool> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = store.import_clients_csv(
        &actor,
        std::io::BufReader::new(reader),
        &mut |done, total| {
            eprint!("\rimporting: {done}/{total} rows");
        },
    )?;
    eprintln!();
    for rejected in &report.rejected {
        println!("line {}: {}", rejected.line, rejected.reason);
    }
    println!(
        "{} rows: {} clients and {} patients imported, {} rows rejected",
        report.rows,
        report.clients_created,
        report.patients_created,
        report.rejected.len()
    );
    Ok(report.rejected.is_empty())
}

pub fn audit(data_dir: &Path, who: &SignIn, command: AuditCommand) -> Result<bool> {
    let mut store = open(data_dir)?;
    match command {
        AuditCommand::Verify => {
            let result = store.verify_audit()?;
            for problem in &result.problems {
                println!(
                    "BROKEN device {} event {} ({}): {}",
                    problem.device_id, problem.chain_index, problem.event_id, problem.problem
                );
            }
            println!(
                "{} events from {} devices: {}",
                result.events,
                result.devices,
                if result.is_intact() {
                    "chain intact, signed by its devices"
                } else {
                    "chain BROKEN"
                }
            );
            if result.signer_unchecked > 0 {
                println!(
                    "{} events from before chain signatures: checked by their hashes only",
                    result.signer_unchecked
                );
            }
            Ok(result.is_intact())
        }
        AuditCommand::Log { action, limit } => {
            let actor = sign_in(&mut store, who)?;
            for e in store.read(&actor, |rx| rx.audit_log(action.as_deref(), limit))? {
                println!(
                    "{}  {:<28} {:<10} {} {}  {}",
                    e.at, e.action, e.entity, e.entity_id, e.actor_id, e.detail
                );
            }
            Ok(true)
        }
    }
}

pub fn demo(
    data_dir: &Path,
    clients: u32,
    seed: u64,
    clinic: &str,
    key_store: crate::KeyStoreChoice,
) -> Result<()> {
    let mut store = if data_dir.join(vetdesk_core::DB_FILE_NAME).exists() {
        open(data_dir)?
    } else {
        crate::create_store(data_dir, clinic, key_store)?
    };
    let started = std::time::Instant::now();
    let options = vetdesk_core::demo::DemoOptions {
        clients,
        seed,
        ..Default::default()
    };
    let summary = vetdesk_core::demo::generate(&mut store, options, &mut |done, total| {
        if done % 25 == 0 || done == total {
            eprint!("\rgenerating the demo clinic: {done}/{total} clients");
        }
    })?;
    eprintln!();
    println!(
        "{} clients, {} patients, {} appointments, {} signed encounters, {} prescriptions in {:.1} s",
        summary.clients,
        summary.patients,
        summary.appointments,
        summary.encounters,
        summary.prescriptions,
        started.elapsed().as_secs_f64()
    );
    println!(
        "staff (PIN {} for everyone, demo only):",
        vetdesk_core::demo::DEMO_PIN
    );
    for member in &summary.staff {
        println!("  {member}");
    }
    Ok(())
}

fn write_document(path: &Path, pdf: &[u8]) -> Result<()> {
    std::fs::write(path, pdf).with_context(|| format!("write {}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}
