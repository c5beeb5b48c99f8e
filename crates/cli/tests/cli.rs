//! The `vetdesk` binary as scripts use it: names, flags, exit codes and messages.

use std::path::Path;
use std::process::{Command, Output};

const PASSPHRASE: &str = "a long test passphrase";

fn vetdesk(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetdesk"));
    cmd.env_remove("VETDESK_PASSPHRASE")
        .env_remove("VETDESK_SYNC_URL")
        .env("VETDESK_DATA_DIR", data_dir)
        .stdin(std::process::Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap_or_else(|e| panic!("run vetdesk: {e}"));
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn help_names_the_contracted_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (ok, out, _) = run(vetdesk(dir.path()).arg("--help"));
    assert!(ok);
    for word in [
        "init",
        "doctor",
        "status",
        "clinic",
        "sale",
        "estimate",
        "schedule",
        "--data-dir",
        "VETDESK_DATA_DIR",
    ] {
        assert!(out.contains(word), "--help lacks {word}:\n{out}");
    }
}

#[test]
fn init_then_status_with_a_passphrase_and_clear_errors_without_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("clinic");
    let (ok, out, err) = run(vetdesk(&data)
        .args([
            "init",
            "--clinic",
            "Harbour Vets",
            "--key-store",
            "passphrase",
        ])
        .env("VETDESK_PASSPHRASE", PASSPHRASE));
    assert!(ok, "{err}");
    assert!(out.contains("Harbour Vets"), "{out}");

    let (ok, out, err) = run(vetdesk(&data)
        .arg("status")
        .env("VETDESK_PASSPHRASE", PASSPHRASE));
    assert!(ok, "{err}");
    assert!(out.contains("clinic:       Harbour Vets"), "{out}");
    assert!(out.contains("SQLCipher 4"), "{out}");

    let (ok, _, err) = run(vetdesk(&data).arg("status"));
    assert!(!ok);
    assert!(err.contains("VETDESK_PASSPHRASE"), "{err}");

    let (ok, _, err) = run(vetdesk(&data)
        .arg("status")
        .env("VETDESK_PASSPHRASE", "not the right one"));
    assert!(!ok);
    assert!(err.contains("wrong passphrase"), "{err}");

    let (ok, _, err) = run(vetdesk(&data)
        .args(["init", "--clinic", "Again", "--key-store", "passphrase"])
        .env("VETDESK_PASSPHRASE", PASSPHRASE));
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn the_global_data_dir_flag_wins_over_the_environment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flagged = dir.path().join("flagged");
    // The contracted form: `vetdesk init --data-dir D --clinic NAME`.
    let (ok, _, err) = run(vetdesk(&dir.path().join("from-env"))
        .args(["init", "--data-dir"])
        .arg(&flagged)
        .args(["--clinic", "Flag Clinic", "--key-store", "passphrase"])
        .env("VETDESK_PASSPHRASE", PASSPHRASE));
    assert!(ok, "{err}");
    assert!(flagged.join("vetdesk.db").exists());
    assert!(!dir.path().join("from-env").exists());
    // And before the subcommand, as every subcommand takes it.
    let (ok, out, err) = run(vetdesk(&dir.path().join("from-env"))
        .arg("--data-dir")
        .arg(&flagged)
        .arg("status")
        .env("VETDESK_PASSPHRASE", PASSPHRASE));
    assert!(ok, "{err}");
    assert!(out.contains("Flag Clinic"), "{out}");
}

#[test]
fn init_refuses_bad_input_with_a_field_message() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (ok, _, err) = run(vetdesk(dir.path())
        .args(["init", "--clinic", "   ", "--key-store", "passphrase"])
        .env("VETDESK_PASSPHRASE", PASSPHRASE));
    assert!(!ok);
    assert!(err.contains("clinic name: must not be empty"), "{err}");

    let (ok, _, err) = run(vetdesk(dir.path())
        .args([
            "init",
            "--clinic",
            "Short Pass",
            "--key-store",
            "passphrase",
        ])
        .env("VETDESK_PASSPHRASE", "short"));
    assert!(!ok);
    assert!(err.contains("passphrase: must be at least 8"), "{err}");
}

#[test]
fn doctor_reports_each_area_and_fails_on_an_unreachable_server() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_, out, _) = run(vetdesk(dir.path()).arg("doctor"));
    for area in [
        "packages",
        "keyring",
        "audio input",
        "whisper model",
        "data directory",
        "sync server",
    ] {
        assert!(out.contains(area), "doctor did not check {area}:\n{out}");
    }
    assert!(out.contains("no store yet"), "{out}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let (ok, out, _) =
        run(vetdesk(dir.path()).args(["doctor", "--server", &format!("http://127.0.0.1:{port}")]));
    assert!(
        !ok,
        "doctor must fail when the configured server is unreachable:\n{out}"
    );
    assert!(out.contains("[FAIL] sync server"), "{out}");
    assert!(out.contains("unreachable"), "{out}");
}

/// Needs the real OS keyring (`make test` runs under scripts/with-keyring.sh).
#[test]
fn init_with_the_keyring_needs_no_passphrase_afterwards() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (ok, _, err) = run(vetdesk(dir.path()).args([
        "init",
        "--clinic",
        "Keyring Vets",
        "--key-store",
        "keyring",
    ]));
    assert!(
        ok,
        "init with the keyring failed (is a Secret Service running?): {err}"
    );
    let (ok, out, err) = run(vetdesk(dir.path()).arg("status"));
    assert!(ok, "{err}");
    assert!(
        out.contains("Keyring Vets") && out.contains("Keyring"),
        "{out}"
    );
    let (_, out, _) = run(vetdesk(dir.path()).arg("doctor"));
    assert!(out.contains("[ ok ] keyring"), "{out}");
    assert!(out.contains("Keyring Vets"), "{out}");
}
