//! `vetdesk sync`: set up sync on the clinic's first device, run a round (or keep
//! running them), and show the sync state. The round itself is core's
//! (`vetdesk_core::sync`); this is the shell around it.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use uuid::Uuid;
use vetdesk_core::Permission;
use vetdesk_core::sync::{SyncError, SyncReport, sync_once};
use vetdesk_core::sync_http::HttpTransport;

use crate::records::{self, SignIn};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// On the clinic's first device: make the clinic's data key, register the clinic
    /// on the server, and keep this device's token (admins).
    Setup {
        /// The sync server, e.g. https://sync.example.org or http://127.0.0.1:8787.
        #[arg(long, env = "VETDESK_SYNC_URL")]
        server: String,
    },
    /// Show the sync state: server, pending changes, last success and last error.
    Status,
}

pub fn run(
    data_dir: &Path,
    who: &SignIn,
    command: Option<SyncCommand>,
    watch: bool,
) -> Result<bool> {
    match command {
        Some(SyncCommand::Setup { server }) => setup(data_dir, who, &server).map(|()| true),
        Some(SyncCommand::Status) => status(data_dir).map(|()| true),
        None if watch => watch_forever(data_dir),
        None => one_round(data_dir),
    }
}

fn setup(data_dir: &Path, who: &SignIn, server: &str) -> Result<()> {
    let mut store = records::open(data_dir)?;
    let actor = records::sign_in(&mut store, who)?;
    actor.require(Permission::ManageDevices)?;
    if store.sync_credentials()?.is_some() {
        bail!("sync is already set up on this device");
    }
    let clinic = Uuid::parse_str(&store.status()?.clinic_id).context("the clinic id is damaged")?;
    store.ensure_clinic_key()?;
    let token = HttpTransport::new(server, None).create_clinic(clinic, store.device_id())?;
    store.set_sync_server(server, &token)?;
    let id = clinic.to_string();
    store.transact(&actor, |tx| tx.audit("sync.setup", "clinic", &id, server))?;
    println!(
        "Sync is set up with {server}; this clinic's data is end-to-end encrypted with a key only its devices hold."
    );
    let report = round(&mut store)?;
    print_report(&report);
    Ok(())
}

fn round(store: &mut vetdesk_core::Store) -> Result<SyncReport, SyncError> {
    let (url, token) = store.sync_credentials()?.ok_or(SyncError::NotSetUp)?;
    let mut transport = HttpTransport::new(&url, Some(token));
    sync_once(store, &mut transport, &mut |what, n| {
        if n > 0 && n % 100 == 0 {
            eprint!("\r{what} {n} changesets");
        }
    })
}

fn print_report(report: &SyncReport) {
    println!(
        "pulled {} envelopes ({} changesets applied, {} changes), pushed {}, acknowledged up to seq {}",
        report.pulled_envelopes,
        report.applied.applied,
        report.applied.changes,
        report.pushed,
        report.acknowledged_seq
    );
    for (seq, why) in &report.rejected {
        println!("REJECTED envelope {seq}: {why}");
    }
    if let Some(why) = &report.push_refused {
        println!("REFUSED by the server: {why}");
    }
    if let Some(skew) = report.server_clock_skew_ms {
        println!(
            "CLOCK: this device's clock differs from the server's by {} s: set it right",
            skew / 1000
        );
    }
    for held in &report.applied.clock_skew {
        println!(
            "CLOCK: changes from device {} are {} s ahead of this device's clock and wait until it catches up",
            held.device,
            held.ahead_ms / 1000
        );
    }
}

fn one_round(data_dir: &Path) -> Result<bool> {
    let mut store = records::open(data_dir)?;
    let report = round(&mut store)?;
    print_report(&report);
    Ok(report.rejected.is_empty() && report.push_refused.is_none())
}

/// Rounds every 10 s; after a failure, waits longer each time (up to 5 min).
fn watch_forever(data_dir: &Path) -> Result<bool> {
    let mut store = records::open(data_dir)?;
    let mut wait = Duration::from_secs(10);
    loop {
        match round(&mut store) {
            Ok(report) => {
                if report.pulled_envelopes + report.pushed > 0 || !report.rejected.is_empty() {
                    print_report(&report);
                }
                wait = Duration::from_secs(10);
            }
            Err(SyncError::Offline(why)) => {
                eprintln!("offline ({why}); retrying in {} s", wait.as_secs());
                wait = (wait * 2).min(Duration::from_secs(300));
            }
            Err(e) => return Err(e.into()),
        }
        std::thread::sleep(wait);
    }
}

fn status(data_dir: &Path) -> Result<()> {
    let store = records::open(data_dir)?;
    let state = store.sync_state()?;
    println!(
        "server:        {}",
        state.server_url.as_deref().unwrap_or("(not set up)")
    );
    println!(
        "pending:       {} changesets not yet on the server",
        state.pending
    );
    println!("acknowledged:  up to seq {}", state.acknowledged_seq);
    println!("cursor:        {}", state.cursor);
    println!(
        "last success:  {}",
        state.last_success.as_deref().unwrap_or("never")
    );
    println!(
        "last error:    {}",
        state.last_error.as_deref().unwrap_or("none")
    );
    let skew = store.clock_skew_reports()?;
    if !skew.is_empty() {
        println!(
            "clock skew:    {} changesets held: another device's clock is ahead",
            skew.len()
        );
    }
    Ok(())
}
