//! `vetdesk doctor`: checks what Vetdesk needs on this machine and says what to do
//! about each problem. A failure makes the exit code non-zero; a warning is something
//! that limits Vetdesk (no microphone, no keyring) without stopping it.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use vetdesk_core::{Error as CoreError, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug)]
struct Check {
    name: &'static str,
    level: Level,
    detail: String,
    /// What to do about a warning or failure.
    fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            level: Level::Ok,
            detail: detail.into(),
            fix: None,
        }
    }
    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            level: Level::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            level: Level::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Debian packages the desktop app needs at run time.
const RUNTIME_PACKAGES: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0", "libasound2"];

pub fn run(data_dir: &Path, server: Option<&str>) -> ExitCode {
    let checks = [
        check_packages(),
        check_keyring(),
        check_audio_input(),
        check_whisper_model(data_dir),
        check_data_dir(data_dir),
        check_sync_server(server),
    ];
    for check in &checks {
        let tag = match check.level {
            Level::Ok => " ok ",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        println!("[{tag}] {:<14} {}", check.name, check.detail);
        if let Some(fix) = &check.fix {
            println!("       {:<14} → {fix}", "");
        }
    }
    let failures = checks.iter().filter(|c| c.level == Level::Fail).count();
    let warnings = checks.iter().filter(|c| c.level == Level::Warn).count();
    println!(
        "\n{} checks: {failures} failed, {warnings} warnings",
        checks.len()
    );
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check_packages() -> Check {
    let name = "packages";
    let mut missing = Vec::new();
    for package in RUNTIME_PACKAGES {
        let output = std::process::Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package])
            .output();
        match output {
            Err(_) => {
                return Check::warn(
                    name,
                    "dpkg-query not found: not a Debian system, packages not checked",
                    "install WebKitGTK 4.1, GTK 3 and ALSA with your system's package manager",
                );
            }
            Ok(out) if String::from_utf8_lossy(&out.stdout).contains("install ok installed") => {}
            Ok(_) => missing.push(*package),
        }
    }
    if missing.is_empty() {
        Check::ok(name, format!("{} present", RUNTIME_PACKAGES.join(", ")))
    } else {
        Check::fail(
            name,
            format!("missing: {}", missing.join(", ")),
            "run scripts/setup.sh run (or: sudo apt-get install the packages named)",
        )
    }
}

fn check_keyring() -> Check {
    let name = "keyring";
    match vetdesk_core::keys::keyring_probe() {
        Ok(()) => Check::ok(name, "the OS keyring stored and returned a test secret"),
        Err(e) => Check::warn(
            name,
            format!("not usable: {e}"),
            "stores will be protected by a passphrase instead (VETDESK_PASSPHRASE); on a desktop, unlock your login keyring (GNOME Keyring / KWallet)",
        ),
    }
}

#[cfg(feature = "scribe")]
fn check_audio_input() -> Check {
    let name = "audio input";
    match vetdesk_scribe::audio::default_input() {
        Ok(device) => Check::ok(
            name,
            format!(
                "{} ({} Hz, {} ch, {})",
                device.name, device.sample_rate_hz, device.channels, device.sample_format
            ),
        ),
        Err(e) => Check::warn(
            name,
            e.to_string(),
            "recording in the exam room needs a microphone: plug one in, or check PulseAudio/PipeWire (pactl info)",
        ),
    }
}

#[cfg(not(feature = "scribe"))]
fn check_audio_input() -> Check {
    Check::warn(
        "audio input",
        "not checked: built without the scribe feature",
        "build vetdesk with default features",
    )
}

