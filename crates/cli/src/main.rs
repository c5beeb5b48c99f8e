//! `vetdesk`: the command line for setting up, checking and scripting a Vetdesk device.
//!
//! Subcommand names and flags are a contract that scripts and tests rely on: every
//! subcommand takes the global `--data-dir` (or `VETDESK_DATA_DIR`); where the store is
//! passphrase-protected, the passphrase comes from `VETDESK_PASSPHRASE` or a prompt.

mod doctor;
mod passphrase;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KeyStoreChoice {
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
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Doctor { server } => Ok(doctor::run(&data_dir, server.as_deref())),
    }
}

fn init(data_dir: &std::path::Path, clinic: &str, choice: KeyStoreChoice) -> Result<()> {
    let protection = match choice {
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
    };
    let store = Store::create(
        data_dir,
        clinic,
        protection,
        time::OffsetDateTime::now_utc(),
    )?;
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
    Ok(())
}
