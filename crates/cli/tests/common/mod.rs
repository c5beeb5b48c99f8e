//! Helpers shared by the CLI's tests.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

pub const PASSPHRASE: &str = "a long test passphrase";

/// Runs `vetdesk` as `who` (PIN 2468); returns (success, stdout, stderr).
pub fn run_as(data_dir: &Path, who: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetdesk"));
    cmd.env_remove("VETDESK_STAFF")
        .env("VETDESK_PIN", "2468")
        .env("VETDESK_NEW_PIN", "2468")
        .env("VETDESK_DATA_DIR", data_dir)
        .env("VETDESK_PASSPHRASE", PASSPHRASE)
        .stdin(std::process::Stdio::null())
        .args(args);
    if let Some(who) = who {
        cmd.env("VETDESK_STAFF", who);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("run vetdesk: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn must(data: &Path, who: &str, args: &[&str]) -> String {
    let (ok, out, err) = run_as(data, Some(who), args);
    assert!(ok, "vetdesk {args:?}: {err}");
    out
}

/// A passphrase store for `clinic` in `data` whose admin, Olivia Owner, has set up her
/// authenticator and added `staff` (name, role), each with PIN 2468.
pub fn staffed_clinic(data: &Path, clinic: &str, staff: &[(&str, &str)]) {
    let (ok, _, err) = run_as(
        data,
        None,
        &["init", "--clinic", clinic, "--key-store", "passphrase"],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run_as(
        data,
        None,
        &["staff", "add", "--name", OWNER, "--role", "admin"],
    );
    assert!(ok, "{err}");
    // Adding staff is an admin act: the owner sets up her authenticator first.
    enroll_authenticator(|args| run_as(data, Some(OWNER), args));
    for (name, role) in staff {
        must(
            data,
            OWNER,
            &["staff", "add", "--name", name, "--role", role],
        );
    }
}

/// The admin `staffed_clinic` makes.
pub const OWNER: &str = "Olivia Owner";

/// Sets up an authenticator for the staff member `run` acts as, as a script does:
/// `vetdesk auth enroll --json` for the secret, then the code an authenticator app
/// shows for it now. Returns the secret; their second factor then stands confirmed for
/// a few minutes, so the admin acts that follow go through. Returns the secret and the
/// recovery codes printed.
pub fn enroll_authenticator(
    run: impl Fn(&[&str]) -> (bool, String, String),
) -> (String, Vec<String>) {
    let (ok, out, err) = run(&["auth", "enroll", "--json"]);
    assert!(ok, "auth enroll --json: {err}");
    let setup: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let secret = setup["secret"].as_str().unwrap_or_default().to_string();
    let parsed =
        vetdesk_core::second_factor::TotpSecret::parse(&secret).unwrap_or_else(|e| panic!("{e}"));
    let code = vetdesk_core::second_factor::code_at(&parsed, time::OffsetDateTime::now_utc())
        .unwrap_or_else(|e| panic!("{e}"));
    let (ok, codes, err) = run(&["auth", "enroll", "--secret", &secret, "--code", &code]);
    assert!(ok, "auth enroll --secret: {err}");
    let codes: Vec<String> = codes.lines().map(str::to_string).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes: {codes:?}");
    (secret, codes)
}