#[cfg(feature = "scribe")]
fn check_whisper_model(data_dir: &Path) -> Check {
    let name = "whisper model";
    let dir = vetdesk_scribe::model::models_dir(data_dir);
    let files = vetdesk_scribe::model::model_files(&dir);
    match files.first() {
        Some(_) => Check::ok(
            name,
            files
                .iter()
                .filter_map(|f| f.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        None => Check::warn(
            name,
            format!("no model in {}", dir.display()),
            "the scribe cannot transcribe until a whisper.cpp model (ggml *.bin) is placed there; `vetdesk models install` arrives with the scribe",
        ),
    }
}

#[cfg(not(feature = "scribe"))]
fn check_whisper_model(_data_dir: &Path) -> Check {
    Check::warn(
        "whisper model",
        "not checked: built without the scribe feature",
        "build vetdesk with default features",
    )
}

fn check_data_dir(data_dir: &Path) -> Check {
    let name = "data directory";
    let shown = data_dir.display();
    if data_dir.exists() && !is_writable(data_dir) {
        return Check::fail(
            name,
            format!("{shown} is not writable"),
            "fix its owner or permissions, or pass --data-dir",
        );
    }
    let Some(unlock) = crate::passphrase::unlock_from_env(data_dir) else {
        return Check::warn(
            name,
            format!("{shown}: passphrase-protected store, not opened"),
            "set VETDESK_PASSPHRASE to let doctor open it",
        );
    };
    match Store::open(data_dir, &unlock).and_then(|s| s.status()) {
        Ok(status) => Check::ok(
            name,
            format!(
                "{shown}: {} (schema v{}, SQLCipher {})",
                status.clinic_name, status.schema_version, status.cipher_version
            ),
        ),
        Err(CoreError::NotInitialized(_)) => Check::warn(
            name,
            format!("{shown}: no store yet"),
            format!("vetdesk --data-dir {shown} init --clinic \"Your Clinic\""),
        ),
        Err(CoreError::EnrollmentUnfinished(_)) => Check::warn(
            name,
            format!("{shown}: an enrollment that did not finish"),
            "run the same `vetdesk enroll` again to finish it (or with a new code)",
        ),
        Err(e @ (CoreError::KeyringUnavailable(_) | CoreError::KeyMissingFromKeyring)) => {
            Check::fail(
                name,
                format!("{shown}: {e}"),
                "unlock the OS keyring of the user who created this store",
            )
        }
        Err(e @ CoreError::DatabaseTooNew { .. }) => Check::fail(
            name,
            format!("{shown}: {e}"),
            "install the newer Vetdesk that wrote this store",
        ),
        Err(e) => Check::fail(
            name,
            format!("{shown}: {e}"),
            "check the passphrase and that the folder is this device's Vetdesk data",
        ),
    }
}

fn is_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".vetdesk-doctor-{}", std::process::id()));
    let ok = std::fs::write(&probe, b"probe").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

fn check_sync_server(server: Option<&str>) -> Check {
    let name = "sync server";
    let Some(base) = server else {
        return Check::ok(
            name,
            "none configured: working offline (set --server or VETDESK_SYNC_URL to check one)",
        );
    };
    let url = format!(
        "{}{}",
        base.trim_end_matches('/'),
        vetdesk_proto::HEALTH_PATH
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(&url).call() {
        Ok(mut response) => {
            let status = response.status();
            match response.body_mut().read_json::<vetdesk_proto::Health>() {
                Ok(health) if status.is_success() => Check::ok(
                    name,
                    format!(
                        "{base}: up, server {} (protocol {})",
                        health.server_version, health.protocol_version
                    ),
                ),
                Ok(health) => Check::fail(
                    name,
                    format!("{base}: answered {status}, database {:?}", health.database),
                    "the server cannot reach its PostgreSQL: check the server's DATABASE_URL and logs",
                ),
                Err(e) => Check::fail(
                    name,
                    format!("{base}: answered {status} but not as a Vetdesk sync server ({e})"),
                    "check the URL",
                ),
            }
        }
        Err(e) => Check::fail(
            name,
            format!("{base}: unreachable ({e})"),
            "check the URL and the network; Vetdesk keeps working offline meanwhile",
        ),
    }
}
