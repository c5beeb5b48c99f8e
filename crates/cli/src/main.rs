//! `vetdesk`: the command line for setting up, checking and scripting a Vetdesk device.
//!
//! Subcommand names and flags are a contract that scripts and tests rely on: every
//! subcommand takes the global `--data-dir` (or `VETDESK_DATA_DIR`); where the store is
//! passphrase-protected, the passphrase comes from `VETDESK_PASSPHRASE` or a prompt.
//!
//! ## The commands
//!
//! clap. `init --clinic NAME [--key-store auto|keyring|passphrase]`, `status`,
//! `doctor [--server URL]`, `clinic show [--json] | clinic set [--legal-name] [--address]
//! [--vat-number] [--currency ISO] [--time-zone TZ] [--language] …` (`clinic.rs`); global `--data-dir` / `VETDESK_DATA_DIR`; passphrase from
//! `VETDESK_PASSPHRASE` or a no-echo prompt. `doctor` checks packages, keyring, audio input,
//! Whisper model, data directory and sync server and prints a fix for each problem; it exits
//! non-zero on a failure (not on a warning). `catalog add|list`, `stock list|receive|count|alerts`,
//! `invoice new|add|finalize|pay|list|show|pdf [--labels]`, `register close [-o Z.pdf]`,
//! `report revenue|stock|expiring|reorder|controlled --format table|csv` (`billing.rs`;
//! days are the clinic's days, in its time zone); `encounter summary ID -o FILE --discharge TEXT` and
//! `encounter prescription RX --encounter ID -o FILE` print the clinical documents.

mod auth;
mod billing;
mod clinic;
mod doctor;
mod drafts;
mod orders;
mod passphrase;
mod records;
mod sale;
mod schedule;
#[cfg(feature = "scribe")]
mod scribe;
mod sync;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use vetdesk_core::{KeyProtection, Store};

#[derive(Debug, Parser)]
#[command(
    name = "vetdesk",
    version,
    about = "Vetdesk: offline-first clinic software for veterinary practices"
)]
struct Cli {
    /// The clinic's data directory [default: $XDG_DATA_HOME/vetdesk].
    #[arg(long, global = true, env = "VETDESK_DATA_DIR")]
    data_dir: Option<PathBuf>,

