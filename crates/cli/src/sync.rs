//! `vetdesk sync`: set up sync on the clinic's first device, run a round (or keep
//! running them), and show the sync state. The round itself is core's
//! (`vetdesk_core::sync`); this is the shell around it.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use uuid::Uuid;
use vetdesk_core::Error as CoreError;
use vetdesk_core::server_address::{LanHttp, ServerAddress, TrustAnchor};
use vetdesk_core::services::devices::PendingProof;
use vetdesk_core::sync::{SyncError, SyncReport};
use vetdesk_core::sync_engine::{EngineEvent, EngineOptions, SyncEngine};

use crate::records::{self, SignIn};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// On the clinic's first device: make the clinic's data key, register the clinic
    /// on the server, and keep this device's token (admins).
    Setup {
        /// The sync server, e.g. https://sync.example.org or http://127.0.0.1:8787.
        #[arg(long, env = "VETDESK_SYNC_URL")]
        server: String,
        /// Allow plain http:// to an IP address on the clinic's own network (its
        /// traffic is then readable there); https:// needs no flag.
        #[arg(long)]
        allow_lan_http: bool,
        /// The one-time registration token from the server's operator, where the
        /// server registers new clinics only with one (base64url: it may begin with a
        /// dash, which is taken as the token, not as an option).
        #[arg(
            long,
            env = "VETDESK_REGISTRATION_TOKEN",
            hide_env_values = true,
            allow_hyphen_values = true
        )]
        registration_token: Option<String>,
        /// The clinic's own certificate authority (PEM), for a server whose
        /// certificate no public CA signed: trusted, instead of the web's roots, for
        /// this server.
        #[arg(long)]
        ca_cert: Option<std::path::PathBuf>,
    },
    /// Show the sync state: server, pending changes, last success and last error.
    Status,
    /// List other devices' changes this device set aside instead of applying (each
    /// with its reason; sync goes on without them, and a later Vetdesk that
    /// understands them applies them), and envelopes that did not open.
    Quarantine {
        /// As JSON: {"changes": [...], "envelopes": [...]}.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(
    data_dir: &Path,
    who: &SignIn,
    command: Option<SyncCommand>,
    watch: bool,
) -> Result<bool> {
    match command {
        Some(SyncCommand::Setup {
            server,
            allow_lan_http,
            registration_token,
            ca_cert,
        }) => setup(
            data_dir,
            who,
            &server,
            lan_http(allow_lan_http),
            registration_token.as_deref(),
            trust_anchor(ca_cert.as_deref())?,
        )
        .map(|()| true),
        Some(SyncCommand::Status) => status(data_dir).map(|()| true),
        Some(SyncCommand::Quarantine { json }) => quarantine(data_dir, json).map(|()| true),
        None if watch => watch_forever(data_dir),
        None => one_round(data_dir),
    }
}

/// The certificate authority `--ca-cert` names, read and checked.
pub fn trust_anchor(path: Option<&Path>) -> Result<Option<TrustAnchor>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read the CA certificate {}", path.display()))?;
    TrustAnchor::from_pem(&pem)
        .map(Some)
        .with_context(|| format!("{} is not a CA certificate", path.display()))
}

/// What `--allow-lan-http` says.
pub fn lan_http(allowed: bool) -> LanHttp {
    if allowed {
        LanHttp::Allow
    } else {
        LanHttp::Refuse
    }
}

fn setup(
    data_dir: &Path,
    who: &SignIn,
    server: &str,
    lan: LanHttp,
    registration_token: Option<&str>,
    trust: Option<TrustAnchor>,
) -> Result<()> {
    let server = ServerAddress::parse(server, lan)?;
    let mut store = records::open(data_dir)?;
    let actor = records::sign_in(&mut store, who)?;
    if trust.is_some() {
        store.set_server_trust(trust.as_ref())?;
    }
    store.set_up_sync(&actor, &server, registration_token)?;
    println!(
        "Sync is set up with {server}; this clinic's data is end-to-end encrypted with a key only its devices hold."
    );
    let report = round(&mut store)?;
    print_report(&report);
    Ok(())
}

