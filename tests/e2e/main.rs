//! End-to-end: the real `vetdesk-app` binary in a real window under Xvfb, driven over
//! WebDriver. The store is created by `vetdesk-core` first; every assertion is on text
//! the app's Rust side read from that encrypted store.
//!
//! Needs the OS keyring like the rest of `make test` (it runs under
//! `scripts/with-keyring.sh`); the app inherits that session.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use vetdesk_core::{KeyProtection, Store};
use vetdesk_e2e::{Driver, Session, Xvfb, app_binary, repo_root};

/// One app at a time: two WebKit processes at once crowd a 2-core machine.
static ONE_APP_AT_A_TIME: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(30);

const VIEWS: [(&str, &str); 7] = [
    ("today", "Today"),
    ("clients", "Clients & Patients"),
    ("exam", "Exam"),
    ("billing", "Billing"),
    ("inventory", "Inventory"),
    ("reports", "Reports"),
    ("settings", "Settings"),
];

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn launch(data_dir: &Path, scratch: &Path) -> Result<(Xvfb, Driver, Session)> {
    let app = app_binary()?;
    let xvfb = Xvfb::start()?;
    let driver = Driver::start(
        &xvfb.display,
        &[("VETDESK_DATA_DIR", data_dir)],
        &scratch.join("webdriver.log"),
    )?;
    let session = Session::launch(&driver, &app).context("open the app's window over WebDriver")?;
    Ok((xvfb, driver, session))
}

/// Waits for the shell to show `clinic` in its header; returns the status bar's text.
fn wait_for_shell(session: &Session, clinic: &str) -> Result<String> {
    session.wait_for_text("[data-testid=clinic-name]", WAIT, |t| t == clinic)?;
    session.wait_for_text("[data-testid=store-status]", WAIT, |t| !t.is_empty())
}

/// Types `passphrase` into the unlock form (replacing what is there) and submits it.
fn submit_passphrase(session: &Session, passphrase: &str) -> Result<()> {
    let input = session.wait_for("#passphrase", WAIT)?;
    session.clear(&input)?;
    session.type_into(&input, passphrase)?;
    session.click(&session.wait_for("form button[type=submit]", WAIT)?)
}

#[test]
fn the_shell_shows_the_clinic_from_the_encrypted_store_and_navigates() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let store = Store::create(
        &data_dir,
        "Riverside Veterinary Clinic",
        KeyProtection::Keyring,
        now(),
    )
    .context("create a keyring store (is the test running under scripts/with-keyring.sh?)")?;
    let expected = store.status()?;
    drop(store);

    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;

    let status_bar = wait_for_shell(&session, "Riverside Veterinary Clinic")?;
    ensure!(
        status_bar.contains(&format!("SQLCipher {}", expected.cipher_version)),
        "status bar: {status_bar}"
    );
    ensure!(
        status_bar.contains("Key: OS keyring"),
        "status bar: {status_bar}"
    );
    let shots = repo_root().join("docs/screenshots");
    session.screenshot(&shots.join("today.png"))?;

    for (id, label) in VIEWS {
        let button = session.wait_for(&format!("nav [data-view={id}]"), WAIT)?;
        session.click(&button)?;
        session.wait_for(&format!("[data-testid=view][data-view={id}]"), WAIT)?;
        let heading = session.wait_for_text("main h1", WAIT, |t| t == label)?;
        ensure!(heading == label);
        let current = session.attribute(&button, "aria-current")?;
        ensure!(
            current.as_deref() == Some("page"),
            "{id} not marked current: {current:?}"
        );
    }

    // Settings shows exactly what the Rust side read from the store.
    let details = session.wait_for_text("[data-testid=store-details]", WAIT, |t| !t.is_empty())?;
    ensure!(details.contains(&expected.clinic_id), "details: {details}");
    ensure!(details.contains(&expected.device_id), "details: {details}");
    ensure!(
        details.contains(&data_dir.display().to_string()),
        "details: {details}"
    );
    session.screenshot(&shots.join("settings.png"))?;
    Ok(())
}

#[test]
fn a_passphrase_store_unlocks_in_the_window_and_a_wrong_passphrase_is_explained() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let passphrase = "owner's laptop passphrase";
    drop(Store::create(
        &data_dir,
        "Hillside Animal Hospital",
        KeyProtection::Passphrase(zeroize::Zeroizing::new(passphrase.to_string())),
        now(),
    )?);

    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;

    submit_passphrase(&session, "not the passphrase")?;
    let alert = session.wait_for_text("form [role=alert]", WAIT, |t| !t.is_empty())?;
    ensure!(alert == "wrong passphrase for this store", "alert: {alert}");
    let code = session.attribute(
        &session.wait_for("form [role=alert]", WAIT)?,
        "data-error-code",
    )?;
    ensure!(
        code.as_deref() == Some("wrong_passphrase"),
        "code: {code:?}"
    );
    session.screenshot(&repo_root().join("docs/screenshots/unlock.png"))?;

    submit_passphrase(&session, passphrase)?;
    let status_bar = wait_for_shell(&session, "Hillside Animal Hospital")?;
    ensure!(
        status_bar.contains("Key: passphrase"),
        "status bar: {status_bar}"
    );
    Ok(())
}