    #[command(flatten)]
    sign_in: records::SignIn,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an encrypted store for a new clinic in the data directory.
    Init {
        /// The clinic's name, as staff and clients know it.
        #[arg(long)]
        clinic: String,
        /// Where to keep the store's key: the OS keyring, a passphrase, or the keyring
        /// when one works and a passphrase otherwise.
        #[arg(long, value_enum, default_value_t = KeyStoreChoice::Auto)]
        key_store: KeyStoreChoice,
    },
    /// Show the clinic and store of the data directory.
    Status,
    /// Check this machine: packages, keyring, audio input, Whisper model, data
    /// directory and sync server, with what to do about each failure.
    Doctor {
        /// Sync server to check, e.g. http://127.0.0.1:8787.
        #[arg(long, env = "VETDESK_SYNC_URL")]
        server: Option<String>,
    },
    /// Fill the data directory with a synthetic demo clinic (made if missing):
    /// deterministic for a seed and a day.
    Demo {
        #[arg(long, default_value_t = 200)]
        clients: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The clinic's name, when the store is made here.
        #[arg(long, default_value = "Demo Veterinary Clinic")]
        clinic: String,
        #[arg(long, value_enum, default_value_t = KeyStoreChoice::Auto)]
        key_store: KeyStoreChoice,
    },
    /// The clinic's settings: name and address on documents, VAT number, currency,
    /// language, time zone.
    #[command(subcommand)]
    Clinic(clinic::ClinicCommand),
    /// Staff and rooms.
    #[command(subcommand)]
    Staff(records::StaffCommand),
    /// Clients (owners).
    #[command(subcommand)]
    Client(records::ClientCommand),
    /// Patients (animals).
    #[command(subcommand)]
    Patient(records::PatientCommand),
    /// Appointments.
    #[command(subcommand)]
    Appt(records::AppointmentCommand),
    /// Setting the diary up: rooms and equipment, appointment types, working hours,
    /// blocked time.
    #[command(subcommand)]
    Schedule(schedule::ScheduleCommand),
    /// Encounters: SOAP notes, signing, addenda, conflicts.
    #[command(subcommand)]
    Encounter(records::EncounterCommand),
    /// Search clients and patients as the front desk does.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Write the whole clinic as canonical, sorted JSON (admins).
    Export {
        #[arg(long, value_enum, default_value_t = records::ExportFormat::Json)]
        format: records::ExportFormat,
        /// File to write (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Import clients and patients from a CSV file; bad rows are reported by line.
    Import { file: PathBuf },
    /// Products, services and drugs with their prices (add: admins).
    #[command(subcommand)]
    Catalog(billing::CatalogCommand),
    /// Purchase orders: new, from the reorder list, place, receive deliveries, list.
    #[command(subcommand)]
    Order(orders::OrderCommand),
    /// Stock: list, receive, count, alerts.
    #[command(subcommand)]
    Stock(billing::StockCommand),
    /// Estimates and invoices: new, add, finalize, pay, list, show, pdf.
    #[command(subcommand)]
    Invoice(billing::InvoiceCommand),
    /// Estimates a client accepts.
    #[command(subcommand)]
    Estimate(billing::EstimateCommand),
    /// A counter sale: items by SKU or barcode, paid now (split across methods);
    /// prints its number.
    Sale(sale::SaleArgs),
    /// This workstation's register: close the day (Z report).
    #[command(subcommand)]
    Register(billing::RegisterCommand),
    /// Reports: revenue, stock valuation, expiring lots, reorder list, controlled drugs.
    #[command(subcommand)]
    Report(billing::ReportCommand),
    /// The audit log: verify its hash chains, or read it.
    #[command(subcommand)]
    Audit(records::AuditCommand),
    /// Your second factor for admin acts: enroll an authenticator app, confirm, reset
    /// someone's (admins).
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// The clinic's devices: invite (a one-time code), list, approve, revoke.
    #[command(subcommand)]
    Devices(sync::DevicesCommand),
    /// Enroll this new device into a clinic with a code from one of its devices.
    Enroll {
        #[arg(long, env = "VETDESK_SYNC_URL")]
        server: String,
        #[arg(long)]
        code: String,
        /// What staff call this device ("Exam room 2").
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = KeyStoreChoice::Auto)]
        key_store: KeyStoreChoice,
        /// Allow plain http:// to an IP address on the clinic's own network (its
        /// traffic is then readable there); https:// needs no flag.
        #[arg(long)]
        allow_lan_http: bool,
        /// The clinic's own certificate authority (PEM), for a server whose
        /// certificate no public CA signed.
        #[arg(long)]
        ca_cert: Option<std::path::PathBuf>,
    },
    /// Sync with the clinic's other devices: one round, or `setup` / `status`.
    Sync {
        #[command(subcommand)]
        command: Option<sync::SyncCommand>,
        /// Keep syncing (every 10 s, backing off while offline) until stopped.
        #[arg(long)]
        watch: bool,
    },
    /// Whisper models for the scribe: list, install, import-ct2, verify.
    #[cfg(feature = "scribe")]
    #[command(subcommand)]
    Models(scribe::ModelsCommand),
    /// Review the scribe's drafts: list, approve, edit, reject, approve-all.
    #[command(subcommand)]
    Drafts(drafts::DraftsCommand),
    /// Exam-room recordings: list an encounter's, or destroy those past retention.
    #[cfg(feature = "scribe")]
    #[command(subcommand)]
    Recordings(scribe::RecordingsCommand),
    /// Record from the microphone into a 16 kHz mono WAV, showing the input level.
    #[cfg(feature = "scribe")]
    Record {
        /// How long, counted from the first audio the device delivers.
        #[arg(long)]
        seconds: f64,
        /// A WAV file to write (without --encounter).
        #[arg(long, required_unless_present = "encounter")]
        out: Option<PathBuf>,
        /// Record for this encounter instead: encrypted as it is captured into the data
        /// directory, with the client's consent (or --override-reason). Prints the
        /// recording's id.
        #[arg(long, conflicts_with = "out")]
        encounter: Option<uuid::Uuid>,
        /// Why this visit is recorded without the client's recorded consent (audited).
        #[arg(long, requires = "encounter")]
        override_reason: Option<String>,
        /// Days before the audio is destroyed (the approved note stays).
        #[arg(long, default_value_t = vetdesk_core::services::recordings::DEFAULT_RETENTION_DAYS)]
        retention_days: i64,
        /// Show a live transcript while recording (each utterance as it ends).
        #[arg(long)]
        live: bool,
        /// The model for --live [default: tiny.en].
        #[arg(long, requires = "live")]
        model: Option<String>,
        /// An input device by name [default: the default input].
        #[arg(long)]
        device: Option<String>,
    },
    /// Transcribe a WAV file (any rate, channels and sample format) with a local model.
    #[cfg(feature = "scribe")]
    Transcribe {
        /// A WAV file (or --recording).
        #[arg(required_unless_present = "recording")]
        file: Option<PathBuf>,
        /// An encrypted recording made on this device with `record --encounter`.
        #[arg(long, conflicts_with = "file")]
        recording: Option<uuid::Uuid>,
        /// A model name (`vetdesk models list`) or a model file [default: tiny.en].
        #[arg(long)]
        model: Option<String>,
        /// Print the transcript as JSON: segments with times, the text, and the
        /// model file and SHA-256 that made it.
        #[arg(long)]
        json: bool,
        /// Threads for whisper.cpp [default: one less than the cores].
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Beam search width (slower, sometimes better) instead of greedy decoding.
        #[arg(long)]
        beam: Option<usize>,
    },
    /// Transcribe a WAV file and draft the SOAP items it supports (vitals, problems,
    /// medications checked against the formulary, follow-up), each with its evidence.
    #[cfg(feature = "scribe")]
    Draft {
        /// A WAV file (or --recording).
        #[arg(required_unless_present = "recording")]
        file: Option<PathBuf>,
        /// An encrypted recording made on this device with `record --encounter`.
        #[arg(long, conflicts_with = "file")]
        recording: Option<uuid::Uuid>,
        /// Store the draft beside this (unsigned) encounter for a vet to review with
        /// `vetdesk drafts`; the patient comes from it. Nothing in the record changes.
        #[arg(long, conflicts_with = "patient")]
        encounter: Option<uuid::Uuid>,
        /// The patient: species, latest weight and names come from the record
        /// (needs --as / VETDESK_STAFF and VETDESK_PIN).
        #[arg(long)]
        patient: Option<uuid::Uuid>,
        /// Species for the dose check, when there is no --patient.
        #[arg(long)]
        species: Option<String>,
        /// Weight in kg for the dose check, when none is said or recorded.
        #[arg(long)]
        weight: Option<f64>,
        /// The clinic's formulary as JSON [default: the starter formulary].
        #[arg(long)]
        formulary: Option<PathBuf>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyStoreChoice {
    Auto,
    Keyring,
    Passphrase,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vetdesk: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<std::process::ExitCode> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => vetdesk_core::default_data_dir()
            .context("no data directory: pass --data-dir or set VETDESK_DATA_DIR")?,
    };
    match cli.command {
        Command::Init { clinic, key_store } => {
            init(&data_dir, &clinic, key_store)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Status => {
            let store = Store::open(&data_dir, &passphrase::unlock_for(&data_dir)?)?;
            let status = store.status()?;
            println!("clinic:       {}", status.clinic_name);
            println!("clinic id:    {}", status.clinic_id);
            println!("device id:    {}", status.device_id);
            println!("data dir:     {}", status.data_dir.display());
            println!("schema:       v{}", status.schema_version);
            println!("encryption:   SQLCipher {}", status.cipher_version);
            println!("key kept in:  {:?}", status.key_kind);
            let (clients, patients) = store.counts()?;
            println!("records:      {clients} clients, {patients} patients");
            let pending = store.pending_changesets(0, usize::MAX)?.len();
            println!(
                "change log:   {pending} changesets from this device, clock {}",
                store.last_hlc()?
            );
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Doctor { server } => Ok(doctor::run(&data_dir, server.as_deref())),
        Command::Demo {
            clients,
            seed,
            clinic,
            key_store,
        } => records::demo(&data_dir, clients, seed, &clinic, key_store).map(|()| success()),
        Command::Clinic(c) => clinic::clinic(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Staff(c) => records::staff(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Client(c) => records::client(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Patient(c) => records::patient(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Appt(c) => records::appointment(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Schedule(c) => schedule::schedule(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Encounter(c) => records::encounter(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Search { text, limit } => {
            records::search(&data_dir, &cli.sign_in, &text, limit).map(|()| success())
        }
        Command::Export { format, output } => {
            records::export(&data_dir, &cli.sign_in, format, output).map(|()| success())
        }
        Command::Import { file } => records::import(&data_dir, &cli.sign_in, &file).map(exit_code),
        Command::Audit(c) => records::audit(&data_dir, &cli.sign_in, c).map(exit_code),
        Command::Catalog(c) => billing::catalog(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Order(c) => orders::order(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Stock(c) => billing::stock(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Invoice(c) => billing::invoice(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Estimate(c) => billing::estimate(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Sale(args) => sale::sale(&data_dir, &cli.sign_in, args).map(|()| success()),
        Command::Register(c) => billing::register(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Report(c) => billing::report(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Devices(c) => sync::devices(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Auth(c) => auth::auth(&data_dir, &cli.sign_in, c).map(|()| success()),
        Command::Enroll {
            server,
            code,
            name,
            key_store,
            allow_lan_http,
            ca_cert,
        } => sync::trust_anchor(ca_cert.as_deref())
            .and_then(|trust| {
                sync::enroll(
                    &data_dir,
                    &server,
                    &code,
                    &name,
                    key_store,
                    sync::lan_http(allow_lan_http),
                    trust,
                )
            })
            .map(|()| success()),
        Command::Sync { command, watch } => {
            sync::run(&data_dir, &cli.sign_in, command, watch).map(exit_code)
        }
        Command::Drafts(c) => drafts::run(&data_dir, &cli.sign_in, c).map(|()| success()),
        #[cfg(feature = "scribe")]
        Command::Models(c) => scribe::models(&data_dir, c).map(exit_code),
        #[cfg(feature = "scribe")]
        Command::Recordings(c) => {
            scribe::recordings(&data_dir, &cli.sign_in, c).map(|()| success())
        }
        #[cfg(feature = "scribe")]
        Command::Record {
            seconds,
            out,
            encounter,
            override_reason,
            retention_days,
            live,
            model,
            device,
        } => {
            let to = match (&out, encounter) {
                (_, Some(encounter)) => scribe::RecordTo::Encounter {
                    encounter,
                    override_reason: override_reason.as_deref(),
                    retention_days,
                    who: &cli.sign_in,
                },
                (Some(out), None) => scribe::RecordTo::Wav(out),
                (None, None) => anyhow::bail!("say where to record: --out FILE or --encounter ID"),
            };
            let live_model = live.then_some(model.as_deref());
            scribe::record(&data_dir, device.as_deref(), seconds, &to, live_model)
                .map(|()| success())
        }
        #[cfg(feature = "scribe")]
        Command::Transcribe {
            file,
            recording,
            model,
            json,
            threads,
            beam,
        } => scribe::transcribe_file(
            &data_dir,
            &scribe::TranscribeArgs {
                file: match (&file, recording) {
                    (_, Some(id)) => scribe::Audio::Recording(id, &cli.sign_in),
                    (Some(file), None) => scribe::Audio::Wav(file),
                    (None, None) => anyhow::bail!("say what to transcribe: FILE or --recording ID"),
                },
                model: model.as_deref(),
                json,
                threads,
                beam,
            },
        )
        .map(|()| success()),
        #[cfg(feature = "scribe")]
        Command::Draft {
            file,
            recording,
            encounter,
            patient,
            species,
            weight,
            formulary,
            model,
            json,
            threads,
        } => scribe::draft_file(
            &data_dir,
            &cli.sign_in,
            &scribe::DraftArgs {
                transcribe: scribe::TranscribeArgs {
                    file: match (&file, recording) {
                        (_, Some(id)) => scribe::Audio::Recording(id, &cli.sign_in),
                        (Some(file), None) => scribe::Audio::Wav(file),
                        (None, None) => {
                            anyhow::bail!("say what to draft from: FILE or --recording ID")
                        }
                    },
                    model: model.as_deref(),
                    json,
                    threads,
                    beam: None,
                },
                encounter,
                patient,
                species,
                weight_kg: weight,
                formulary: formulary.as_deref(),
            },
        )
        .map(|()| success()),
    }
}

fn success() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}

/// Exit 0 when all went well, 1 when the command ran but found problems.
fn exit_code(all_good: bool) -> std::process::ExitCode {
    if all_good {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

fn init(data_dir: &std::path::Path, clinic: &str, choice: KeyStoreChoice) -> Result<()> {
    let store = create_store(data_dir, clinic, choice)?;
    let status = store.status()?;
    println!(
        "Created the encrypted store of {} in {} (key kept in {}).",
        status.clinic_name,
        data_dir.display(),
        match status.key_kind {
            vetdesk_core::KeyKind::Keyring => "the OS keyring",
            vetdesk_core::KeyKind::Passphrase => "a passphrase-wrapped key file",
        }
    );
    println!(
        "Next: add the first staff member (the clinic's admin) with `vetdesk staff add --name NAME --role admin --role vet`."
    );
    Ok(())
}

/// Where a new store's key goes: the OS keyring, a passphrase, or the keyring when one
/// works and a passphrase otherwise.
pub(crate) fn protection_for(choice: KeyStoreChoice) -> Result<KeyProtection> {
    Ok(match choice {
        KeyStoreChoice::Keyring => KeyProtection::Keyring,
        KeyStoreChoice::Passphrase => KeyProtection::Passphrase(passphrase::new_passphrase()?),
        KeyStoreChoice::Auto => match vetdesk_core::keys::keyring_probe() {
            Ok(()) => KeyProtection::Keyring,
            Err(why) => {
                eprintln!(
                    "vetdesk: no usable OS keyring ({why}); protecting the key with a passphrase"
                );
                KeyProtection::Passphrase(passphrase::new_passphrase()?)
            }
        },
    })
}

/// Makes a new store, with its key where `choice` says.
pub fn create_store(
    data_dir: &std::path::Path,
    clinic: &str,
    choice: KeyStoreChoice,
) -> Result<Store> {
    let protection = protection_for(choice)?;
    Ok(Store::create(
        data_dir,
        clinic,
        protection,
        time::OffsetDateTime::now_utc(),
    )?)
}