fn round(store: &mut vetdesk_core::Store) -> Result<SyncReport, SyncError> {
    vetdesk_core::sync_http::sync_with_stored_server(store, &mut |what, n| {
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
    if report.applied.quarantined > 0 {
        println!(
            "SET ASIDE {} changes from other devices (see `vetdesk sync quarantine`); the rest applied",
            report.applied.quarantined
        );
    }
    if report.applied.refused > 0 {
        println!(
            "REFUSED {} changesets whose signature does not count: forged, unsigned, or from a revoked device (see `vetdesk sync quarantine`)",
            report.applied.refused
        );
    }
    if report.applied.waiting_for_membership > 0 {
        println!(
            "HELD {} changesets from devices the clinic's membership log does not hold yet (they apply once the approval arrives)",
            report.applied.waiting_for_membership
        );
    }
    if report.recovered_envelopes + report.applied.recovered > 0 {
        println!(
            "recovered {} envelopes and {} changes set aside before",
            report.recovered_envelopes, report.applied.recovered
        );
    }
    if report.renumbered.moved > 0 {
        println!(
            "this data folder was restored from a copy or is running on two computers: the server held other changes under its numbers, so {} unsent changesets were numbered again (from {} to {}) and sent; nothing was lost",
            report.renumbered.moved, report.renumbered.from_seq, report.renumbered.to_seq
        );
    }
    if let Some(problem) = report.problem() {
        println!("REFUSED: {problem}");
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
    store.fetch_clinic_key_if_missing()?;
    let report = round(&mut store)?;
    print_report(&report);
    Ok(report.rejected.is_empty() && report.push_refused.is_none())
}

/// Runs core's background sync engine until interrupted: a round at once when the
/// server announces another device's push, else every 10 s; after a failure, waits
/// longer each time (jittered, up to 5 min). Prints what each round did.
fn watch_forever(data_dir: &Path) -> Result<bool> {
    let mut store = records::open(data_dir)?;
    store.fetch_clinic_key_if_missing()?;
    store.sync_credentials()?.ok_or(SyncError::NotSetUp)?;
    let options = EngineOptions {
        interval: Duration::from_secs(10),
        ..EngineOptions::default()
    };
    let _engine = SyncEngine::start(store, options, |event| match event {
        EngineEvent::Synced { report } => {
            if report.pulled_envelopes + report.pushed > 0 || !report.rejected.is_empty() {
                print_report(report);
            }
        }
        EngineEvent::Failed {
            error, retry_in_ms, ..
        } => eprintln!("{error}; retrying in {} s", retry_in_ms.div_ceil(1000)),
    })?;
    loop {
        std::thread::park();
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
    if state.quarantined + state.rejected > 0 {
        println!(
            "set aside:     {} changes and {} envelopes (vetdesk sync quarantine)",
            state.quarantined, state.rejected
        );
    }
    let skew = store.clock_skew_reports()?;
    if !skew.is_empty() {
        println!(
            "clock skew:    {} changesets held: another device's clock is ahead",
            skew.len()
        );
    }
    let waiting = store.held_changesets()?.saturating_sub(skew.len() as u64);
    if waiting > 0 {
        println!(
            "held:          {waiting} changesets from devices not (yet) in the clinic's membership log"
        );
    }
    Ok(())
}

fn quarantine(data_dir: &Path, json: bool) -> Result<()> {
    let store = records::open(data_dir)?;
    let changes = store.set_aside_changes(10_000)?;
    let envelopes = store.rejected_envelopes()?;
    if json {
        let out = serde_json::json!({ "changes": changes, "envelopes": envelopes });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if changes.is_empty() && envelopes.is_empty() {
        println!("nothing set aside: every change from other devices applied");
        return Ok(());
    }
    for c in &changes {
        let what = match (&c.table, &c.row) {
            (Some(table), Some(row)) => format!("{table} {row}"),
            _ => "whole changeset".to_string(),
        };
        let retry = match (c.retryable, c.waits) {
            (false, _) => " (never applied)",
            (true, true) => " (tried again when the role or record it needs arrives)",
            (true, false) => "",
        };
        println!(
            "device {} seq {} change {}: {what}: {}{retry}",
            c.device, c.seq, c.index, c.reason
        );
    }
    for e in &envelopes {
        println!(
            "envelope {} (tried {} times, next {}): {}",
            e.server_seq,
            e.attempts,
            e.retry_after.as_deref().unwrap_or("next round"),
            e.reason
        );
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// Make a one-time code (valid 15 minutes) for enrolling a new device (admins).
    Invite,
    /// List the clinic's devices and their state.
    List,
    /// Approve a pending device (admins, on a device that manages the clinic's
    /// devices): compare the fingerprint `devices list` shows for it with the one the
    /// new device shows, and give it here. It receives the clinic key, sealed to it and
    /// signed by this device.
    Approve {
        device: Uuid,
        /// The pending device's fingerprint, as the new device shows it.
        #[arg(long)]
        fingerprint: String,
        /// It may manage the clinic's devices too (invite, approve, revoke): give a
        /// second trusted device this, so the clinic is never left without one.
        #[arg(long)]
        manages: bool,
    },
    /// Revoke a device: its next request is refused, and a new clinic key leaves it out
    /// (admins, on a managing device; never the clinic's last managing device).
    Revoke { device: Uuid },
}

pub fn devices(data_dir: &Path, who: &SignIn, command: DevicesCommand) -> Result<()> {
    let mut store = records::open(data_dir)?;
    if let DevicesCommand::List = command {
        // The server's view (approved, pending, revoked), beside the clinic's own
        // membership log: what every device checks signatures against.
        let members = store.members()?;
        for device in store.clinic_devices()? {
            let this = if device.this_device {
                "  (this device)"
            } else {
                ""
            };
            let log = match (
                &device.proof,
                members.iter().find(|m| m.device_id == device.device_id),
            ) {
                (Some(proof), _) => match proof {
                    PendingProof::Verified => format!(
                        "key {}  \"{}\"  compare the key with the new device's screen, then: vetdesk devices approve {} --fingerprint {}",
                        device.fingerprint.as_deref().unwrap_or(""),
                        device.name.as_deref().unwrap_or(""),
                        device.device_id,
                        device.fingerprint.as_deref().unwrap_or("")
                    ),
                    PendingProof::InvitedElsewhere => {
                        "invited on another device: approve it there".to_string()
                    }
                    PendingProof::Tampered => {
                        "ITS KEY OR NAME WAS CHANGED AFTER IT ENROLLED: do not approve it"
                            .to_string()
                    }
                    PendingProof::Unproven => {
                        "enrolled without an invitation proof (an older Vetdesk): enroll it again"
                            .to_string()
                    }
                },
                (None, Some(m)) => format!(
                    "{:<8} key {}  \"{}\"{}",
                    m.standing,
                    m.fingerprint,
                    m.name.as_deref().unwrap_or(""),
                    if m.manages { "  manages devices" } else { "" }
                ),
                (None, None) => "not in the membership log".to_string(),
            };
            println!("{}  {:<9}{log}{this}", device.device_id, device.status);
        }
        return Ok(());
    }
    let actor = records::sign_in(&mut store, who)?;
    match command {
        DevicesCommand::Invite => {
            crate::auth::confirm_for_admin_act(&mut store, &actor)?;
            let code = store.invite_device(&actor)?;
            println!("{}", code.code);
            eprintln!(
                "On the new device: vetdesk enroll --server URL --code {} --name NAME (valid 15 minutes, once; approve it on this device)",
                code.code
            );
        }
        DevicesCommand::Approve {
            device,
            fingerprint,
            manages,
        } => {
            crate::auth::confirm_for_admin_act(&mut store, &actor)?;
            store.approve_device(&actor, device, &fingerprint, manages)?;
            println!(
                "approved {device}{}",
                if manages { " (manages devices)" } else { "" }
            );
        }
        DevicesCommand::Revoke { device } => {
            crate::auth::confirm_for_admin_act(&mut store, &actor)?;
            store.revoke_device(&actor, device)?;
            println!("revoked {device}");
        }
        DevicesCommand::List => {}
    }
    Ok(())
}

/// Makes a store on this new device and enrolls it with a code from a trusted device.
/// Run again after a crash, a kill or a lost answer, it finishes the same enrollment
/// (core keeps the attempt); a folder holding a clinic's store is refused.
pub fn enroll(
    data_dir: &Path,
    server: &str,
    code: &str,
    name: &str,
    key_store: crate::KeyStoreChoice,
    lan_http: LanHttp,
    trust: Option<TrustAnchor>,
) -> Result<()> {
    let enrollment = vetdesk_core::services::enrollment::Enrollment {
        server: server.to_string(),
        lan_http,
        code: code.to_string(),
        device_name: name.to_string(),
        trust,
    }
    .validated()?;
    let store = match vetdesk_core::Store::enroll(
        data_dir,
        &enrollment,
        crate::protection_for(key_store)?,
        time::OffsetDateTime::now_utc(),
    ) {
        Ok(store) => store,
        Err(SyncError::Store(CoreError::AlreadyInitialized(_))) => bail!(
            "{} already holds a clinic's store: enroll into an empty data directory",
            data_dir.display()
        ),
        Err(e @ (SyncError::Offline(_) | SyncError::Unavailable(_))) => {
            bail!("{e}\nThe enrollment is kept: run the same command again to finish it.")
        }
        Err(e) => return Err(e.into()),
    };
    let status = store.status()?;
    println!(
        "Enrolled \"{name}\" as device {}, key fingerprint {}.",
        store.device_id(),
        status.device_fingerprint
    );
    eprintln!(
        "An admin approves it on the device that made the invitation (Owner → Devices, or `vetdesk devices approve {} --fingerprint {}`) after checking that it shows this fingerprint.",
        store.device_id(),
        status.device_fingerprint
    );
    Ok(())
}
